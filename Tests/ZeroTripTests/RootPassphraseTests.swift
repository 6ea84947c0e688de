import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDomainTestSupport

@Suite("The root key file has a passphrase of its own, never the seals'; older districts separate it")
struct RootPassphraseTests {
    /// Services over `district`'s files and database with `environment` as the passphrases' environment (a fresh
    /// instance: nothing unlocked yet).
    static func services(_ district: TestDistrict, environment: [String: String] = [:]) -> ZeroTripServices {
        ZeroTripServices(
            database: district.services.database, home: district.home,
            passphrase: PassphraseSource(explicit: TestDistrict.passphrase, environment: environment, keys: district.home.keyFiles))
    }

    static func rootKeyFile(_ services: ZeroTripServices) async throws -> (kid: String, file: String) {
        let kid = try #require(try await services.administration.district()?.rootKid)
        let file = try #require(try await services.database.read { db in try SigningKeyStore.certificateAndKeyFile(kid, in: db) }?.keyFile)
        return (kid, file)
    }

    /// Whether `body` fails with `wrong_passphrase`.
    static func wrongPassphrase(_ body: () throws -> PrivateKey) -> Bool {
        do {
            _ = try body()
            return false
        } catch {
            return (error as? CryptoError)?.code == .wrongPassphrase
        }
    }

    static func mode(_ url: URL) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Turns the district into one made before the split: the root key file encrypted with the seals' passphrase and
    /// no root passphrase anywhere.
    static func makeLegacy(_ district: TestDistrict) async throws -> (kid: String, file: String) {
        let keys = district.home.keyFiles
        let (kid, file) = try await rootKeyFile(district.services)
        let rootSecret = try keys.read(PassphraseSource.Purpose.root.fileName).trimmingWhitespace()
        let key = try PrivateKey(pemRepresentation: try keys.read(file), passphrase: rootSecret)
        keys.discard(file)
        try await keys.create(file, contents: try key.encryptedPEMRepresentation(passphrase: TestDistrict.passphrase, scrypt: .testing))
        keys.discard(PassphraseSource.Purpose.root.fileName)
        return (kid, file)
    }

