import Foundation
import Hummingbird
import ZeroTrip

/// The supervisors' statistics as JSON, or with `format=csv` as a CSV table for a spreadsheet: UTF-8 with a byte order
/// mark (so that a spreadsheet opening the file reads the Chinese names right), CRLF line ends, a header row, text
/// quoted as RFC 4180 says and kept from being read as a formula (a leading `=`, `+`, `-`, `@` gets a `'`).
enum StatisticsFormat {
    /// A table: the header's column names and the rows, each cell already a number or ``text(_:)``.
    struct Table {
        var header: [String]
        var rows: [[String]]
    }

    /// `json` or, for `format=csv`, `table()` as `<name>.csv`; another format is `invalid_input`.
    static func answer(_ request: Request, name: String, json: () throws -> Response, table: () -> Table) throws -> Response {
        switch request.uri.queryParameters.get("format") {
        case nil, "json":
            return try json()
        case "csv":
            let table = table()
            var headers = HTTPFields()
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"\(name).csv\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv(table))))
        default:
            throw ZeroTripError(.invalidInput, "format must be json or csv")
        }
    }

    /// The table as CSV text.
    static func csv(_ table: Table) -> String {
        "\u{FEFF}" + ([table.header] + table.rows).map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// A text cell: quoted, quotes doubled, a leading formula character defused.
    static func text(_ value: String) -> String {
        let safe = value.first.map { "=+-@".contains($0) } == true ? "'" + value : value
        return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number with one decimal.
    static func tenths(_ value: Double) -> String { String(format: "%.1f", value) }
}
