import Foundation
import ZeroTrip
import ZeroTripDocuments

// The API's own copies of the domain records it answers with. Each is built from its record by an initializer that
// names every member, so a member renamed or added in the domain does not reach clients until it is added here (and to
// docs/openapi.json, which a test holds to these types). The schema names stay those clients already know.

/// An application as a window (and its applicant) sees it.
struct ApplicationView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "ApplicationRecord"
    var id: String
    var matterCode: String
    var catalogueVersion: Int
    var department: String
    var subject: String
    var applicantName: String
    var mode: ApplicationMode
    var state: ApplicationState
    var submittedAt: Date
    var acceptedAt: Date?
    var timeLimitDue: Date?
    var documentID: String?
    var materials: [MaterialView]
    var obligation: ObligationView?
    var commitment: CommitmentView?
    var flags: [String]

    init(_ record: ApplicationRecord) {
        id = record.id
        matterCode = record.matterCode
        catalogueVersion = record.catalogueVersion
        department = record.department
        subject = record.subject.rawValue
        applicantName = record.applicantName
        mode = record.mode
        state = record.state
        submittedAt = record.submittedAt
        acceptedAt = record.acceptedAt
        timeLimitDue = record.timeLimitDue
        documentID = record.documentID?.rawValue
        materials = record.materials.map(MaterialView.init)
        obligation = record.obligation.map(ObligationView.init)
        commitment = record.commitment.map(CommitmentView.init)
        flags = record.flags
    }
}

/// One material of an application: handed in, still owed, or satisfied by another department's result.
struct MaterialView: Codable, Sendable, SchemaNamed {
    static let schemaName = "ApplicationMaterial"
    var code: String
    var name: String
    var kind: MaterialKind
    var provided: Bool
    var providedAt: Date?
    var documentID: String?

    init(_ material: ApplicationMaterial) {
        code = material.code
        name = material.name
        kind = material.kind
        provided = material.provided
        providedAt = material.providedAt
        documentID = material.documentID?.rawValue
    }
}

/// What an applicant still owes under 容缺 or 容缓, and by when.
struct ObligationView: Codable, Sendable, SchemaNamed {
    static let schemaName = "Obligation"
    var id: String
    var kind: ApplicationMode
    var items: [String]
    var state: ObligationState
    var deadline: Date
    var remindAt: Date?
    var rectificationDeadline: Date?
    var createdAt: Date
    var closedAt: Date?

    init(_ obligation: Obligation) {
        id = obligation.id
        kind = obligation.kind
        items = obligation.items
        state = obligation.state
        deadline = obligation.deadline
        remindAt = obligation.remindAt
        rectificationDeadline = obligation.rectificationDeadline
        createdAt = obligation.createdAt
        closedAt = obligation.closedAt
    }
}

/// The 容缺 commitment: the text an applicant signs, or has signed.
struct CommitmentView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "Commitment"
    var items: [String]
    var deadline: Date
    var consequences: String
    var tier: Int
    var method: String
    var signedAt: Date

    init(_ commitment: Commitment) {
        items = commitment.items
        deadline = commitment.deadline
        consequences = commitment.consequences
        tier = commitment.tier
        method = commitment.method
        signedAt = commitment.signedAt
    }
}

/// A seal or root key with its certificate and lifecycle (never the private key).
struct SigningKeyView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "SigningKeyInfo"
    var kid: String
    var role: KeyRole
    var departmentCode: String?
    var algorithm: String
    var status: KeyStatus
    var certificatePEM: String
    var notBefore: Date
    var notAfter: Date
    var activateAt: Date?
    var retiredAt: Date?
    var revokedAt: Date?
    var revokedNotAfter: Date?
    var revocationReason: String?
    var usageCount: Int
    var maxUses: Int?
    var maxAgeSeconds: Int?
    var warning: String?

    init(_ key: SigningKeyInfo) {
        kid = key.kid
        role = key.role
        departmentCode = key.departmentCode
        algorithm = key.algorithm
        status = key.status
        certificatePEM = key.certificatePEM
        notBefore = key.notBefore
        notAfter = key.notAfter
        activateAt = key.activateAt
        retiredAt = key.retiredAt
        revokedAt = key.revokedAt
        revokedNotAfter = key.revokedNotAfter
        revocationReason = key.revocationReason
        usageCount = key.usageCount
        maxUses = key.maxUses
        maxAgeSeconds = key.maxAgeSeconds
        warning = key.warning
    }
}

/// An API credential (never its secret).
struct CredentialView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "CredentialInfo"
    var id: String
    var departmentCode: String
    var label: String
    var scopes: [String]
    var createdAt: Date
    var revokedAt: Date?

    init(_ credential: CredentialInfo) {
        id = credential.id
        departmentCode = credential.departmentCode
        label = credential.label
        scopes = credential.scopes
        createdAt = credential.createdAt
        revokedAt = credential.revokedAt
    }
}

