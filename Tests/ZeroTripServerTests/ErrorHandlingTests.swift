import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import ZeroTrip
@testable import ZeroTripServer

@Suite("Errors are JSON with stable codes, and bad input changes nothing")
struct ErrorHandlingTests {
    func departmentCount(_ fixture: ServerFixture) async throws -> Int {
        try await fixture.services.administration.departments().count
    }

    @Test(
        "Bad requests map to status + code, and the database is unchanged",
        arguments: [
            ("POST", "/v1/departments", String(repeating: "x", count: 5000), 413, "payload_too_large"),
            ("POST", "/v1/departments", "{not json", 400, "invalid_input"),
            ("POST", "/v1/departments", #"{"code": "RSJ", "name": "重复的局"}"#, 409, "duplicate_department"),
            ("POST", "/v1/departments", #"{"code": "bad code", "name": "x"}"#, 400, "invalid_input"),
            ("POST", "/v1/departments", #"{"code": "NEW", "name": "x", "algorithm": "RSA"}"#, 400, "invalid_input"),
            ("GET", "/v1/departments/NOPE", "", 404, "unknown_department"),
            ("POST", "/v1/credentials", #"{"department": "NOPE", "scopes": ["admin"]}"#, 404, "unknown_department"),
            ("POST", "/v1/credentials", #"{"department": "RSJ", "scopes": ["everything"]}"#, 400, "invalid_input"),
            ("POST", "/v1/credentials/0000000000000000/revoke", "", 404, "unknown_credential"),
            ("GET", "/v1/audit/events?limit=0", "", 400, "invalid_input"),
            ("GET", "/no/such/route", "", 404, "not_found"),
        ])
    func badRequests(method: String, uri: String, body: String, status: Int, code: String) async throws {
        let fixture = try await ServerFixture()
        let token = try await fixture.services.credentials.create(department: "ZSJ", scopes: Set(Scope.all), actor: "test").token
        let departments = try await departmentCount(fixture)
        let credentials = try await fixture.services.credentials.list().count
        let files = try FileManager.default.subpathsOfDirectory(atPath: fixture.root.path).sorted()
        try await fixture.application().test(.router) { client in
            try await client.execute(
                uri: uri, method: HTTPRequest.Method(method)!, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: body.isEmpty ? nil : ByteBuffer(string: body)
            ) { response in
                #expect(response.status.code == status)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let decoded = try JSONDecoder().decode(ErrorBody.self, from: Data(String(buffer: response.body).utf8))
                #expect(decoded.error.code == code)
                #expect(!decoded.error.detail.isEmpty)
                #expect(
                    decoded.error.message.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) },
                    "the message is Chinese: \(decoded.error.message)")
            }
        }
        #expect(try await departmentCount(fixture) == departments)
        await #expect(try fixture.services.credentials.list().count == credentials)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: fixture.root.path).sorted() == files)
    }

    @Test(
        "Request bodies are strict: an unknown or misspelt member, a missing one and a wrong type are refused by name, and nothing is issued",
        arguments: [
            (#""validdays": 5, "#, "unknown field \"validdays\""),
            (#""holder\u004eame2": "x", "#, "unknown field \"holderName2\""),
            ("", "missing field \"holderName\""),
            (#""validDays": "five", "#, "field \"validDays\" must be an integer"),
        ])
    func strictBodies(extra: String, message: String) async throws {
        let fixture = try await ServerFixture()
        // A complete body (with extra members in front) or, with no extra, one that lacks holderName.
        let body =
            extra.isEmpty
            ? #"{"matterCode": "QZDJ", "matterName": "求职登记证明", "holderIdNumber": "440604198506120023", "fields": [{"label": "求职意向", "value": "电子商务"}]}"#
            : "{" + extra
                + #""matterCode": "QZDJ", "matterName": "求职登记证明", "holderName": "李晓梅", "holderIdNumber": "440604198506120023", "fields": [{"label": "求职意向", "value": "电子商务"}]}"#
        let refusal = try await Self.refusedIssuance(body, fixture: fixture)
        #expect(refusal.contains(message), "\(refusal)")
    }

    /// Posts `body` to `/v1/documents` and returns the message of its 400 `invalid_input`, having checked that nothing
    /// was issued.
    static func refusedIssuance(_ body: String, fixture: ServerFixture) async throws -> String {
        let issuer = fixture.tokens[.documentsIssue]!
        let before = try await fixture.services.documents.records(department: nil, limit: 1000).count
        let message = try await fixture.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/documents", method: .post, headers: [.authorization: "Bearer \(issuer)", .contentType: "application/json"],
                body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .badRequest, "\(String(buffer: response.body))")
                let decoded = try JSONDecoder().decode(ErrorBody.self, from: Data(String(buffer: response.body).utf8))
                #expect(decoded.error.code == "invalid_input")
                return decoded.error.detail
            }
        }
        await #expect(try fixture.services.documents.records(department: nil, limit: 1000).count == before)
        return message
    }

    @Test("Nested objects are strict too: an unknown member inside an issuance field is refused by its path, and nothing is issued")
    func strictNestedBodies() async throws {
        let fixture = try await ServerFixture()
        let body =
            #"{"matterCode": "QZDJ", "matterName": "求职登记证明", "holderName": "李晓梅", "holderIdNumber": "440604198506120023", "fields": [{"label": "求职意向", "value": "电子商务"}, {"label": "期限", "value": "一年", "colour": "red"}]}"#
        let refusal = try await Self.refusedIssuance(body, fixture: fixture)
        #expect(refusal.contains("unknown field \"fields[1].colour\"") && refusal.contains("label, value"), "\(refusal)")
    }

    @Test("The nested walk follows optionals and arrays, and leaves dictionaries (free keys) and scalars alone")
    func nestedWalk() throws {
        struct Inner: Decodable { var a: String; var b: Int? }
        struct Outer: Decodable { var inner: Inner?; var list: [Inner]; var free: [String: String]; var name: String }
        func check(_ json: String) throws -> String? {
            let value = try JSONDecoder().decode(Outer.self, from: Data(json.utf8))
            return JSONResponse.unknownMember(in: try JSONSerialization.jsonObject(with: Data(json.utf8)), of: value, at: "")?.path
        }
        #expect(try check(#"{"inner": {"a": "x"}, "list": [{"a": "y", "b": 1}], "free": {"anything": "goes"}, "name": "n"}"#) == nil)
        #expect(try check(#"{"inner": {"a": "x", "c": 1}, "list": [], "free": {}, "name": "n"}"#) == "inner.c")
        #expect(try check(#"{"inner": null, "list": [{"a": "y"}, {"a": "z", "bb": 2}], "free": {}, "name": "n"}"#) == "list[1].bb")
        #expect(try check(#"{"list": [], "free": {}, "name": "n", "extra": true}"#) == "extra")
    }

    @Test("The member scanner finds top-level names past nested objects, arrays, escapes and strings holding brackets")
    func keyScanner() {
        let json = #" { "a" : {"x": [1, {"y": "}"}], "z": "\"{"}, "b\u0041": [[], {}], "c": "], }", "d": -1.5e3, "e": null } "#
        #expect(JSONKeyScanner.topLevelKeys(Array(json.utf8)) == ["a", "bA", "c", "d", "e"])
        #expect(JSONKeyScanner.topLevelKeys(Array("[1, 2]".utf8)) == nil)
        #expect(JSONKeyScanner.topLevelKeys(Array("{}".utf8)) == [])
    }

    @Test("A body over the limit without Content-Length (streamed) is refused too")
    func streamedOversize() async throws {
        let fixture = try await ServerFixture()
        let token = try await fixture.services.credentials.create(department: "ZSJ", scopes: [.admin], actor: "test").token
        try await fixture.application().test(.live) { client in
            var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json", .transferEncoding: "chunked"]
            headers[.contentLength] = nil
            try await client.execute(
                uri: "/v1/departments", method: .post, headers: headers, body: ByteBuffer(string: String(repeating: " ", count: 8000) + "{}")
            ) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }

    @Test("healthz answers; readyz is 503 not_ready before init and 200 after")
    func health() async throws {
        let empty = try await ServerFixture(initialize: false)
        try await empty.application().test(.router) { client in
            // The constant answer is exactly what the JSON encoder writes for it.
            let encoded = try JSONResponse.make(["status": "ok"]), bytes = try ResponseEncoder.encode(["status": "ok"])
            for _ in 0..<2 {
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(Array(response.body.readableBytesView) == bytes)
                    #expect(response.headers[.contentType] == encoded.headers[.contentType])
                    #expect(response.headers[.cacheControl] == "no-store")
                }
            }
            try await client.execute(uri: "/healthz", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("not_ready"))
            }
        }
        let ready = try await ServerFixture()
        try await ready.application().test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("Every answer carries its own X-Request-Id: success, error, denial and the public page")
    func requestIDs() async throws {
        let fixture = try await ServerFixture()
        let ids = try await fixture.application().test(.router) { client in
            var ids: [String] = []
            for (uri, status) in [("/healthz", 200), ("/no/such/route", 404), ("/v1/whoami", 401), ("/v/", 200), ("/healthz", 200)] {
                let id = try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status.code == status, "\(uri)")
                    return response.headers[.init("X-Request-Id")!]
                }
                #expect(id.map { $0.count >= 16 && $0.allSatisfy(\.isHexDigit) } == true, "\(uri): \(id ?? "none")")
                if let id { ids.append(id) }
            }
            return ids
        }
        #expect(ids.count == 5 && Set(ids).count == 5)
    }

