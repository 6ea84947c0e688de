import ZeroTripDomainTestSupport
import Foundation
import Synchronization
import Testing
@testable import ZeroTrip
import ZeroTripTestSupport

@Suite("Append-only, hash-chained audit log")
struct AuditLogTests {
    func makeLog(events: Int) async throws -> AppDatabase {
        let database = try TestDatabase.make()
        for index in 1...events {
            try await AuditLog.append(
                AuditEntry(actor: "test", action: AuditAction(rawValue: "thing.done"), target: "thing:\(index)", details: ["n": "\(index)"]),
                at: Date(timeIntervalSince1970: 1_790_000_000 + Double(index)), to: database)
        }
        return database
    }

    /// Simulates an attacker with direct database access: the triggers are dropped first.
    func tamper(_ database: AppDatabase, _ sql: String, _ arguments: SQLArguments = []) async throws {
        try await database.write { db in
            try db.dropRules(on: "audit_events")
            try db.execute(sql: sql, arguments: arguments)
        }
    }

    @Test("A full group-commit queue refuses with overloaded while the disk is behind; every event accepted is stored, the chain intact")
    func groupCommitQueueIsBounded() async throws {
        let database = try TestDatabase.make()
        let batcher = AuditBatcher(database: database, maximumQueued: 50)
        // The writer is held for a moment, as by a slow disk, so the queue fills.
        let holding = Atomic<Bool>(false)
        let gate = Task.detached {
            try await database.write { _ in
                holding.store(true, ordering: .sequentiallyConsistent)
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        while !holding.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(5)) }
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 0..<700 {
                group.addTask {
                    do {
                        try await batcher.append(
                            AuditEntry(actor: "test", action: AuditAction(rawValue: "thing.done"), target: "thing:\(index)"), at: Date())
                        return "stored"
                    } catch let error as ZeroTripError {
                        return error.code.rawValue
                    } catch {
                        return "other"
                    }
                }
            }
            return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        try await gate.value
        let stored = outcomes["stored"] ?? 0
        #expect((outcomes["overloaded"] ?? 0) > 0, "\(outcomes)")
        #expect(stored + (outcomes["overloaded"] ?? 0) == 700, "\(outcomes)")
        #expect(batcher.statistics.refused == outcomes["overloaded"])
        #expect(try await AuditLog.verify(database) == .intact(eventCount: Int64(stored), headHash: try await Self.headHash(database)))
    }

    static func headHash(_ database: AppDatabase) async throws -> [UInt8] {
        try await database.read { db in [UInt8](try db.fetchOne(Data.self, sql: "SELECT hash FROM audit_head WHERE id = 1") ?? Data()) }
    }

    @Test(
        "A batch sharing a transaction with other events (PostgreSQL's writer joins writes) continues their chain and leaves the head at the newest, in either order"
    )
    func batchJoinedWithOtherWrites() async throws {
        let database = try await makeLog(events: 2)
        let entry: @Sendable (String) -> (entry: AuditEntry, date: Date) = { name in
            (entry: AuditEntry(actor: "test", action: AuditAction(rawValue: "test.\(name)"), target: "test:1", details: [:]), date: Date())
        }
        for batchFirst in [false, true] {
            try await database.write { db in
                if batchFirst { _ = try AuditLog.append([entry("batch"), entry("batch")], in: db, alone: true) }
                _ = try AuditLog.append([entry("single")], in: db)
                if !batchFirst { _ = try AuditLog.append([entry("batch"), entry("batch")], in: db, alone: true) }
            }
        }
        let newest = try await database.read { db in try db.fetchValue(Int64.self, sql: "SELECT MAX(seq) FROM audit_events") }
        let head = try await database.read { db in try db.fetchValue(Int64.self, sql: "SELECT seq FROM audit_head WHERE id = 1") }
        #expect(newest == 8 && head == 8)
        #expect(try await AuditLog.verify(database) == .intact(eventCount: 8, headHash: try await Self.headHash(database)))
        // The next event continues from that head.
        try await database.write { db in _ = try AuditLog.append([entry("after")], in: db) }
        #expect(try await AuditLog.verify(database) == .intact(eventCount: 9, headHash: try await Self.headHash(database)))
        #expect(try await database.read { db in try AuditLog.count(in: db) } == 9)
    }

    @Test("An untouched log verifies with its event count")
    func intact() async throws {
        let database = try await makeLog(events: 5)
        guard case .intact(let count, let head) = try await AuditLog.verify(database) else { Issue.record("expected intact"); return }
        #expect(count == 5)
        #expect(head.count == 32)
    }

    @Test("The application cannot edit or delete events")
    func triggers() async throws {
        let database = try await makeLog(events: 3)
        for sql in ["UPDATE audit_events SET actor = 'x' WHERE seq = 2", "DELETE FROM audit_events WHERE seq = 2"] {
            let refused = await #expect(throws: SQLFailure.self) { try await database.write { try $0.execute(sql: sql) } }
            #expect(refused?.kind == .ruleViolation, "\(sql)")
        }
    }

    @Test(
        "Altering any field of any event names that event",
        arguments: [
            (1, "actor = 'mallory'"), (3, "action = 'thing.undone'"), (4, "details = '{}'"), (5, "occurred_at = '2020-01-01T00:00:00.000Z'"),
            (2, "outcome = 'denied'"), (3, "target = 'thing:99'"),
        ])
    func altered(seq: Int, assignment: String) async throws {
        let database = try await makeLog(events: 5)
        try await tamper(database, "UPDATE audit_events SET \(assignment) WHERE seq = \(seq)")
        guard case .broken(let first, let reason) = try await AuditLog.verify(database) else { Issue.record("expected broken"); return }
        #expect(first == Int64(seq))
        #expect(reason.contains("event \(seq)"))
    }

