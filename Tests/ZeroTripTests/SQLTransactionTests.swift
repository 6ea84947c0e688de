import Foundation
import Synchronization
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport
import ZeroTripTestSupport
import ZeroTripCrypto

/// The transaction handle every store works in, on the engine under test (SQLite, or PostgreSQL when
/// `ZEROTRIP_TEST_DATABASE_URL` is set): statements sent without waiting still fail their transaction.
@Suite("SQLTransaction: unanswered statements keep all-or-nothing")
struct SQLTransactionTests {
    static let insertNode = "INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)"

    static func nodes(_ database: AppDatabase) async throws -> Int64 {
        try await database.read { db in try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM log_nodes WHERE level = 40") }
    }

    @Test(
        "A refused unanswered insert fails its transaction with its own kind, whether a later statement or the commit reports it; nothing is stored",
        arguments: [true, false])
    func refusedInsertRollsBack(laterStatement: Bool) async throws {
        let database = try TestDatabase.make()
        let failure = await #expect(throws: SQLFailure.self) {
            try await database.write { db in
                try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 1, Data([1])])
                try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 2, Data([2])])
                try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 1, Data([3])])
                if laterStatement { _ = try db.fetchOne(sql: "SELECT COUNT(*) AS n FROM log_nodes") }
            }
        }
        #expect(failure?.kind == .uniqueViolation)
        #expect(try await Self.nodes(database) == 0)
    }

    @Test("Inside a savepoint a refused unanswered insert undoes the savepoint only; the transaction goes on and commits")
    func savepointContainsTheFailure() async throws {
        let database = try TestDatabase.make()
        let caught = try await database.write { db -> SQLFailure.Kind? in
            try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 1, Data([1])])
            var caught: SQLFailure.Kind?
            do {
                try db.inSavepoint {
                    try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 2, Data([2])])
                    try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 1, Data([3])])
                }
            } catch let error as SQLFailure {
                caught = error.kind
            }
            try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 3, Data([4])])
            return caught
        }
        #expect(caught == .uniqueViolation)
        let stored = try await database.read { db in
            try db.fetchAll(sql: "SELECT idx FROM log_nodes WHERE level = 40 ORDER BY idx").map { $0["idx"] as Int64 }
        }
        #expect(stored == [1, 3])
    }

    @Test(
        "SQLite: every kind of value is stored with the column type and text GRDB gives it and reads back equal, one row per statement or many in one",
        .enabled(if: !TestDatabase.isPostgres))
    func sqliteStoresEveryKind() async throws {
        let database = try TestDatabase.make()
        let date = Date(timeIntervalSince1970: 1_796_569_445.123)
        let values: [SQLValue] = [
            .null, .integer(-42), .integer(.max), .integer(.min), .real(2.5), .text("申请人 O'Brien"), .text(""), .blob(Data([0, 0xFF, 7])),
            .blob(Data()), .date(date),
        ]
        let (one, many) = try await database.write { db in
            try db.executeScript("CREATE TEMP TABLE bound (n INTEGER PRIMARY KEY, v, w)")
            try db.executeScript("CREATE TEMP TABLE bound_many (n INTEGER PRIMARY KEY, v, w)")
            // One statement run again for each row (its values bound anew each time)…
            for (n, value) in values.enumerated() {
                try db.execute(
                    sql: "INSERT INTO bound (n, v, w) VALUES (?, ?, ?)", arguments: SQLArguments(values: [.integer(Int64(n)), value, value]))
            }
            // …and all rows in one statement of 30 arguments (GRDB bound up to 20 differently).
            let rows = values.indices.map { _ in "(?, ?, ?)" }.joined(separator: ", ")
            try db.execute(
                sql: "INSERT INTO bound_many (n, v, w) VALUES \(rows)",
                arguments: SQLArguments(values: values.enumerated().flatMap { [SQLValue.integer(Int64($0.offset)), $0.element, $0.element] }))
            let query = "SELECT typeof(v) AS type, quote(v) AS quoted, quote(w) AS second, v FROM %@ ORDER BY n"
            return (
                try db.fetchAll(sql: query.replacingOccurrences(of: "%@", with: "bound")),
                try db.fetchAll(sql: query.replacingOccurrences(of: "%@", with: "bound_many"))
            )
        }
        for stored in [one, many] {
            #expect(stored.map { $0["type"] as String } == ["null", "integer", "integer", "integer", "real", "text", "text", "blob", "blob", "text"])
            #expect(
                stored.map { $0["quoted"] as String } == [
                    "NULL", "-42", "9223372036854775807", "-9223372036854775808", "2.5", "'申请人 O''Brien'", "''", "X'00FF07'", "X''",
                    "'2026-12-06 15:04:05.123'",
                ])
            #expect(stored.map { $0["second"] as String } == stored.map { $0["quoted"] as String })
            #expect(Array(stored.map { $0.value("v") }.prefix(9)) == Array(values.prefix(9)))
            #expect((stored[9]["v"] as Date) == date)
        }
    }

    @Test(
        "A statement run again binds only its new arguments: after a refused row, after the wrong number of arguments, and when it reads"
    )
    func reusedStatementsBindAfresh() async throws {
        let database = try TestDatabase.make()
        let (refused, miscounted, answers) = try await database.write { db -> (SQLFailure.Kind?, SQLFailure?, [Int64]) in
            try db.execute(sql: Self.insertNode, arguments: [40, 1, Data([1])])
            var refused: SQLFailure.Kind?
            do { try db.inSavepoint { try db.execute(sql: Self.insertNode, arguments: [40, 1, Data([2])]) } } catch let error as SQLFailure {
                refused = error.kind
            }
            try db.execute(sql: Self.insertNode, arguments: [40, 5, Data([5])])
            var miscounted: SQLFailure?
            do { try db.inSavepoint { try db.execute(sql: Self.insertNode, arguments: [40, 9]) } } catch let error as SQLFailure {
                miscounted = error
            }
            try db.execute(sql: Self.insertNode, arguments: [40, 2, Data([3])])
            let query = "SELECT COUNT(*) AS n FROM log_nodes WHERE level = 40 AND idx >= ?"
            let answers = try [0, 2, 3, 6].map { (from: Int64) -> Int64 in try db.fetchOne(sql: query, arguments: [from])?["n"] ?? -1 }
            return (refused, miscounted, answers)
        }
        #expect(refused == .uniqueViolation)
        #expect(miscounted?.kind == .other, "\(String(describing: miscounted))")
        #expect(answers == [3, 2, 1, 0])
        let stored = try await database.read { db in
            try db.fetchAll(sql: "SELECT idx, hash FROM log_nodes WHERE level = 40 ORDER BY idx").map {
                [$0["idx"] as Int64, Int64(($0["hash"] as Data)[0])]
            }
        }
        #expect(stored == [[1, 1], [2, 3], [5, 5]])
    }

    @Test("PostgreSQL errors are classified by SQLSTATE, and a protocol violation by its severity too")
    func postgresErrorKinds() {
        let cases: [(state: String, severity: String?, kind: SQLFailure.Kind)] = [
            ("08P01", "ERROR", .other),  // a statement given the wrong number of arguments: the connection goes on
            ("08P01", "FATAL", .unavailable),  // PostgreSQL ending the connection, or PgBouncer dropping the client
            ("08P01", nil, .unavailable),
            ("08006", "FATAL", .unavailable), ("57P01", "FATAL", .unavailable), ("53300", "FATAL", .unavailable),
            ("23505", "ERROR", .uniqueViolation), ("P0001", "ERROR", .ruleViolation), ("23503", "ERROR", .constraintViolation),
            ("40001", "ERROR", .busy), ("55P03", "ERROR", .busy), ("42P01", "ERROR", .other),
        ]
        for (state, severity, kind) in cases {
            #expect(SQLFailure.postgresKind(state: state, severity: severity) == kind, "\(state) \(severity ?? "-")")
        }
    }

    @Test("Answers after unanswered inserts see them, in order")
    func laterStatementsSeeEarlierOnes() async throws {
        let database = try TestDatabase.make()
        let seen = try await database.write { db in
            for index in 0..<5 { try db.executeUnanswered(sql: Self.insertNode, arguments: [40, Int64(index), Data([UInt8(index)])]) }
            return try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM log_nodes WHERE level = 40")
        }
        #expect(seen == 5)
        #expect(try await Self.nodes(database) == 5)
    }

    @Test(
        "A statement run prepared answers as when run plainly (integers, text, bytes, dates, NULL), over a padded list, after rows kept for an insert, again and again"
    )
    func preparedStatementsAnswerAsPlainOnes() async throws {
        let database = try TestDatabase.make()
        let appended = Date(timeIntervalSince1970: 1_800_000_000.25)
        let (plain, prepared, again) = try await database.write { db -> ([[SQLValue]], [[SQLValue]], [[SQLValue]]) in
            for index in 0..<3 {
                try db.execute(
                    sql: "INSERT INTO log_leaves (idx, kind, ref, entry, appended_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [Int64(900 + index), "test", "test:\(index)", Data([0, UInt8(index), 0xFF]), appended])
            }
            let sql = { (count: Int) in
                "SELECT idx, kind, ref, entry, appended_at, NULL AS missing FROM log_leaves WHERE ref IN (\(SQLTransaction.placeholders(count))) ORDER BY idx"
            }
            let refs = ["test:2", "test:0", "test:absent"]
            let padded = SQLTransaction.paddedList(refs)
            let plain = try db.fetchAll(sql: sql(refs.count), arguments: SQLArguments(refs.map { $0 as (any SQLValueConvertible)? })).map(\.values)
            let prepared = try db.fetchAll(prepared: sql(padded.count), texts: padded).map(\.values)
            // Rows kept for a multi-row insert go out before the prepared statement runs, as before any other.
            try db.insertRows(Self.nodeRow, values: [41, 7, Data([7])])
            let count = try db.fetchAll(prepared: "SELECT COUNT(*) AS n FROM log_nodes WHERE level = 41", texts: []).map(\.values)
            let again = try db.fetchAll(prepared: sql(padded.count), texts: SQLTransaction.paddedList(["test:1"])).map(\.values) + count
            return (plain, prepared, again)
        }
        #expect(padded(3) == 8 && padded(9) == 16 && padded(300) == 500 && padded(501) == 501)
        #expect(plain.count == 2 && plain.first?.first == .integer(900))
        #expect(prepared == plain)
        #expect(again.count == 2 && again[0][0] == .integer(901) && again[0][3] == .blob(Data([0, 1, 0xFF])) && again[1] == [.integer(1)])
    }

    private func padded(_ count: Int) -> Int { SQLTransaction.paddedList(Array(repeating: "x", count: count)).count }

    static let nodeRow = SQLTransaction.RowInsert("log_nodes", columns: ["level", "idx", "hash"])

    static let leafRow = SQLTransaction.RowInsert("log_leaves", columns: ["idx", "kind", "ref", "entry", "appended_at"])

    @Test(
        "Rows kept for several tables go out together and are all stored, past one statement's parameter limit too; a refused one among them fails the transaction"
    )
    func keptRowsOfSeveralTables() async throws {
        let database = try TestDatabase.make()
        let appended = Date(timeIntervalSince1970: 1_800_000_000)
        let seen = try await database.write { db -> [String] in
            try db.insertRows(Self.leafRow, values: [Int64(7_000), "test", "test:a", Data([1]), appended])
            // A read of another table leaves the row kept; a read of its table sees it.
            #expect(try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM log_nodes WHERE level = 42") == 0)
            let seen = try db.fetchAll(sql: "SELECT ref FROM log_leaves WHERE kind = 'test'").map { $0["ref"] as String }
            // 12,000 rows of 3 values: more parameters than one statement takes.
            var values: SQLArguments = []
            for index in 0..<12_000 { values += [42, Int64(index), Data([UInt8(index % 256)])] }
            try db.insertRows(Self.nodeRow, values: values)
            try db.insertRows(Self.leafRow, values: [Int64(7_001), "test", "test:b", Data([2]), appended])
            return seen
        }
        #expect(seen == ["test:a"])
        let (nodes, leaves) = try await database.read { db in
            (
                try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM log_nodes WHERE level = 42"),
                try db.fetchAll(sql: "SELECT ref FROM log_leaves WHERE kind = 'test' ORDER BY idx").map { $0["ref"] as String }
            )
        }
        #expect(nodes == 12_000 && leaves == ["test:a", "test:b"])
        let failure = await #expect(throws: SQLFailure.self) {
            try await database.write { db in
                try db.insertRows(Self.leafRow, values: [Int64(7_002), "test", "test:c", Data([3]), appended])
                try db.insertRows(Self.nodeRow, values: [42, 5, Data([5])])
            }
        }
        #expect(failure?.kind == .uniqueViolation)
        #expect(try await database.read { db in try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM log_leaves WHERE kind = 'test'") } == 2)
    }

    @Test(
        "Rows kept for one multi-row insert are seen by the next statement, go out before a savepoint so its failure stays inside it, and a refused one fails the transaction"
    )
    func keptRowsAreSentInOrder() async throws {
        let database = try TestDatabase.make()
        let (seen, caught) = try await database.write { db -> (Int64?, SQLFailure.Kind?) in
            for index in 0..<3 { try db.insertRows(Self.nodeRow, values: [40, Int64(index), Data([UInt8(index)])]) }
            try db.insertRows(Self.nodeRow, values: [40, 3, Data([3]), 40, 4, Data([4])])
            let seen = try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM log_nodes WHERE level = 40")
            try db.insertRows(Self.nodeRow, values: [40, 5, Data([5])])
            var caught: SQLFailure.Kind?
            do {
                try db.inSavepoint {
                    try db.insertRows(Self.nodeRow, values: [40, 6, Data([6])])
                    try db.insertRows(Self.nodeRow, values: [40, 0, Data([0])])
                }
            } catch let error as SQLFailure {
                caught = error.kind
            }
            try db.insertRows(Self.nodeRow, values: [40, 7, Data([7])])
            return (seen, caught)
        }
        #expect(seen == 5)
        #expect(caught == .uniqueViolation)
        let stored = try await database.read { db in
            try db.fetchAll(sql: "SELECT idx FROM log_nodes WHERE level = 40 ORDER BY idx").map { $0["idx"] as Int64 }
        }
        #expect(stored == [0, 1, 2, 3, 4, 5, 7])

        let failure = await #expect(throws: SQLFailure.self) {
            try await database.write { db in
                try db.insertRows(Self.nodeRow, values: [40, 8, Data([8])])
                try db.insertRows(Self.nodeRow, values: [40, 1, Data([1])])
            }
        }
        #expect(failure?.kind == .uniqueViolation)
        #expect(try await Self.nodes(database) == 7)
    }
}