/// A department and its active seal key.
struct DepartmentView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "Department"
    var code: String
    var name: String
    var createdAt: Date
    var activeKid: String?

    init(_ department: Department) {
        code = department.code
        name = department.name
        createdAt = department.createdAt
        activeKid = department.activeKid
    }
}

/// A recorded credit event and what it weighs.
struct CreditEventView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "CreditEvent"
    var id: Int64
    var subject: String
    var type: String
    var points: Int
    var serious: Bool
    var directD: Bool
    var basis: String
    var effectiveAt: Date
    var expiresAt: Date
    var repairs: Int64?
    var source: String
    var reference: String?
    var recordedAt: Date
    var recordedBy: String

    init(_ event: CreditEvent) {
        id = event.id
        subject = event.subject
        type = event.type
        points = event.points
        serious = event.serious
        directD = event.directD
        basis = event.basis
        effectiveAt = event.effectiveAt
        expiresAt = event.expiresAt
        repairs = event.repairs
        source = event.source
        reference = event.reference
        recordedAt = event.recordedAt
        recordedBy = event.recordedBy
    }
}

/// A device key an applicant registered (the public part's id, never the key).
struct DeviceKeyView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "DeviceKeyInfo"
    var deviceId: String
    var label: String
    var tier: Int
    var createdAt: Date
    var revokedAt: Date?

    init(_ device: DeviceKeyInfo) {
        deviceId = device.deviceId
        label = device.label
        tier = device.tier
        createdAt = device.createdAt
        revokedAt = device.revokedAt
    }
}

/// One identity check of an applicant: how, at what tier, by whom.
struct AssuranceView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "AssuranceRecord"
    var id: Int64
    var subject: String
    var tier: Int
    var method: AssuranceMethod
    var evidence: [String: String]
    var agent: String
    var verifiedAt: Date

    init(_ record: AssuranceRecord) {
        id = record.id
        subject = record.subject
        tier = record.tier
        method = record.method
        evidence = record.evidence
        agent = record.agent
        verifiedAt = record.verifiedAt
    }
}

/// What a credit-event import recorded and what it skipped as already known.
struct CreditImportView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "CreditImportReport"
    var recorded: Int
    var duplicates: Int

    init(_ report: CreditImportReport) {
        recorded = report.recorded
        duplicates = report.duplicates
    }
}

/// The version a catalogue or policy load produced, and whether anything new was stored.
struct ConfigurationVersionView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "ConfigurationVersion"
    var version: Int
    var sha256: String
    var createdBy: String
    var createdAt: Date
    var stored: Bool

    init(_ version: ConfigurationVersion) {
        self.version = version.version
        sha256 = version.sha256
        createdBy = version.createdBy
        createdAt = version.createdAt
        stored = version.stored
    }
}

/// A challenge for a registered device key to sign.
struct DeviceChallengeView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "DeviceChallenge"
    var challengeId: String
    var deviceId: String
    var nonce: String
    var expiresAt: Date

    init(_ challenge: DeviceChallenge) {
        challengeId = challenge.challengeId
        deviceId = challenge.deviceId
        nonce = challenge.nonce
        expiresAt = challenge.expiresAt
    }
}

/// A remote identity check waiting for a clerk, as the clerk sees it (the ID number masked).
struct PendingVerificationView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "PendingVerification"
    var verificationId: String
    var method: AssuranceMethod
    var status: String
    var registryMatch: Bool
    var idNumberMasked: String?
    var name: String?
    var expiresAt: Date

    init(_ pending: PendingVerification) {
        verificationId = pending.verificationId
        method = pending.method
        status = pending.status
        registryMatch = pending.registryMatch
        idNumberMasked = pending.idNumberMasked
        name = pending.name
        expiresAt = pending.expiresAt
    }
}

/// Whether a person's latest identity check reaches a tier.
struct TierCheckView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "TierCheck"
    var meets: Bool
    var minimumTier: Int
    var verifiedAt: Date?

    init(_ check: TierCheck) {
        meets = check.meets
        minimumTier = check.minimumTier
        verifiedAt = check.verifiedAt
    }
}

/// What the registry holds about the applicant: their own data, shown to them in full.
struct PersonalDataView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "PersonalData"
    var idNumber: String
    var name: String
    var phone: String
    var cardValidFrom: String
    var cardValidUntil: String

    init(_ data: PersonalData) {
        idNumber = data.idNumber
        name = data.name
        phone = data.phone
        cardValidFrom = data.cardValidFrom
        cardValidUntil = data.cardValidUntil
    }
}

/// A subject's credit level with the events behind it.
struct CreditHistoryView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "CreditHistory"
    var assessment: CreditAssessmentView
    var events: [CreditEventView]

    init(_ history: CreditHistory) {
        assessment = CreditAssessmentView(history.assessment)
        events = history.events.map(CreditEventView.init)
    }
}

/// A credit level on a date and what it allows.
struct CreditAssessmentView: Codable, Sendable, SchemaNamed {
    static let schemaName = "CreditAssessment"
    var subject: String
    var level: CreditLevel
    var score: Int
    var asOf: Date
    var policyVersion: Int
    var unrepairedSerious: Bool
    var trustApproval: TrustApprovalAvailability

