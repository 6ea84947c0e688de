import Foundation
import HTTPTypes
import HummingbirdCore
import Testing
@testable import ZeroTrip
@testable import ZeroTripServer
import ZeroTripTestSupport

@Suite("Error codes and their HTTP statuses")
struct ErrorCodeTableTests {
    /// Every code declared in ZeroTripError.swift, read from the source so a new one cannot be missed.
    static func declaredCodes() throws -> [String] {
        let source = try String(
            contentsOf: ExternalTool.repositoryRoot.appendingPathComponent("Sources/ZeroTrip/Support/ZeroTripError.swift"), encoding: .utf8)
        return source.matches(of: /static let [A-Za-z]+ = Code\("([a-z_]+)", kind:/).map { String($0.1) }
    }

    /// The codes a server fault may carry: the only ones that answer 500.
    static let serverFaults: Set<String> = ["internal_error", "storage_failure", "crypto_failure"]

    @Test("Only server faults answer 500; docs/api.md lists every code under the status its kind answers")
    func everyCodeMappedAndDocumented() throws {
        let codes = try Self.declaredCodes()
        #expect(codes.count > 50)
        // Code.all is the declarations, no more and no less, and every kind has codes.
        #expect(ZeroTripError.Code.all.map(\.rawValue).sorted() == codes.sorted())
        #expect(Set(ZeroTripError.Code.all.map(\.kind)) == Set(ZeroTripError.Kind.allCases))
        let docs = try String(contentsOf: ExternalTool.repositoryRoot.appendingPathComponent("docs/api.md"), encoding: .utf8)
        // The error table: "| <status> | `code` … |" rows.
        var documented: [String: Int] = [:]
        for row in docs.split(separator: "\n") where row.hasPrefix("| ") {
            let cells = row.split(separator: "|", omittingEmptySubsequences: false)
            guard cells.count > 2, let status = Int(cells[1].trimmingCharacters(in: .whitespaces)), (400...599).contains(status) else { continue }
            for match in cells[2].matches(of: /`([a-z_]+)`/) where documented[String(match.1)] == nil { documented[String(match.1)] = status }
        }
        for code in codes {
            let status = Int(
                HTTPErrorMapping.status(for: try #require(ZeroTripError.Code.all.first { $0.rawValue == code }, "\(code) is not in Code.all")).code)
            #expect(status != 500 || Self.serverFaults.contains(code), "\(code) answers 500 although it is not a server fault")
            #expect(
                documented[code] == status,
                "docs/api.md lists \(code) under \(documented[code].map(String.init) ?? "no status"); it answers \(status)")
        }
    }

    @Test("Every code has a Chinese message for people, and no two unrelated codes share one by accident")
    func everyCodeHasChinese() throws {
        let codes = try Self.declaredCodes()
        for code in codes {
            let message = try #require(ChineseMessages.api[code], "no Chinese message for \(code)")
            #expect(message.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "\(code): \(message)")
        }
        #expect(
            Set(ChineseMessages.api.keys).subtracting(codes).isEmpty,
            "messages for codes that do not exist: \(Set(ChineseMessages.api.keys).subtracting(codes))")
        #expect(ChineseMessages.apiMessage("http_405").contains("http_405"))
    }

    @Test("Every 429 and 503 answer carries Retry-After, with the error's own time when it has one")
    func retryAfter() throws {
        for code in try Self.declaredCodes() {
            let error = ZeroTripError(try #require(ZeroTripError.Code.all.first { $0.rawValue == code }), "x")
            let response = HTTPErrorMapping.response(for: error)
            if [429, 503].contains(response.status.code) {
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0, "\(code) answers \(response.status.code) without Retry-After")
            }
        }
        let limited = HTTPErrorMapping.response(for: ZeroTripError(.rateLimited, "x").retryingAfter(7))
        #expect(limited.headers[.retryAfter] == "7")
    }
}
