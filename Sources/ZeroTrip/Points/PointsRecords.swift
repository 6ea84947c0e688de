public import Foundation

/// One scoring run (先赋分): every registered person scored on `asOf` with one policy version.
public struct PointsRun: Sendable, Hashable, Codable {
    /// Run number.
    public var id: Int64
    /// `YYYY-MM` for the scheduled monthly run; nil for a run an admin asked for.
    public var period: String?
    /// The instant scored.
    public var asOf: Date
    /// Policy version used.
    public var policyVersion: Int
    /// Started.
    public var startedAt: Date
    /// Who started it (`system` for the schedule).
    public var startedBy: String
    /// Finished; nil while it runs (or until a runner resumes it).
    public var finishedAt: Date?
    /// Persons scored so far.
    public var persons: Int
}

/// A claim for a reviewed indicator (后申请): the applicant names an option and hands in a proof; a reviewer of the
/// indicator's department approves or rejects it once.
public struct PointsClaim: Sendable, Hashable, Codable {
    /// Claim id (32 hex).
    public var id: String
    /// Person id.
    public var subject: SubjectID
    /// Indicator code.
    public var indicator: String
    /// Option claimed.
    public var option: String
    /// The applicant's statement.
    public var statement: String
    /// Media type of the proof handed in, nil when none was.
    public var evidenceType: String?
    /// The reviewing department.
    public var department: String
    /// Policy version it was claimed under.
    public var policyVersion: Int
    /// Submitted.
    public var submittedAt: Date
    /// `approved` or `rejected`; nil while pending.
    public var decision: String?
    /// The reviewer (`credential:…/clerk:…`).
    public var decidedBy: String?
    /// When decided.
    public var decidedAt: Date?
    /// The reviewer's reason.
    public var reason: String?
}

/// A dispute of one scored item (复核): of a scoring run's item, or of a claim's decision. A second reviewer — never
/// the one who decided the claim — upholds the score or corrects it, once.
public struct PointsDispute: Sendable, Hashable, Codable {
    /// Dispute id (32 hex).
    public var id: String
    /// Person id.
    public var subject: SubjectID
    /// Indicator code.
    public var indicator: String
    /// The run whose item is disputed.
    public var run: Int64?
    /// The claim whose decision is disputed.
    public var claim: String?
    /// Policy version of the disputed score.
    public var policyVersion: Int
    /// The points disputed.
    public var disputedPoints: Int
    /// The applicant's reason.
    public var reason: String
    /// The department deciding.
    public var department: String
    /// Who decided the claim (the second reviewer must be someone else).
    public var firstReviewer: String?
    /// Filed.
    public var filedAt: Date
    /// `upheld` or `corrected`; nil while pending.
    public var outcome: String?
    /// Points decided on review (corrected).
    public var points: Int?
    /// The second reviewer.
    public var decidedBy: String?
    /// When decided.
    public var decidedAt: Date?
    /// The reviewer's reason.
    public var decisionReason: String?
}

/// What a scoring run did.
public struct PointsRunReport: Sendable, Hashable, Codable {
    /// The run.
    public var run: PointsRun
    /// Persons scored by this call (a resumed run counts only the rest).
    public var scored: Int
    /// Persons left out by this call because their registry record could not be read (audited one by one).
    public var skipped: Int
    /// Whether this call found the run already finished (nothing done).
    public var alreadyFinished: Bool
}
