/// The answer to "is this document authentic and in force?", shared by token, PDF and page verification.
public enum VerificationResult: String, Sendable, Codable, Hashable, CaseIterable {
    /// Authentic, registered and in force.
    case valid
    /// Forged, altered, malformed or inconsistent with the register.
    case invalid
    /// Authentic but revoked or superseded.
    case revoked
    /// Authentic but past its validity.
    case expired
    /// Signed by a key ZeroTrip does not know: cannot tell.
    case unknown
}

/// Why a verification did not answer ``VerificationResult/valid``: a stable code (docs/qr-token.md) and a message.
public struct VerificationReason: Sendable, Codable, Hashable, CustomStringConvertible {
    /// The stable reason code, e.g. `signature_invalid`.
    public let code: String
    /// Details for people; never personal data.
    public let message: String

    /// Creates a reason.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