/// Reads on the engine under test: however a read is run (PostgreSQL runs a one-`SELECT` read without `BEGIN`),
/// all its statements see one snapshot, and it cannot write.
@Suite("SQLTransaction: a read sees one snapshot and writes nothing")
struct SQLReadSnapshotTests {
    /// The engine under test; on SQLite a file with its reader connections (the in-memory database has one
    /// connection, on which a write cannot run while a read holds it).
    static func makeDatabase() throws -> AppDatabase {
        if TestDatabase.isPostgres { return try TestDatabase.make() }
        return try AppDatabase.open(path: try ExternalTool.temporaryDirectory().appendingPathComponent("reads.sqlite").path)
    }

    static func rowsAtLevel41(_ db: SQLTransaction) throws -> Int64 {
        try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM log_nodes WHERE level = 41")
    }

    /// Commits one more row from another task and waits until it is durable. Called inside a read, which runs on
    /// an engine thread of its own, never on Swift's cooperative pool, so the wait blocks nothing else.
    static func commitRowElsewhere(_ database: AppDatabase) {
        let done = DispatchSemaphore(value: 0)
        Task {
            _ = try? await database.write { db in
                try db.execute(sql: SQLTransactionTests.insertNode, arguments: [41, Int64.random(in: 0..<Int64.max), Data([1])])
            }
            done.signal()
        }
        done.wait()
    }

