import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
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

    @Test(
        "Root in its own token, connected only for ceremonies: with it withdrawn the daemon is ready and says root offline, issues, serves lists signed by the online key and the kept CRL; a new department answers 503 root_offline; a renewal ceremony through the token keeps the online key signing"
    )
    func rootTokenOnlyForCeremonies() async throws {
        setenv(TokenAccess.rootPINVariable, SoftHSM.pin, 1)
        let (rootLabel, rootURI) = try SoftHSM.claim()
        let (_, sealURI) = try SoftHSM.claim()
        let fixture = try await ServerFixture(sealToken: sealURI + "&pin-value=\(SoftHSM.pin)", rootToken: rootURI)
        let root = try await fixture.services.administration.rootCertificate()
        // The ceremony: certify the online key (made in the seal token), sign the root's CRL, then take the root token away.
        let online = try await fixture.services.administration.certifyOnlineKey(actor: "test")
        #expect(online.inToken)
        let ceremonyCRL = try await fixture.services.trustList.crl()
        let withdrawn = try SoftHSM.withdraw(rootLabel)
        defer { try? withdrawn.restore() }
        // A daemon started now has never seen the root.
        let services = ZeroTripServices(
            database: fixture.services.database, home: fixture.services.home,
            passphrase: PassphraseSource(explicit: "server test passphrase", environment: [:], keys: fixture.services.home.keyFiles))
        let app = try buildApplication(configuration: fixture.configuration, services: services, logger: Logger(label: "test"))
        let issuer = try #require(fixture.tokens[.documentsIssue])
        let admin = try #require(fixture.tokens[.admin])
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONDecoder().decode([String: String].self, from: Data(response.body.readableBytesView))
                #expect(body["root"] == "offline" && body["listSigner"] == "online key \(online.kid)", "\(body)")
            }
            try await client.execute(
                uri: "/v1/documents", method: .post, headers: [.authorization: "Bearer \(issuer)", .contentType: "application/json"],
                body: ByteBuffer(string: DocumentAPITests.issueBody)
            ) { response in
                #expect(response.status == .created)
            }
            let head = try await services.administration.signTreeHead(services.log)
            #expect(head.kid == online.kid)
            struct Roots: Decodable {
                struct Key: Decodable { var kid: String; var status: String; var inToken: Bool }
                var onlineKeys: [Key]
            }
            let roots = try await client.execute(uri: "/v1/roots", method: .get) {
                try JSONDecoder().decode(Roots.self, from: Data($0.body.readableBytesView))
            }
            #expect(
                roots.onlineKeys.map(\.kid) == [online.kid] && roots.onlineKeys.first?.status == "current" && roots.onlineKeys.first?.inToken == true)
            let list = try await client.execute(uri: "/v1/trust-list", method: .get) { Array($0.body.readableBytesView) }
            let signature = try await client.execute(uri: "/v1/trust-list.sig", method: .get) { Array($0.body.readableBytesView) }
            guard case .usable(let opened) = TrustList.open(list, signature: signature, root: root, now: Date()) else {
                Issue.record("the list signed by the online key does not open with the root pinned")
                return
            }
            #expect(opened.signerKid == online.kid && opened.treeHead?.kid == online.kid)
            try await client.execute(uri: "/v1/crl", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == ceremonyCRL, "the CRL the root signed at the ceremony")
            }
            let departments = try await services.administration.departments().count
            try await client.execute(
                uri: "/v1/departments", method: .post, headers: [.authorization: "Bearer \(admin)"],
                body: ByteBuffer(string: #"{"code": "WJJ", "name": "区卫生健康局"}"#)
            ) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "3600", "a ceremony is not seconds away")
                let body = try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView))
                #expect(body.error.code == "root_offline")
                #expect(!body.error.message.contains(SoftHSM.pin))
            }
            #expect(try await services.administration.departments().count == departments, "nothing stored")
            // The next ceremony: the root token is connected again, and the same daemon certifies the new seal.
            try withdrawn.restore()
            try await client.execute(
                uri: "/v1/departments", method: .post, headers: [.authorization: "Bearer \(admin)"],
                body: ByteBuffer(string: #"{"code": "WJJ", "name": "区卫生健康局"}"#)
            ) { response in
                #expect(response.status == .created)
            }
            // A renewal ceremony through the token: the new root is made there and certifies the online key again.
            try await client.execute(uri: "/v1/roots/renew", method: .post, headers: [.authorization: "Bearer \(admin)"]) { response in
                #expect(response.status == .created)
            }
            let keys = try await services.administration.onlineKeys()
            let renewedRoot = try await services.administration.rootCertificate()
            #expect(keys.count == 2 && keys[0].status == .current && keys[0].rootKid == renewedRoot.kidHex && keys[0].inToken)
            // The ceremony ends: the token goes back in the safe, and the daemon goes on with the online key.
            let again = try SoftHSM.withdraw(rootLabel)
            defer { try? again.restore() }
            try await client.execute(uri: "/readyz", method: .get) { response in
                let body = try JSONDecoder().decode([String: String].self, from: Data(response.body.readableBytesView))
                #expect(response.status == .ok && body["listSigner"] == "online key \(keys[0].kid)", "\(body)")
            }
            #expect(try await services.administration.signTreeHead(services.log).kid == keys[0].kid)
            let renewedList = try await client.execute(uri: "/v1/trust-list", method: .get) { Array($0.body.readableBytesView) }
            let renewedSignature = try await client.execute(uri: "/v1/trust-list.sig", method: .get) { Array($0.body.readableBytesView) }
            // A verifier that pinned the first root follows the renewal to the online key's new certificate.
            guard case .usable(let followed) = TrustList.open(renewedList, signature: renewedSignature, root: root, now: Date()) else {
                Issue.record("a verifier pinned to the first root does not follow the renewal")
                return
            }
            #expect(followed.rootKid == renewedRoot.kidHex && followed.signerKid == keys[0].kid)
        }
    }
}
