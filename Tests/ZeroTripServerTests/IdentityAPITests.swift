import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripDomainTestSupport
import ZeroTripServer

@Suite("HTTP: applicant verification, own results, clerk and department identity routes")
struct IdentityAPITests {
    struct Start: Decodable { var verificationId: String; var secret: String; var message: String }
    struct Session: Decodable { var token: String; var tier: Int; var method: String }
    struct Documents: Decodable { struct Item: Decodable { var id: String }; var documents: [Item] }
    struct Me: Decodable { struct Person: Decodable { var idNumberMasked: String; var phoneMasked: String }; var person: Person }

    func headers(_ token: String? = nil) -> HTTPFields {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        headers[.contentType] = "application/json"
        return headers
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(response.body.readableBytesView))
    }

    @Test("README walk-through: tier-1 verification with the SMS outbox, own result downloaded, another person's refused (403) and audited")
    func readmeDemo() async throws {
        let fixture = try await ServerFixture()
        let own = try await fixture.issueDocument()  // holder 440604198506120023 = 李晓梅
        let other = try await fixture.services.documents.issue(
            IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: "张三丰", holderIDNumber: IdentityFixtures.zhang.id,
                fields: [ResultField(label: "参保状态", value: "正常参保")], validDays: 90, pickupMode: .qrSelfPrint), actor: "test")
        try await fixture.application().test(.router) { client in
            let start = try await client.execute(
                uri: "/v1/applicant/verifications", method: .post, headers: headers(),
                body: ByteBuffer(string: #"{"method": "sms", "idNumber": "440604198506120023", "name": "李晓梅"}"#)
            ) { response in
                #expect(response.status == .created)
                return try decode(Start.self, response)
            }
            let code = try await IdentityFixtures.lastCode(fixture.services)
            // A wrong code first: refused, with attempts left.
            try await client.execute(
                uri: "/v1/applicant/verifications/\(start.verificationId)/code", method: .post, headers: headers(),
                body: ByteBuffer(string: #"{"secret": "\#(start.secret)", "code": "\#(code == "000000" ? "111111" : "000000")"}"#)
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("verification_failed"))
            }
            let session = try await client.execute(
                uri: "/v1/applicant/verifications/\(start.verificationId)/code", method: .post, headers: headers(),
                body: ByteBuffer(string: #"{"secret": "\#(start.secret)", "code": "\#(code)"}"#)
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return try decode(Session.self, response)
            }
            #expect(session.tier == 1 && session.method == "sms")
            let list = try await client.execute(uri: "/v1/applicant/documents", method: .get, headers: headers(session.token)) {
                try decode(Documents.self, $0)
            }
            #expect(list.documents.map(\.id) == [own.record.id.rawValue])
            try await client.execute(uri: "/v1/applicant/documents/\(own.record.id.rawValue)/pdf", method: .get, headers: headers(session.token)) {
                response in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == own.pdf)
            }
            let denied = try await fixture.auditCount(action: "auth.denied")
            try await client.execute(uri: "/v1/applicant/documents/\(other.record.id.rawValue)/pdf", method: .get, headers: headers(session.token)) {
                response in
                #expect(response.status == .forbidden)
                #expect(!String(buffer: response.body).contains("%PDF"))
            }
            await #expect(try fixture.auditCount(action: "auth.denied") == denied + 1)
            let event = try await #require(try AuditLog.events(in: fixture.services.database, limit: 5).last { $0.action == "auth.denied" })
            #expect(
                event.target == "document:\(other.record.id.rawValue)" && event.details.contains("other_person")
                    && event.actor.hasPrefix("applicant:P"))
            // Masked view at tier 1; full personal data needs tier 2 (RFC 9470 step-up answer).
            let me = try await client.execute(uri: "/v1/applicant/me", method: .get, headers: headers(session.token)) { try decode(Me.self, $0) }
            #expect(me.person.idNumberMasked == "4406**********0023" && me.person.phoneMasked == "139****0002")
            try await client.execute(uri: "/v1/applicant/personal-data", method: .get, headers: headers(session.token)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.contains("insufficient_user_authentication") == true)
            }
            try await client.execute(uri: "/v1/applicant/logout", method: .post, headers: headers(session.token)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/applicant/documents", method: .get, headers: headers(session.token)) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test("Clerk video attestation over HTTP, then device binding and challenge–response login")
    func videoAndDevice() async throws {
        let fixture = try await ServerFixture()
        let clerk = try await fixture.addDepartmentCredential(code: "GAJ", scopes: [.identityAttest])
        try await fixture.application().test(.router) { client in
            let start = try await client.execute(
                uri: "/v1/applicant/verifications", method: .post, headers: headers(),
                body: ByteBuffer(string: #"{"method": "video", "idNumber": "\#(IdentityFixtures.wang.id)", "name": "王志强"}"#)
            ) { try decode(Start.self, $0) }
            try await client.execute(
                uri: "/v1/applicant/verifications/\(start.verificationId)/session", method: .post, headers: headers(),
                body: ByteBuffer(string: #"{"secret": "\#(start.secret)"}"#)
            ) { #expect($0.status == .accepted) }
            try await client.execute(uri: "/v1/identity/verifications/\(start.verificationId)", method: .get, headers: headers(clerk)) { response in
                #expect(String(buffer: response.body).contains("4406**********003X"))
            }
            try await client.execute(
                uri: "/v1/identity/verifications/\(start.verificationId)/video-attestation", method: .post, headers: headers(clerk),
                body: ByteBuffer(string: #"{"outcome": "match", "clerk": {"id": "GA-7", "name": "赵文静"}, "reference": "call 1"}"#)
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                #expect(String(buffer: response.body).contains("clerk:GA-7"))
            }
            let session = try await client.execute(
                uri: "/v1/applicant/verifications/\(start.verificationId)/session", method: .post, headers: headers(),
                body: ByteBuffer(string: #"{"secret": "\#(start.secret)"}"#)
            ) { try decode(Session.self, $0) }
            #expect(session.tier == 2)
            try await client.execute(uri: "/v1/applicant/personal-data", method: .get, headers: headers(session.token)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(IdentityFixtures.wang.id))
            }
            let key = try PrivateKey(generating: .p256)
            struct Device: Decodable { var deviceId: String }
            let device = try await client.execute(
                uri: "/v1/applicant/devices", method: .post, headers: headers(session.token),
                body: ByteBuffer(string: #"{"publicKey": "\#(Base64.encode(key.publicKey.derRepresentation))", "label": "my phone"}"#)
            ) { try decode(Device.self, $0) }
            let challenge = try await client.execute(
                uri: "/v1/applicant/device-challenges", method: .post, headers: headers(),
                body: ByteBuffer(string: #"{"deviceId": "\#(device.deviceId)"}"#)
            ) { try decode(DeviceChallenge.self, $0) }
            let body = #"{"challengeId": "\#(challenge.challengeId)", "signature": "\#(try IdentityFixtures.sign(challenge, with: key))"}"#
            let login = try await client.execute(
                uri: "/v1/applicant/device-sessions", method: .post, headers: headers(), body: ByteBuffer(string: body)
            ) { try decode(Session.self, $0) }
            #expect(login.tier == 2 && login.method == "device_key")
            try await client.execute(uri: "/v1/applicant/device-sessions", method: .post, headers: headers(), body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .unauthorized, "replay")
                #expect(String(buffer: response.body).contains("device_login_failed"))
            }
        }
    }

    @Test("Bad input to the applicant routes gets stable codes")
    func rateLimitAndBadInput() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client in
            let cases: [(String, String)] = [
                (#"{"method": "sms", "idNumber": "110105194912310021", "name": "张三"}"#, "invalid_id_number"),
                (#"{"method": "sms", "idNumber": "11010519491231002X", "name": "Robert'); DROP"}"#, "invalid_input"),
                (#"{"method": "window_card", "idNumber": "11010519491231002X", "name": "张三"}"#, "invalid_input"),
                (#"{"method": "sms", "idNumber": "11010519491231002X", "name": "\#(String(repeating: "长", count: 33))"}"#, "invalid_input"),
                ("not json", "invalid_input"),
            ]
            for (body, code) in cases {
                try await client.execute(uri: "/v1/applicant/verifications", method: .post, headers: headers(), body: ByteBuffer(string: body)) {
                    response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains(code), "\(body): \(String(buffer: response.body))")
                }
            }
            // Non-UTF-8 bytes in the JSON body.
            var invalid = ByteBuffer(string: #"{"method": "sms", "idNumber": "11010519491231002X", "name": ""#)
            invalid.writeBytes([0xD5, 0xC5])
            invalid.writeString(#""}"#)
            try await client.execute(uri: "/v1/applicant/verifications", method: .post, headers: headers(), body: invalid) {
                #expect($0.status == .badRequest)
            }
        }
    }

    @Test("Per-client rate limit: past the bucket, public applicant routes answer 429 and the refusal is audited")
    func rateLimit() async throws {
        let fixture = try await ServerFixture()
        fixture.configuration.applicantRequestsPerMinute = 1  // a bucket of one, refilled once a minute
        try await fixture.application().test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<3 {
                try await client.execute(
                    uri: "/v1/applicant/device-challenges", method: .post, headers: headers(),
                    body: ByteBuffer(string: #"{"deviceId": "\#(String(repeating: "0", count: 32))"}"#)
                ) { statuses.append($0.status) }
            }
            #expect(statuses == [.created, .tooManyRequests, .tooManyRequests])
        }
        // Anonymous refusals are counted, not written one by one: one event carrying count 2 once flushed.
        #expect(try await AuditLog.events(in: fixture.services.database, limit: 10).filter { $0.details.contains("rate_limited") }.isEmpty)
        #expect(try await fixture.services.anonymousAudit.flush(to: fixture.services.database) == 1)
        let events = try await AuditLog.events(in: fixture.services.database, limit: 10).filter {
            $0.action == "auth.denied" && $0.details.contains("rate_limited")
        }
        #expect(events.count == 1)
        #expect(events.map(ServerFixture.count(of:)) == [2])
    }
}
