import GRDB
internal import GRDBSQLite

extension Statement {
    /// Sets `values` as this statement's arguments, bound straight into SQLite, for a run through GRDB's own
    /// `execute()` or a row fetch without arguments (which then only reset the statement and keep these bindings).
    ///
    /// GRDB's `execute(arguments:)` converts each value three times (`SQLValue` to `DatabaseValue`, to an existential,
    /// back to `DatabaseValue`) and validates the list before binding it. A group-committed batch of audit events
    /// binds hundreds of values per statement: in a profile of window credit reads that handling was 7 % of the
    /// daemon's samples, 2.8 % with this binding (end to end, inside the runs' noise). Here each value is bound once,
    /// with GRDB's own binding for its type (so text, blobs and dates are stored exactly as before), and only the
    /// count is checked. The statement still runs through GRDB, so its transaction bookkeeping and observers see
    /// every statement as before. SQLite keeps its own copy of each text and blob: callers drop them with
    /// ``clearBoundValues()`` once the statement has run.
    ///
    /// This leans on two details of GRDB 7 that its tests pin down (`SQLTransactionTests`): `setUncheckedArguments`
    /// marks the arguments as bound, and `prepareExecution` then only resets the statement, which keeps bindings.
    func bind(_ values: [SQLValue]) throws {
        let expected = Int(sqlite3_bind_parameter_count(sqliteStatement))
        guard values.count == expected else {
            throw SQLFailure(.other, "wrong number of statement arguments: \(values.count) for \(expected) parameters")
        }
        // A safety net: GRDB drops a statement whose step failed from its cache, but if one came back, its first reset
        // would report that old failure, and `setUncheckedArguments` stops the process on any failed reset. The
        // second reset, its own, then succeeds.
        sqlite3_reset(sqliteStatement)
        // Resets, clears the old bindings and marks the arguments as bound, so running the statement without
        // arguments keeps the ones bound here (an empty list: the values live in SQLite, not in GRDB's copy).
        setUncheckedArguments(StatementArguments())
        for (offset, value) in values.enumerated() {
            let index = CInt(offset + 1)
            let code: CInt =
                switch value {
                case .null: sqlite3_bind_null(sqliteStatement, index)
                case .integer(let integer): sqlite3_bind_int64(sqliteStatement, index, integer)
                case .real(let real): sqlite3_bind_double(sqliteStatement, index, real)
                case .text(let text): text.bind(to: sqliteStatement, at: index)
                case .blob(let blob): blob.bind(to: sqliteStatement, at: index)
                case .date(let date): SQLDateText.format(date).bind(to: sqliteStatement, at: index)
                }
            guard code == SQLITE_OK else {
                throw SQLFailure(.other, "binding argument \(index) failed: \(String(cString: sqlite3_errstr(code)))")
            }
        }
    }

    /// Drops the copies of the values ``bind(_:)`` set (a document's PDF, personal data), which SQLite would otherwise
    /// keep in the cached statement until it runs again.
    func clearBoundValues() {
        sqlite3_clear_bindings(sqliteStatement)
    }
}
