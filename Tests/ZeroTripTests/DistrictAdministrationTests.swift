import Foundation
import Testing
import ZeroTripDomainTestSupport
@testable import ZeroTrip
import ZeroTripCrypto

@Suite("District PKI on disk and departments")
struct DistrictAdministrationTests {
    @Test("init writes an encrypted 0600 root key and Certificates/root.pem; a second init is refused and changes nothing")
    func initialize() async throws {
        let district = try TestDistrict()
        let info = try await district.services.administration.initialize(district: "禅城区", actor: "test")
        let keyFile = district.home.keysDirectory.appendingPathComponent("root-\(info.rootKid).key.pem")
        let attributes = try FileManager.default.attributesOfItem(atPath: keyFile.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // The suites write cheap key files; an installation gets RFC 7914's interactive cost unless it says otherwise.
        #expect(district.home.keyEncryption.n == PrivateKey.ScryptParameters.testing.n)
        #expect(ZeroTripHome(root: district.root).keyEncryption.n == 1 << 14)
        let pem = try String(contentsOf: keyFile, encoding: .utf8)
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        let root = try Certificate(pemRepresentation: String(contentsOf: district.home.rootCertificateURL, encoding: .utf8))
        #expect(root.kidHex == info.rootKid)
        #expect(root.subject.commonName == "禅城区 ZeroTrip 根证书")
        #expect(root.isCertificateAuthority)

        let files = district.fileListing(), counts = try await district.tableCounts()
        let error = await #expect(throws: ZeroTripError.self) {
            try await district.services.administration.initialize(district: "别的区", actor: "test")
        }
        #expect(error?.code == .alreadyInitialized)
        #expect(district.fileListing() == files)
        await #expect(try district.tableCounts() == counts)
    }

    @Test("departments add issues a seal certificate that chains to the root, with its key in Keys/")
    func addDepartment() async throws {
        let district = try await TestDistrict().setUp()
        let department = try #require(try await district.services.administration.department(code: "RSJ"))
        let keys = try await district.services.administration.keys(department: "RSJ")
        #expect(keys.count == 1)
        let seal = try Certificate(pemRepresentation: keys[0].certificatePEM)
        #expect(seal.kidHex == department.activeKid)
        #expect(seal.subject.commonName == "区人力资源和社会保障局")
        #expect(seal.subject["OU"] == "RSJ")
        let root = try await district.services.administration.rootCertificate()
        #expect(CertificateChainVerifier(trustAnchors: [root]).validateSeal(seal, at: Date()).isValid)
        let keyPEM = try district.home.keyFiles.read("RSJ-\(seal.kidHex).key.pem")
        let key = try PrivateKey(pemRepresentation: keyPEM, passphrase: TestDistrict.passphrase)
        #expect(key.publicKey.derRepresentation == seal.publicKey.derRepresentation)
    }