    @Test("init writes a random root passphrase file (0600) that differs from the seals'; the seals' does not open the root")
    func initSeparates() async throws {
        let district = try TestDistrict()
        try await district.setUp()
        let keys = district.home.keyFiles
        let rootPassphraseFile = district.home.keysDirectory.appendingPathComponent("root-passphrase")
        #expect(try Self.mode(rootPassphraseFile) == 0o600)
        let rootSecret = try keys.read("root-passphrase").trimmingWhitespace()
        #expect(rootSecret.count >= 40 && rootSecret != TestDistrict.passphrase)
        let (_, file) = try await Self.rootKeyFile(district.services)
        let pem = try keys.read(file)
        #expect(Self.wrongPassphrase { try PrivateKey(pemRepresentation: pem, passphrase: TestDistrict.passphrase) })
        _ = try PrivateKey(pemRepresentation: pem, passphrase: rootSecret)
        // The seal key opens with the seals' passphrase, not the root's.
        let seal = try #require(try await district.services.administration.keys(department: "RSJ").first)
        let sealFile = try #require(
            try await district.services.database.read { db in try SigningKeyStore.certificateAndKeyFile(seal.kid, in: db) }?.keyFile)
        #expect(Self.wrongPassphrase { try PrivateKey(pemRepresentation: try keys.read(sealFile), passphrase: rootSecret) })
        #expect(try await district.services.administration.rootSharesSealPassphrase() == false)
        // Without the root's passphrase (file gone, no variable) the root does not open: the seals' is no substitute.
        keys.discard("root-passphrase")
        let without = Self.services(district)
        await expectError(.wrongPassphrase) { try await without.administration.listSignature(for: [1, 2, 3]) }
        // From the environment it does.
        let withVariable = Self.services(district, environment: ["ZEROTRIP_ROOT_PASSPHRASE": rootSecret])
        _ = try await withVariable.administration.listSignature(for: [1, 2, 3])
    }

    @Test("init refuses a root passphrase equal to the seals' and leaves nothing behind")
    func initRefusesEqual() async throws {
        let district = try TestDistrict()
        let services = Self.services(district, environment: ["ZEROTRIP_ROOT_PASSPHRASE": TestDistrict.passphrase])
        let before = district.fileListing()
        await expectError(.invalidInput) { try await services.administration.initialize(district: "禅城区", actor: "test") }
        #expect(try await services.administration.district() == nil)
        #expect(district.fileListing() == before)
    }

    @Test("A root that still opens with the seals' passphrase keeps working, and separate-passphrase moves it to its own, once")
    func separateLegacy() async throws {
        let district = try TestDistrict()
        try await district.setUp()
        let (kid, oldFile) = try await Self.makeLegacy(district)
        let legacy = Self.services(district)
        _ = try await legacy.administration.listSignature(for: [1, 2, 3])
        #expect(try await legacy.administration.rootSharesSealPassphrase())

        let result = try await legacy.administration.separateRootPassphrase(actor: "test")
        #expect(result.kids == [kid] && result.generated)
        let keys = district.home.keyFiles
        #expect(!keys.exists(oldFile), "the old file is removed")
        let (_, newFile) = try await Self.rootKeyFile(legacy)
        #expect(newFile != oldFile && newFile.hasPrefix("root-\(kid)-") && keys.exists(newFile))
        #expect(try Self.mode(district.home.keysDirectory.appendingPathComponent(newFile)) == 0o600)
        let rootSecret = try keys.read("root-passphrase").trimmingWhitespace()
        #expect(rootSecret != TestDistrict.passphrase)
        #expect(Self.wrongPassphrase { try PrivateKey(pemRepresentation: try keys.read(newFile), passphrase: TestDistrict.passphrase) })
        let certificate = try await legacy.administration.rootCertificate()
        let reopened = try PrivateKey(pemRepresentation: try keys.read(newFile), passphrase: rootSecret)
        #expect(reopened.publicKey.derRepresentation == certificate.publicKey.derRepresentation, "the same key")
        let events = try await AuditLog.events(in: legacy.database, limit: 1000).filter { $0.action == "root.passphrase_separated" }
        #expect(events.count == 1 && events.first?.target == "key:\(kid)")

        let fresh = Self.services(district)
        #expect(try await fresh.administration.rootSharesSealPassphrase() == false)
        _ = try await fresh.administration.listSignature(for: [1, 2, 3])
        let again = try await fresh.administration.separateRootPassphrase(actor: "test")
        #expect(again.kids.isEmpty && !again.generated)
        #expect(try await AuditLog.events(in: fresh.database, limit: 1000).filter { $0.action == "root.passphrase_separated" }.count == 1)
    }

    @Test("separate-passphrase refuses a root passphrase equal to the seals' and changes nothing")
    func separateRefusesEqual() async throws {
        let district = try TestDistrict()
        try await district.setUp()
        let (_, oldFile) = try await Self.makeLegacy(district)
        let services = Self.services(district, environment: ["ZEROTRIP_ROOT_PASSPHRASE": TestDistrict.passphrase])
        let before = district.fileListing()
        let counts = try await district.tableCounts()
        await expectError(.invalidInput) { try await services.administration.separateRootPassphrase(actor: "test") }
        #expect(district.fileListing() == before)
        #expect(try await district.tableCounts() == counts)
        #expect(try await Self.rootKeyFile(services).file == oldFile)
    }

    @Test("Renewing a root that shares the seals' passphrase gives the new root a passphrase of its own")
    func renewalSeparates() async throws {
        let district = try TestDistrict()
        try await district.setUp()
        _ = try await Self.makeLegacy(district)
        let services = Self.services(district)
        let renewal = try await services.administration.renewRoot(actor: "test")
        let keys = district.home.keyFiles
        let rootSecret = try keys.read("root-passphrase").trimmingWhitespace()
        let (kid, file) = try await Self.rootKeyFile(services)
        #expect(kid == renewal.root.kid)
        #expect(Self.wrongPassphrase { try PrivateKey(pemRepresentation: try keys.read(file), passphrase: TestDistrict.passphrase) })
        _ = try PrivateKey(pemRepresentation: try keys.read(file), passphrase: rootSecret)
        // Both roots open in a fresh process: the new with its own passphrase, the previous still with the seals'.
        let fresh = Self.services(district)
        _ = try await fresh.administration.listSignature(for: [1, 2, 3])
        #expect(try await fresh.administration.rootSharesSealPassphrase(), "the previous root still shares it")
        let separated = try await fresh.administration.separateRootPassphrase(actor: "test")
        #expect(separated.kids == [renewal.previousKid] && !separated.generated)
    }

    @Test("The register lets a root key's row name only a new file of its own, and a seal's only a token")
    func registerGuardsKeyFiles() async throws {
        let district = try TestDistrict()
        try await district.setUp()
        let database = district.services.database
        let (kid, file) = try await Self.rootKeyFile(district.services)
        let seal = try #require(try await district.services.administration.keys(department: "RSJ").first).kid
        for (target, location) in [
            (kid, "elsewhere.key.pem"), (kid, "root-0000000000000000-ab.key.pem"), (kid, "pkcs11:token=x"), (seal, "RSJ-other.key.pem"),
        ] {
            let refused = await errorCode {
                try await database.write { db in
                    try db.execute(sql: "UPDATE signing_keys SET key_file = ? WHERE kid = ?", arguments: [location, target])
                }
            }
            #expect(refused != nil, "\(target) → \(location)")
        }
        #expect(try await Self.rootKeyFile(district.services).file == file)
        try await database.write { db in
            try SigningKeyStore.moveRootKeyFile(kid, from: file, to: "root-\(kid)-0a0b0c0d.key.pem", in: db)
        }
        #expect(try await Self.rootKeyFile(district.services).file == "root-\(kid)-0a0b0c0d.key.pem")
    }
}
