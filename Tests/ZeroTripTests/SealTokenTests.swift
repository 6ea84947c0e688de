import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripDomainTestSupport
import ZeroTripTestSupport

@Suite(
    "Seal keys in a PKCS#11 token (SoftHSM): made there, sealing documents, failing as 503 with nothing stored",
    .tags(.externalTool), .notInFastLoop, .enabled(if: SoftHSM.available))
struct SealTokenTests {
    /// A district whose seals live in a throw-away token of their own.
    static func district(pin: String = SoftHSM.pin) async throws -> (TestDistrict, String) {
        let (label, uri) = try SoftHSM.claim()
        let district = try TestDistrict(sealToken: uri + "&pin-value=\(pin)")
        return (district, label)
    }

    @Test("A department's seal key is made in the token (no key file), issues documents that verify, and rotates in the token")
    func sealInToken() async throws {
        let (district, label) = try await Self.district()
        try await district.setUp()
        let services = district.services
        let keys = try await services.administration.keys(department: "RSJ")
        let location = try #require(
            try await services.database.read { db in try SigningKeyStore.certificateAndKeyFile(keys[0].kid, in: db) }?.keyFile)
        #expect(location.hasPrefix("pkcs11:token=\(label);object=seal-RSJ-") && location.contains("type=private"), "\(location)")
        #expect(!location.contains(SoftHSM.pin), "the register never holds the PIN")
        let keyFiles = try FileManager.default.contentsOfDirectory(atPath: district.home.keysDirectory.path)
        #expect(!keyFiles.contains { $0.hasPrefix("RSJ-") }, "no seal key file: \(keyFiles)")

        let listed = try ExternalTool.run([
            "pkcs11-tool", "--module", SoftHSM.modulePath, "--token-label", label, "--login", "--pin", SoftHSM.pin, "--list-objects", "--type",
            "privkey",
        ])
        #expect(listed.stdout.contains("seal-RSJ-") && listed.stdout.contains("never extractable"), "\(listed.stdout)\(listed.stderr)")

        let issued = try await services.documents.issue(DocumentAccessTests.request, actor: "test")
        #expect(try await services.documents.verifyPDF(issued.pdf, actor: "test").result == .valid)
        #expect(try await services.documents.verifyToken(issued.qrContent, actor: "test").result == .valid)
        // What other departments' tools say about a document sealed in the token: pyHanko and poppler's pdfsig, with
        // the district root as the only trust anchor.
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("sealed.pdf")
        try Data(issued.pdf).write(to: file)
        let root = district.home.rootCertificateURL.path
        let hanko = try ExternalTool.run(["python3", ExternalTool.validator("pyhanko_validate.py"), file.path, root])
        let report = try JSONSerialization.jsonObject(with: Data(hanko.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(
            report["intact"] as? Bool == true && report["trusted"] as? Bool == true && report["pades_level"] as? String == "B-B",
            "\(hanko.stdout)\(hanko.stderr)")
        let pdfsig = try ExternalTool.run(["bash", ExternalTool.validator("pdfsig_check.sh"), file.path, root])
        #expect(
            pdfsig.stdout.contains("Signature is Valid.") && pdfsig.stdout.contains("Certificate is Trusted."), "\(pdfsig.stdout)\(pdfsig.stderr)")
        try await services.checkReadiness()

        let rotated = try await services.administration.rotate(department: "RSJ", overlap: 0, actor: "test")
        let rotatedLocation = try #require(
            try await services.database.read { db in try SigningKeyStore.certificateAndKeyFile(rotated.kid, in: db) }?.keyFile)
        #expect(rotatedLocation.hasPrefix("pkcs11:") && rotatedLocation != location)
        let second = try await services.documents.issue(DocumentAccessTests.request, actor: "test")
        #expect(second.record.kid == rotated.kid)
        #expect(try await services.documents.verifyPDF(second.pdf, actor: "test").result == .valid)

