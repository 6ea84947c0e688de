public import Hummingbird
public import ZeroTrip

/// One HTTP route and the scope it needs: the server's route table, also used by the
/// authorization test to walk every route.
public struct RouteSpec: Sendable, Hashable, CustomStringConvertible {
    /// Who may call the route.
    public enum Access: Sendable, Hashable {
        /// Anyone, without credentials.
        case `public`
        /// Any valid credential.
        case authenticated
        /// A credential carrying this scope.
        case scope(Scope)
        /// Anyone, without credentials, but rate-limited per client address (applicants starting to verify).
        case applicantPublic
        /// An applicant session of at least this assurance tier.
        case applicant(tier: Int)
    }

    /// HTTP method.
    public let method: HTTPRequest.Method
    /// Path pattern, e.g. `/v1/departments/{code}`.
    public let path: String
    /// Required access.
    public let access: Access

    /// `GET /v1/departments`.
    public var description: String { "\(method) \(path)" }
}