    @Test(
        "/metrics (audit:read) counts requests by route pattern and status, verifications by result (pages too), issued documents by route, audit batches and database waits; no path values"
    )
    func metrics() async throws {
        let fixture = try await ServerFixture()
        let document = try await fixture.issueDocument()
        let reader = fixture.tokens[.auditRead]!, verifier = fixture.tokens[.documentsVerify]!, issuer = fixture.tokens[.documentsIssue]!
        let text = try await fixture.application().test(.router) { client in
            for _ in 0..<2 { try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) } }
            try await client.execute(
                uri: "/v1/verify", method: .post, headers: [.authorization: "Bearer \(verifier)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"token": "\#(document.record.token)"}"#)
            ) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/v1/documents", method: .post, headers: [.authorization: "Bearer \(issuer)", .contentType: "application/json"],
                body: ByteBuffer(string: DocumentAPITests.issueBody)
            ) { #expect($0.status == .created) }
            try await client.execute(uri: "/v1/documents/\(document.record.id.rawValue)", method: .get, headers: [.authorization: "Bearer \(issuer)"])
            { _ in }
            // The public page, by the number printed on the paper, and a re-issue.
            try await client.execute(uri: "/v/\(document.record.id.rawValue)", method: .get) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/v1/documents/\(document.record.id.rawValue)/reissue", method: .post,
                headers: [.authorization: "Bearer \(issuer)", .contentType: "application/json"], body: ByteBuffer(string: DocumentAPITests.issueBody)
            ) { #expect($0.status == .created) }
            return try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(reader)"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                return String(buffer: response.body)
            }
        }
        #expect(text.contains(#"zerotrip_http_requests_total{method="GET",route="/healthz",status="200"} 2"#), "\(text.prefix(2000))")
        #expect(text.contains(#"zerotrip_verifications_total{method="token",result="valid"} 1"#))
        // Every issuing route counts: the fixture's own document, then one by POST /v1/documents and one re-issue.
        #expect(text.contains("zerotrip_documents_issued_total 3\n"), "\(text.suffix(3000))")
        #expect(text.contains(#"zerotrip_verifications_total{method="page_id",result="valid"} 1"#))
        // What the storage layer counts: audit group commits by size, and how long transactions waited to begin.
        let batches = text.split(separator: "\n").first { $0.hasPrefix("zerotrip_audit_batch_events_count ") }
        #expect(batches.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0 >= 1, "\(String(describing: batches))")
        #expect(text.contains(#"zerotrip_audit_batch_events_bucket{le="1"}"#) && text.contains(#"zerotrip_audit_batch_events_bucket{le="+Inf"}"#))
        #expect(text.contains("\nzerotrip_audit_gathered_total "))
        for kind in ["read", "write"] {
            let count = text.split(separator: "\n").first { $0.hasPrefix("zerotrip_database_wait_seconds_count{kind=\"\(kind)\"} ") }
            #expect(count.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0 >= 1, "\(kind): \(String(describing: count))")
        }
        #expect(text.contains(#"zerotrip_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 2"#))
        #expect(
            text.contains(#"route="/v1/documents/{id}""#) && !text.contains(document.record.id.rawValue), "route patterns, never the values in a path"
        )
    }

    @Test("Creating a department over HTTP returns 201 and a seal that chains to the published root")
    func createDepartment() async throws {
        let fixture = try await ServerFixture()
        let token = try #require(fixture.tokens[.admin])
        try await fixture.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/departments", method: .post, headers: [.authorization: "Bearer \(token)"],
                body: ByteBuffer(string: #"{"code": "WJJ", "name": "区卫生健康局"}"#)
            ) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains("区卫生健康局"))
            }
            try await client.execute(uri: "/v1/trust/root.pem", method: .get) { response in
                #expect(String(buffer: response.body).hasPrefix("-----BEGIN CERTIFICATE-----"))
            }
        }
        let events = try await AuditLog.events(in: fixture.services.database, limit: 1000)
        #expect(events.contains { $0.action == "department.created" && $0.target == "department:WJJ" && $0.actor.hasPrefix("credential:") })
    }
}

