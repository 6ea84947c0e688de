import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
@testable import ZeroTrip
import ZeroTripDocuments
import ZeroTripDomainTestSupport
import ZeroTripServer

/// Collects every log line, to prove what the daemon writes.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])
    struct Handler: LogHandler {
        let sink: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            sink.lines.withLock { $0.append("\(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })") }
        }
    }
    var logger: Logger { Logger(label: "capture") { _ in Handler(sink: self) } }
}

@Suite("HTTP: window credit checks, the applicant's own credit, a 容缺 application end to end")
struct CreditAPITests {
    func headers(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any] ?? [:]
    }

    @Test(
        "A window reads level and availability only, for a matter of its own department; another department gets 403; every read is audited; no ID number reaches the log"
    )
    func windowCheck() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let gaj = try await fixture.services.credentials.create(department: "GAJ", scopes: [.creditRead], actor: "test").token
        let rsj = try #require(fixture.tokens[.creditRead])
        let log = CapturedLog()
        let app = try buildApplication(configuration: fixture.configuration, services: fixture.services, logger: log.logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/credit/\(CreditFixtures.chen.id)?matter=JZDJ", method: .get, headers: headers(gaj)) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(Set(body.keys) == ["matter", "level", "trustApproval", "asOf", "policyVersion"])
                #expect(body["level"] as? String == "B")
                #expect((body["trustApproval"] as? [String: Any])?["available"] as? Bool == true)
            }
            try await client.execute(uri: "/v1/credit/\(CreditFixtures.huang.id)?matter=JZDJ", method: .get, headers: headers(gaj)) { response in
                let trust = try json(response)["trustApproval"] as? [String: Any]
                #expect(trust?["available"] as? Bool == false && (trust?["reasons"] as? [String]) == ["level_not_qualifying"])
            }
            try await client.execute(uri: "/v1/credit/\(CreditFixtures.chen.id)?matter=JZDJ", method: .get, headers: headers(rsj)) { response in
                #expect(response.status == .forbidden)
                let error = try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView)).error
                #expect(error.code == "forbidden")
            }
            for (uri, status, code) in [
                ("/v1/credit/\(CreditFixtures.chen.id)?matter=NOPE", HTTPResponse.Status.notFound, "unknown_matter"),
                ("/v1/credit/11010519491231002X?matter=JZDJ", .notFound, "unknown_subject"),
                ("/v1/credit/440604197803150418?matter=JZDJ", .badRequest, "invalid_id_number"),
                ("/v1/credit/\(CreditFixtures.chen.id)", .badRequest, "invalid_input"),
            ] {
                try await client.execute(uri: uri, method: .get, headers: headers(gaj)) { response in
                    #expect(response.status == status)
                    let error = try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView)).error
                    #expect(error.code == code)
                }
            }
        }
        let reads = try await AuditLog.events(in: fixture.services.database, limit: 1000).filter { $0.action == "credit.read" }
        #expect(reads.map(\.outcome) == ["success", "success", "denied", "unknown_subject"])
        #expect(reads.allSatisfy { !$0.target.contains(CreditFixtures.chen.id) && !$0.details.contains(CreditFixtures.chen.id) })
        let lines = log.lines.withLock { $0 }
        #expect(lines.contains { $0.contains("/v1/credit/{subject}") })
        #expect(!lines.contains { $0.contains(CreditFixtures.chen.id) || $0.contains(CreditFixtures.huang.id) })
    }

    @Test(
        "容缺 over HTTP: the window submits, the applicant signs from the phone (tier 2), accept → review → approve → issue; after the deadline and rectification the QR verifies as revoked"
    )
    func trustApplication() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let window = try await fixture.services.credentials.create(department: "GAJ", scopes: [.applicationsProcess], actor: "test").token
        let verifier = try #require(fixture.tokens[.documentsVerify])
        let chen = CreditFixtures.chen
        let phone = try await IdentityFixtures.videoSession(fixture.services, person: chen).token
        try await fixture.application().test(.router) { client in
            let id = try await client.execute(
                uri: "/v1/applications", method: .post, headers: headers(window),
                body: ByteBuffer(
                    string: """
                        {"matterCode": "JZDJ", "idNumber": "\(chen.id)", "name": "\(chen.name)", "mode": "trust", "provided": ["ID_CARD", "RESIDENCE_PROOF", "PHOTO"]}
                        """)
            ) { response in
                #expect(response.status == .created)
                let body = try json(response)
                #expect(
                    body["state"] as? String == "submitted" && body["subject"] as? String != nil && !String(buffer: response.body).contains(chen.id))
                return body["id"] as? String ?? ""
            }
            try await client.execute(uri: "/v1/applications/\(id)/accept", method: .post, headers: headers(window)) { response in
                #expect(response.status == .conflict)
                let error = try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView)).error
                #expect(error.code == "commitment_required")
            }
            try await client.execute(uri: "/v1/applicant/applications/\(id)/commitment", method: .get, headers: headers(phone)) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("就业或就读证明"))
            }
            try await client.execute(uri: "/v1/applicant/applications/\(id)/commitment", method: .post, headers: headers(phone)) { response in
                #expect(response.status == .ok)
            }
            for step in ["accept", "review", "approve"] {
                try await client.execute(uri: "/v1/applications/\(id)/\(step)", method: .post, headers: headers(window)) { #expect($0.status == .ok) }
            }
            let token = try await client.execute(
                uri: "/v1/applications/\(id)/issue", method: .post, headers: headers(window),
                body: ByteBuffer(string: #"{"fields": {"居住地址": "佛山市禅城区祖庙街道建新路12号", "居住事由": "务工"}}"#)
            ) { response in
                #expect(response.status == .created)
                return ((try json(response)["document"] as? [String: Any])?["token"] as? String) ?? ""
            }
            #expect(token.hasPrefix("ZT1:"))
            let record = try await fixture.services.applications.application(id)
            let obligation = try #require(record.obligation)
            try await fixture.services.applications.sweep(now: obligation.deadline.addingTimeInterval(1))
            let rectification = try await #require(try fixture.services.applications.application(id).obligation?.rectificationDeadline)
            try await fixture.services.applications.sweep(now: rectification.addingTimeInterval(1))
            try await client.execute(
                uri: "/v1/verify", method: .post, headers: headers(verifier), body: ByteBuffer(string: #"{"token": "\#(token)"}"#)
            ) { response in
                let body = try json(response)
                #expect(body["result"] as? String == "revoked")
            }
            try await client.execute(uri: "/v1/applicant/credit", method: .get, headers: headers(phone)) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect((body["events"] as? [[String: Any]])?.contains { $0["type"] as? String == "obligation_breached" } == true)
            }
            // The sweep ran with a moved clock: the breach counts from the end of the rectification period.
            let later = try await fixture.services.credit.assessment(
                of: fixture.services.credit.subject(chen.id), at: rectification.addingTimeInterval(2))
            #expect(later.level == .c)
            try await client.execute(uri: "/v1/applicant/applications", method: .get, headers: headers(phone)) { response in
                let list = try json(response)["applications"] as? [[String: Any]]
                #expect(list?.count == 1 && list?.first?["state"] as? String == "terminated")
            }
        }
    }

    @Test("Admins load catalogue and policy over HTTP; a bad file answers 400 naming the line and stores nothing")
    func administration() async throws {
        let fixture = try await ServerFixture()
        let admin = try #require(fixture.tokens[.admin])
        try await fixture.application().test(.router) { client in
            try await client.execute(
                uri: "/v1/catalogue", method: .put, headers: headers(admin), body: ByteBuffer(string: AuthorizationTests.catalogueBody)
            ) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(body["version"] as? Int == 1)
            }
            let broken = AuthorizationTests.catalogueBody.replacingOccurrences(of: "timeLimitDays: 2", with: "timeLimitDays: two")
            try await client.execute(uri: "/v1/catalogue", method: .put, headers: headers(admin), body: ByteBuffer(string: broken)) { response in
                #expect(response.status == .badRequest)
                let error = try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView)).error
                #expect(error.code == "invalid_catalogue" && error.detail.hasPrefix("line 5"), "\(error)")
            }
            try await client.execute(uri: "/v1/catalogue", method: .get, headers: headers(admin)) { response in
                let body = try json(response)
                #expect(body["version"] as? Int == 1)
            }
            try await client.execute(
                uri: "/v1/credit-policy", method: .put, headers: headers(admin), body: ByteBuffer(string: AuthorizationTests.policyBody)
            ) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/credit-policy", method: .get, headers: headers(admin)) { response in
                let body = try json(response)
                #expect(body["version"] as? Int == 1)
                #expect(((body["policy"] as? [String: Any])?["qualifyingLevels"] as? [String])?.sorted() == ["A", "B", "M"])
            }
        }
    }
}
