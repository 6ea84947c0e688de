import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One PostgreSQL connection as a store's transaction sees it: statements run one after another and the calling
/// thread waits for each answer.
///
/// Sessions live on the engine's own threads (``PostgresLanes``), never on Swift's cooperative pool, exactly as
/// GRDB runs SQLite work on its dispatch queues; waiting on an answer there blocks nothing else. Statements use
/// the stores' `?` placeholders, rewritten once per statement text to PostgreSQL's `$1, $2, …`.
package final class PostgresSession {
    /// Rows fetched per round trip by a cursor.
    package static let pageSize = 1_000

    let connection: PostgresConnection
    private let logger: Logger
    private let watchedTable: String?
    private var translated: [String: String] = [:]
    private var afterCommitActions: [@Sendable () -> Void] = []
    private var watchedTableChanged = false
    private var savepoints = 0
    private var cursors = 0
    /// True inside a write transaction (an optimistic read sets it false too).
    private(set) var writing = true
    /// A read running without `BEGIN` (``beginOptimisticRead()``): its first `SELECT` runs on its own.
    private var optimistic = false
    private var optimisticStatements = 0
    /// Above zero inside ``SQLTransaction/readingAppendOnly(_:)``: an optimistic read's `SELECT`s of append-only rows
    /// need no shared snapshot, so they do not count as its one statement.
    var appendOnlyDepth = 0
    /// Set when an optimistic read asked for more than one statement alone can answer; the lane then runs the
    /// whole read again in one snapshot. Whatever the read did with the error it was given, this decides.
    private(set) var needsSnapshot = false
    /// Rows changed by the last statement run through ``execute(sql:arguments:)``.
    private(set) var changesCount = 0
    /// What stores keep for the rest of this write transaction (``SQLTransaction/remembered(_:)``); emptied when a
    /// transaction begins or rolls back, and put back as it was when a savepoint rolls back.
    var memo: [SQLTransaction.MemoKey: any Sendable] = [:]
    /// Writes kept for the moment before `COMMIT` (``SQLTransaction/writeAtCommit(_:_:)``), one per key, in the
    /// order first kept; emptied like ``memo``.
    private var deferredWrites: [(key: SQLTransaction.MemoKey, beforeReads: Bool, write: (SQLTransaction) throws -> Void)] = []
    /// Rows added by ``add(_:values:)`` and not yet sent, per table in the order of its first row.
    private var pendingRows: [(insert: SQLTransaction.RowInsert, values: [SQLValue])] = []

    init(connection: PostgresConnection, logger: Logger, watchedTable: String?) {
        self.connection = connection
        self.logger = logger
        self.watchedTable = watchedTable
    }

    // MARK: Statements

    func execute(sql: String, arguments: [SQLValue]) throws -> Int {
        let result = try run(sql, arguments)
        changesCount = result.metadata.rows ?? 0
        if let watchedTable, changesCount > 0, !watchedTableChanged, sql.contains(watchedTable) { watchedTableChanged = true }
        return changesCount
    }

    func fetchAll(sql: String, arguments: [SQLValue]) throws -> [SQLRow] {
        let result = try run(sql, arguments)
        guard let first = result.rows.first else { return [] }
        let columns = SQLColumns(first.map(\.columnName))
        return try result.rows.map { try Self.row($0, columns: columns) }
    }

    func cursor(sql: String, arguments: [SQLValue]) throws -> SQLCursor {
        // A server-side cursor in this transaction, read a page at a time, so a scan of the whole audit log never
        // holds it in memory. It needs a transaction block, so an optimistic read starts again in one.
        try requireSnapshot()
        cursors += 1
        let name = "zerotrip_cursor_\(cursors)"
        _ = try run("DECLARE \(name) NO SCROLL CURSOR FOR \(sql)", arguments)
        var page: [SQLRow] = []
        var position = 0
        var finished = false
        return SQLCursor { [self] in
            if position == page.count {
                guard !finished else { return nil }
                page = try fetchAll(sql: "FETCH FORWARD \(Self.pageSize) FROM \(name)", arguments: [])
                position = 0
                if page.count < Self.pageSize {
                    finished = true
                    _ = try? run("CLOSE \(name)", [])
                }
                guard !page.isEmpty else { return nil }
            }
            position += 1
            return page[position - 1]
        }
    }

    /// Runs a script of several statements (schema migrations): split at top-level semicolons, dollar-quoted
    /// function bodies, string literals and comments kept whole.
    func executeScript(_ script: String) throws {
        for statement in Self.statements(in: script) { _ = try run(statement, []) }
    }

    /// Keeps rows for one multi-row `INSERT` sent before the next other statement or the commit
    /// (``SQLTransaction/insertRows(_:values:)``).
    func add(_ insert: SQLTransaction.RowInsert, values: [SQLValue]) throws {
        try requireSnapshot()
        if let watchedTable, !watchedTableChanged, insert.table == watchedTable { watchedTableChanged = true }
        if let index = pendingRows.firstIndex(where: { $0.insert == insert }) {
            pendingRows[index].values += values
        } else {
            pendingRows.append((insert, values))
        }
    }

    /// Sends the kept rows, without waiting: a refused row is reported like any statement sent so.
    ///
    /// The inserts of several tables go out as one statement (all but the last inside `WITH`), up to 30,000 parameters
    /// a statement (the protocol allows 65,535): each statement is a round trip on the connection, and an issuance keeps
    /// rows for five tables. The parts of one statement run in no set order, which the rows allow: foreign keys are
    /// checked at the end of the statement, and the tables' triggers refuse only updates and deletes.
    private func sendPendingRows() {
        guard !pendingRows.isEmpty else { return }
        let groups = pendingRows
        pendingRows.removeAll()
        let limit = 30_000
        var parts: [String] = []
        var binds: [SQLValue] = []
        func flush() {
            guard let main = parts.last else { return }
            let text =
                parts.count == 1
                ? main : "WITH " + parts.dropLast().enumerated().map { "kept_\($0.offset) AS (\($0.element))" }.joined(separator: ", ") + " " + main
            sent.append((connection.query(PostgresQuery(unsafeSQL: text, binds: Self.bindings(binds[...])), logger: logger), true))
            parts.removeAll()
            binds.removeAll()
        }
        for (insert, values) in groups {
            let perStatement = max(1, limit / insert.columns.count) * insert.columns.count
            var start = 0
            while start < values.count {
                let end = min(values.count, start + perStatement)
                if binds.count + (end - start) > limit { flush() }
                parts.append(insert.sql(rows: (end - start) / insert.columns.count, numbered: true, after: binds.count))
                binds += values[start..<end]
                start = end
            }
        }
        flush()
    }

    /// Runs `body` in a savepoint. `SAVEPOINT` is sent without waiting (a failure shows at the next statement, inside
    /// the savepoint); `RELEASE` is waited for, so a failed statement of `body` sent without waiting is reported here
    /// and undone with the savepoint. After-commit actions registered by a `body` that failed are dropped with it.
    func inSavepoint(_ body: () throws -> Void) throws {
        try requireSnapshot()
        savepoints += 1
        let name = "zerotrip_savepoint_\(savepoints)"
        let actions = afterCommitActions.count
        let memo = self.memo
        let deferred = deferredWrites
        send("SAVEPOINT \(name)")
        do {
            try body()
            _ = try run("RELEASE SAVEPOINT \(name)", [])
        } catch {
            // Rows the body kept and never sent go with it (those before the savepoint went out with SAVEPOINT).
            pendingRows.removeAll()
            afterCommitActions.removeSubrange(min(actions, afterCommitActions.count)...)
            self.memo = memo
            deferredWrites = deferred
            // The savepoint's own failure (or a failure sent before it) leaves nothing to roll back to; the
            // transaction is then lost as a whole, which its next statement or commit reports.
            try? settleSent()
            _ = try run("ROLLBACK TO SAVEPOINT \(name)", [])
            _ = try run("RELEASE SAVEPOINT \(name)", [])
            throw error
        }
    }

    func afterCommit(_ action: @escaping @Sendable () -> Void) {
        afterCommitActions.append(action)
    }

    /// Keeps `write` for the moment before `COMMIT` (or, `beforeReads`, before the next statement waited for),
    /// replacing what was kept under `key`.
    func writeAtCommit(_ key: SQLTransaction.MemoKey, beforeReads: Bool, _ write: @escaping (SQLTransaction) throws -> Void) {
        if let index = deferredWrites.firstIndex(where: { $0.key == key }) {
            deferredWrites[index].write = write
            deferredWrites[index].beforeReads = beforeReads
        } else {
            deferredWrites.append((key, beforeReads, write))
        }
    }

    /// Runs the kept writes that must precede any statement whose answer is used.
    private func writeKeptBeforeReads() throws {
        guard deferredWrites.contains(where: \.beforeReads) else { return }
        let due = deferredWrites.filter(\.beforeReads)
        deferredWrites.removeAll { $0.beforeReads }
        let transaction = SQLTransaction(postgres: self)
        for entry in due { try entry.write(transaction) }
    }

    // MARK: Transactions (the engine's)

    /// Starts a transaction. A write takes the database-wide write lock first (`pg_advisory_xact_lock`), so writes
    /// of every daemon on this database run one at a time, as SQLite's do: the audit hash chain, the log's leaf
    /// numbers and the key usage counters have one total order. A read sees one snapshot (REPEATABLE READ).
    ///
    /// `BEGIN` and the lock are sent without waiting for their answers: the connection runs statements in the order
    /// they were sent, so the next statement runs on the server only once the lock is held, and the calling thread
    /// waits once for all of them (each wait costs two thread wake-ups on top of the network round trip). In READ
    /// COMMITTED every statement takes its snapshot when it starts, so a statement queued behind the lock sees every
    /// write committed before the lock was granted. Their results are checked before the first statement's answer is
    /// used, so a failed `BEGIN` or lock never lets a statement count as done.
    func begin(write: Bool) throws {
        pendingRows.removeAll()
        afterCommitActions.removeAll()
        memo.removeAll()
        deferredWrites.removeAll()
        watchedTableChanged = false
        savepoints = 0
        cursors = 0
        writing = write
        optimistic = false
        needsSnapshot = false
        if write {
            send("BEGIN ISOLATION LEVEL READ COMMITTED")
            send("SELECT pg_advisory_xact_lock(\(PostgresEngine.writeLockKey))")
        } else {
            send("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
    }

    /// Starts a read without `BEGIN`: most reads on the hot paths are one `SELECT` (the register row of a
    /// verification, a credential), and a single statement already sees one snapshot of its own. `BEGIN` and
    /// `COMMIT` would each be a round trip through the connection's event loop, which PostgresNIO runs one after
    /// another; on loopback those two cost more daemon CPU than the `SELECT`.
    ///
    /// Anything beyond one `SELECT` (a second statement, a cursor, a savepoint, any statement that is not a
    /// `SELECT`) sets ``needsSnapshot`` and throws; the lane then runs the read again from the start inside
    /// `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`, so every statement of it sees the same snapshot and a write
    /// is still refused. Reads have no effects, so running one again changes nothing but the cost.
    func beginOptimisticRead() {
        pendingRows.removeAll()
        afterCommitActions.removeAll()
        memo.removeAll()
        deferredWrites.removeAll()
        watchedTableChanged = false
        savepoints = 0
        cursors = 0
        writing = false
        optimistic = true
        optimisticStatements = 0
        needsSnapshot = false
    }

    /// In an optimistic read, marks that the read needs a transaction and stops it (the lane starts it again).
    private func requireSnapshot() throws {
        guard optimistic else { return }
        needsSnapshot = true
        throw SnapshotNeeded()
    }

    /// Thrown inside an optimistic read that needs a snapshot. The lane decides by ``needsSnapshot``, never by
    /// catching this, so a read that swallows it still runs again.
    struct SnapshotNeeded: Error, CustomStringConvertible {
        var description: String { "the read needs a transaction (it runs again in one)" }
    }

    /// Thrown by ``commit(markingUnknownOutcome:)`` when asked, when the `COMMIT` itself got no answer or a failed
    /// one (the connection broke, the server could not flush): whether the transaction took effect is unknown. Any
    /// other error thrown by `commit` means nothing of the transaction was stored: a refused statement sent without
    /// waiting makes the server answer the `COMMIT` with a rollback.
    struct CommitFailed: Error {
        var cause: any Error
    }

    /// Commits; returns whether the watched table changed, and runs the after-commit actions.
    ///
    /// A read-only transaction's `COMMIT` is sent without waiting: it changes nothing, and the next transaction on
    /// this connection runs after it; an optimistic read has none to send. A write waits for its `COMMIT`, which is
    /// when the change is durable. `markingUnknownOutcome`: a failed `COMMIT` answer throws ``CommitFailed``.
    @discardableResult
    func commit(markingUnknownOutcome: Bool = false) throws -> Bool {
        if optimistic {
            optimistic = false
        } else if writing {
            let writes = deferredWrites
            deferredWrites.removeAll()
            let transaction = SQLTransaction(postgres: self)
            for entry in writes { try entry.write(transaction) }
            sendPendingRows()
            let answer = connection.query(query("COMMIT", []), logger: logger)
            // A statement sent before the COMMIT that the server refused: the COMMIT became a rollback.
            do {
                try settleSent()
            } catch {
                _ = try? answer.wait()
                throw error
            }
            do {
                _ = try answer.wait()
            } catch {
                throw markingUnknownOutcome ? CommitFailed(cause: Self.mapped(error)) : Self.mapped(error)
            }
        } else {
            // Its failure would only matter for a connection that broke, which the next statement finds out.
            send("COMMIT", checked: false)
        }
        for action in afterCommitActions { action() }
        afterCommitActions.removeAll()
        return watchedTableChanged
    }

    func rollback() {
        pendingRows.removeAll()
        afterCommitActions.removeAll()
        memo.removeAll()
        deferredWrites.removeAll()
        try? settleSent()
        if optimistic {
            // Nothing was begun: the one statement it ran committed on its own, and it could not write.
            optimistic = false
            return
        }
        _ = try? run("ROLLBACK", [])
    }

    /// Time per `SELECT 1` over `count` statements: each waited for in turn (what a store's statement costs), and
    /// all sent at once with only the last waited for (the server's and the network's part alone).
    func roundTrips(_ count: Int) throws -> (waited: Duration, pipelined: Duration) {
        let clock = ContinuousClock()
        let waited = try clock.measure { for _ in 0..<count { _ = try run("SELECT 1", []) } }
        let pipelined = try clock.measure {
            for _ in 0..<count - 1 { send("SELECT 1") }
            _ = try run("SELECT 1", [])
        }
        return (waited / count, pipelined / count)
    }

    // MARK: Wire

    /// Statements sent without waiting for their answer (`BEGIN`, a read's `COMMIT`), oldest first, and whether
    /// their failure is the transaction's.
    private var sent: [(answer: EventLoopFuture<PostgresQueryResult>, checked: Bool)] = []

    private func send(_ sql: String, _ arguments: [SQLValue] = [], checked: Bool = true) {
        sendPendingRows()
        sent.append((connection.query(query(sql, arguments), logger: logger), checked))
    }

    /// Sends a statement without waiting for its answer (``SQLTransaction/executeUnanswered(sql:arguments:)``).
    func send(sql: String, arguments: [SQLValue]) throws {
        try requireSnapshot()
        if let watchedTable, !watchedTableChanged, sql.contains(watchedTable) { watchedTableChanged = true }
        send(sql, arguments)
    }

    /// Waits for the statements sent without waiting (already answered when a later statement's answer has come)
    /// and throws the first one's failure.
    private func settleSent() throws {
        guard !sent.isEmpty else { return }
        let futures = sent
        sent.removeAll()
        var failure: (any Error)?
        for (answer, checked) in futures {
            do { _ = try answer.wait() } catch { if failure == nil && checked { failure = error } }
        }
        if let failure { throw Self.mapped(failure) }
    }

    private static func mapped(_ error: any Error) -> any Error {
        switch error {
        case let error as PSQLError: SQLFailure(postgres: error)
        case let error as SQLFailure: error
        default: SQLFailure(.unavailable, "the PostgreSQL connection failed: \(type(of: error))")
        }
    }

    /// What every statement whose answer is used does first: an optimistic read's count, the writes due before reads,
    /// the rows kept for one insert.
    ///
    /// A `SELECT` that names none of the tables with kept rows cannot see them (no view or function of the schema
    /// reads those tables), so they keep waiting: an issuance's reads of the audit head and of the log's tail would
    /// otherwise each cost the rows kept before them a statement of their own. Any other statement sends them first
    /// (it might reference them through a foreign key).
    private func beforeAnsweredStatement(_ sql: String) throws {
        let isSelect = Self.isSelect(sql)
        if optimistic {
            if !(isSelect && appendOnlyDepth > 0) {
                if optimisticStatements > 0 || !isSelect { try requireSnapshot() }
                optimisticStatements += 1
            }
        }
        try writeKeptBeforeReads()
        if isSelect, !pendingRows.contains(where: { sql.contains($0.insert.table) }) { return }
        sendPendingRows()
    }

    /// Statements prepared on this connection (``fetchAll(prepared:texts:)``), by their text as the stores write it.
    private var prepared: [String: PreparedQuery] = [:]

    /// Rows of `sql`, prepared on this connection the first time and only bound and executed after that: for the
    /// statements a hot path runs again and again, whose parsing and planning cost the server as much as running
    /// them. Its parameters are all text (sent as such; the server infers each parameter's type when it prepares).
    func fetchAll(prepared sql: String, texts: [String]) throws -> [SQLRow] {
        try beforeAnsweredStatement(sql)
        let statement: PreparedQuery
        if let known = prepared[sql] {
            statement = known
        } else {
            try settleSent()
            do {
                statement = try connection.prepare(query: Self.numberPlaceholders(sql)).wait()
            } catch {
                throw Self.mapped(error)
            }
            if prepared.count > 64 { prepared.removeAll() }
            prepared[sql] = statement
        }
        let answer = statement.execute(texts.map { PostgresData(type: .text, value: ByteBuffer(string: $0)) })
        try settleSent()
        let rows: [PostgresRow]
        do {
            rows = try answer.wait()
        } catch {
            throw Self.mapped(error)
        }
        guard let first = rows.first else { return [] }
        let columns = SQLColumns(first.map(\.columnName))
        // PostgresNIO asks for every result column in binary, but its rows of a statement prepared this way (1.33)
        // still carry the text format of the statement's description: read them as what was asked for.
        return try rows.map { try Self.row($0, columns: columns, readingBinary: true) }
    }

    private func run(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresQueryResult {
        try beforeAnsweredStatement(sql)
        let answer = connection.query(query(sql, arguments), logger: logger)
        // What was sent before this statement ran before it: its failure (say, BEGIN on a broken connection, or a
        // refused insert) is the cause to report.
        try settleSent()
        do {
            return try answer.wait()
        } catch {
            throw Self.mapped(error)
        }
    }

    private func query(_ sql: String, _ arguments: [SQLValue]) -> PostgresQuery {
        let text: String
        if arguments.isEmpty {
            text = sql
        } else if let cached = translated[sql] {
            text = cached
        } else {
            text = Self.numberPlaceholders(sql)
            if translated.count > 2_000 { translated.removeAll() }
            translated[sql] = text
        }
        return PostgresQuery(unsafeSQL: text, binds: Self.bindings(arguments[...]))
    }

    private static func bindings(_ arguments: ArraySlice<SQLValue>) -> PostgresBindings {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .real(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let value): binds.append(ByteBuffer(bytes: value))
            case .date(let value): binds.append(SQLValue.stored(value))
            }
        }
        return binds
    }

    /// `readingBinary`: decode every cell as binary whatever format it is marked with (``fetchAll(prepared:texts:)``).
    static func row(_ row: PostgresRow, columns: SQLColumns, readingBinary: Bool = false) throws -> SQLRow {
        var values: [SQLValue] = []
        values.reserveCapacity(columns.names.count)
        for var cell in row {
            if readingBinary { cell.format = .binary }
            values.append(try value(cell))
        }
        return SQLRow(columns: columns, values: values)
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int8, .int4, .int2: return .integer(try cell.decode(Int64.self))
            case .float8, .float4: return .real(try cell.decode(Double.self))
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .text, .varchar, .name, .bpchar: return .text(try cell.decode(String.self))
            case .bytea:
                let buffer = try cell.decode(ByteBuffer.self)
                return .blob(Data(buffer.readableBytesView))
            case .timestamptz, .timestamp: return .date(try cell.decode(Date.self))
            default:
                throw SQLFailure(.other, "column \(cell.columnName) has type \(cell.dataType), which the stores do not use")
            }
        } catch let error as SQLFailure {
            throw error
        } catch {
            throw SQLFailure(.other, "column \(cell.columnName) could not be read as \(cell.dataType)")
        }
    }

    /// True when `sql` starts with the keyword `SELECT` (a plain query; a `WITH` may hold a data-changing part).
    static func isSelect(_ sql: String) -> Bool {
        let text = sql.utf8.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        guard text.count > 6 else { return false }
        let keyword = text.prefix(6).map { $0 & 0xDF }
        let next = text.dropFirst(6).first ?? 0x20
        return keyword == Array("SELECT".utf8) && (next == 0x20 || next == 0x0A || next == 0x0D || next == 0x09 || next == 0x28)
    }

    /// `?` → `$1`, `$2`, … outside string literals, quoted identifiers and comments.
    static func numberPlaceholders(_ sql: String) -> String {
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?
        var lineComment = false
        var previous: Character = " "
        for character in sql {
            if lineComment {
                if character == "\n" { lineComment = false }
            } else if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "-" && previous == "-" {
                lineComment = true
            } else if character == "?" {
                number += 1
                output += "$\(number)"
                previous = character
                continue
            }
            output.append(character)
            previous = character
        }
        return output
    }

    /// The statements of a script, split at semicolons outside literals, comments and `$$` bodies.
    static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quote: Character?
        var lineComment = false
        var dollar = false
        var previous: Character = " "
        for character in script {
            current.append(character)
            defer { previous = character }
            if lineComment {
                if character == "\n" { lineComment = false }
                continue
            }
            if dollar {
                if character == "$" && previous == "$" { dollar = false }
                continue
            }
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"": quote = character
            case "-" where previous == "-": lineComment = true
            case "$" where previous == "$": dollar = true
            case ";":
                let statement = current.dropLast().trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty && !Self.onlyComments(statement) { statements.append(statement) }
                current = ""
            default: break
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty && !Self.onlyComments(rest) { statements.append(rest) }
        return statements
    }

    private static func onlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") || $0.trimmingCharacters(in: .whitespaces).isEmpty
        }
    }
}

