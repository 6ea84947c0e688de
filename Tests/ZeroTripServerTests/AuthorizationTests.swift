import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
import ZeroTripServer
import ZeroTripCrypto
import ZeroTripDomainTestSupport

@Suite("Every route × {no token, wrong scope, right scope}")
struct AuthorizationTests {
    /// A request that succeeds for each route when the caller may use it. Adding a route without
    /// a fixture here fails `everyRouteHasAFixture`.
    static func fixture(for route: RouteSpec, fixture: ServerFixture, attempt: Int) async throws -> (uri: String, body: String?) {
        switch route.description {
        case "POST /v1/documents": return ("/v1/documents", DocumentAPITests.issueBody)
        case "GET /metrics": return ("/metrics", nil)
        case "GET /v1/documents/{id}": return ("/v1/documents/\(try await fixture.issueDocument().record.id.rawValue)", nil)
        case "GET /v1/documents/{id}/pdf": return ("/v1/documents/\(try await fixture.issueDocument().record.id.rawValue)/pdf", nil)
        case "POST /v1/documents/{id}/revoke":
            return ("/v1/documents/\(try await fixture.issueDocument().record.id.rawValue)/revoke", #"{"reason": "issued_in_error"}"#)
        case "POST /v1/documents/{id}/reissue":
            return ("/v1/documents/\(try await fixture.issueDocument().record.id.rawValue)/reissue", DocumentAPITests.issueBody)
        case "POST /v1/verify": return ("/v1/verify", #"{"token": "ZT1:ABC"}"#)
        case "POST /v1/verify/pdf": return ("/v1/verify/pdf", "not a pdf")
        case "GET /v/{id}", "GET /V/{id}": return (route.path.replacingOccurrences(of: "{id}", with: String(repeating: "0", count: 32)), nil)
        case "GET /v1/departments/{code}": return ("/v1/departments/RSJ", nil)
        case "POST /v1/departments": return ("/v1/departments", #"{"code": "D\#(attempt)X", "name": "测试局\#(attempt)"}"#)
        case "POST /v1/credentials": return ("/v1/credentials", #"{"department": "RSJ", "scopes": ["credit:read"], "label": "t"}"#)
        case "POST /v1/credentials/{id}/revoke":
            let id = try await fixture.services.credentials.create(department: "RSJ", scopes: [.creditRead], actor: "test").info.id
            return ("/v1/credentials/\(id)/revoke", nil)
        case "GET /v1/audit/events": return ("/v1/audit/events?limit=5", nil)
        case "POST /v1/applicant/verifications":
            return (route.path, #"{"method": "sms", "idNumber": "\#(IdentityFixtures.wang.id)", "name": "\#(IdentityFixtures.wang.name)"}"#)
        case "POST /v1/applicant/verifications/{id}/code":
            let start = try await fixture.services.identity.start(
                method: .sms, idNumber: IdentityFixtures.zhang.id, name: IdentityFixtures.zhang.name, client: "fixture")
            return (
                "/v1/applicant/verifications/\(start.verificationId)/code",
                #"{"secret": "\#(start.secret)", "code": "\#(try await IdentityFixtures.lastCode(fixture.services))"}"#
            )
        case "POST /v1/applicant/verifications/{id}/session":
            let result = try await fixture.services.identity.windowCheck(
                card: CardRead(
                    idNumber: IdentityFixtures.wang.id, name: IdentityFixtures.wang.name, validFrom: "2018-03-15", validUntil: "2038-03-15"),
                faceMatched: true, clerk: IdentityFixtures.clerk, station: "w1", actor: "test")
            return ("/v1/applicant/verifications/\(result.handoff.verificationId)/session", #"{"secret": "\#(result.handoff.secret)"}"#)
        case "POST /v1/applicant/device-challenges": return (route.path, #"{"deviceId": "\#(String(repeating: "ab", count: 16))"}"#)
        case "POST /v1/applicant/device-sessions":
            let device = try await IdentityFixtures.bindDevice(fixture.services, session: try fixture.applicant().session)
            let challenge = try await fixture.services.identity.challenge(deviceID: device.deviceID)
            return (
                route.path,
                #"{"challengeId": "\#(challenge.challengeId)", "signature": "\#(try IdentityFixtures.sign(challenge, with: device.key))"}"#
            )
        case "POST /v1/applicant/devices":
            let key = try PrivateKey(generating: .p256)
            return (route.path, #"{"publicKey": "\#(Base64.encode(key.publicKey.derRepresentation))", "label": "phone \#(attempt)"}"#)
        case "POST /v1/applicant/devices/{id}/revoke":
            let device = try await IdentityFixtures.bindDevice(fixture.services, session: try fixture.applicant().session)
            return ("/v1/applicant/devices/\(device.deviceID)/revoke", nil)
        case "GET /v1/applicant/documents/{id}/pdf":
            return ("/v1/applicant/documents/\(try await fixture.issueDocument().record.id.rawValue)/pdf", nil)
        case "PUT /v1/applicant/documents/{id}/pdf-link":
            return ("/v1/applicant/documents/\(try await fixture.issueDocument().record.id.rawValue)/pdf-link", #"{"enabled": false}"#)
        case "GET /P":
            // A kiosk result (its link on by default), fetched through its scanned code.
            let qr = try await fixture.issueDocument().qrContent
            return ("/P/?" + qr[qr.range(of: "/V/?")!.upperBound...], nil)
        case "GET /v1/identity/verifications/{id}":
            let start = try await fixture.services.identity.start(
                method: .video, idNumber: IdentityFixtures.wang.id, name: IdentityFixtures.wang.name, client: "fixture")
            return ("/v1/identity/verifications/\(start.verificationId)", nil)
        case "POST /v1/identity/verifications/{id}/video-attestation":
            let start = try await fixture.services.identity.start(
                method: .video, idNumber: IdentityFixtures.wang.id, name: IdentityFixtures.wang.name, client: "fixture")
            return (
                "/v1/identity/verifications/\(start.verificationId)/video-attestation",
                #"{"outcome": "match", "clerk": {"id": "GA-1", "name": "赵文静"}, "reference": "call \#(attempt)"}"#
            )
        case "POST /v1/identity/window-checks":
            return (
                route.path,
                #"{"card": {"idNumber": "\#(IdentityFixtures.wang.id)", "name": "\#(IdentityFixtures.wang.name)", "validFrom": "2018-03-15", "validUntil": "2038-03-15"}, "faceCheck": "match", "clerk": {"id": "GA-1", "name": "赵文静"}, "station": "w1"}"#
            )
        case "POST /v1/identity/checks": return (route.path, #"{"idNumber": "\#(IdentityFixtures.zhang.id)", "minimumTier": 1}"#)
        case "GET /v1/log/sth":
            // What the daemon's trust maintenance timer does at start: the route only reads.
            try await fixture.services.administration.signTreeHead(fixture.services.log)
            return ("/v1/log/sth", nil)
        case "GET /v1/log/proof/inclusion": return ("/v1/log/proof/inclusion?index=0&treeSize=2", nil)
        case "GET /v1/log/proof/consistency": return ("/v1/log/proof/consistency?first=1&second=2", nil)
        case "GET /v1/log/entries": return ("/v1/log/entries?start=0&end=2", nil)
        case "GET /v1/log/documents/{id}": return ("/v1/log/documents/\(try await fixture.issueDocument().record.id.rawValue)", nil)
        case "POST /v1/departments/{code}/keys/rotate":
            _ = try await fixture.services.administration.addDepartment(code: "R\(attempt)X", name: "轮换局\(attempt)", actor: "test")
            return ("/v1/departments/R\(attempt)X/keys/rotate", #"{"overlapSeconds": 0}"#)
        case "POST /v1/departments/{code}/keys":
            let department = try await fixture.services.administration.addDepartment(code: "C\(attempt)X", name: "新钥局\(attempt)", actor: "test")
            _ = try await fixture.services.administration.revokeKey(
                kid: department.activeKid!, notAfter: Date(), reason: .cessationOfOperation, actor: "test")
            return ("/v1/departments/C\(attempt)X/keys", nil)
        case "POST /v1/keys/{kid}/revoke":
            let department = try await fixture.services.administration.addDepartment(code: "V\(attempt)X", name: "撤销局\(attempt)", actor: "test")
            return ("/v1/keys/\(department.activeKid!)/revoke", #"{"notAfter": "2026-01-01T00:00+08:00", "reason": "key-compromise"}"#)
        case "POST /v1/keys/{kid}/limits":
            return ("/v1/keys/\(try await fixture.services.administration.department(code: "RSJ")!.activeKid!)/limits", #"{"maxUses": 100000}"#)
        case "POST /v1/persons/import":
            return (route.path, "id_number,name,phone,card_valid_from,card_valid_until\n110105194912310029,测试人,13900000099,2020-01-01,长期\n")
        default:
            if let request = try await creditFixture(for: route, fixture: fixture, attempt: attempt) { return request }
            #expect(!route.path.contains("{"), "route \(route) needs a fixture")
            return (route.path, nil)
        }
    }

    @Test("The route table is complete: every route has a fixture and a unique method + path")
    func everyRouteHasAFixture() async throws {
        let fixture = try await ServerFixture()
        #expect(Set(ZeroTripAPI.routes.map(\.description)).count == ZeroTripAPI.routes.count)
        for route in ZeroTripAPI.routes {
            _ = try await Self.fixture(for: route, fixture: fixture, attempt: 0)
        }
    }

    @Test("No token → 401, wrong scope → 403, right scope → 2xx; each denial is audited", arguments: ZeroTripAPI.routes)
    func walk(route: RouteSpec) async throws {
        let fixture = try await ServerFixture()
        let app = try fixture.application()
        try await app.test(.router) { client in
            func call(_ token: String?, attempt: Int) async throws -> (HTTPResponse.Status, String) {
                let request = try await Self.fixture(for: route, fixture: fixture, attempt: attempt)
                var headers = HTTPFields()
                if let token { headers[.authorization] = "Bearer \(token)" }
                headers[.contentType] = "application/json"
                return try await client.execute(
                    uri: request.uri, method: route.method, headers: headers,
                    body: request.body.map { ByteBuffer(string: $0) }
                ) { response in
                    (response.status, String(buffer: response.body))
                }
            }
            let deniedBefore = try await fixture.auditCount(action: "auth.denied")
            switch route.access {
            case .public:
                let (status, body) = try await call(nil, attempt: 1)
                #expect(status == .ok, "\(route): \(body)")
            case .authenticated:
                #expect(try await call(nil, attempt: 1).0 == .unauthorized)
                #expect(try await call("zt_0123456789abcdef_notarealsecret", attempt: 2).0 == .unauthorized)
                await #expect(try fixture.auditCount(action: "auth.denied") == deniedBefore + 2)
                let (status, body) = try await call(fixture.tokens[.creditRead], attempt: 3)
                #expect(status == .ok, "\(route): \(body)")
            case .scope(let scope):
                let (noToken, noTokenBody) = try await call(nil, attempt: 1)
                #expect(noToken == .unauthorized)
                #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(noTokenBody.utf8)).error.code == "unauthenticated")
                let wrong = fixture.tokens.first { $0.key != scope }!.value
                let (wrongStatus, wrongBody) = try await call(wrong, attempt: 2)
                #expect(wrongStatus == .forbidden)
                #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(wrongBody.utf8)).error.code == "forbidden")
                await #expect(try fixture.auditCount(action: "auth.denied") == deniedBefore + 2)
                let (status, body) = try await call(fixture.tokens[scope], attempt: 3)
                #expect((200..<300).contains(status.code), "\(route): \(status) \(body)")
            case .applicantPublic:
                let (status, body) = try await call(nil, attempt: 1)
                #expect((200..<300).contains(status.code), "\(route): \(status) \(body)")
            case .applicant(let tier):
                let (noToken, noTokenBody) = try await call(nil, attempt: 1)
                #expect(noToken == .unauthorized)
                #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(noTokenBody.utf8)).error.code == "session_invalid")
                if tier > 1 {
                    let low = try await IdentityFixtures.smsSession(fixture.services, person: IdentityFixtures.li).token
                    let (lowStatus, lowBody) = try await call(low, attempt: 2)
                    #expect(lowStatus == .unauthorized)
                    #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(lowBody.utf8)).error.code == "step_up_required")
                } else {
                    let forged = try await fixture.applicant().token.dropLast(4) + "AAAA"
                    #expect(try await call(String(forged), attempt: 2).0 == .unauthorized)
                }
                await #expect(try fixture.auditCount(action: "auth.denied") == deniedBefore + 2)
                let (status, body) = try await call(fixture.applicant().token, attempt: 3)
                #expect((200..<300).contains(status.code), "\(route): \(status) \(body)")
            }
        }
    }

    @Test("A revoked credential is unauthenticated")
    func revoked() async throws {
        let fixture = try await ServerFixture()
        let issued = try await fixture.services.credentials.create(department: "RSJ", scopes: [.documentsVerify], actor: "test")
        _ = try await fixture.services.credentials.revoke(id: issued.info.id, actor: "test")
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/departments", method: .get, headers: [.authorization: "Bearer \(issued.token)"]) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("Denials are audited without the presented secret")
    func auditHasNoSecret() async throws {
        let fixture = try await ServerFixture()
        let token = try #require(fixture.tokens[.creditRead])
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/credentials", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .forbidden)
            }
        }
        let secret = String(token.split(separator: "_", maxSplits: 2)[2])  // the secret may itself hold "_" (base64url)
        let events = try await AuditLog.events(in: fixture.services.database, limit: 1000)
        #expect(events.contains { $0.action == "auth.denied" && $0.target == "route:GET /v1/credentials" })
        #expect(!events.contains { $0.details.contains(secret) || $0.actor.contains(secret) })
    }
}
