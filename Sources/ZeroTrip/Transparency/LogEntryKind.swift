/// What a transparency log entry records: its `kind` member and column. Named once here, as the kinds are part of
/// the entry bytes every monitor hashes (docs/transparency-log.md lists them; TransparencyLogTests checks the list).
public struct LogEntryKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// `document.issued`, as stored and hashed.
    public let rawValue: String

    /// A kind by its stored text.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The stored text.
    public var description: String { rawValue }

    /// A document's issuance: its first leaf, the one its inclusion proof (and the QR page's check) is for.
    public static let documentIssued = LogEntryKind(rawValue: "document.issued")
    /// A document revoked.
    public static let documentRevoked = LogEntryKind(rawValue: "document.revoked")
    /// A document replaced by a re-issue.
    public static let documentSuperseded = LogEntryKind(rawValue: "document.superseded")
    /// A seal key made (pending until its activation time).
    public static let keyCreated = LogEntryKind(rawValue: "key.created")
    /// A seal key began signing.
    public static let keyActivated = LogEntryKind(rawValue: "key.activated")
    /// A seal key stopped signing after a rotation.
    public static let keyRetired = LogEntryKind(rawValue: "key.retired")
    /// A seal key revoked.
    public static let keyRevoked = LogEntryKind(rawValue: "key.revoked")
    /// The district root renewed, cross-signed with the previous one.
    public static let rootRenewed = LogEntryKind(rawValue: "root.renewed")
    /// An online signing key certified by the root: from then on it signs lists and tree heads.
    public static let onlineKeyCertified = LogEntryKind(rawValue: "root.online_key_certified")

    /// Every kind the code appends.
    public static let all: [LogEntryKind] = [
        .documentIssued, .documentRevoked, .documentSuperseded, .keyCreated, .keyActivated, .keyRetired, .keyRevoked, .rootRenewed,
        .onlineKeyCertified,
    ]
}

extension LogEntryKind: SQLValueConvertible {}
