import Foundation
public import ZeroTripDocuments

/// What a department asks to issue.
public struct IssueDocumentRequest: Sendable, Codable, Hashable {
    /// Issuing department code.
    public var departmentCode: String
    /// Matter code, 1–32 of A-Z 0-9 _ -.
    public var matterCode: String
    /// Matter name (the title), 1–24 characters.
    public var matterName: String
    /// Holder's name.
    public var holderName: String
    /// Holder's 18-character citizen ID number, or an organisation's 18-character unified social credit code.
    public var holderIDNumber: String
    /// Whether the holder is a person (checked against the population registry) or an organisation (checked
    /// against the organisations registered as credit subjects).
    public var holderKind: HolderKind = .person
    /// 1–20 ordered fields.
    public var fields: [ResultField]
    /// Validity in days from issuance (1–3650).
    public var validDays: Int
    /// Pickup mode.
    public var pickupMode: PickupMode

    /// Creates a request.
    public init(
        departmentCode: String, matterCode: String, matterName: String, holderName: String, holderIDNumber: String,
        fields: [ResultField], validDays: Int, pickupMode: PickupMode
    ) {
        self.departmentCode = departmentCode
        self.matterCode = matterCode
        self.matterName = matterName
        self.holderName = holderName
        self.holderIDNumber = holderIDNumber
        self.fields = fields
        self.validDays = validDays
        self.pickupMode = pickupMode
    }

    /// Checks every value; returns the normalised request.
    public func validated() throws(ZeroTripError) -> IssueDocumentRequest {
        var copy = self
        copy.departmentCode = try Validation.departmentCode(departmentCode)
        let matter = matterCode.uppercased()
        guard Validation.isMatterCode(matter) else { throw ZeroTripError(.invalidInput, "matterCode must be 1–32 characters of A-Z 0-9 _ -") }
        copy.matterCode = matter
        copy.matterName = try Validation.name(matterName, field: "matterName")
        guard copy.matterName.count <= DocumentLimits.matterName else {
            throw ZeroTripError(.invalidInput, "matterName must be at most \(DocumentLimits.matterName) characters")
        }
        copy.holderName = try Validation.name(holderName, field: "holderName")
        guard ResultTokenClaims.isMaskedName(PersonalDataMask.name(copy.holderName)) else {
            throw ZeroTripError(.invalidInput, "holderName cannot be masked for the QR token (its first character must be a visible character)")
        }
        guard copy.holderName.count <= DocumentLimits.holderName else {
            throw ZeroTripError(.invalidInput, "holderName must be at most \(DocumentLimits.holderName) characters")
        }
        switch holderKind {
        case .person:
            copy.holderIDNumber = try CitizenIDNumber.validate(holderIDNumber)
        case .organization:
            guard let code = UnifiedSocialCreditCode.validate(holderIDNumber.trimmingWhitespace()) else {
                throw ZeroTripError(
                    .invalidInput, "holderIdNumber of an organisation must be a unified social credit code (18 characters, GB 32100 check character)")
            }
            copy.holderIDNumber = code
        }
        guard DocumentLimits.fields.contains(fields.count) else {
            throw ZeroTripError(.invalidInput, "fields must have \(DocumentLimits.fields.lowerBound)–\(DocumentLimits.fields.upperBound) entries")
        }
        copy.fields = try fields.map { field throws(ZeroTripError) in
            let label = try Validation.name(field.label, field: "field label")
            guard label.count <= DocumentLimits.fieldLabel else {
                throw ZeroTripError(.invalidInput, "field labels must be at most \(DocumentLimits.fieldLabel) characters")
            }
            let value = field.value.trimmingWhitespace()
            guard (1...DocumentLimits.fieldValue).contains(value.count),
                !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" })
            else {
                throw ZeroTripError(.invalidInput, "field values must be 1–\(DocumentLimits.fieldValue) characters without control characters")
            }
            return ResultField(label: label, value: value)
        }
        guard DocumentLimits.validDays.contains(validDays) else {
            throw ZeroTripError(.invalidInput, "validDays must be \(DocumentLimits.validDays.lowerBound)–\(DocumentLimits.validDays.upperBound)")
        }
        return copy
    }
}

/// A freshly issued document with everything the caller hands out.
public struct IssuedDocument: Sendable {
    /// The register entry.
    public let record: ResultDocumentRecord
    /// The exact signed PDF.
    public let pdf: [UInt8]
    /// The QR content (verification page URL carrying the token).
    public let qrContent: String
    /// The QR symbol.
    public let qr: QRMatrix
}
