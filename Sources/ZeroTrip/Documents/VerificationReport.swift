public import Foundation
public import ZeroTripDocuments

/// The answer of a verification, as the CLI, the API and the page present it.
/// The revocation of the seal key behind a `key_revoked` answer.
public struct KeyRevocationNotice: Sendable, Codable, Hashable {
    /// Documents not proven issued at or before this time are not trusted.
    public var notAfter: Date
    /// The key revocation reason (`key_compromise`, `superseded`, `cessation_of_operation`, `affiliation_changed`).
    public var reason: String?

    /// Creates a notice.
    public init(notAfter: Date, reason: String?) {
        self.notAfter = notAfter
        self.reason = reason
    }
}

public struct VerificationReport: Sendable, Codable, Hashable {
    /// How the document was presented.
    public enum Method: String, Sendable, Codable, Hashable, CaseIterable {
        /// A QR token or verification URL.
        case token
        /// An uploaded PDF.
        case pdf
        /// A document id typed or followed from the footer link.
        case id
    }

    /// `valid`, `invalid`, `revoked`, `expired` or `unknown`.
    public var result: VerificationResult
    /// Why, when not valid (first the decisive reason).
    public var reasons: [VerificationReason]
    /// What may be shown about the document, when it was identified.
    public var document: DocumentSummary?
    /// Whether the register (revocation, exact file) was consulted; false for offline verification.
    public var registerChecked: Bool
    /// How the document was presented.
    public var method: Method
    /// When the answer was given.
    public var verifiedAt: Date
    /// The inclusion proof of the document's issuance in the transparency log, to the newest signed tree head
    /// covering it (docs/transparency-log.md); nil offline or before the document was identified.
    public var transparency: InclusionProof? = nil
    /// When the answer is `key_revoked`: from when the seal key stopped counting and why, so a page or app can say
    /// "documents issued after T" rather than only "revoked".
    public var keyRevocation: KeyRevocationNotice? = nil

    /// Creates a report.
    public init(
        result: VerificationResult, reasons: [VerificationReason], document: DocumentSummary?, registerChecked: Bool, method: Method, verifiedAt: Date
    ) {
        self.result = result
        self.reasons = reasons
        self.document = document
        self.registerChecked = registerChecked
        self.method = method
        self.verifiedAt = verifiedAt
    }
}