    @Test(
        "A write committed between two statements of a read is seen by neither, also when the read swallows its second statement's error",
        arguments: [false, true])
    func statementsShareOneSnapshot(swallowing: Bool) async throws {
        let database = try Self.makeDatabase()
        let (first, second) = try await database.read { db in
            let first = try Self.rowsAtLevel41(db)
            Self.commitRowElsewhere(database)
            // On PostgreSQL the second statement of a read first tried alone throws; the read must run again in one
            // snapshot however it handled that error.
            return (first, swallowing ? try? Self.rowsAtLevel41(db) : try Self.rowsAtLevel41(db))
        }
        #expect(second == first)
        let after = try await database.read { db in try Self.rowsAtLevel41(db) }
        #expect(after > first, "the write in between did commit")
    }

    @Test("A read's statements about append-only rows do not make it start again in a snapshot; a second ordinary statement does (PostgreSQL)")
    func appendOnlyStatementsNeedNoSnapshot() async throws {
        let database = try Self.makeDatabase()
        try await database.write { db in try db.execute(sql: SQLTransactionTests.insertNode, arguments: [41, 0, Data([1])]) }
        let runs = Mutex(0)
        let answers = try await database.read { db in
            runs.withLock { $0 += 1 }
            let first = try Self.rowsAtLevel41(db)
            let appendOnly = try db.readingAppendOnly {
                (try Self.rowsAtLevel41(db), try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM log_nodes WHERE level = 41 AND idx = 0"))
            }
            return [first, appendOnly.0, appendOnly.1]
        }
        #expect(answers == [1, 1, 1])
        #expect(runs.withLock { $0 } == 1)

        runs.withLock { $0 = 0 }
        let ordinary = try await database.read { db in
            runs.withLock { $0 += 1 }
            return [try Self.rowsAtLevel41(db), try Self.rowsAtLevel41(db)]
        }
        #expect(ordinary == [1, 1])
        #expect(runs.withLock { $0 } == (TestDatabase.isPostgres ? 2 : 1))
    }

    @Test("A read declared to run several statements starts in one snapshot and sees none of a write committed between them")
    func severalStatementsDeclared() async throws {
        let database = try Self.makeDatabase()
        let (first, second) = try await database.read(severalStatements: true) { db in
            let first = try Self.rowsAtLevel41(db)
            Self.commitRowElsewhere(database)
            return (first, try Self.rowsAtLevel41(db))
        }
        #expect(second == first)
    }

    @Test("A read that scans with a cursor after a query sees every row of one snapshot")
    func cursorAfterQuery() async throws {
        let database = try Self.makeDatabase()
        try await database.write { db in
            for index in 0..<3 { try db.execute(sql: SQLTransactionTests.insertNode, arguments: [41, Int64(index), Data([1])]) }
        }
        let (count, scanned) = try await database.read { db in
            let count = try Self.rowsAtLevel41(db)
            var scanned: Int64 = 0
            try db.forEach(sql: "SELECT idx FROM log_nodes WHERE level = 41") { _ in scanned += 1 }
            return (count, scanned)
        }
        #expect(count == 3)
        #expect(scanned == 3)
    }

    @Test(
        "A statement that changes rows is refused inside a read, first or later, and nothing is stored",
        arguments: [true, false])
    func writeInReadIsRefused(first: Bool) async throws {
        let database = try Self.makeDatabase()
        await #expect(throws: SQLFailure.self) {
            try await database.read { db in
                if !first { _ = try Self.rowsAtLevel41(db) }
                _ = try db.fetchOne(sql: SQLTransactionTests.insertNode + " RETURNING idx", arguments: [41, 7, Data([1])])
            }
        }
        #expect(try await database.read { db in try Self.rowsAtLevel41(db) } == 0)
    }

