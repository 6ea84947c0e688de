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

    /// Every reason code a verification can answer with, online or offline (docs/verification.md): the token's
    /// parsing, the PDF's structure and signature, the seal and its chain, the trust list, and the register. Pages and
    /// apps explain each one; a code outside this list is a programming error, tested for.
    public static let knownCodes: [String] = [
        // Token
        "token_malformed", "token_too_long", "base45_invalid", "zlib_invalid", "decompressed_too_large", "cose_malformed", "claims_malformed",
        // PDF
        "pdf_malformed", "pdf_unsigned", "pdf_multiple_signatures", "pdf_too_large", "cms_malformed", "pdf_modified", "signing_certificate_mismatch",
        // Seal, chain and trust list
        "kid_unknown", "signature_invalid", "certificate_unsuitable", "certificate_not_valid_at_issuance", "chain_invalid", "department_mismatch",
        "key_revoked", "trust_list_stale", "trust_list_wrong_root",
        // Register
        "not_registered", "register_mismatch", "expired", "revoked", "superseded",
    ]
}
