import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import GRDB

@Suite("The SQLite write-ahead log stays bounded under steady load")
struct WALCheckpointTests {
    @Test(
        "Commits arriving while some reader is always reading: the background checkpoint rewinds the WAL, which never grows past a few RESTART thresholds"
    )
    func boundedUnderSteadyReads() async throws {
        let (root, path, database) = try await Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }

        // Two readers without a pause between reads: under load some reader always holds a snapshot of the log.
        let readers = (0..<2).map { _ in
            Task {
                while !Task.isCancelled { _ = try await database.read { db in try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM wal_scratch") } }
            }
        }
        // Each commit writes 20 rows at random keys: about 20 pages, so 1,500 commits append about 30,000 frames
        // (120 MB) to a log nobody rewinds.
        let commits = 1500, rowsPerCommit = 20
        var largest: Int64 = 0
        for commit in 0..<commits {
            let rows = try (0..<rowsPerCommit).map { _ in try SecureRandom.bytes(count: 32) }
            try await database.write { db in
                for key in rows {
                    try db.executeUnanswered(
                        sql: "INSERT INTO wal_scratch (k, v) VALUES (?, ?)", arguments: [Data(key), Data(repeating: 1, count: 100)])
                }
            }
            if commit % 25 == 0 { largest = max(largest, Self.size(path + "-wal")) }
        }
        for reader in readers { reader.cancel() }
        for reader in readers { _ = await reader.result }
        try await database.stopBackgroundCheckpoints()
        let unbounded = Int64(commits * rowsPerCommit * 4120)
        #expect(largest > 0)
        #expect(largest < 48 << 20, "the WAL reached \(largest >> 20) MiB; without rewinding it would near \(unbounded >> 20) MiB")
        #expect(try await database.read { db in try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM wal_scratch") } == commits * rowsPerCommit)
    }

    @Test(
        "A reader that holds its snapshot for seconds (a backup, an audit verify) does not stall the writer: the rewind gives up within milliseconds and waits before trying again"
    )
    func longReaderDoesNotStallWrites() async throws {
        let (root, path, database) = try await Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        func commit() async throws {
            let rows = try (0..<20).map { _ in try SecureRandom.bytes(count: 32) }
            try await database.write { db in
                for key in rows {
                    try db.executeUnanswered(
                        sql: "INSERT INTO wal_scratch (k, v) VALUES (?, ?)", arguments: [Data(key), Data(repeating: 1, count: 100)])
                }
            }
        }
        for _ in 0..<400 { try await commit() }  // past the rewind threshold
        let reader = try DatabaseQueue(path: path)
        let held = Task.detached {
            try reader.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM wal_scratch")
                Thread.sleep(forTimeInterval: 3)
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        var slowest = Duration.zero
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(2.5) {
            let began = ContinuousClock.now
            try await commit()
            slowest = max(slowest, ContinuousClock.now - began)
        }
        try await held.value
        try await database.stopBackgroundCheckpoints()
        // Behind a rewind that waited out the reader, commits stalled ~5 s each; the bound is loose so that a loaded
        // machine (the whole suite in parallel) never trips it, and tight enough to catch that.
        #expect(slowest < .seconds(2), "a commit waited \(slowest) behind the checkpoint")
    }

    @Test("The database's own threads carry their names (zt-checkpoint, zt-read-N), as top -H and perf show them")
    func threadNames() async throws {
        let (root, _, database) = try await Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try await database.read { db in try db.fetchAll(Int.self, sql: "SELECT 1") }
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let names = Set(
            tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }.map {
                $0.trimmingCharacters(in: .newlines)
            })
        #expect(names.contains("zt-checkpoint"), "\(names.sorted())")
        #expect(names.contains { $0.hasPrefix("zt-read-") }, "\(names.sorted())")
        try await database.stopBackgroundCheckpoints()
    }

    /// A file database in a directory of its own with the daemon's background checkpoints and a scratch table.
    static func scratch() async throws -> (root: URL, path: String, database: AppDatabase) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-wal-\(UUID().uuidString)")
        let path = root.appendingPathComponent("zerotrip.sqlite").path
        let database = try AppDatabase.open(path: path)
        try await database.startBackgroundCheckpoints()
        try await database.write { db in try db.executeScript("CREATE TABLE wal_scratch (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID") }
        return (root, path, database)
    }

    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64) ?? 0
    }
}
