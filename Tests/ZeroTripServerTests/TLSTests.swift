import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import ZeroTrip
import ZeroTripTestSupport
@testable import ZeroTripServer

@Suite("The daemon serves HTTPS with its own certificate")
struct TLSTests {
    @Test("Over TLS: health, an authenticated read and a verification answer as over plain HTTP")
    func overTLS() async throws {
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try ExternalTool.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem",
                "-out", "cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1",
            ], in: directory)
        try #require(made.status == 0, "\(made.stderr)")
        let fixture = try await ServerFixture()
        fixture.configuration.tlsCertificatePath = directory.appendingPathComponent("cert.pem").path
        fixture.configuration.tlsKeyPath = directory.appendingPathComponent("key.pem").path
        let document = try await fixture.issueDocument()
        let token = try #require(fixture.tokens[.documentsVerify])
        try await fixture.application().test(.ahc(.https)) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"RSJ\""))
            }
            try await client.execute(
                uri: "/v1/verify", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"token":"\#(document.qrContent)"}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""result":"valid""#))
            }
        }
    }

    @Test("A certificate file that is not PEM stops the daemon at build time with invalid_configuration")
    func badCertificate() async throws {
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bogus = directory.appendingPathComponent("cert.pem")
        try Data("not a certificate".utf8).write(to: bogus)
        let fixture = try await ServerFixture(initialize: false)
        fixture.configuration.tlsCertificatePath = bogus.path
        fixture.configuration.tlsKeyPath = bogus.path
        #expect {
            _ = try fixture.application()
        } throws: { error in
            (error as? ZeroTripError)?.code == .invalidConfiguration
        }
    }
}
