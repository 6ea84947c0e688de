package import Foundation

/// One value read from or bound into a statement, the same for both engines.
///
/// Stores speak only this vocabulary, so a store's SQL and row mapping run unchanged on SQLite and PostgreSQL.
/// Dates are their own case because the engines keep them differently: SQLite as UTC text
/// `yyyy-MM-dd HH:mm:ss.SSS` (GRDB's format, which every existing database holds), PostgreSQL as `timestamptz`;
/// both keep milliseconds, so a date written by one engine reads back equal on the other.
package enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case date(Date)

    /// Milliseconds since 1970, rounded to the nearest: what both engines keep of a date.
    package static func storedMilliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.toNearestOrAwayFromZero))
    }

    /// `date` as either engine returns it (whole milliseconds).
    package static func stored(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(storedMilliseconds(date)) / 1000)
    }
}

/// A Swift type that can be bound into a statement and read back from a column.
package protocol SQLValueConvertible {
    /// The value to bind.
    var sqlValue: SQLValue { get }
    /// The column's value as this type; nil when it holds NULL or something else (a programming error upstream).
    init?(sqlValue: SQLValue)
}

extension String: SQLValueConvertible {
    package var sqlValue: SQLValue { .text(self) }
    package init?(sqlValue: SQLValue) {
        guard case .text(let text) = sqlValue else { return nil }
        self = text
    }
}

/// A type stored as the text of its raw value (a key's status, a log entry's kind): declaring the conformance is enough.
extension SQLValueConvertible where Self: RawRepresentable, Self.RawValue == String {
    package var sqlValue: SQLValue { .text(rawValue) }
    package init?(sqlValue: SQLValue) {
        guard case .text(let text) = sqlValue else { return nil }
        self.init(rawValue: text)
    }
}

extension Int64: SQLValueConvertible {
    package var sqlValue: SQLValue { .integer(self) }
    package init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .integer(let value): self = value
        case .real(let value) where value == value.rounded() && abs(value) < 9.0e18: self = Int64(value)
        default: return nil
        }
    }
}

extension Int: SQLValueConvertible {
    package var sqlValue: SQLValue { .integer(Int64(self)) }
    package init?(sqlValue: SQLValue) {
        guard let value = Int64(sqlValue: sqlValue) else { return nil }
        self = Int(value)
    }
}

extension Double: SQLValueConvertible {
    package var sqlValue: SQLValue { .real(self) }
    package init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .real(let value): self = value
        case .integer(let value): self = Double(value)
        default: return nil
        }
    }
}

extension Bool: SQLValueConvertible {
    /// Stored as 0 or 1 on both engines (an INTEGER column), so SQL compares it the same way everywhere.
    package var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    package init?(sqlValue: SQLValue) {
        guard let value = Int64(sqlValue: sqlValue) else { return nil }
        self = value != 0
    }
}

extension Data: SQLValueConvertible {
    package var sqlValue: SQLValue { .blob(self) }
    package init?(sqlValue: SQLValue) {
        guard case .blob(let data) = sqlValue else { return nil }
        self = data
    }
}

extension Date: SQLValueConvertible {
    package var sqlValue: SQLValue { .date(self) }
    package init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .date(let date): self = date
        case .text(let text):
            guard let date = SQLDateText.parse(text) else { return nil }
            self = date
        case .integer(let seconds): self = Date(timeIntervalSince1970: Double(seconds))
        case .real(let seconds): self = Date(timeIntervalSince1970: seconds)
        default: return nil
        }
    }
}

extension SQLValue: SQLValueConvertible {
    package var sqlValue: SQLValue { self }
    package init?(sqlValue: SQLValue) { self = sqlValue }
}

/// The arguments of one statement, written as an array literal: `arguments: [kid, now]`.
package struct SQLArguments: Sendable, ExpressibleByArrayLiteral {
    package var values: [SQLValue]

    package init(arrayLiteral elements: (any SQLValueConvertible)?...) {
        values = elements.map { $0?.sqlValue ?? .null }
    }

    package init(_ elements: [(any SQLValueConvertible)?]) {
        values = elements.map { $0?.sqlValue ?? .null }
    }

    package init<Elements: Sequence>(_ elements: Elements) where Elements.Element: SQLValueConvertible {
        values = elements.map(\.sqlValue)
    }

    package init(values: [SQLValue]) {
        self.values = values
    }

    package mutating func append(_ element: (any SQLValueConvertible)?) {
        values.append(element?.sqlValue ?? .null)
    }

    package static func += (lhs: inout SQLArguments, rhs: SQLArguments) {
        lhs.values += rhs.values
    }
}

