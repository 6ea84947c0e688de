/// A permission a department credential may carry.
public struct Scope: Hashable, Sendable, Codable, RawRepresentable, CustomStringConvertible, Comparable {
    /// Stable string form, e.g. `documents:issue`.
    public let rawValue: String
    /// Creates a scope from its string form (use ``parse(_:)`` to validate input).
    public init(rawValue: String) { self.rawValue = rawValue }
    /// String form.
    public var description: String { rawValue }
    /// Orders by string form.
    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }

    /// District administration: departments, credentials, keys, trust list.
    public static let admin = Scope(rawValue: "admin")
    /// Issue result documents for one's own department.
    public static let documentsIssue = Scope(rawValue: "documents:issue")
    /// Verify result documents and read the department directory.
    public static let documentsVerify = Scope(rawValue: "documents:verify")
    /// Read applicants' credit levels at a window.
    public static let creditRead = Scope(rawValue: "credit:read")
    /// Ask whether a person is verified at a tier.
    public static let identityRead = Scope(rawValue: "identity:read")
    /// Attest identity checks as a clerk.
    public static let identityAttest = Scope(rawValue: "identity:attest")
    /// Process applications at a window: submit, commitments, accept, review, approve, issue results, fulfil obligations.
    public static let applicationsProcess = Scope(rawValue: "applications:process")
    /// Read and verify the audit log.
    public static let auditRead = Scope(rawValue: "audit:read")
    /// Reuse a person's results of other departments for a matter of one's own, under the person's consent.
    public static let documentsReuse = Scope(rawValue: "documents:reuse")

    /// Read the district's internal figures (ratings by department and clerk…), for supervisors.
    public static let statisticsRead = Scope(rawValue: "statistics:read")

    /// Review residents' points claims and disputes (后申请, 复核) for indicators the department decides.
    public static let pointsReview = Scope(rawValue: "points:review")

    /// Every scope ZeroTrip knows.
    public static let all: [Scope] = [
        .admin, .documentsIssue, .documentsVerify, .creditRead, .identityRead, .identityAttest, .applicationsProcess, .auditRead,
        .documentsReuse, .statisticsRead, .pointsReview,
    ]

    /// Parses a comma-separated list, refusing unknown or empty scopes.
    public static func parse(_ list: String) throws(ZeroTripError) -> Set<Scope> {
        let parts = list.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        guard !parts.isEmpty else {
            throw ZeroTripError(.invalidInput, "at least one scope is required (\(all.map(\.rawValue).joined(separator: ", ")))")
        }
        var scopes = Set<Scope>()
        for part in parts {
            let scope = Scope(rawValue: part)
            guard all.contains(scope) else {
                throw ZeroTripError(.invalidInput, "unknown scope \"\(part.prefix(40))\"; known: \(all.map(\.rawValue).joined(separator: ", "))")
            }
            scopes.insert(scope)
        }
        return scopes
    }
}
