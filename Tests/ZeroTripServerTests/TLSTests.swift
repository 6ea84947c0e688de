import Foundation
import Testing
import ZeroTrip
import ZeroTripTestSupport
@testable import ZeroTripServer

/// HTTPS answering is covered end to end by `CommandLineTests.tls` (`serve --tls-cert --tls-key`); this covers the
/// refusal of a certificate that cannot be loaded.
@Suite("The daemon refuses a TLS certificate it cannot load")
struct TLSTests {
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
