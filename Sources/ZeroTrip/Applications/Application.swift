public import Foundation

/// How an application is accepted.
public enum ApplicationMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every material is in.
    case standard
    /// 容缺: trust-eligible secondary materials missing; the applicant commits to supply them by a deadline.
    case trust
    /// 容缓: core materials in; the rest follows by a deadline before the result is produced.
    case deferral
}

/// Where an application stands.
public enum ApplicationState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Submitted at a window, not yet accepted.
    case submitted
    /// Accepted (受理): the time limit runs.
    case accepted
    /// Under review.
    case underReview = "under_review"
    /// Approved; the result may be issued.
    case approved
    /// The result document is issued; an obligation may still be open.
    case resultIssued = "result_issued"
    /// Finished.
    case closed
    /// Refused after review (or before acceptance).
    case rejected
    /// Ended because an obligation was not met.
    case terminated

    /// Final states never change.
    public var isFinal: Bool { self == .closed || self == .rejected || self == .terminated }
}

/// Where an obligation stands.
public enum ObligationState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Materials owed by the deadline.
    case open
    /// Deadline missed after the result was issued: a last period before revocation.
    case rectification
    /// Materials handed in.
    case fulfilled
    /// Not met: the matter was terminated or the result revoked.
    case breached
}

/// One material of an application.
public struct ApplicationMaterial: Sendable, Hashable, Codable {
    /// Material code.
    public var code: String
    /// Name.
    public var name: String
    /// Primary or secondary.
    public var kind: MaterialKind
    /// Handed in.
    public var provided: Bool
    /// When it was handed in.
    public var providedAt: Date?
    /// The result document that stands for it, when the applicant let the department reuse one instead of paper.
    public var documentID: DocumentID?
}

/// Missing materials owed by a deadline.
public struct Obligation: Sendable, Hashable, Codable {
    /// Id (32 hex digits).
    public var id: String
    /// 容缺 (`trust`) or 容缓 (`deferral`).
    public var kind: ApplicationMode
    /// Material codes owed.
    public var items: [String]
    /// State.
    public var state: ObligationState
    /// End of the last working day to hand them in.
    public var deadline: Date
    /// When the applicant is reminded.
    public var remindAt: Date?
    /// End of the rectification period, once the deadline is missed with the result already issued.
    public var rectificationDeadline: Date?
    /// Created.
    public var createdAt: Date
    /// Fulfilled or breached.
    public var closedAt: Date?
}

/// The applicant's commitment under 容缺 (告知承诺).
public struct Commitment: Sendable, Hashable, Codable {
    /// Material names promised.
    public var items: [String]
    /// Deadline.
    public var deadline: Date
    /// The consequences the applicant accepted.
    public var consequences: String
    /// Identity tier when signing (≥ 2).
    public var tier: Int
    /// `session:<method>` (applicant's phone) or `window:<assurance id>`.
    public var method: String
    /// Signed.
    public var signedAt: Date
}

/// An application as windows and supervisors see it (the applicant's ID number never appears).
public struct ApplicationRecord: Sendable, Hashable, Codable {
    /// Id (32 hex digits).
    public var id: String
    /// Matter code.
    public var matterCode: String
    /// Catalogue version the application was accepted under.
    public var catalogueVersion: Int
    /// Responsible department.
    public var department: String
    /// `person:<subject id>`.
    public var subject: SubjectID
    /// Applicant's name.
    public var applicantName: String
    /// Mode.
    public var mode: ApplicationMode
    /// State.
    public var state: ApplicationState
    /// Submitted.
    public var submittedAt: Date
    /// Accepted.
    public var acceptedAt: Date?
    /// When the matter's time limit runs out.
    public var timeLimitDue: Date?
    /// The result document.
    public var documentID: DocumentID?
    /// Materials.
    public var materials: [ApplicationMaterial]
    /// The obligation, under 容缺 or 容缓 once accepted.
    public var obligation: Obligation?
    /// The commitment, under 容缺.
    public var commitment: Commitment?
    /// Supervisor flags: `time_limit_exceeded`, `review_stalled`.
    public var flags: [String]
}

/// What a window submits.
public struct NewApplication: Sendable, Hashable, Codable {
    /// Matter code.
    public var matterCode: String
    /// Applicant's citizen ID number (read from the card).
    public var idNumber: String
    /// Applicant's name.
    public var name: String
    /// Mode asked for.
    public var mode: ApplicationMode
    /// Codes of the materials handed in.
    public var provided: [String]
    /// Materials satisfied by the applicant's results of other departments instead of paper: material code →
    /// document id. Each is verified (valid, the applicant's, a type the material accepts) under the applicant's
    /// consent to this department for this matter.
    public var documents: [String: String]

    /// Creates a submission.
    public init(matterCode: String, idNumber: String, name: String, mode: ApplicationMode, provided: [String], documents: [String: String] = [:]) {
        self.matterCode = matterCode
        self.idNumber = idNumber
        self.name = name
        self.mode = mode
        self.provided = provided
        self.documents = documents
    }
}

/// What one sweep did.
public struct SweepReport: Sendable, Hashable, Codable {
    /// Obligations breached before the result: application terminated, credit event recorded.
    public var terminated = 0
    /// Obligations moved into rectification (result already issued).
    public var rectification = 0
    /// Obligations breached after rectification: result revoked, credit event recorded.
    public var revoked = 0
    /// Reminders sent.
    public var reminders = 0
    /// Applications newly flagged for supervisors.
    public var flagged = 0
    /// Notices sent to reviewers and supervisors about stalled reviews.
    public var staffNotices = 0
    /// Obligations whose step failed and was rolled back (retried by the next sweep).
    public var failed = 0
    /// Why, for the first few failures: `obligation:<id>: <error>`, so the log says what to fix (at most 10 kept).
    public var failures: [String] = []
    /// Creates an empty report.
    public init() {}

    /// Adds the counts of one batch (each batch commits in its own transaction).
    mutating func add(_ other: SweepReport) {
        terminated += other.terminated
        rectification += other.rectification
        revoked += other.revoked
        reminders += other.reminders
        flagged += other.flagged
        staffNotices += other.staffNotices
        failed += other.failed
        failures = Array((failures + other.failures).prefix(10))
    }
}