    init(_ assessment: CreditAssessment) {
        subject = assessment.subject
        level = assessment.level
        score = assessment.score
        asOf = assessment.asOf
        policyVersion = assessment.policyVersion
        unrepairedSerious = assessment.unrepairedSerious
        trustApproval = assessment.trustApproval
    }
}

/// A root renewal: the new root and the two link certificates that let verifiers cross from one root to the other.
struct RootRenewalView: APIAnswer, Codable, Sendable, SchemaNamed {
    static let schemaName = "RootRenewal"
    var root: RootView
    var previousKid: String
    var newWithOldPEM: String
    var oldWithNewPEM: String
    var warning: String?

    init(_ renewal: RootRenewal) {
        root = RootView(renewal.root)
        previousKid = renewal.previousKid
        newWithOldPEM = renewal.newWithOldPEM
        oldWithNewPEM = renewal.oldWithNewPEM
        warning = renewal.warning
    }
}

/// A district root with its certificate.
struct RootView: Codable, Sendable, SchemaNamed {
    static let schemaName = "RootInfo"
    var kid: String
    var status: String
    var algorithm: String
    var certificatePEM: String
    var notBefore: Date
    var notAfter: Date
    var createdAt: Date

    init(_ root: RootInfo) {
        kid = root.kid
        status = root.status.rawValue
        algorithm = root.algorithm
        certificatePEM = root.certificatePEM
        notBefore = root.notBefore
        notAfter = root.notAfter
        createdAt = root.createdAt
    }
}

/// An online signing key with its certificate (docs/keys.md, "The root offline").
struct OnlineKeyView: Codable, Sendable, SchemaNamed {
    static let schemaName = "OnlineKeyInfo"
    var kid: String
    var rootKid: String
    /// `current` or `previous`.
    var status: String
    var inToken: Bool
    var certificatePEM: String
    var notBefore: Date
    var notAfter: Date
    var createdAt: Date

    init(_ key: OnlineKeyInfo) {
        kid = key.kid
        rootKid = key.rootKid
        status = key.status.rawValue
        inToken = key.inToken
        certificatePEM = key.certificatePEM
        notBefore = key.notBefore
        notAfter = key.notAfter
        createdAt = key.createdAt
    }
}

/// The matter catalogue is answered as the document it is: the same YAML/JSON format `PUT /v1/catalogue` loads,
/// specified in docs/credit.md, so a department can fetch, edit and load it back.
extension MatterCatalogue: APIAnswer {}

/// A labelled line of a result document, in an issuance body and in a document's answer.
struct FieldView: Codable, Sendable, SchemaNamed {
    static let schemaName = "ResultField"
    var label: String
    var value: String

    init(_ field: ResultField) {
        label = field.label
        value = field.value
    }

    /// The document's field.
    var field: ResultField { ResultField(label: label, value: value) }
}

/// The clerk who made a check, as a window or video station reports them.
struct ClerkBody: Decodable, Sendable, SchemaNamed {
    static let schemaName = "ClerkIdentity"
    var id: String
    var name: String

    var clerk: ClerkIdentity { ClerkIdentity(id: id, name: name) }
}

/// What the window's card reader read from the ID card's chip.
struct CardBody: Decodable, Sendable, SchemaNamed {
    static let schemaName = "CardRead"
    var idNumber: String
    var name: String
    var validFrom: String
    var validUntil: String

    var card: CardRead { CardRead(idNumber: idNumber, name: name, validFrom: validFrom, validUntil: validUntil) }
}

/// The session holder as the registry knows them, masked where they do not need to see it in full.
struct PersonSummaryView: Codable, Sendable, SchemaNamed {
    static let schemaName = "PersonSummary"
    var subject: String
    var idNumberMasked: String
    var name: String
    var phoneMasked: String
    var cardValidFrom: String
    var cardValidUntil: String
    var createdAt: Date
    var updatedAt: Date

    init(_ person: PersonSummary) {
        subject = person.subject
        idNumberMasked = person.idNumberMasked
        name = person.name
        phoneMasked = person.phoneMasked
        cardValidFrom = person.cardValidFrom
        cardValidUntil = person.cardValidUntil
        createdAt = person.createdAt
        updatedAt = person.updatedAt
    }
}

/// A registry line refused by an import, by number and reason (never its content).
struct RejectedLineView: Codable, Sendable, SchemaNamed {
    static let schemaName = "RegistryCSV.Rejection"
    var line: Int
    var reason: String

    init(_ rejection: RegistryCSV.Rejection) {
        line = rejection.line
        reason = rejection.reason
    }
}

/// Applications submitted in one month.
struct MonthView: Codable, Sendable, SchemaNamed {
    static let schemaName = "VolumeFigures.Month"
    var month: String
    var submitted: Int

    init(_ month: VolumeFigures.Month) {
        self.month = month.month
        submitted = month.submitted
    }
}