    @Test("A read whose only statement fails reports that statement's error, and the next read on the connection works")
    func failedSingleStatement() async throws {
        let database = try Self.makeDatabase()
        let failure = await #expect(throws: SQLFailure.self) {
            try await database.read { db in try db.fetchAll(sql: "SELECT idx FROM no_such_table") }
        }
        #expect(failure?.kind == .other)
        #expect(failure?.message.contains("no_such_table") == true)
        for _ in 0..<8 {
            #expect(try await database.read { db in try Self.rowsAtLevel41(db) } == 0)
        }
    }
}

/// Concurrent write transactions on the engine under test (PostgreSQL commits those queued together as one, each in
/// a savepoint): each one that fails fails alone, with its own error, and leaves nothing behind.
@Suite("SQLTransaction: concurrent writes fail one by one")
struct ConcurrentWriteTests {
    struct Refused: Error {}

    final class Recorder: Sendable {
        let indexes = Mutex<Set<Int64>>([])
    }

    static func rows(_ database: AppDatabase) async throws -> [Int64] {
        try await database.read { db in
            try db.fetchAll(sql: "SELECT idx FROM log_nodes WHERE level = 42 ORDER BY idx").map { $0["idx"] as Int64 }
        }
    }

    /// How a test write sends its inserts.
    enum Sending: CaseIterable, Sendable {
        case answered, unanswered, keptRows
    }

