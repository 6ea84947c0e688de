package import GRDB

/// A row copied out of a read or write transaction, so it can leave GRDB's queue for the awaiting task.
///
/// GRDB's `Row` is deliberately not `Sendable` (a cursor row is reused by its statement); this holds the
/// column values instead, and reads them back with the same `row["column"] as T` syntax.
package struct FetchedRow: Sendable {
    private let values: [String: DatabaseValue]

    /// Copies every column of `row` (the first of two same-named columns wins, as `Row` does).
    package init(_ row: Row) {
        var values: [String: DatabaseValue] = [:]
        for (column, value) in row where values[column] == nil { values[column] = value }
        self.values = values
    }

    /// The column's value converted to `Value` (`Optional` for a nullable column); a mismatch is a programming error.
    package subscript<Value: DatabaseValueConvertible>(_ column: String) -> Value {
        let value = values[column] ?? .null
        guard let converted = Value.fromDatabaseValue(value) else {
            preconditionFailure("column \(column) does not hold a \(Value.self)")
        }
        return converted
    }
}

extension Row {
    /// The first row of `sql`, copied so it can leave the transaction.
    static func fetchOneCopy(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> FetchedRow? {
        try fetchOne(db, sql: sql, arguments: arguments).map(FetchedRow.init)
    }

    /// The first row of a prepared statement, copied so it can leave the transaction.
    static func fetchOneCopy(_ statement: Statement, arguments: StatementArguments = StatementArguments()) throws -> FetchedRow? {
        try fetchOne(statement, arguments: arguments).map(FetchedRow.init)
    }
}
