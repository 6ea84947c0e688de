/// Whom a credit event, an application, a rating, a complaint, a need or a points score is about: a person of the
/// population registry (`person:<opaque registry id>`) or an organization (`organization:<unified social credit
/// code>`). The text form is what the tables store and the audit log names as a target; this type is the one place
/// that spells it, so nothing builds or parses the prefixes by hand.
public struct SubjectID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// `person:…` or `organization:…` as stored.
    public let rawValue: String

    /// Any stored text; ``personID`` and ``organizationCode`` say which kind it names, if either.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Registry person `id` (an applicant session's subject).
    public static func person(_ id: String) -> SubjectID { SubjectID(rawValue: personPrefix + id) }

    /// The organization with unified social credit code `code`.
    public static func organization(_ code: String) -> SubjectID { SubjectID(rawValue: organizationPrefix + code) }

    /// The registry id when this names a person.
    public var personID: String? { rawValue.hasPrefix(Self.personPrefix) ? String(rawValue.dropFirst(Self.personPrefix.count)) : nil }

    /// The unified social credit code when this names an organization.
    public var organizationCode: String? {
        rawValue.hasPrefix(Self.organizationPrefix) ? String(rawValue.dropFirst(Self.organizationPrefix.count)) : nil
    }

    /// `person:…`: the form stored and audited.
    public var description: String { rawValue }

    static let personPrefix = "person:"
    static let organizationPrefix = "organization:"

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension ApplicantSession {
    /// The person this session is of, as a subject of applications, ratings, complaints, needs and points.
    public var subjectID: SubjectID { .person(subject) }
}

extension SubjectID: SQLValueConvertible {}
