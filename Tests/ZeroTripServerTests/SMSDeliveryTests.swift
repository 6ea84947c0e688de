import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import ZeroTrip
@testable import ZeroTripServer
import ZeroTripDomainTestSupport

@Suite("SMS delivery to the district's operator")
struct SMSDeliveryTests {
    /// What the stand-in operator received, and how it answers.
    final class Operator: Sendable {
        let received = Mutex<[(authorization: String?, body: [String: String])]>([])
        let answer = Mutex<HTTPResponse.Status>(.accepted)
    }

    static func operatorApplication(_ state: Operator) -> some ApplicationProtocol {
        let router = Router()
        router.post("/sms") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 8192)
            let fields = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: String] ?? [:]
            state.received.withLock { $0.append((request.headers[.authorization], fields)) }
            return Response(status: state.answer.withLock { $0 })
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test(
        "With an operator configured a code's message is delivered with the full number and the bearer token, and the number is wiped; a failing operator gets it again later with backoff, nothing lost; refused for good, it is given up"
    )
    func delivery() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-sms-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let home = ZeroTripHome(root: root)
        let clock = VerificationPageBrowserTests.MovableClock()
        let services = ZeroTripServices(
            database: try TestDatabase.make(), home: home,
            passphrase: PassphraseSource(explicit: "sms test passphrase", environment: [:], keys: home.keyFiles),
            clock: ZeroTripClock { clock.now }, deliverSMS: true)
        _ = try await services.administration.initialize(district: "禅城区", actor: "test")
        try await IdentityFixtures.importDemoRegistry(services)
        let state = Operator()
        try await Self.operatorApplication(state).test(.live) { client in
            let port = try #require(client.port)
            let delivery = services.identity.smsDelivery(to: SMSOperator(url: URL(string: "http://127.0.0.1:\(port)/sms")!, token: "operator-secret"))

            _ = try await services.identity.start(method: .sms, idNumber: IdentityFixtures.li.id, name: IdentityFixtures.li.name, client: "t")
            var report = try await delivery.deliverDue()
            #expect(report.delivered == 1)
            let sent = try #require(state.received.withLock { $0.first })
            #expect(sent.authorization == "Bearer operator-secret")
            #expect(
                sent.body["to"] == "13900000002" && sent.body["message"]?.contains("验证码") == true
                    && sent.body["reference"]?.hasPrefix("zt-sms-") == true)
            var outbox = try await services.identity.outbox(limit: 5)
            #expect(outbox.last?.deliveredAt != nil && outbox.last?.attempts == 1 && outbox.last?.phoneMasked == "139****0002")
            let sealedLeft = try await services.database.read { db in
                try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM sms_outbox WHERE phone_sealed IS NOT NULL")
            }
            #expect(sealedLeft == 0, "a delivered number is not kept")
            #expect(try await delivery.deliverDue() == SMSDeliveryReport(), "once")

            // The operator fails: kept, tried again after the backoff, then taken.
            state.answer.withLock { $0 = .serviceUnavailable }
            _ = try await services.identity.start(method: .sms, idNumber: IdentityFixtures.zhang.id, name: IdentityFixtures.zhang.name, client: "t")
            report = try await delivery.deliverDue()
            #expect(report.retrying == 1 && report.delivered == 0)
            outbox = try await services.identity.outbox(limit: 5)
            #expect(outbox.last?.deliveredAt == nil && outbox.last?.failure == "the operator answered HTTP 503")
            #expect(try await delivery.deliverDue() == SMSDeliveryReport(), "not before the backoff")
            state.answer.withLock { $0 = .ok }
            clock.advance(by: SMSDelivery.backoff(attempts: 1) + 1)
            report = try await delivery.deliverDue()
            #expect(report.delivered == 1)
            #expect(state.received.withLock { $0.last?.body["to"] } == "13900000001")

            // Refused for good (400): given up at once, the number wiped.
            state.answer.withLock { $0 = .badRequest }
            _ = try await services.identity.start(method: .sms, idNumber: IdentityFixtures.wang.id, name: IdentityFixtures.wang.name, client: "t")
            report = try await delivery.deliverDue()
            #expect(report.abandoned == 1)
            let stillSealed = try await services.database.read { db in
                try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM sms_outbox WHERE phone_sealed IS NOT NULL")
            }
            #expect(stillSealed == 0)
        }
        #expect(SMSDelivery.backoff(attempts: 1) == 30 && SMSDelivery.backoff(attempts: 3) == 120 && SMSDelivery.backoff(attempts: 20) == 3600)
    }

    @Test(
        "An operator URL without a token stops the daemon from starting, saying how to give one; the token comes from the environment or a 0600 key file"
    )
    func token() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-sms-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let home = ZeroTripHome(root: root)
        var configuration = DaemonConfiguration()
        #expect(try smsOperator(configuration: configuration, keys: home.keyFiles, environment: [:]) == nil)
        configuration.smsGatewayURL = "https://sms.example.gov.cn/send"
        let error = #expect(throws: ZeroTripError.self) { _ = try smsOperator(configuration: configuration, keys: home.keyFiles, environment: [:]) }
        #expect(error?.code == .invalidConfiguration && error?.message.contains("ZEROTRIP_SMS_GATEWAY_TOKEN") == true)
        #expect(try smsOperator(configuration: configuration, keys: home.keyFiles, environment: ["ZEROTRIP_SMS_GATEWAY_TOKEN": "t1"])?.token == "t1")
        try home.keyFiles.create("sms-gateway-token", contents: "t2\n")
        #expect(try smsOperator(configuration: configuration, keys: home.keyFiles, environment: [:])?.token == "t2")
        configuration.smsGatewayURL = "ftp://sms.example.gov.cn"
        expectError(.invalidConfiguration) { try configuration.validate() }
    }
}