    @Test(
        "Of 48 concurrent inserts, the 12 that repeat a key get uniqueViolation and the other 36 are stored, answered, unanswered or kept for one multi-row insert",
        arguments: Sending.allCases)
    func duplicatesFailAlone(sending: Sending) async throws {
        let database = try SQLReadSnapshotTests.makeDatabase()
        try await database.write { db in try db.execute(sql: SQLTransactionTests.insertNode, arguments: [42, 0, Data([0])]) }
        let outcomes = await withTaskGroup(of: (Int64, SQLFailure.Kind?).self) { group in
            for index in Int64(1)...48 {
                group.addTask {
                    let key = index % 4 == 0 ? 0 : index
                    do {
                        try await database.write { db in
                            try db.execute(sql: SQLTransactionTests.insertNode, arguments: [42, 1_000 + index, Data([1])])
                            switch sending {
                            case .answered: try db.execute(sql: SQLTransactionTests.insertNode, arguments: [42, key, Data([2])])
                            case .unanswered: try db.executeUnanswered(sql: SQLTransactionTests.insertNode, arguments: [42, key, Data([2])])
                            case .keptRows: try db.insertRows(SQLTransactionTests.nodeRow, values: [42, key, Data([2])])
                            }
                        }
                        return (index, nil)
                    } catch let error as SQLFailure {
                        return (index, error.kind)
                    } catch {
                        return (index, .other)
                    }
                }
            }
            var outcomes: [Int64: SQLFailure.Kind?] = [:]
            for await (index, kind) in group { outcomes[index] = kind }
            return outcomes
        }
        let failed = outcomes.filter { $0.value != nil }
        #expect(Set(failed.keys) == Set(stride(from: Int64(4), through: 48, by: 4)))
        #expect(failed.values.allSatisfy { $0 == .uniqueViolation })
        let succeeded = (Int64(1)...48).filter { $0 % 4 != 0 }
        // Each success stored both its rows; each failure neither (its first insert went with it).
        #expect(try await Self.rows(database) == [0] + succeeded + succeeded.map { 1_000 + $0 })
    }

