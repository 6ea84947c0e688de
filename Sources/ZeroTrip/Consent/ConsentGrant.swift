public import Foundation

/// How a consent grant was given.
public enum ConsentChannel: String, Sendable, Codable, Hashable, CaseIterable {
    /// By the applicant, signed in on their phone (the API or the applicant pages).
    case app
    /// At a window, recorded by the clerk with the session's assurance tier.
    case window
}

/// How long a consent grant lasts.
public enum ConsentLifetime: String, Sendable, Codable, Hashable, CaseIterable {
    /// A number of days the person chose.
    case days
    /// The life of one application (the default): bound to the application it is given for or first used in, it
    /// ends when that application ends (closed, rejected or terminated). Until it is bound it lapses after
    /// ``ConsentService/defaultDays`` days, so an unused grant does not stay open.
    case application
}

/// A person's consent that one department may use their results of named types for one purpose (a matter), for a
/// time: the DigiLocker model, where requesters see a citizen's issued documents only through the citizen's consent.
/// Grants are never deleted; withdrawing one records when and by whom.
public struct ConsentGrant: Sendable, Hashable, Codable {
    /// 32 lowercase hex digits.
    public var id: String
    /// Whose consent: a person, or an organisation whose legal representative gave it.
    public var subject: SubjectID
    /// The department allowed to use the results.
    public var department: String
    /// The purpose: the department's matter the results are for.
    public var matter: String
    /// Result types (matter codes of the results) the department may use.
    public var resultTypes: [String]
    /// When it was given.
    public var grantedAt: Date
    /// When it ends.
    public var expiresAt: Date
    /// Phone or window.
    public var channel: ConsentChannel
    /// Who recorded it: the applicant's session actor, or `credential:<id>/clerk:<no>` at a window.
    public var grantedBy: String
    /// The assurance tier of the session it was given in.
    public var assuranceTier: Int
    /// When it was withdrawn, if it was.
    public var withdrawnAt: Date?
    /// Who withdrew it.
    public var withdrawnBy: String?
    /// Days, or the life of one application.
    public var lifetime: ConsentLifetime = .days
    /// The application it is for, once bound (``ConsentLifetime/application`` grants only).
    public var application: String?
    /// When the application it was bound to ended, ending the grant.
    public var endedAt: Date?

    /// Whether the grant allows use at `date`: not withdrawn, not ended with its application, and either bound to
    /// an application still open (an application-long grant) or before `expiresAt`.
    public func isLive(at date: Date) -> Bool {
        // (Not compared with `grantedAt`: stored to the millisecond, it may read a fraction later than the instant
        // it was given at.)
        guard withdrawnAt == nil, endedAt == nil else { return false }
        return (lifetime == .application && application != nil) || date < expiresAt
    }
}

/// One result a department reused under a consent grant, with the register's verification answer.
public struct ReusedDocument: Sendable {
    /// The register entry (fields included: what the department needs instead of the paper).
    public var record: ResultDocumentRecord
    /// The verification answer at the time of use.
    public var verification: VerificationReport
    /// The exact signed PDF, when asked for.
    public var pdf: [UInt8]?
}

/// What a pull returns: the grant it was made under and the person's valid results of the granted types.
public struct ReuseResult: Sendable {
    /// The grant used.
    public var grant: ConsentGrant
    /// The results, newest first.
    public var documents: [ReusedDocument]
}
