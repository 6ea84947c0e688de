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
            return download(table(), name: name)
        default:
            throw ZeroTripError(.invalidInput, "format must be json or csv")
        }
    }

    /// `table` as the attachment `<name>.csv`.
    static func download(_ table: Table, name: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(name).csv\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv(table))))
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

    // MARK: The tables (the API's `format=csv` and the station's downloads)

    /// Volumes: one row per department.
    static func volumes(_ figures: VolumeFigures, names: [String: String]) -> Table {
        Table(
            header: [
                "department", "name", "submitted", "trust", "deferral", "closed", "rejected", "terminated", "mean_handling_working_days",
                "overdue", "revoked",
            ],
            rows: figures.departments.map { row in
                [
                    row.department, text(names[row.department] ?? ""), "\(row.submitted)", "\(row.trust)", "\(row.deferral)", "\(row.closed)",
                    "\(row.rejected)", "\(row.terminated)", tenths(row.meanHandlingWorkingDays), "\(row.overdue)", "\(row.revoked)",
                ]
            })
    }

    /// Review times: one row per department.
    static func reviews(_ figures: ReviewFigures, names: [String: String]) -> Table {
        Table(
            header: ["department", "name", "reviewed", "mean_working_days", "maximum_working_days", "waiting", "stalled"],
            rows: figures.departments.map {
                [
                    $0.department, text(names[$0.department] ?? ""), "\($0.reviewed)", tenths($0.meanWorkingDays), "\($0.maximumWorkingDays)",
                    "\($0.waiting)", "\($0.stalled)",
                ]
            })
    }

    /// Ratings: one row per department, then per clerk (with the clerk's department), ranked as in the JSON.
    static func ratings(_ figures: RatingFigures, names: [String: String]) -> Table {
        let rows = figures.departments.map { ($0, false) } + figures.clerks.map { ($0, true) }
        return Table(
            header: ["level", "key", "department", "name", "count", "mean", "weighted", "poor"],
            rows: rows.map { group, clerk in
                [
                    clerk ? "clerk" : "department", text(group.key), group.department ?? group.key, text(clerk ? "" : names[group.key] ?? ""),
                    "\(group.count)", String(format: "%.2f", group.mean), String(format: "%.2f", group.weighted), "\(group.poor)",
                ]
            })
    }

    /// Complaints: one row per department with a column per cause.
    static func complaints(_ figures: ComplaintFigures, names: [String: String]) -> Table {
        let causes = ComplaintCause.allCases.map(\.rawValue)
        return Table(
            header: ["department", "name", "filed", "answered", "answered_in_time", "substantiated", "overdue"] + causes,
            rows: figures.departments.map { row in
                [
                    row.department, text(names[row.department] ?? ""), "\(row.filed)", "\(row.answered)", "\(row.answeredInTime)",
                    "\(row.substantiated)", "\(row.overdue)",
                ] + causes.map { "\(row.causes[$0] ?? 0)" }
            })
    }

    /// Stated needs: one row per kind and year.
    static func needs(_ counts: [(kind: ServiceNeedKind, year: Int, count: Int)]) -> Table {
        Table(
            header: ["kind", "name", "year", "count"], rows: counts.map { [$0.kind.rawValue, text($0.kind.chinese), "\($0.year)", "\($0.count)"] })
    }
}