    @Test("After-commit actions run for the writes that committed and not for those that threw")
    func afterCommitOnlyForCommitted() async throws {
        let database = try SQLReadSnapshotTests.makeDatabase()
        let ran = Recorder()
        await withTaskGroup(of: Void.self) { group in
            for index in Int64(1)...40 {
                group.addTask {
                    _ = try? await database.write { db in
                        try db.execute(sql: SQLTransactionTests.insertNode, arguments: [42, index, Data([1])])
                        db.afterCommit { ran.indexes.withLock { _ = $0.insert(index) } }
                        if index % 3 == 0 { throw Refused() }
                    }
                }
            }
        }
        let committed = (Int64(1)...40).filter { $0 % 3 != 0 }
        #expect(ran.indexes.withLock { $0 } == Set(committed))
        #expect(try await Self.rows(database) == committed)
    }

    @Test("Writes queued together keep one audit chain and one log, also when some fail after appending to both")
    func chainAndLogAcrossFailures() async throws {
        let database = try SQLReadSnapshotTests.makeDatabase()
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        await withTaskGroup(of: Void.self) { group in
            for index in 1...60 {
                group.addTask {
                    _ = try? await database.write { db in
                        try AuditLog.append(
                            AuditEntry(actor: "test", action: AuditAction(rawValue: "test.write"), target: "n:\(index)"), at: date, in: db)
                        try TransparencyLog.append(kind: .init(rawValue: "test"), ref: "test:\(index)", fields: ["n": "\(index)"], at: date, in: db)
                        if index % 5 == 0 { throw Refused() }
                    }
                }
            }
        }
        guard case .intact(let events, _) = try await AuditLog.verify(database) else { Issue.record("the audit chain is broken"); return }
        #expect(events == 48)
        let refs = try await database.read { db in try db.fetchAll(String.self, sql: "SELECT ref FROM log_leaves ORDER BY idx") }
        #expect(refs.count == 48)
        #expect(!refs.contains { Int($0.dropFirst(5))! % 5 == 0 })
        let entries = try await database.read { db in try db.fetchAll(Data.self, sql: "SELECT entry FROM log_leaves ORDER BY idx").map { [UInt8]($0) }
        }
        let log = TransparencyLog(database: database)
        #expect(try await log.rootHash(size: 48) == ReferenceTree.mth(entries[...]))
        for index in 0..<48 {
            let proof = try await log.inclusionProof(index: UInt64(index), treeSize: 48).proof.compactMap(Base64.decodeStandard)
            #expect(proof == ReferenceTree.path(index, entries[...]), "proof of leaf \(index)")
        }
    }
}
