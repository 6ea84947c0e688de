import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
@testable import ZeroTripServer
import ZeroTripTestSupport

@Suite("HTTP with the seals in a PKCS#11 token (SoftHSM)", .tags(.externalTool), .notInFastLoop, .enabled(if: SoftHSM.available))
struct SealTokenAPITests {
    struct ErrorBody: Decodable {
        struct Detail: Decodable { var code: String; var message: String }
        var error: Detail
    }

    @Test(
        "Issuance signs in the token; with the key gone from it, POST /v1/documents answers 503 token_key_not_found with Retry-After, stores nothing, and /readyz says not ready"
    )
    func issuanceThroughToken() async throws {
        let (_, uri) = try SoftHSM.claim()
        let fixture = try await ServerFixture(sealToken: uri + "&pin-value=\(SoftHSM.pin)")
        let issuer = try #require(fixture.tokens[.documentsIssue])
        let headers: HTTPFields = [.authorization: "Bearer \(issuer)", .contentType: "application/json"]
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/documents", method: .post, headers: headers, body: ByteBuffer(string: DocumentAPITests.issueBody)) {
                response in
                #expect(response.status == .created)
            }
            let stored = try await fixture.services.documents.records(department: "RSJ", limit: 100).count

            // The seal key disappears from the token (a security officer deleted it, a token was swapped).
            let kid = try await fixture.services.administration.keys(department: "RSJ")[0].kid
            let location = try #require(
                try await fixture.services.database.read { db in try SigningKeyStore.certificateAndKeyFile(kid, in: db) }?.keyFile)
            let key = try PKCS11URI(location)
            try TokenKey.open(key, in: try PKCS11Token(key, pin: SoftHSM.pin)).destroy()

            try await client.execute(uri: "/v1/documents", method: .post, headers: headers, body: ByteBuffer(string: DocumentAPITests.issueBody)) {
                response in
                #expect(response.status == .serviceUnavailable)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0, "a 503 says when to retry")
                let body = try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView))
                #expect(body.error.code == "token_key_not_found")
                #expect(!body.error.message.contains(SoftHSM.pin))
            }
            #expect(try await fixture.services.documents.records(department: "RSJ", limit: 100).count == stored, "nothing stored")
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
    }

    @Test(
        "The token's store goes away mid-run: POST /v1/documents answers 503 token_* with Retry-After and stores nothing; when it is back, 201 again and ready"
    )
    func tokenGoneAndBack() async throws {
        let (label, uri) = try SoftHSM.claim()
        let fixture = try await ServerFixture(sealToken: uri + "&pin-value=\(SoftHSM.pin)")
        let issuer = try #require(fixture.tokens[.documentsIssue])
        let headers: HTTPFields = [.authorization: "Bearer \(issuer)", .contentType: "application/json"]
        let log = CapturedLog()
        let app = try buildApplication(configuration: fixture.configuration, services: fixture.services, logger: log.logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/documents", method: .post, headers: headers, body: ByteBuffer(string: DocumentAPITests.issueBody)) {
                response in
                #expect(response.status == .created)
            }
            let stored = try await fixture.services.documents.records(department: "RSJ", limit: 100).count
            let withdrawn = try SoftHSM.withdraw(label)
            var restored = false
            defer { if !restored { try? withdrawn.restore() } }
            try await client.execute(uri: "/v1/documents", method: .post, headers: headers, body: ByteBuffer(string: DocumentAPITests.issueBody)) {
                response in
                #expect(response.status == .serviceUnavailable)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0, "a 503 says when to retry")
                let body = try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView))
                #expect(body.error.code.hasPrefix("token_"), "\(body.error.code)")
                #expect(!body.error.message.contains(SoftHSM.pin))
            }
            #expect(try await fixture.services.documents.records(department: "RSJ", limit: 100).count == stored, "nothing stored")
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            // The operator reads why in the log at once: one warning per code, with where it was raised, never the PIN.
            let warnings = log.lines.withLock { $0 }.filter { $0.hasPrefix("request refused: service unavailable") }
            #expect(warnings.contains { $0.contains("token_") && $0.contains("/v1/documents") && $0.contains(".swift:") }, "\(warnings)")
            #expect(!warnings.contains { $0.contains(SoftHSM.pin) })

            try withdrawn.restore()
            restored = true
            try await client.execute(uri: "/v1/documents", method: .post, headers: headers, body: ByteBuffer(string: DocumentAPITests.issueBody)) {
                response in
                #expect(response.status == .created, "the daemon reconnects by itself")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
