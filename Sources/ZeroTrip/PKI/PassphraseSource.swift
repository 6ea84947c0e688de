public import Foundation
import ZeroTripCrypto

/// Where the passphrase protecting the key files comes from, in order of precedence:
/// an explicit value (flag or configuration), the environment variable `ZEROTRIP_KEY_PASSPHRASE`,
/// then the file `Keys/passphrase` (mode 0600), which `zerotrip init` creates for unattended demo
/// use when nothing else is given.
public struct PassphraseSource: Sendable {
    /// Name of the passphrase file in `Keys/`.
    public static let fileName = "passphrase"
    /// Environment variable consulted after an explicit value.
    public static let environmentVariable = "ZEROTRIP_KEY_PASSPHRASE"

    let explicit: String?
    let environment: [String: String]
    let keys: KeyFileStore

    /// Creates a source.
    public init(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment, keys: KeyFileStore) {
        self.explicit = explicit
        self.environment = environment
        self.keys = keys
    }

    /// The passphrase, or `missing_passphrase`.
    public func resolve() throws(ZeroTripError) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let value = environment[Self.environmentVariable], !value.isEmpty { return value }
        if keys.exists(Self.fileName) {
            let value = try keys.read(Self.fileName).trimmingWhitespace()
            if !value.isEmpty { return value }
        }
        throw ZeroTripError(.missingPassphrase, "no key passphrase: set \(Self.environmentVariable) or create Keys/\(Self.fileName) (mode 0600)")
    }

    /// Whether any passphrase is configured.
    public var isConfigured: Bool { (try? resolve()) != nil }

    /// Creates `Keys/passphrase` with 256 random bits, for unattended operation, and returns it.
    public func generateFile() throws(ZeroTripError) -> String {
        let random: [UInt8]
        do { random = try SecureRandom.bytes(count: 32) } catch { throw ZeroTripError(error, context: "generating a passphrase") }
        let value = Base64.encodeURLSafe(random)
        try keys.create(Self.fileName, contents: value + "\n")
        return value
    }
}
