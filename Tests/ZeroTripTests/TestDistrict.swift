import Foundation
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDomainTestSupport

/// A throw-away district in a temporary directory, with a clock tests can move.
final class TestDistrict: @unchecked Sendable {
    let root: URL
    let home: ZeroTripHome
    let services: ZeroTripServices
    /// The services' clock: starts at the real time, moved only by tests.
    let clock = TestClock()
    static let passphrase = "test passphrase 0123456789"

    init(fileDatabase: Bool = false, verificationBaseURL: String = DaemonConfiguration().verificationBaseURL, sealToken: String? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var home = ZeroTripHome(root: root)
        home.keyEncryption = .testing
        home.sealToken = sealToken
        self.home = home
        let database = fileDatabase ? try AppDatabase.open(path: home.databasePath) : try TestDatabase.make()
        services = ZeroTripServices(
            database: database, home: home,
            passphrase: PassphraseSource(explicit: Self.passphrase, environment: [:], keys: home.keyFiles),
            clock: ZeroTripClock { [clock] in clock.now }, verificationBaseURL: verificationBaseURL)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Initialises the district, adds `departments` and imports the demo registry (every holder of an issued
    /// document must be a registered person).
    @discardableResult
    func setUp(departments: [(String, String)] = [("RSJ", "区人力资源和社会保障局")]) async throws -> Self {
        _ = try await services.administration.initialize(district: "禅城区", actor: "test")
        for (code, name) in departments {
            _ = try await services.administration.addDepartment(code: code, name: name, actor: "test")
        }
        try await IdentityFixtures.importDemoRegistry(services)
        return self
    }

    /// Every file under the district root with its size, to prove nothing changed on disk.
    func fileListing() -> [String: Int] {
        var listing: [String: Int] = [:]
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey])
        while let url = enumerator?.nextObject() as? URL {
            let size = (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? -1
            listing[url.path.replacingOccurrences(of: root.path, with: "")] = size
        }
        return listing
    }

    /// Row counts of every table, to prove the database did not change.
    func tableCounts() async throws -> [String: Int] {
        try await services.database.read { db in
            var counts: [String: Int] = [:]
            for table in ["district", "departments", "signing_keys", "signing_key_history", "credentials", "credential_history", "audit_events"] {
                counts[table] = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM \(table)") ?? -1
            }
            return counts
        }
    }
}

/// A clock tests move explicitly; never sleeps.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date()
    /// The current time.
    var now: Date { lock.lock(); defer { lock.unlock() }; return current }
    /// Moves time forward.
    func advance(by interval: TimeInterval) { lock.lock(); current += interval; lock.unlock() }
}
