import Foundation
import ZeroTrip
import ZeroTripDocuments

struct WhoAmI: APIAnswer, Codable { var credentialId: String; var department: String; var scopes: [String] }
struct DepartmentList: APIAnswer, Codable { var departments: [DepartmentView] }
struct DepartmentDetail: APIAnswer, Codable { var department: DepartmentView; var keys: [SigningKeyView] }
struct CreateDepartment: Codable { var code: String; var name: String; var algorithm: String? }
struct CredentialList: APIAnswer, Codable { var credentials: [CredentialView] }
struct CreateCredential: Codable { var department: String; var scopes: [String]; var label: String? }
struct CreatedCredential: APIAnswer, Codable { var credential: CredentialView; var token: String }
struct AuditReport: APIAnswer, Codable {
    var intact: Bool; var eventCount: Int64?; var headHash: String?; var firstBadSeq: Int64?; var reason: String?
}
struct AuditEventList: APIAnswer, Codable { var events: [AuditEventView] }
struct AuditEventView: Codable {
    var seq: Int64, occurredAt: String, actor: String, action: String, target: String, outcome: String, details: String, hash: String
    init(_ event: AuditEvent) {
        seq = event.seq; occurredAt = event.occurredAt; actor = event.actor; action = event.action
        target = event.target; outcome = event.outcome; details = event.details; hash = event.hash.map { String(format: "%02x", $0) }.joined()
    }
}

/// `POST /v1/documents` and `…/reissue` body.
struct IssueDocumentBody: Decodable, Sendable {
    var department: String?
    var matterCode: String
    var matterName: String
    var holderName: String
    var holderIdNumber: String
    /// `person` (default) or `organization`.
    var holderType: String?
    var fields: [FieldView]
    var validDays: Int?
    var pickupMode: String?

    /// The domain request, for the department the body names or else the credential's (the document service refuses
    /// another department's: ``DocumentService/issue(_:by:route:)``).
    func request(for principal: Principal) throws -> IssueDocumentRequest {
        let mode: PickupMode
        if let pickupMode {
            guard let parsed = PickupMode(rawValue: pickupMode) else {
                throw ZeroTripError(.invalidInput, "pickupMode must be one of \(PickupMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            mode = parsed
        } else {
            mode = .qrSelfPrint
        }
        var request = IssueDocumentRequest(
            departmentCode: department ?? principal.departmentCode, matterCode: matterCode, matterName: matterName, holderName: holderName,
            holderIDNumber: holderIdNumber, fields: fields.map(\.field), validDays: validDays ?? 365, pickupMode: mode)
        if let holderType {
            guard let kind = HolderKind(rawValue: holderType) else {
                throw ZeroTripError(.invalidInput, "holderType must be person or organization")
            }
            request.holderKind = kind
        }
        return request
    }
}

/// `POST /v1/documents/{id}/revoke` body.
struct RevokeBody: Decodable, Sendable {
    var reason: String
}

/// `POST /v1/verify` body.
struct VerifyTokenBody: Decodable, Sendable {
    var token: String
}

/// Document metadata as the API shows it: personal data masked.
struct DocumentView: APIAnswer, Codable, Sendable {
    var id: String
    var departmentCode: String
    var kid: String
    var matterCode: String
    var matterName: String
    var holderName: String
    var holderIdNumber: String
    var holderType: String
    var fields: [FieldView]
    var pickupMode: String
    var issuedAt: Date
    var validUntil: Date
    var supersedes: String?
    var pdfSha256: String
    var status: String
    var statusReason: String?
    var statusChangedAt: Date?
    var supersededBy: String?
    /// For the holder only: whether the verification page links to the original PDF.
    var pdfLink: Bool?
    /// For the holder only: the identity tier that shows `fields`, when they are withheld from this session (a points
    /// certificate printing the credit level, below ``IdentityPolicy/tierForCreditLevel``); nil when they are shown.
    var fieldsNeedTier: Int?

    init(_ record: ResultDocumentRecord, pdfLink: Bool? = nil) {
        self.pdfLink = pdfLink
        id = record.id.rawValue
        departmentCode = record.departmentCode
        kid = record.kid
        matterCode = record.matterCode
        matterName = record.matterName
        holderName = record.maskedHolderName
        holderIdNumber = record.maskedHolderIDNumber
        holderType = record.holderKind.rawValue
        fields = record.fields.map(FieldView.init)
        pickupMode = record.pickupMode.rawValue
        issuedAt = record.issuedAt
        validUntil = record.validUntil
        supersedes = record.supersedes?.rawValue
        pdfSha256 = record.pdfSHA256
        status = record.status.rawValue
        statusReason = record.statusReason
        statusChangedAt = record.statusChangedAt
        supersededBy = record.supersededBy?.rawValue
    }

    /// `record` for a holder session that may not see its fields: they are left out and `tier` named.
    init(withholdingFieldsOf record: ResultDocumentRecord, tier: Int, pdfLink: Bool?) {
        self.init(record, pdfLink: pdfLink)
        fields = []
        fieldsNeedTier = tier
    }
}

/// The holder's switch for the public PDF link (`PUT /v1/applicant/documents/{id}/pdf-link`).
struct PDFLinkBody: Decodable, Sendable {
    var enabled: Bool
}

/// The switch as it now stands.
struct PDFLinkView: APIAnswer, Codable, Sendable {
    var id: String
    var pdfLink: Bool
}

/// A list of documents.
struct DocumentList: APIAnswer, Codable, Sendable {
    var documents: [DocumentView]
}

/// The answer to an issuance.
struct IssuedDocumentView: APIAnswer, Codable, Sendable {
    var document: DocumentView
    var token: String
    var qrContent: String
    var qrVersion: Int
    var verificationPage: String
    var pdf: String

    init(_ issued: IssuedDocument, baseURL: String) {
        document = DocumentView(issued.record)
        token = issued.record.token
        qrContent = issued.qrContent
        qrVersion = issued.qr.version
        verificationPage = issued.qrContent
        pdf = "/v1/documents/\(issued.record.id)/pdf"
    }
}
