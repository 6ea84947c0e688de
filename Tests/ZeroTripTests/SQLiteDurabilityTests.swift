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
        let database = try AppDatabase.open(path: root.appendingPathComponent("durable.sqlite").path)
        // 2 is FULL; NORMAL (1) leaves the last commits in the page cache until the next checkpoint.
        #expect(try await database.write { db in try db.fetchValue(Int64.self, sql: "PRAGMA synchronous") } == 2)
        #expect(try await database.write { db in try db.fetchValue(String.self, sql: "PRAGMA journal_mode") } == "wal")
    }
}
