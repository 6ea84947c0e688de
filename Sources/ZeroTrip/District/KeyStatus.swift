/// Where a signing key is in its life: the `status` column of `signing_keys` and its history, and the `status` of
/// every key the API and `keys list` show.
public enum KeyStatus: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Made by a rotation, signing from its activation time (the overlap lets verifiers fetch its certificate first).
    case pending
    /// Signing its department's documents (one per department) or, for a root, the district's certificates.
    case active
    /// Replaced by a rotation: documents it signed stay valid.
    case retired
    /// Revoked: documents it signed after its `revokedNotAfter` (or not provably before) are not valid.
    case revoked

    /// The stored text.
    public var description: String { rawValue }
}

/// What a signing key signs: the district `root` (department seal certificates, trust and status lists, tree heads)
/// or a department's `seal` (its documents).
public enum KeyRole: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case root
    case seal

    /// The stored text.
    public var description: String { rawValue }
}

extension KeyStatus: SQLValueConvertible {}

extension KeyRole: SQLValueConvertible {}
