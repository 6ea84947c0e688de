public import Foundation
public import ZeroTripDocuments

/// The register's status of a document.
public enum DocumentStatus: String, Sendable, Codable, Hashable, CaseIterable {
    /// In force (it may still be past its validity: see ``ResultDocumentRecord/isExpired(at:)``).
    case valid
    /// Revoked, with a reason and time.
    case revoked
    /// Replaced by a re-issued document.
    case superseded
}

/// Why a document is revoked.
public enum RevocationReason: String, Sendable, Codable, CaseIterable {
    /// Issued in error.
    case issuedInError = "issued_in_error"
    /// The facts it states no longer hold.
    case factsChanged = "facts_changed"
    /// A trust-based approval obligation was not met.
    case obligationUnmet = "obligation_unmet"
    /// Obtained by false statements.
    case fraud = "fraud"
    /// The seal key was compromised.
    case keyCompromise = "key_compromise"
    /// Any other reason, stated by the revoking party.
    case other = "other"
}

/// One issued document as the register keeps it (without the PDF bytes).
public struct ResultDocumentRecord: Sendable, Hashable, Codable {
    /// The register's key.
    public var id: DocumentID
    /// Issuing department code.
    public var departmentCode: String
    /// Signing key.
    public var kid: String
    /// Matter code.
    public var matterCode: String
    /// Matter name.
    public var matterName: String
    /// Holder's full name (only for the holder and the issuing department).
    public var holderName: String
    /// Holder's citizen ID number (only for the holder and the issuing department), or an organisation's unified
    /// social credit code.
    public var holderIDNumber: String
    /// A person or an organisation.
    public var holderKind: HolderKind = .person
    /// Ordered fields.
    public var fields: [ResultField]
    /// Pickup mode.
    public var pickupMode: PickupMode
    /// Issue time.
    public var issuedAt: Date
    /// End of validity.
    public var validUntil: Date
    /// Who issued it (`credential:<id>` or `cli`).
    public var issuedBy: String
    /// The document this one re-issues.
    public var supersedes: DocumentID?
    /// SHA-256 of the exact PDF, hex.
    public var pdfSHA256: String
    /// SHA-256 of the page content stream (the token's `dig`), hex.
    public var contentSHA256: String
    /// The `ZT1:` token.
    public var token: String
    /// Register status.
    public var status: DocumentStatus
    /// Revocation reason code or `superseded`.
    public var statusReason: String?
    /// When the status changed.
    public var statusChangedAt: Date?
    /// The document that replaced this one.
    public var supersededBy: DocumentID?

    /// Whether the validity has ended at `date`.
    public func isExpired(at date: Date) -> Bool { date > validUntil }

    /// The holder's name masked for display (an organisation's name and code are public, shown whole).
    public var maskedHolderName: String { holderKind == .organization ? holderName : PersonalDataMask.name(holderName) }
    /// The holder's ID number masked for display.
    public var maskedHolderIDNumber: String { holderKind == .organization ? holderIDNumber : PersonalDataMask.idNumber(holderIDNumber) }
}

/// What may be shown about a document to anyone who verifies it: no personal data beyond the masked name.
public struct DocumentSummary: Sendable, Hashable, Codable {
    /// Document id.
    public var id: String
    /// Issuing department code.
    public var departmentCode: String
    /// Issuing department name, when known.
    public var departmentName: String?
    /// Matter code.
    public var matterCode: String
    /// Matter name, when known (from the register).
    public var matterName: String?
    /// Masked holder name.
    public var holderName: String
    /// Issue time.
    public var issuedAt: Date
    /// End of validity.
    public var validUntil: Date
    /// Register status, when the register was consulted.
    public var status: DocumentStatus?
    /// When it was revoked or superseded.
    public var statusChangedAt: Date?
    /// Revocation reason.
    public var statusReason: String?
    /// The re-issued document replacing it.
    public var supersededBy: String?
    /// The signing key.
    public var kid: String

    /// Creates a summary.
    public init(
        id: String, departmentCode: String, departmentName: String?, matterCode: String, matterName: String?, holderName: String,
        issuedAt: Date, validUntil: Date, status: DocumentStatus?, statusChangedAt: Date?, statusReason: String?, supersededBy: String?, kid: String
    ) {
        self.id = id
        self.departmentCode = departmentCode
        self.departmentName = departmentName
        self.matterCode = matterCode
        self.matterName = matterName
        self.holderName = holderName
        self.issuedAt = issuedAt
        self.validUntil = validUntil
        self.status = status
        self.statusChangedAt = statusChangedAt
        self.statusReason = statusReason
        self.supersededBy = supersededBy
        self.kid = kid
    }
}
