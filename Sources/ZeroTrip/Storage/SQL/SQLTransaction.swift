import Foundation
import GRDB

/// The transaction a store works in, whichever engine holds the data.
///
/// Use cases get one from ``AppDatabase/read(_:)`` or ``AppDatabase/write(_:)`` and hand it to every store that
/// takes part, so their statements commit (or roll back) together. Stores write portable SQL with `?`
/// placeholders (SQLite and PostgreSQL 15 share it: `ON CONFLICT`, `RETURNING`, partial indexes); the handle
/// binds ``SQLValue``s, copies rows out as ``SQLRow``s, and turns each engine's errors into ``SQLFailure``.
///
/// Not `Sendable`: it lives on the thread that runs the transaction, like GRDB's `Database`.
package final class SQLTransaction {
    enum Engine {
        case sqlite(Database)
        case postgres(PostgresSession)
    }

    let engine: Engine

    /// Rows a store read ahead, in one statement, for the reads about to run in this transaction; set and dropped by
    /// that store (``DocumentRegister/readingAhead(ids:in:_:)``) through ``readingAhead(_:_:_:)``.
    private var readAhead: [ReadAheadKey: any Sendable] = [:]

    /// Rows read ahead: the keys asked for, and the rows found (a key asked for and absent has none).
    struct ReadAhead<Key: Hashable & Sendable, Row: Sendable>: Sendable {
        var asked: Set<Key>
        var found: [Key: Row]
    }

    /// Runs `body` with `rows` read ahead under `slot`, and then puts back what was there: nothing written later in
    /// the transaction is answered from a stale copy.
    func readingAhead<Key, Row, T>(_ slot: ReadAheadKey, _ rows: ReadAhead<Key, Row>, _ body: () throws -> T) rethrows -> T {
        let previous = readAhead[slot]
        readAhead[slot] = rows
        defer { readAhead[slot] = previous }
        return try body()
    }

    /// The row read ahead under `slot` for `key`: nil when `key` was not asked for (read it), `.some(nil)` when it was
    /// and nothing was found.
    func readAhead<Key: Hashable & Sendable, Row: Sendable>(_ slot: ReadAheadKey, _ key: Key, as: Row.Type) -> Row?? {
        guard let rows = readAhead[slot] as? ReadAhead<Key, Row>, rows.asked.contains(key) else { return nil }
        return .some(rows.found[key])
    }

    /// What ``readAhead`` may hold.
    package enum ReadAheadKey: Hashable, Sendable {
        /// The register entries of a group-committed batch of verifications.
        case documentEntries
        /// The first log leaves (with their blocks of 16) of such a batch's documents.
        case logLeaves
        /// The registry persons a batch of window credit reads looks up by ID-number hash.
        case personsByLookup
        /// The credit events of those persons.
        case creditEvents
    }

    /// True on PostgreSQL: for the few statements whose best form differs between the engines (the store that
    /// writes one says why).
    var isPostgres: Bool {
        if case .postgres = engine { return true }
        return false
    }

    /// The engine's name for messages and `readyz`.
    package var engineName: String {
        switch engine {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }

    init(sqlite db: Database) {
        engine = .sqlite(db)
    }

    init(postgres session: PostgresSession) {
        engine = .postgres(session)
    }

    /// Rows inserted, updated or deleted by the last ``execute(sql:arguments:)`` (conditional updates check it).
    package var changesCount: Int {
        switch engine {
        case .sqlite(let db): db.changesCount
        case .postgres(let session): session.changesCount
        }
    }

    /// `count` parameter marks for an `IN (…)` list: `?, ?, ?` (both engines take `?`).
    package static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// Runs a statement that returns no rows; returns how many rows it inserted, updated or deleted.
    @discardableResult
    package func execute(sql: String, arguments: SQLArguments = []) throws -> Int {
        switch engine {
        case .sqlite(let db):
            do {
                let statement = try db.cachedStatement(sql: sql)
                try statement.bind(arguments.values)
                defer { statement.clearBoundValues() }
                try statement.execute()
                return db.changesCount
            } catch let error as DatabaseError {
                throw SQLFailure(sqlite: error)
            }
        case .postgres(let session):
            return try session.execute(sql: sql, arguments: arguments.values)
        }
    }

    /// Runs a statement whose answer the caller does not need (an insert): in order with the others, but on
    /// PostgreSQL without waiting for it. Its failure is thrown by the next statement that answers, by a savepoint's
    /// end or by the commit, so the transaction still rolls back as a whole; only the line that reports it moves.
    ///
    /// On PostgreSQL each waited statement costs a round trip plus two thread wake-ups, on the one writer every
    /// daemon shares; an issuance's inserts sent this way cost the wire time alone. SQLite runs it at once.
    package func executeUnanswered(sql: String, arguments: SQLArguments = []) throws {
        switch engine {
        case .sqlite:
            _ = try execute(sql: sql, arguments: arguments)
        case .postgres(let session):
            try session.send(sql: sql, arguments: arguments.values)
        }
    }

    /// Inserts rows whose answer the caller does not need, like ``executeUnanswered(sql:arguments:)``: `values` holds
    /// one or more rows of `insert`'s columns, one after another.
    ///
    /// On PostgreSQL, the rows a write transaction adds this way wait in the session and go out as one multi-row
    /// `INSERT` per table just before any other statement (so everything that follows sees them, and a savepoint's end
    /// reports their failure) or the commit. The writes a batch runs together (an issuance each) then share one
    /// statement per table instead of one round trip through the connection each: PostgresNIO sends a statement
    /// only once the previous one is answered. Tables go out in the order of their first row, so a table whose rows
    /// refer to another's (`document_pdfs` to `documents`) must add its first row after that one. SQLite inserts at
    /// once.
    package func insertRows(_ insert: RowInsert, values: SQLArguments) throws {
        precondition(!insert.columns.isEmpty && values.values.count % insert.columns.count == 0, "whole rows of \(insert.table)")
        switch engine {
        case .sqlite:
            _ = try execute(sql: insert.sql(rows: values.values.count / insert.columns.count), arguments: values)
        case .postgres(let session):
            try session.add(insert, values: values.values)
        }
    }

    /// A table and the columns ``insertRows(_:values:)`` fills, in order.
    package struct RowInsert: Hashable, Sendable {
        package let table: String
        package let columns: [String]

        package init(_ table: String, columns: [String]) {
            self.table = table
            self.columns = columns
        }

        /// `INSERT INTO table (columns) VALUES (?, …), …` for `rows` rows; `numbered` uses PostgreSQL's `$1, $2, …`,
        /// from `$(after + 1)`; `verb` replaces `INSERT` (SQLite's `INSERT OR ROLLBACK`).
        func sql(rows: Int, numbered: Bool = false, after: Int = 0, verb: String = "INSERT") -> String {
            var text = "\(verb) INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
            text.reserveCapacity(text.utf8.count + rows * columns.count * 6)
            var number = after
            for row in 0..<rows {
                text += row == 0 ? "(" : ", ("
                for column in 0..<columns.count {
                    if column > 0 { text += ", " }
                    number += 1
                    text += numbered ? "$\(number)" : "?"
                }
                text += ")"
            }
            return text
        }
    }

    /// Runs several statements separated by semicolons, without arguments (schema changes).
    package func executeScript(_ sql: String) throws {
        switch engine {
        case .sqlite(let db):
            do { try db.execute(sql: sql) } catch let error as DatabaseError { throw SQLFailure(sqlite: error) }
        case .postgres(let session):
            try session.executeScript(sql)
        }
    }

    /// The rows of a result one at a time, without holding them all (long scans: audit verification, the log's
    /// consistency check). The cursor belongs to this transaction: read it before the transaction ends.
    package func cursor(sql: String, arguments: SQLArguments = []) throws -> SQLCursor {
        switch engine {
        case .sqlite(let db):
            do {
                let statement = try db.cachedStatement(sql: sql)
                let columns = SQLColumns(statement.columnNames)
                try statement.bind(arguments.values)
                let rows = try Row.fetchCursor(statement)
                return SQLCursor {
                    do {
                        guard let row = try rows.next() else {
                            // Read to the end: the copies of the arguments go (a cursor left early keeps them until
                            // its statement runs again).
                            statement.clearBoundValues()
                            return nil
                        }
                        return SQLRow(columns: columns, values: row.databaseValues.map(SQLValue.init(sqlite:)))
                    } catch let error as DatabaseError {
                        throw SQLFailure(sqlite: error)
                    }
                }
            } catch let error as DatabaseError {
                throw SQLFailure(sqlite: error)
            }
        case .postgres(let session):
            return try session.cursor(sql: sql, arguments: arguments.values)
        }
    }

    /// Calls `body` with each row of the result in turn.
    package func forEach(sql: String, arguments: SQLArguments = [], _ body: (SQLRow) throws -> Void) throws {
        let rows = try cursor(sql: sql, arguments: arguments)
        while let row = try rows.next() { try body(row) }
    }

    /// Every row of the result.
    package func fetchAll(sql: String, arguments: SQLArguments = []) throws -> [SQLRow] {
        switch engine {
        case .sqlite:
            var rows: [SQLRow] = []
            try forEach(sql: sql, arguments: arguments) { rows.append($0) }
            return rows
        case .postgres(let session):
            return try session.fetchAll(sql: sql, arguments: arguments.values)
        }
    }

    /// ``fetchAll(sql:arguments:)`` for a statement a hot path runs again and again with the same text and only text
    /// parameters (a group commit's read-ahead): PostgreSQL prepares it once per connection, since parsing and
    /// planning it cost the server as much as running it; SQLite keeps every statement prepared anyway. Statements
    /// with a list of values keep their text fixed with ``paddedList(_:)``.
    func fetchAll(prepared sql: String, texts: [String]) throws -> [SQLRow] {
        switch engine {
        case .sqlite:
            return try fetchAll(sql: sql, arguments: SQLArguments(values: texts.map(SQLValue.text)))
        case .postgres(let session):
            return try session.fetchAll(prepared: sql, texts: texts)
        }
    }

    /// `values` lengthened to a power of two from 8 (or to 500) by repeating its first value, so that statements over
    /// a list (`IN (…)`, `VALUES …`) come in a few texts that stay prepared. Callers must not mind a repeated value.
    static func paddedList(_ values: [String]) -> [String] {
        guard let first = values.first else { return values }
        let size = [8, 16, 32, 64, 128, 256, 500].first { $0 >= values.count } ?? values.count
        return values + Array(repeating: first, count: size - values.count)
    }

    /// The first row of the result, if any.
    package func fetchOne(sql: String, arguments: SQLArguments = []) throws -> SQLRow? {
        switch engine {
        case .sqlite(let db):
            do {
                let statement = try db.cachedStatement(sql: sql)
                try statement.bind(arguments.values)
                defer { statement.clearBoundValues() }
                guard let row = try Row.fetchOne(statement) else { return nil }
                return SQLRow(columns: SQLColumns(statement.columnNames), values: row.databaseValues.map(SQLValue.init(sqlite:)))
            } catch let error as DatabaseError {
                throw SQLFailure(sqlite: error)
            }
        case .postgres(let session):
            return try session.fetchAll(sql: sql, arguments: arguments.values).first
        }
    }

    /// The first column of every row, as `Value` (rows holding NULL are skipped).
    package func fetchAll<Value: SQLValueConvertible>(_ type: Value.Type, sql: String, arguments: SQLArguments = []) throws -> [Value] {
        var values: [Value] = []
        try forEach(sql: sql, arguments: arguments) { row in
            if let value: Value = row[0] { values.append(value) }
        }
        return values
    }

    /// The first column of the first row, as `Value`; nil when there is no row or it holds NULL.
    package func fetchOne<Value: SQLValueConvertible>(_ type: Value.Type, sql: String, arguments: SQLArguments = []) throws -> Value? {
        guard let row = try fetchOne(sql: sql, arguments: arguments), !row.values.isEmpty else { return nil }
        return row[0]
    }

    /// The first column of the first row of a statement that always returns one (`INSERT … RETURNING id`, `COUNT(*)`).
    package func fetchValue<Value: SQLValueConvertible>(_ type: Value.Type, sql: String, arguments: SQLArguments = []) throws -> Value {
        guard let value = try fetchOne(type, sql: sql, arguments: arguments) else {
            throw SQLFailure(.other, "the statement returned no \(Value.self)")
        }
        return value
    }

    /// Runs `body` in a savepoint: when it throws, only its changes are undone and the error is rethrown; the
    /// transaction goes on.
    package func inSavepoint(_ body: () throws -> Void) throws {
        switch engine {
        case .sqlite(let db):
            var failure: (any Error)?
            do {
                try db.inSavepoint {
                    do {
                        try body()
                        return .commit
                    } catch {
                        failure = error
                        return .rollback
                    }
                }
            } catch let error as DatabaseError {
                throw SQLFailure(sqlite: error)
            }
            if let failure { throw failure }
        case .postgres(let session):
            try session.inSavepoint(body)
        }
    }

    /// Runs `body`, whose statements read only rows that never change once committed (the transparency log's
    /// leaves, nodes and signed tree heads): any committed state of them is as good as the snapshot the rest of the
    /// read sees, so they need not share it.
    ///
    /// On PostgreSQL a read first tries to run without `BEGIN` (one `SELECT` is its own snapshot); a second
    /// statement would make it run again inside `REPEATABLE READ`, three or four more round trips. The `SELECT`s of
    /// `body` do not count as that second statement. What `body` reads must be consistent by itself: append-only rows
    /// below a size read first (a tree head, then the leaves it covers) stay what they were. SQLite reads in one
    /// snapshot whatever happens, so there it only runs `body`.
    package func readingAppendOnly<T>(_ body: () throws -> T) rethrows -> T {
        guard case .postgres(let session) = engine else { return try body() }
        session.appendOnlyDepth += 1
        defer { session.appendOnlyDepth -= 1 }
        return try body()
    }

    /// What a store may keep for the rest of a write transaction.
    package enum MemoKey: Hashable, Sendable {
        /// The audit chain's head after this transaction's last append (``AuditLog``).
        case auditHead
        /// The transparency log's size and right edge after this transaction's last append (``TransparencyLog``).
        case logTail
        /// A seal key's use count and limits after this transaction's last use of it (``SigningKeyStore``).
        case keyUsage(kid: String)
    }

    /// True when this transaction keeps what stores ``remember(_:for:)`` (a write transaction on PostgreSQL).
    package var remembers: Bool {
        guard case .postgres(let session) = engine else { return false }
        return session.writing
    }

    /// A value stored with ``remember(_:for:)`` earlier in this write transaction, nil when there is none.
    ///
    /// A write transaction holds the database-wide write lock, so what it last wrote to the audit head or the log's
    /// tail is still what is stored; several writes queued together on PostgreSQL share one transaction, and each
    /// then skips re-reading what the one before it appended (each a round trip). Savepoints that roll back put the
    /// memo back as it was. SQLite keeps nothing (a statement there costs microseconds): stores read as before.
    package func remembered<Value: Sendable>(_ key: MemoKey, as type: Value.Type = Value.self) -> Value? {
        guard case .postgres(let session) = engine, session.writing else { return nil }
        return session.memo[key] as? Value
    }

    /// Keeps `value` for the rest of this write transaction (``remembered(_:as:)``); nothing on SQLite or in reads.
    package func remember(_ value: some Sendable, for key: MemoKey) {
        guard case .postgres(let session) = engine, session.writing else { return }
        session.memo[key] = value
    }

    /// Forgets what was kept under `key` (a store changed the rows it summed up).
    package func forget(_ key: MemoKey) {
        guard case .postgres(let session) = engine else { return }
        session.memo[key] = nil
    }

    /// Runs `write` now, or, where this transaction keeps a memo (``remembers``), just before it commits, in place of
    /// what an earlier call with the same `key` kept: a row that every write of a batch overwrites (the audit
    /// chain's head) is then written once per transaction, not once per write. A savepoint that rolls back puts
    /// back what was kept before it. `write` must write the rows only this transaction's memo knows, and nothing
    /// read in the transaction may depend on them before the commit, unless `beforeReads`: the write then also runs
    /// just before the next statement whose answer is used (a read, a savepoint's end), so that statement sees it.
    package func writeAtCommit(_ key: MemoKey, beforeReads: Bool = false, _ write: @escaping (SQLTransaction) throws -> Void) throws {
        guard case .postgres(let session) = engine, session.writing else { return try write(self) }
        session.writeAtCommit(key, beforeReads: beforeReads, write)
    }

    /// Runs `action` once this transaction has committed (never when it rolls back).
    package func afterCommit(_ action: @escaping @Sendable () -> Void) {
        switch engine {
        case .sqlite(let db):
            db.afterNextTransaction { _ in action() }
        case .postgres(let session):
            session.afterCommit(action)
        }
    }
}

/// Rows of one statement, read one at a time (``SQLTransaction/cursor(sql:arguments:)``).
package final class SQLCursor {
    private let advance: () throws -> SQLRow?

    init(_ advance: @escaping () throws -> SQLRow?) {
        self.advance = advance
    }

    /// The next row, nil after the last.
    package func next() throws -> SQLRow? { try advance() }
}

/// A database error, classified the same way for both engines so callers decide by kind, never by engine code.
package struct SQLFailure: Error, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// A UNIQUE or PRIMARY KEY constraint refused the row.
        case uniqueViolation
        /// An append-only or immutability rule (a trigger) refused the change.
        case ruleViolation
        /// Another constraint (foreign key, CHECK, NOT NULL) refused the row: a programming error upstream.
        case constraintViolation
        /// Another writer held the lock past the busy timeout, or the engine asked to retry the transaction.
        case busy
        /// The server cannot be reached or the connection broke (PostgreSQL).
        case unavailable
        /// Anything else.
        case other
    }

    package let kind: Kind
    /// The engine's message (constraint and trigger messages name tables and rules, never values).
    package let message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    init(sqlite error: DatabaseError) {
        let kind: Kind
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY: kind = .uniqueViolation
        case .SQLITE_CONSTRAINT_TRIGGER: kind = .ruleViolation
        default:
            switch error.resultCode {
            case .SQLITE_CONSTRAINT: kind = .constraintViolation
            case .SQLITE_BUSY, .SQLITE_LOCKED: kind = .busy
            default: kind = .other
            }
        }
        self.init(kind, error.message ?? "\(error.resultCode)")
    }

    package var description: String { "\(kind): \(message)" }
}

extension SQLValue {
    /// A column value as SQLite returned it.
    init(sqlite value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let value): self = .integer(value)
        case .double(let value): self = .real(value)
        case .string(let value): self = .text(value)
        case .blob(let value): self = .blob(value)
        }
    }
}
