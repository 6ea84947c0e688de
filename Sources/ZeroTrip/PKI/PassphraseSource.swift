public import Foundation
import ZeroTripCrypto

/// Where a passphrase protecting key files comes from, in order of precedence: an explicit value (flag or
/// configuration), an environment variable, then a file in `Keys/` (mode 0600), which `zerotrip init` creates for
/// unattended demo use when nothing else is given.
///
/// The district root and the seals have passphrases of their own (``Purpose``): whoever learns the seals' passphrase,
/// which every daemon needs, does not thereby hold the root key, which only ceremonies and list signing need.
public struct PassphraseSource: Sendable {
    /// The keys a passphrase protects.
    public enum Purpose: Sendable, Hashable {
        /// Department seal keys: `ZEROTRIP_KEY_PASSPHRASE` or `Keys/passphrase` (also `--passphrase`).
        case seals
        /// District root keys: `ZEROTRIP_ROOT_PASSPHRASE` or `Keys/root-passphrase`.
        case root

        /// Name of the passphrase file in `Keys/`.
        public var fileName: String { self == .seals ? PassphraseSource.fileName : "root-passphrase" }
        /// Environment variable consulted after an explicit value.
        public var environmentVariable: String { self == .seals ? PassphraseSource.environmentVariable : "ZEROTRIP_ROOT_PASSPHRASE" }
        var noun: String { self == .seals ? "seal key passphrase" : "root key passphrase" }
    }

    /// Name of the seals' passphrase file in `Keys/`.
    public static let fileName = "passphrase"
    /// Environment variable of the seals' passphrase, consulted after an explicit value.
    public static let environmentVariable = "ZEROTRIP_KEY_PASSPHRASE"

    /// Which keys this passphrase protects.
    public let purpose: Purpose
    let explicit: String?
    let environment: [String: String]
    let keys: KeyFileStore

    /// Creates a source.
    public init(
        explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment, keys: KeyFileStore,
        purpose: Purpose = .seals
    ) {
        self.explicit = explicit
        self.environment = environment
        self.keys = keys
        self.purpose = purpose
    }

    /// The root's passphrase from the same environment and `Keys/` (an explicit seal passphrase does not carry over).
    public var forRoot: PassphraseSource { PassphraseSource(environment: environment, keys: keys, purpose: .root) }

    /// The passphrase, or `missing_passphrase`.
    public func resolve() throws(ZeroTripError) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let value = environment[purpose.environmentVariable], !value.isEmpty { return value }
        if keys.exists(purpose.fileName) {
            let value = try keys.read(purpose.fileName).trimmingWhitespace()
            if !value.isEmpty { return value }
        }
        throw ZeroTripError(
            .missingPassphrase, "no \(purpose.noun): set \(purpose.environmentVariable) or create Keys/\(purpose.fileName) (mode 0600)")
    }

    /// Whether any passphrase is configured.
    public var isConfigured: Bool { (try? resolve()) != nil }

    /// ``generateFile()`` from async code (a root renewal over HTTP): the new file is synced to disk off the
    /// cooperative pool.
    public func generateFile() async throws -> String {
        try await BlockingWork.onDevice { try self.generateFile() }
    }

    /// Creates the purpose's file in `Keys/` with 256 random bits, for unattended operation, and returns it.
    public func generateFile() throws(ZeroTripError) -> String {
        let random: [UInt8]
        do { random = try SecureRandom.bytes(count: 32) } catch { throw ZeroTripError(error, context: "generating a passphrase") }
        let value = Base64.encodeURLSafe(random)
        try keys.create(purpose.fileName, contents: value + "\n")
        return value
    }
}
