/// An error raised by the cryptographic core.
///
/// Modelled on swift-certificates: a struct with an extensible ``Code``, a human-readable
/// message that never contains secret material, the OpenSSL error queue as it stood at the
/// failing call, and the source location that raised it.
public struct CryptoError: Error, Hashable, CustomStringConvertible, Sendable {
    /// A stable, machine-readable error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible, RawRepresentable {
        /// The stable string form of the code, e.g. `malformed_key`.
        public let rawValue: String
        /// Creates a code from its stable string form.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The stable string form of the code.
        public var description: String { rawValue }

        /// Key material (PEM or DER) could not be parsed.
        public static let malformedKey = Code(rawValue: "malformed_key")
        /// An encrypted private key could not be decrypted with the given passphrase.
        public static let wrongPassphrase = Code(rawValue: "wrong_passphrase")
        /// The key or certificate uses an algorithm ZeroTrip does not support.
        public static let unsupportedAlgorithm = Code(rawValue: "unsupported_algorithm")
        /// A signature value is not a valid DER or fixed-width encoding.
        public static let malformedSignature = Code(rawValue: "malformed_signature")
        /// A certificate could not be parsed.
        public static let malformedCertificate = Code(rawValue: "malformed_certificate")
        /// An argument was out of range (empty passphrase, zero-length validity…).
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// The random number generator failed.
        public static let randomFailure = Code(rawValue: "random_failure")
        /// An OpenSSL operation failed unexpectedly.
        public static let backendFailure = Code(rawValue: "crypto_backend_failure")
        /// A PKCS#11 module does not load, or its token is absent, removed or not answering.
        public static let tokenUnavailable = Code(rawValue: "token_unavailable")
        /// The token refused the PIN.
        public static let tokenPINIncorrect = Code(rawValue: "token_pin_incorrect")
        /// The token's PIN is locked (too many wrong PINs) or expired: its security officer must reset it.
        public static let tokenPINLocked = Code(rawValue: "token_pin_locked")
        /// The token holds no such key.
        public static let tokenKeyNotFound = Code(rawValue: "token_key_not_found")
        /// The key is held in a token and never leaves it (no export, no key file).
        public static let keyNotExtractable = Code(rawValue: "key_not_extractable")

        /// Whether the failure is the token's (absent, PIN, missing key) rather than the request's: whoever signs
        /// answers "unavailable, retry" for these and keeps the code.
        public var isTokenFailure: Bool { [Self.tokenUnavailable, .tokenPINIncorrect, .tokenPINLocked, .tokenKeyNotFound].contains(self) }
    }

    /// The stable error code.
    public let code: Code
    /// A message for people. Never contains key material, passphrases or secrets.
    public let message: String
    /// The entries of OpenSSL's error queue at the failing call, oldest first.
    public let openSSLErrors: [String]
    /// The file that raised the error.
    public let file: String
    /// The line that raised the error.
    public let line: UInt

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, openSSLErrors: [String] = [],
        file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.openSSLErrors = openSSLErrors
        self.file = file
        self.line = line
    }

    /// `code: message (openssl: …) at file:line`.
    public var description: String {
        var text = "\(code): \(message)"
        if !openSSLErrors.isEmpty { text += " (openssl: \(openSSLErrors.joined(separator: "; ")))" }
        return text + " at \(file):\(line)"
    }
}
