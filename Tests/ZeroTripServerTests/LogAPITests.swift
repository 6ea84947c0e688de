import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
@testable import ZeroTripServer

@Suite("HTTP: the transparency log's tree head")
struct LogAPITests {
    @Test("GET /v1/log/sth only reads: before the timer's first head it answers 503 not_ready with Retry-After and signs nothing; then the head")
    func treeHeadIsReadOnly() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/log/sth", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "5")
                let body = try JSONDecoder().decode(APIErrorBody.self, from: Data(response.body.readableBytesView))
                #expect(body.error.code == "not_ready")
            }
            #expect(try await fixture.services.log.latestTreeHead() == nil, "an anonymous GET signed a tree head")
            let signed = try await fixture.services.administration.signTreeHead(fixture.services.log)
            try await client.execute(uri: "/v1/log/sth", method: .get) { response in
                #expect(response.status == .ok)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                #expect((json["treeSize"] as? Int).map(UInt64.init) == signed.treeSize)
            }
        }
    }
}