/// The column names of a result, shared by its rows.
package final class SQLColumns: Sendable {
    package let names: [String]
    /// Name → position, for wide results only; narrower ones are searched in order.
    private let index: [String: Int]?

    /// Up to this many columns a lookup compares names in order: column names are short, so they compare as
    /// inline bytes, and building a dictionary for every statement's result costs more than the lookups save.
    private static let searchedInOrder = 24

    package init(_ names: [String]) {
        self.names = names
        guard names.count > Self.searchedInOrder else {
            index = nil
            return
        }
        var index: [String: Int] = [:]
        // The first of two same-named columns wins (`SELECT k.*, d.code AS …` never relies on the second).
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.index = index
    }

    package func position(of name: String) -> Int? {
        if let index { return index[name] }
        return names.firstIndex(of: name)
    }
}

/// One result row, copied out of its statement: it can leave the transaction (it is `Sendable`).
///
/// Read a column with the type it is used as: `let kid: String = row["kid"]`, `row["revoked_at"] as Date?`.
/// A column that is missing or holds another type is a programming error (the statement and the mapping sit
/// side by side in one store), and stops with the column's name.
package struct SQLRow: Sendable {
    package let columns: SQLColumns
    package let values: [SQLValue]

    package init(columns: SQLColumns, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The raw value of `column` (NULL when the result has no such column).
    package func value(_ column: String) -> SQLValue {
        columns.position(of: column).map { values[$0] } ?? .null
    }

    package subscript<Value: SQLValueConvertible>(_ column: String) -> Value {
        let value = self.value(column)
        guard let converted = Value(sqlValue: value) else {
            preconditionFailure("column \(column) does not hold a \(Value.self): \(value.kind)")
        }
        return converted
    }

    package subscript<Value: SQLValueConvertible>(_ column: String) -> Value? {
        let value = self.value(column)
        if case .null = value { return nil }
        guard let converted = Value(sqlValue: value) else {
            preconditionFailure("column \(column) does not hold a \(Value.self): \(value.kind)")
        }
        return converted
    }

    package subscript<Value: SQLValueConvertible>(_ position: Int) -> Value {
        guard let converted = Value(sqlValue: values[position]) else {
            preconditionFailure("column \(position) does not hold a \(Value.self): \(values[position].kind)")
        }
        return converted
    }

    package subscript<Value: SQLValueConvertible>(_ position: Int) -> Value? {
        if case .null = values[position] { return nil }
        guard let converted = Value(sqlValue: values[position]) else {
            preconditionFailure("column \(position) does not hold a \(Value.self): \(values[position].kind)")
        }
        return converted
    }
}

extension SQLValue {
    /// The case's name, for messages that must not carry the value (it may be personal data).
    var kind: String {
        switch self {
        case .null: "NULL"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        case .date: "date"
        }
    }
}

/// SQLite's date text, `yyyy-MM-dd HH:mm:ss.SSS` in UTC (GRDB's storage format), written and read by arithmetic
/// instead of Foundation's calendar: reading dates was a visible part of a credit read's CPU time.
package enum SQLDateText {
    /// `date` as SQLite stores it (milliseconds rounded to the nearest, as GRDB's formatter does, so dates written
    /// before and after this code compare the same way).
    package static func format(_ date: Date) -> String { AuditEvent.databaseText(date) }

    /// Reads `yyyy-MM-dd`, optionally followed by ` HH:mm`, `:ss` and `.fraction` (a `T` separator is accepted too,
    /// as SQLite's date functions do); nil for anything else.
    package static func parse(_ text: String) -> Date? {
        // Over the contiguous UTF-8 bytes (every dated column of every row read comes through here).
        if let date = text.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) { return date }
        return Array(text.utf8).withUnsafeBufferPointer { parse(bytes: $0) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var position = 0
        func number(_ digits: Int) -> Int64? {
            guard bytes.count - position >= digits else { return nil }
            var value: Int64 = 0
            for offset in position..<(position + digits) {
                let byte = bytes[offset]
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            position += digits
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var milliseconds = Int64(CivilDay.daysFromCivil(Int(year), Int(month), Int(day))) * 86_400_000
        if position == bytes.count { return Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
        guard expect(32) || expect(84), let hour = number(2), expect(58), let minute = number(2),
            hour < 24, minute < 60
        else { return nil }
        milliseconds += hour * 3_600_000 + minute * 60_000
        var fraction = 0.0
        if expect(58) {
            guard let second = number(2), second < 60 else { return nil }
            milliseconds += second * 1000
            if expect(46) {
                var scale = 0.1
                var digits = 0
                while position < bytes.count, bytes[position] >= 48 && bytes[position] <= 57 {
                    fraction += Double(bytes[position] - 48) * scale
                    scale /= 10
                    digits += 1
                    position += 1
                }
                guard digits > 0 else { return nil }
            }
        }
        guard position == bytes.count else { return nil }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000 + fraction)
    }
}
