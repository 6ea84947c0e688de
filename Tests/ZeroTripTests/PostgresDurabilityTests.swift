import Foundation
import Testing
import ZeroTrip
import ZeroTripDomainTestSupport
import ZeroTripTestSupport

/// A PostgreSQL server with `fsync`, `synchronous_commit` or `full_page_writes` off acknowledges commits a crash can
/// take back: the daemon's answers would promise what the server may not keep. The operator is told.
@Suite("PostgreSQL: settings that make acknowledged commits unsafe are named")
struct PostgresDurabilityTests {
    @Test("Only off is a gap: every other synchronous_commit value (local, remote_write, remote_apply) waits for the local flush")
    func onlyOffIsAGap() {
        let durable = [(name: "fsync", setting: "on"), (name: "full_page_writes", setting: "on")]
        for value in ["on", "local", "remote_write", "remote_apply"] {
            #expect(AppDatabase.durabilityGaps(durable + [(name: "synchronous_commit", setting: value)]) == [], "\(value)")
        }
        #expect(
            AppDatabase.durabilityGaps([("synchronous_commit", "off"), ("fsync", "off"), ("full_page_writes", "on")]) == [
                "fsync=off", "synchronous_commit=off",
            ])
        #expect(AppDatabase.durabilityGaps([("full_page_writes", "off")]) == ["full_page_writes=off"])
    }

    @Test("The daemon's own sessions are read: a session's synchronous_commit off is named and on is not; nothing on SQLite")
    func gapsFollowTheSessions() async throws {
        let database = try TestDatabase.make()
        guard TestDatabase.isPostgres else {
            #expect(try await database.postgresDurabilityGaps() == [])
            return
        }
        // The server-wide settings, whatever the cluster was started with (scripts/pg-cluster.sh turns them off for
        // the tests unless --durable).
        let server = try await database.read { db in
            try db.fetchAll(sql: "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'full_page_writes')").compactMap {
                row -> String? in (row["setting"] as String) == "off" ? "\(row["name"] as String)=off" : nil
            }
        }
        // TestDatabase gives one reader connection, so a session's SET holds for the next read.
        try await database.read { db in _ = try db.execute(sql: "SET synchronous_commit = off") }
        #expect(try await database.postgresDurabilityGaps() == (server + ["synchronous_commit=off"]).sorted())
        try await database.read { db in _ = try db.execute(sql: "SET synchronous_commit = on") }
        #expect(try await database.postgresDurabilityGaps() == server.sorted())
    }

    @Test(
        "zerotrip serve names such settings in a start-up warning when the server has them, says nothing when it has none, and serves either way",
        .tags(.process), .notInFastLoop,
        .enabled(
            if: TestDatabase.isPostgres && ZeroTripExecutable.binary != nil, "needs ZEROTRIP_TEST_DATABASE_URL and the built zerotrip executable"))
    func serveWarns() async throws {
        let base = try #require(TestDatabase.postgresURL)
        let location = TestDatabase.newSchema("durable_", on: base).url
        let expected = try await AppDatabase.open(location: location).postgresDurabilityGaps()
        let cli = CommandLineTests()
        let dir = try cli.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = Pipe()
        let (server, _) = try await cli.startServer(in: dir, log: log, environment: ["ZEROTRIP_DATABASE_URL": location])
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        let lines = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        let warnings = lines.filter { $0.contains("PostgreSQL acknowledges commits it has not made durable") }
        if expected.isEmpty {
            #expect(warnings.isEmpty)
        } else {
            let warning = try #require(warnings.first)
            let fields = try #require(try JSONSerialization.jsonObject(with: Data(warning.utf8)) as? [String: Any])
            #expect(fields["level"] as? String == "warning")
            #expect(fields["settings"] as? String == expected.joined(separator: ","))
        }
        #expect(!lines.contains { $0.contains("could not read PostgreSQL's durability settings") })
    }
}