extension SQLFailure {
    init(postgres error: PSQLError) {
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
            self.init(.unavailable, "the PostgreSQL connection failed (\(error.code))")
            return
        }
        let message = error.serverInfo?[.message] ?? state
        // PgBouncer sends only the localized severity; with PostgreSQL's untranslated one it is always an English word.
        let severity = error.serverInfo?[.severity] ?? error.serverInfo?[.localizedSeverity]
        let kind = Self.postgresKind(state: state, severity: severity)
        self.init(kind, "\(message) (SQLSTATE \(state))")
    }

    /// How a PostgreSQL error with SQLSTATE `state` and `severity` (`ERROR`, `FATAL`, …) is classified.
    ///
    /// 08P01 (protocol violation) comes in two kinds. As an `ERROR` the server refused one message, say a statement
    /// given the wrong number of arguments, and the connection goes on: a programming error. As `FATAL` the
    /// connection is ending: PostgreSQL lost the protocol's thread, or PgBouncer is dropping the client (query wait
    /// timeout, pooler shutting down, server logins failing), which it reports as 08P01 with no code of its own. That
    /// is the database going away, answered as 503 with `Retry-After` like the other connection failures.
    static func postgresKind(state: String, severity: String?) -> Kind {
        switch state {
        case "23505": .uniqueViolation
        case "P0001": .ruleViolation
        case _ where state.hasPrefix("23"): .constraintViolation
        case "40001", "40P01", "55P03", "57014": .busy
        case "08P01": severity == "ERROR" ? .other : .unavailable
        case _ where state.hasPrefix("08"), "57P01", "57P02", "57P03", "53300": .unavailable
        default: .other
        }
    }
}