        // The retired key will never sign again: the maintenance round destroys it in the token, once, audited; the
        // documents it signed keep verifying from its certificate.
        #expect(try await services.administration.destroyFinishedTokenKeys() == 1)
        #expect(try await services.administration.destroyFinishedTokenKeys() == 0, "once")
        let events = try await AuditLog.events(in: services.database, limit: 1000).filter { $0.action == AuditAction.keyDestroyed.rawValue }
        #expect(events.map(\.target) == ["key:\(keys[0].kid)"])
        let remaining = try ExternalTool.run([
            "pkcs11-tool", "--module", SoftHSM.modulePath, "--token-label", label, "--login", "--pin", SoftHSM.pin, "--list-objects", "--type",
            "privkey",
        ])
        #expect(remaining.stdout.components(separatedBy: "Private Key Object").count - 1 == 1, "only the active key is left: \(remaining.stdout)")
        #expect(try await services.documents.verifyPDF(issued.pdf, actor: "test").result == .valid)
        #expect(try await services.documents.verifyPDF(second.pdf, actor: "test").result == .valid)
    }

    @Test("A seal key gone from its token: issuance answers token_key_not_found (503) and stores nothing; readiness says so")
    func keyGone() async throws {
        let (district, _) = try await Self.district()
        try await district.setUp()
        let services = district.services
        _ = try await services.documents.issue(DocumentAccessTests.request, actor: "test")
        let before = try await services.documents.records(department: "RSJ", limit: 100).count
        let events = try await AuditLog.events(in: services.database, limit: 100_000).count

        let kid = try await services.administration.keys(department: "RSJ")[0].kid
        let location = try #require(try await services.database.read { db in try SigningKeyStore.certificateAndKeyFile(kid, in: db) }?.keyFile)
        let uri = try PKCS11URI(location)
        try TokenKey.open(uri, in: try PKCS11Token(uri, pin: SoftHSM.pin)).destroy()

        let error = await #expect(throws: ZeroTripError.self) { try await services.documents.issue(DocumentAccessTests.request, actor: "test") }
        #expect(error?.code.rawValue == "token_key_not_found")
        #expect(error?.code.kind == .unavailable, "an operator's problem, answered 503 with Retry-After")
        #expect(try await services.documents.records(department: "RSJ", limit: 100).count == before, "no document was stored")
        #expect(try await AuditLog.events(in: services.database, limit: 100_000).count == events, "no issuance was audited")
        await expectError(.tokenKeyNotFound) { try await services.checkReadiness() }
    }

    @Test("A token whose store disappears mid-run: issuance answers a token_* 503 and stores nothing; when it is back, issuance works again")
    func tokenGoneAndBack() async throws {
        let (district, label) = try await Self.district()
        try await district.setUp()
        let services = district.services
        _ = try await services.documents.issue(DocumentAccessTests.request, actor: "test")
        let before = try await services.documents.records(department: "RSJ", limit: 100).count
        let events = try await AuditLog.events(in: services.database, limit: 100_000).count

        // The token's store goes away, as a USB key pulled out would.
        let withdrawn = try SoftHSM.withdraw(label)
        var restored = false
        defer { if !restored { try? withdrawn.restore() } }

        let error = await #expect(throws: ZeroTripError.self) { try await services.documents.issue(DocumentAccessTests.request, actor: "test") }
        #expect(error?.code.rawValue.hasPrefix("token_") == true, "\(String(describing: error))")
        #expect(error?.code.kind == .unavailable, "an operator's problem, answered 503 with Retry-After")
        #expect(try await services.documents.records(department: "RSJ", limit: 100).count == before, "no document was stored")
        #expect(try await AuditLog.events(in: services.database, limit: 100_000).count == events, "no issuance was audited")

        try withdrawn.restore()
        restored = true
        let again = try await services.documents.issue(DocumentAccessTests.request, actor: "test")
        #expect(try await services.documents.verifyPDF(again.pdf, actor: "test").result == .valid)
    }

    @Test("A wrong PIN is refused with token_pin_incorrect before any key is made, and the PIN is in no message")
    func wrongPIN() async throws {
        let (district, label) = try await Self.district(pin: "0000-1111")
        _ = try await district.services.administration.initialize(district: "禅城区", actor: "test")
        let error = await #expect(throws: ZeroTripError.self) {
            try await district.services.administration.addDepartment(code: "RSJ", name: "区人力资源和社会保障局", actor: "test")
        }
        #expect(error?.code == .tokenPINIncorrect)
        #expect(error.map { !$0.message.contains("0000-1111") && !$0.description.contains("0000-1111") } == true)
        #expect(try await district.services.administration.department(code: "RSJ") == nil, "nothing recorded")
        let listed = try ExternalTool.run([
            "pkcs11-tool", "--module", SoftHSM.modulePath, "--token-label", label, "--login", "--pin", SoftHSM.pin, "--list-objects",
        ])
        #expect(!listed.stdout.contains("seal-RSJ"), "no key was made: \(listed.stdout)")
    }

    @Test("keys migrate moves a file key into the token: same kid and certificate, file gone, audited, signing from the token; never back out")
    func migrate() async throws {
        let district = try await TestDistrict().setUp()
        let (label, uri) = try SoftHSM.claim()
        let kid = try await district.services.administration.keys(department: "RSJ")[0].kid
        let file = try #require(try await district.services.database.read { db in try SigningKeyStore.certificateAndKeyFile(kid, in: db) }?.keyFile)
        #expect(FileManager.default.fileExists(atPath: district.home.keysDirectory.appendingPathComponent(file).path))

        // The same district, now configured with a seal token (as `keys migrate --to` does).
        var home = district.home
        home.sealToken = uri + "&pin-value=\(SoftHSM.pin)"
        let services = ZeroTripServices(
            database: district.services.database, home: home,
            passphrase: PassphraseSource(explicit: TestDistrict.passphrase, environment: [:], keys: home.keyFiles),
            clock: ZeroTripClock { [clock = district.clock] in clock.now })
        let moved = try await services.administration.migrateKey(kid: kid, actor: "cli")
        #expect(moved.kid == kid && moved.status == .active)
        let location = try #require(try await services.database.read { db in try SigningKeyStore.certificateAndKeyFile(kid, in: db) }?.keyFile)
        #expect(location.hasPrefix("pkcs11:token=\(label);object=seal-RSJ-\(kid.prefix(8))"), "\(location)")
        #expect(!FileManager.default.fileExists(atPath: home.keysDirectory.appendingPathComponent(file).path), "the key file is removed")
        let event = try #require(try await AuditLog.events(in: services.database, limit: 1).last)
        #expect(event.action == AuditAction.keyMigrated.rawValue && event.target == "key:\(kid)" && !event.details.contains(SoftHSM.pin))

        let issued = try await services.documents.issue(DocumentAccessTests.request, actor: "test")
        #expect(issued.record.kid == kid)
        #expect(try await services.documents.verifyPDF(issued.pdf, actor: "test").result == .valid)
        try await services.checkReadiness()

        await expectError(.invalidInput) { try await services.administration.migrateKey(kid: kid, actor: "cli") }
        let refused = await #expect(throws: (any Error).self) {
            try await services.database.write { db in
                try db.execute(sql: "UPDATE signing_keys SET key_file = ? WHERE kid = ?", arguments: [file, kid])
            }
        }
        #expect(refused != nil, "the schema refuses moving a key back out of its token")
    }

    @Test(
        "The root in one token and the seals in another: init, a department, a document, readiness and a root renewal, all checked by openssl; no key file"
    )
    func rootAndSealsInTwoTokens() async throws {
        // The root's PIN is its own variable (not the seals'), read from the environment as the daemon does.
        setenv(TokenAccess.rootPINVariable, SoftHSM.pin, 1)
        let (rootLabel, rootURI) = try SoftHSM.claim()
        let (sealLabel, sealURI) = try SoftHSM.claim()
        let district = try TestDistrict(sealToken: sealURI + "&pin-value=\(SoftHSM.pin)")
        let administration = district.services.administration
        let info = try await administration.initialize(district: "禅城区", rootToken: rootURI, actor: "test")
        _ = try await administration.addDepartment(code: "RSJ", name: "区人力资源和社会保障局", actor: "test")
        try await IdentityFixtures.importDemoRegistry(district.services)

        let rootLocation = try #require(
            try await district.services.database.read { db in try SigningKeyStore.certificateAndKeyFile(info.rootKid, in: db) }?.keyFile)
        #expect(rootLocation.hasPrefix("pkcs11:token=\(rootLabel);object=root-"), "\(rootLocation)")
        let sealKid = try await administration.keys(department: "RSJ")[0].kid
        let sealLocation = try #require(
            try await district.services.database.read { db in try SigningKeyStore.certificateAndKeyFile(sealKid, in: db) }?.keyFile)
        #expect(sealLocation.hasPrefix("pkcs11:token=\(sealLabel);"))
        let files = (try? FileManager.default.contentsOfDirectory(atPath: district.home.keysDirectory.path)) ?? []
        #expect(!files.contains { $0.hasSuffix(".key.pem") }, "no key file at all: \(files)")

        let issued = try await district.services.documents.issue(DocumentAccessTests.request, actor: "test")
        #expect(try await district.services.documents.verifyPDF(issued.pdf, actor: "test").result == .valid)
        try await district.services.checkReadiness()

        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let oldRoot = try await administration.rootCertificate()
        let seal = try #require(try await administration.keys(department: "RSJ").first)
        try Data(oldRoot.pemRepresentation.utf8).write(to: directory.appendingPathComponent("old.pem"))
        try Data(seal.certificatePEM.utf8).write(to: directory.appendingPathComponent("seal.pem"))
        let chain = try ExternalTool.run(["openssl", "verify", "-CAfile", "old.pem", "old.pem", "seal.pem"], in: directory)
        #expect(chain.status == 0, "\(chain.stdout)\(chain.stderr)")

        // Renewal in the same token: the new root and both link certificates verify.
        let renewal = try await administration.renewRoot(actor: "test")
        let newLocation = try #require(
            try await district.services.database.read { db in try SigningKeyStore.certificateAndKeyFile(renewal.root.kid, in: db) }?.keyFile)
        #expect(newLocation.hasPrefix("pkcs11:token=\(rootLabel);object=root-") && newLocation != rootLocation)
        try Data(renewal.root.certificatePEM.utf8).write(to: directory.appendingPathComponent("new.pem"))
        try Data(renewal.newWithOldPEM.utf8).write(to: directory.appendingPathComponent("new-by-old.pem"))
        try Data(renewal.oldWithNewPEM.utf8).write(to: directory.appendingPathComponent("old-by-new.pem"))
        let renewed = try ExternalTool.run(
            ["openssl", "verify", "-CAfile", "new.pem", "new.pem", "old-by-new.pem"], in: directory)
        #expect(renewed.status == 0, "\(renewed.stdout)\(renewed.stderr)")
        let linked = try ExternalTool.run(["openssl", "verify", "-CAfile", "old.pem", "new-by-old.pem"], in: directory)
        #expect(linked.status == 0, "\(linked.stdout)\(linked.stderr)")
        // The trust list and the CRL, both signed in the root's token, as other departments check them.
        let list = try await district.services.trustList.current()
        try Data(list.json).write(to: directory.appendingPathComponent("trust-list.json"))
        try Data(list.signature).write(to: directory.appendingPathComponent("trust-list.json.sig"))
        try Data(try await district.services.trustList.crl()).write(to: directory.appendingPathComponent("root.crl"))
        _ = try ExternalTool.run(["openssl", "x509", "-in", "new.pem", "-pubkey", "-noout", "-out", "new.pub"], in: directory)
        let listChecked = try ExternalTool.run(
            ["openssl", "dgst", "-sha256", "-verify", "new.pub", "-signature", "trust-list.json.sig", "trust-list.json"], in: directory)
        #expect(listChecked.stdout.contains("Verified OK"), "\(listChecked.stdout)\(listChecked.stderr)")
        let crlChecked = try ExternalTool.run(
            ["openssl", "crl", "-inform", "DER", "-in", "root.crl", "-CAfile", "new.pem", "-noout"], in: directory)
        #expect(crlChecked.stderr.contains("verify OK") || crlChecked.stdout.contains("verify OK"), "\(crlChecked.stdout)\(crlChecked.stderr)")

        let signed = try await administration.listSignature(for: Array("trust list".utf8))
        #expect(signed.rootKid == renewal.root.kid && signed.signerKid == nil)
        #expect(
            try Certificate(pemRepresentation: renewal.root.certificatePEM).publicKey.isValidSignature(
                try Signature(derRepresentation: signed.signature, algorithm: .p256), for: Array("trust list".utf8)))
    }

    @Test("root renew --to moves a district's root from a file into a token: the new root is made there and its link certificates verify")
    func renewRootIntoToken() async throws {
        setenv(TokenAccess.rootPINVariable, SoftHSM.pin, 1)
        let district = try await TestDistrict().setUp()
        let (label, uri) = try SoftHSM.claim()
        let administration = district.services.administration
        let old = try await administration.rootCertificate()
        let renewal = try await administration.renewRoot(actor: "test", intoToken: uri)
        let location = try #require(
            try await district.services.database.read { db in try SigningKeyStore.certificateAndKeyFile(renewal.root.kid, in: db) }?.keyFile)
        #expect(location.hasPrefix("pkcs11:token=\(label);object=root-"), "\(location)")
        let files = try FileManager.default.contentsOfDirectory(atPath: district.home.keysDirectory.path)
        #expect(!files.contains("root-\(renewal.root.kid).key.pem"), "the new root has no file")

        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(old.pemRepresentation.utf8).write(to: directory.appendingPathComponent("old.pem"))
        try Data(renewal.root.certificatePEM.utf8).write(to: directory.appendingPathComponent("new.pem"))
        try Data(renewal.newWithOldPEM.utf8).write(to: directory.appendingPathComponent("new-by-old.pem"))
        let linked = try ExternalTool.run(["openssl", "verify", "-CAfile", "old.pem", "new-by-old.pem"], in: directory)
        #expect(linked.status == 0, "\(linked.stdout)\(linked.stderr)")
        // A seal certificate made now is issued by the token root.
        let key = try await administration.rotate(department: "RSJ", overlap: 0, actor: "test")
        try Data(key.certificatePEM.utf8).write(to: directory.appendingPathComponent("seal.pem"))
        let chain = try ExternalTool.run(["openssl", "verify", "-CAfile", "new.pem", "seal.pem"], in: directory)
        #expect(chain.status == 0, "\(chain.stdout)\(chain.stderr)")
        try await district.services.checkReadiness()
    }
}