@Suite("503 warnings are throttled per code")
struct UnavailableLogTests {
    @Test("The first 503 of a code is logged, the next ones within ten seconds are counted, and the line after says how many")
    func throttle() {
        let log = UnavailableLog()
        let start = ContinuousClock.Instant.now
        #expect(log.shouldLog(.databaseBusy, now: start) == 0)
        #expect(log.shouldLog(.databaseBusy, now: start + .seconds(1)) == nil)
        #expect(log.shouldLog(.databaseBusy, now: start + .seconds(9)) == nil)
        #expect(log.shouldLog(.notReady, now: start + .seconds(9)) == 0, "each code on its own")
        #expect(log.shouldLog(.databaseBusy, now: start + .seconds(10)) == 2)
        #expect(log.shouldLog(.databaseBusy, now: start + .seconds(11)) == nil)
    }
}

@Suite("Failures the pages turn into a page are logged as the API logs them")
struct PageFailureLogTests {
    @Test("A 500 is logged with where it was raised and its cause; a 503 once per code; a refusal of the caller's own (4xx) not at all")
    func pageFailures() {
        let log = CapturedLog()
        let throttle = UnavailableLog()
        let underlying = ZeroTripError(.storageFailure, "writing the session failed").causedBy(CocoaError(.fileWriteOutOfSpace))
        PageFailureLog.record(underlying, route: "GET /my/credit", logger: log.logger, unavailable: throttle)
        PageFailureLog.record(ZeroTripError(.forbidden, "not yours"), route: "GET /my/documents/{id}", logger: log.logger, unavailable: throttle)
        for _ in 0..<3 {
            PageFailureLog.record(ZeroTripError(.databaseBusy, "busy"), route: "POST /my/consents", logger: log.logger, unavailable: throttle)
        }
        let lines = log.lines.withLock { $0 }
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.hasPrefix("page failed") == true && lines.first?.contains("ErrorHandlingTests.swift:") == true, "\(lines)")
        #expect(lines.first?.contains("cause") == true && !(lines.first?.contains("writing the session failed") ?? true), "the message stays out")
        #expect(lines.last?.hasPrefix("page refused: service unavailable") == true && lines.last?.contains("database_busy") == true)
    }
}
