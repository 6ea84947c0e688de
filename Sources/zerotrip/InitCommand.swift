import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripCrypto

/// `zerotrip init`: creates the district root CA.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the district root key (Keys/, encrypted, mode 0600) and Certificates/root.pem.",
        discussion: """
            Refuses to run twice: the root key is never overwritten. When no passphrase is configured \
            (--passphrase, ZEROTRIP_KEY_PASSPHRASE), a random one is written to Keys/passphrase (mode 0600) \
            so the daemon can run unattended; in production supply it from a secret store instead. The root key file gets a \
            passphrase of its own, never the seals': ZEROTRIP_ROOT_PASSPHRASE, or else a random one written to \
            Keys/root-passphrase (mode 0600). With --root-token the \
            root key is made inside that PKCS#11 token (a pkcs11: URI with module-path; PIN from ZEROTRIP_ROOT_TOKEN_PIN), \
            never in a file; seal keys follow sealToken / ZEROTRIP_SEAL_TOKEN (docs/keys.md).
            """)

    @OptionGroup var location: LocationOptions

    @Option(name: .long, help: "District name, e.g. 禅城区.")
    var district: String

    @Option(name: .long, help: "Province above the district, e.g. 广东省 (printed with the district's name; `district set-area` changes it later).")
    var province: String = ""

    @Option(name: .long, help: "City above the district, e.g. 佛山市.")
    var city: String = ""

    @Option(name: .long, help: "Root key algorithm: P-256 (default) or SM2.")
    var algorithm: String = "P-256"

    @Option(name: .long, help: "Make the root key in this PKCS#11 token: pkcs11:token=…?module-path=… (PIN from ZEROTRIP_ROOT_TOKEN_PIN).")
    var rootToken: String?

    func run() async throws {
        try await reportingErrors {
            let algorithm = try Validation.algorithm(algorithm)
            let configuration = try location.configuration()
            let home = configuration.home
            let source = PassphraseSource(explicit: location.passphrase, keys: home.keyFiles)
            let services = try ZeroTripServices.open(home: home, passphrase: location.passphrase)
            if try await services.administration.district() != nil {
                throw ZeroTripError(.alreadyInitialized, "the district is already initialised; the root key is never replaced by init")
            }
            // Key files need the passphrase; with the root and the seals both in tokens, none is written.
            if !source.isConfigured, rootToken == nil || home.sealToken == nil {
                _ = try await source.generateFile()
                print("Generated a random seal key passphrase in \(home.keysDirectory.lastPathComponent)/\(PassphraseSource.fileName) (mode 0600).")
            }
            let rootPassphraseConfigured = source.forRoot.isConfigured
            let info = try await services.administration.initialize(
                district: district, province: province, city: city, algorithm: algorithm, rootToken: rootToken, actor: cliActor)
            if rootToken == nil, !rootPassphraseConfigured {
                print(
                    "Generated a random root key passphrase in \(home.keysDirectory.lastPathComponent)/\(PassphraseSource.Purpose.root.fileName) (mode 0600): the root needs it only to sign; keep a copy offline (docs/keys.md)."
                )
            }
            print("District \(info.administrativeName) initialised. Root kid \(info.rootKid); certificate \(home.rootCertificateURL.path)")
        }
    }
}