    @Test("Rewriting an event's hash to match is caught at the next event", arguments: [2, 3])
    func rehashed(seq: Int) async throws {
        let database = try await makeLog(events: 5)
        var event = try await database.read { db in try AuditLog.events(in: db)[seq - 1] }
        event.actor = "mallory"
        let forged = event.computedHash
        try await tamper(database, "UPDATE audit_events SET actor = 'mallory', hash = ? WHERE seq = \(seq)", [Data(forged)])
        guard case .broken(let first, _) = try await AuditLog.verify(database) else { Issue.record("expected broken"); return }
        #expect(first == Int64(seq + 1))
    }

    @Test("Deleting an event in the middle, the first, or the newest is detected", arguments: [1, 3, 5])
    func deleted(seq: Int) async throws {
        let database = try await makeLog(events: 5)
        try await tamper(database, "DELETE FROM audit_events WHERE seq = \(seq)")
        guard case .broken(let first, _) = try await AuditLog.verify(database) else { Issue.record("expected broken"); return }
        #expect(first == Int64(seq))
    }
}

@Suite("Audit timestamps")
struct AuditTimestampTests {
    @Test(
        "The arithmetic timestamp is Foundation's ISO 8601 form with fractional seconds (milliseconds truncated exactly, where Foundation's binary fraction may drop one)"
    )
    func matchesFoundation() throws {
        var generator = SystemRandomNumberGenerator()
        let whole = [0.0, 1, 951_782_400, 1_764_633_600, 4_102_444_800] + (0..<500).map { _ in Double(generator.next() % 4_000_000_000) }
        for seconds in whole {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(AuditEvent.timestamp(date) == date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)), "\(seconds)")
        }
        for milliseconds in [999, 1_764_633_600_123, 1_798_761_599_999] + (0..<2000).map({ _ in Int64(generator.next() % 4_000_000_000_000) }) {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000 + 0.0004)
            let text = AuditEvent.timestamp(date)
            let parsed = try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
            #expect(Int64((parsed.timeIntervalSince1970 * 1000).rounded()) == milliseconds, "\(text)")
            #expect(text.utf8.count == 24 && text.hasSuffix("Z"))
        }
    }
}

extension AuditTimestampTests {
    @Test("The query form of a time orders like the stored one: what GRDB stored at that instant is never after it")
    func databaseTextOrders() async throws {
        // SQLite's text dates only (PostgreSQL keeps timestamptz, compared as instants).
        let database = try AppDatabase.inMemory()
        var generator = SystemRandomNumberGenerator()
        let dates = (0..<500).map { _ in Date(timeIntervalSince1970: Double(generator.next() % 4_000_000_000_000) / 1000).wholeMilliseconds }
        try await database.write { db in
            try db.execute(sql: "CREATE TABLE t (d DATETIME)")
            for date in dates {
                try db.execute(sql: "DELETE FROM t")
                try db.execute(sql: "INSERT INTO t (d) VALUES (?)", arguments: [date])
                let text = AuditEvent.databaseText(date)
                #expect(try db.fetchOne(Bool.self, sql: "SELECT d <= ? FROM t", arguments: [text]) == true, "\(text)")
                #expect(
                    try db.fetchOne(Bool.self, sql: "SELECT d > ? FROM t", arguments: [AuditEvent.databaseText(date.addingTimeInterval(-0.002))])
                        == true, "\(text)")
            }
        }
    }

    @Test("docs/audit-log.md's action table and AuditAction.all name the same actions, the application states included")
    func everyActionDocumented() throws {
        let docs = try String(contentsOf: ExternalTool.repositoryRoot.appendingPathComponent("docs/audit-log.md"), encoding: .utf8)
        let section = try #require(docs.components(separatedBy: "## Actions").dropFirst().first?.components(separatedBy: "\n## ").first)
        // The first column of each row: one or more `action` names.
        var documented = Set<String>()
        for row in section.split(separator: "\n") where row.hasPrefix("| `") {
            let first = row.split(separator: "|", omittingEmptySubsequences: true).first ?? ""
            for match in first.matches(of: /`([a-z_.]+)`/) { documented.insert(String(match.1)) }
        }
        let written = Set(AuditAction.all.map(\.rawValue))
        // `all` is every constant declared, so a new action cannot be left out of it (and so out of this check).
        let declarations = try String(
            contentsOf: ExternalTool.repositoryRoot.appendingPathComponent("Sources/ZeroTrip/Audit/AuditAction.swift"), encoding: .utf8)
        let declared = Set(declarations.matches(of: /static let [A-Za-z0-9]+ =\s*AuditAction\(rawValue: "([a-z_.]+)"\)/).map { String($0.1) })
        #expect(
            declared.isSubset(of: written) && declared.count > 80, "declared but not in AuditAction.all: \(declared.subtracting(written).sorted())")
        #expect(written.count == AuditAction.all.count, "an action is listed twice")
        #expect(written.count > 80)
        for action in written.subtracting(documented).sorted() { Issue.record("docs/audit-log.md does not name \(action)") }
        for action in documented.subtracting(written).sorted() { Issue.record("docs/audit-log.md names \(action), which no code writes") }
        // No action is spelt out where it is written: every one goes through AuditAction.
        let sources = ExternalTool.repositoryRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "swift" && file.lastPathComponent != "AuditAction.swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.firstMatch(of: /action: "[a-z_]+\.[a-z_.]+"/) == nil, "\(file.lastPathComponent) spells an action out")
        }
    }
}