    @Test(
        "Bad input is refused with a stable code and leaves database and files unchanged",
        arguments: [
            ("RSJ", "重复", ZeroTripError.Code.duplicateDepartment),
            ("rsj", "小写", .invalidInput),
            ("R", "太短", .invalidInput),
            ("GAJ", "", .invalidInput),
            ("GAJ", String(repeating: "长", count: 65), .invalidInput),
        ])
    func badDepartment(code: String, name: String, expected: ZeroTripError.Code) async throws {
        let district = try await TestDistrict().setUp()
        let files = district.fileListing(), counts = try await district.tableCounts()
        let error = await #expect(throws: ZeroTripError.self) {
            try await district.services.administration.addDepartment(code: code, name: name, actor: "test")
        }
        #expect(error?.code == expected)
        #expect(district.fileListing() == files)
        await #expect(try district.tableCounts() == counts)
    }

    @Test(
        "An SM2 seal is refused when a department is created (409-mapped code, nothing made); one left from an older version answers the same code at issuance, never a 500, until a rotation gives it a P-256 key"
    )
    func sm2Seals() async throws {
        let district = try await TestDistrict().setUp()
        let administration = district.services.administration
        let files = district.fileListing(), counts = try await district.tableCounts()
        let refused = await #expect(throws: ZeroTripError.self) {
            try await administration.addDepartment(code: "GAJ", name: "区公安分局", algorithm: .sm2, actor: "test")
        }
        #expect(refused?.code == .sealAlgorithmUnsupported)
        #expect(district.fileListing() == files)
        await #expect(try district.tableCounts() == counts)

        // A department whose seal is SM2, as an older version could create it.
        let now = district.clock.now
        let (certificate, keyFile, _) = try await administration.createSealFiles(
            code: "WJJ", name: "区卫生健康局", districtName: "禅城区", algorithm: .sm2, now: now)
        try await district.services.database.write { db in
            let id = try DistrictStore.insertDepartment(code: "WJJ", name: "区卫生健康局", at: now, in: db)
            try SigningKeyStore.insert(certificate, departmentID: id, role: .seal, algorithm: .sm2, keyFile: keyFile, at: now, in: db)
        }
        var request = DocumentIssuanceTests.request
        request.departmentCode = "WJJ"
        let issuing = await #expect(throws: ZeroTripError.self) { try await district.services.documents.issue(request, actor: "test") }
        #expect(issuing?.code == .sealAlgorithmUnsupported)
        let rotated = try await administration.rotate(department: "WJJ", overlap: 0, actor: "test")
        #expect(rotated.algorithm == KeyAlgorithm.p256.rawValue && rotated.status == .active)
        let issued = try await district.services.documents.issue(request, actor: "test")
        #expect(issued.record.kid == rotated.kid)
    }

    @Test("A wrong root passphrase is reported as wrong_passphrase, without the passphrase, and nothing is created")
    func wrongPassphrase() async throws {
        let district = try await TestDistrict().setUp()
        let files = district.fileListing(), counts = try await district.tableCounts()
        let other = DistrictAdministration(
            database: district.services.database, home: district.home,
            passphrase: PassphraseSource(
                explicit: TestDistrict.passphrase, environment: ["ZEROTRIP_ROOT_PASSPHRASE": "not the passphrase at all"],
                keys: district.home.keyFiles))
        let error = await #expect(throws: ZeroTripError.self) { try await other.addDepartment(code: "GAJ", name: "区公安分局", actor: "test") }
        #expect(error?.code == .wrongPassphrase)
        #expect(error.map { !$0.description.contains("not the passphrase") } == true)
        #expect(district.fileListing() == files)
        await #expect(try district.tableCounts() == counts)
    }

    @Test("A corrupted root key file gives malformed_key and nothing is created")
    func malformedRootKey() async throws {
        let district = try await TestDistrict().setUp()
        let rootKid = try #require(try await district.services.administration.district()).rootKid
        let path = district.home.keysDirectory.appendingPathComponent("root-\(rootKid).key.pem").path
        try "-----BEGIN ENCRYPTED PRIVATE KEY-----\nnot base64\n-----END ENCRYPTED PRIVATE KEY-----\n".write(
            toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        let files = district.fileListing(), counts = try await district.tableCounts()
        let fresh = DistrictAdministration(
            database: district.services.database, home: district.home,
            passphrase: PassphraseSource(explicit: TestDistrict.passphrase, environment: [:], keys: district.home.keyFiles))
        let error = await #expect(throws: ZeroTripError.self) { try await fresh.addDepartment(code: "GAJ", name: "区公安分局", actor: "test") }
        #expect(error?.code == .malformedKey)
        #expect(district.fileListing() == files)
        await #expect(try district.tableCounts() == counts)
    }

    @Test("A key file readable by others is refused, naming the file")
    func insecureKeyFile() async throws {
        let district = try await TestDistrict().setUp()
        try await district.services.administration.checkKeyFiles()
        let name = try #require(FileManager.default.contentsOfDirectory(atPath: district.home.keysDirectory.path).first { $0.hasPrefix("RSJ-") })
        chmod(district.home.keysDirectory.appendingPathComponent(name).path, 0o644)
        let error = await #expect(throws: ZeroTripError.self) { try await district.services.administration.checkKeyFiles() }
        #expect(error?.code == .insecureKeyFile)
        #expect(error?.message.contains(name) == true)
        expectError(.insecureKeyFile) { try district.home.keyFiles.read(name) }
    }

    @Test("Key files are never overwritten")
    func neverOverwrite() throws {
        let district = try TestDistrict()
        try district.home.keyFiles.create("x.key.pem", contents: "first")
        let error = #expect(throws: ZeroTripError.self) { try district.home.keyFiles.create("x.key.pem", contents: "second") }
        #expect(error?.code == .fileExists)
        #expect(try district.home.keyFiles.read("x.key.pem") == "first")
    }

    @Test("Operations before init say not_initialized")
    func notInitialized() async throws {
        let district = try TestDistrict()
        let error = await #expect(throws: ZeroTripError.self) {
            try await district.services.administration.addDepartment(code: "RSJ", name: "人社局", actor: "test")
        }
        #expect(error?.code == .notInitialized)
    }
}
