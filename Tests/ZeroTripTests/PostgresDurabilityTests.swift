import Foundation
import Testing
import ZeroTrip
import ZeroTripDomainTestSupport
import ZeroTripTestSupport

/// A PostgreSQL server with `fsync`, `synchronous_commit` or `full_page_writes` off acknowledges commits a crash of
/// its machine can take back: the daemon's 201s would promise what the server may not keep. The operator is told.
/// (scripts/test.sh's throw-away cluster runs with all three off, as scripts/pg-cluster.sh starts it without --durable.)
@Suite("PostgreSQL: a server that skips its syncs is named")
struct PostgresDurabilityTests {
    @Test("The settings that make acknowledged commits not durable are listed by name; none on SQLite, whose writer syncs each commit")
    func gapsAreNamed() async throws {
        let database = try TestDatabase.make()
        let gaps = try await database.postgresDurabilityGaps()
        if TestDatabase.isPostgres {
            #expect(gaps == ["fsync=off", "full_page_writes=off", "synchronous_commit=off"])
        } else {
            #expect(gaps == [])
        }
    }

    @Test(
        "zerotrip serve on such a server warns at start-up and names the settings, and still serves",
        .tags(.process), .notInFastLoop,
        .enabled(
            if: TestDatabase.isPostgres && ZeroTripExecutable.binary != nil, "needs ZEROTRIP_TEST_DATABASE_URL and the built zerotrip executable"))
    func serveWarns() async throws {
        let base = try #require(TestDatabase.postgresURL)
        let cli = CommandLineTests()
        let dir = try cli.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = Pipe()
        let (server, _) = try await cli.startServer(
            in: dir, log: log, environment: ["ZEROTRIP_DATABASE_URL": TestDatabase.newSchema("durable_", on: base).url])
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        let lines = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        let warning = try #require(lines.first { $0.contains("PostgreSQL acknowledges commits it has not made durable") })
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(warning.utf8)) as? [String: Any])
        #expect(fields["level"] as? String == "warning")
        #expect(fields["settings"] as? String == "fsync=off,full_page_writes=off,synchronous_commit=off")
    }
}
