import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripTestSupport

/// An answer that says something was stored (a 201, an audited verification) must survive a power cut, not only a
/// crash of the process: SQLite in WAL mode syncs the log at each commit only with `synchronous = FULL`.
@Suite("SQLite: every commit is synced before it is answered")
struct SQLiteDurabilityTests {
    @Test(
        "The writer connection commits with synchronous = FULL (GRDB's pool sets NORMAL when it turns WAL on, after the connection's own setup)"
    )
    func writerSyncsEachCommit() async throws {
        let root = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let database = try AppDatabase.open(path: root.appendingPathComponent("durable.sqlite").path)
        // 2 is FULL; NORMAL (1) leaves the last commits in the page cache until the next checkpoint.
        #expect(try await database.write { db in try db.fetchValue(Int64.self, sql: "PRAGMA synchronous") } == 2)
        #expect(try await database.write { db in try db.fetchValue(String.self, sql: "PRAGMA journal_mode") } == "wal")
        // The other settings of AppDatabase.open hold on the writer and on a reader alike.
        for settings in [
            try await database.write { db in try Self.settings(db) }, try await database.read { db in try Self.settings(db) },
        ] {
            #expect(settings == ["foreign_keys": 1, "mmap_size": 0, "cache_size": -4096, "journal_size_limit": 67_108_864])
        }
    }

    static func settings(_ db: SQLTransaction) throws -> [String: Int64] {
        var values: [String: Int64] = [:]
        for name in ["foreign_keys", "mmap_size", "cache_size", "journal_size_limit"] {
            values[name] = try db.fetchValue(Int64.self, sql: "PRAGMA \(name)")
        }
        return values
    }
}
