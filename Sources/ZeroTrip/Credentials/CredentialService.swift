public import Foundation
import ZeroTripCrypto

/// The authenticated caller: a department credential and what it may do.
public struct Principal: Sendable, Hashable {
    /// Public credential id (never the secret).
    public var credentialID: String
    /// The department the credential belongs to.
    public var departmentCode: String
    /// The granted scopes.
    public var scopes: Set<Scope>
    /// Audit actor string.
    public var actor: String { "credential:\(credentialID)" }
}

/// A credential's public metadata.
public struct CredentialInfo: Sendable, Hashable, Codable {
    /// Public id.
    public var id: String
    /// Department code.
    public var departmentCode: String
    /// Free-text label.
    public var label: String
    /// Granted scopes, sorted.
    public var scopes: [String]
    /// Creation time.
    public var createdAt: Date
    /// Revocation time, if revoked.
    public var revokedAt: Date?
}

/// A newly created credential: the bearer token is shown exactly once.
public struct IssuedCredential: Sendable {
    /// Public metadata.
    public var info: CredentialInfo
    /// `zt_<id>_<secret>`; store it, ZeroTrip keeps only a hash of the secret.
    public var token: String
}

/// Department credentials: creation, revocation and bearer-token authentication.
///
/// Token format: `zt_<id>_<secret>`, id = 16 hex digits (public), secret = 32 random bytes
/// in unpadded Base64url. The database keeps SHA-256("zerotrip-credential-v1" ‖ secret); the
/// secret has 256 bits of entropy, so a fast hash is enough and lookups stay cheap.
///
/// A credential's stored row is kept in memory for at most ``cacheLifetime`` after it was read, so a department
/// calling at a high rate does not cost a database read per request; a revocation made through this daemon applies
/// to the next request, one made by another process (the CLI) within that lifetime.
public struct CredentialService: Sendable {
    let database: AppDatabase
    let clock: ZeroTripClock
    private let cache = FreshnessCache<String, StoredCredential?>(lifetime: cacheLifetime, capacity: 4096)

    /// How long a credential read from the database is trusted without reading it again.
    public static let cacheLifetime: Duration = .seconds(1)

    /// The row authentication needs (nil when no credential has the id, which is cached too so made-up ids
    /// do not each cost a read).
    private struct StoredCredential: Sendable {
        var secretHash: [UInt8]
        var scopes: Set<Scope>
        var departmentCode: String
        var revoked: Bool
    }

    /// Creates the service.
    public init(database: AppDatabase, clock: ZeroTripClock = .system) {
        self.database = database
        self.clock = clock
    }

    /// Largest token accepted before any parsing.
    public static let maximumTokenLength = 128

    /// Creates a credential for department `code` with `scopes`.
    public func create(department code: String, scopes: Set<Scope>, label: String = "", actor: String) async throws -> IssuedCredential {
        guard !scopes.isEmpty else { throw ZeroTripError(.invalidInput, "at least one scope is required") }
        let label = try Validation.label(label)
        let id = Hex.encode(try withCrypto("generating an id") { () throws(CryptoError) in try SecureRandom.bytes(count: 8) })
        let secret = try withCrypto("generating a secret") { () throws(CryptoError) in try SecureRandom.bytes(count: 32) }
        let now = clock.now()
        let sortedScopes = scopes.sorted().map(\.rawValue)
        try await database.write { db in
            guard let departmentID = try DistrictStore.departmentID(code: code, in: db) else {
                throw ZeroTripError(.unknownDepartment, "no department \(code.prefix(16))")
            }
            try CredentialStore.insert(
                id: id, departmentID: departmentID, label: label, scopes: sortedScopes, secretHash: Self.hash(secret: secret),
                at: now, in: db)
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .credentialCreated, target: "credential:\(id)",
                    details: ["department": code, "scopes": sortedScopes.joined(separator: ",")]), at: now, in: db)
        }
        let canonicalCode = try await database.read { db in try DistrictStore.departments(code: code, in: db).first?.code } ?? code
        return IssuedCredential(
            info: CredentialInfo(id: id, departmentCode: canonicalCode, label: label, scopes: sortedScopes, createdAt: now, revokedAt: nil),
            token: "zt_\(id)_\(Base64.encodeURLSafe(secret))")
    }

    /// Revokes credential `id`; later requests with it are unauthenticated.
    public func revoke(id: String, actor: String) async throws -> CredentialInfo {
        let now = clock.now()
        try await database.write { db in
            guard try CredentialStore.revoke(id, at: now, in: db) else { return }
            try AuditLog.append(AuditEntry(actor: actor, action: .credentialRevoked, target: "credential:\(id)"), at: now, in: db)
        }
        cache.remove(id)
        guard let info = try await list().first(where: { $0.id == id }) else {
            throw ZeroTripError(.unknownCredential, "no credential \(id.prefix(32))")
        }
        return info
    }

    /// Every credential's metadata (never secrets), optionally for one department.
    public func list(department: String? = nil) async throws -> [CredentialInfo] {
        try await database.read { db in try CredentialStore.list(department: department, in: db) }
    }

    /// Authenticates a bearer token. Returns `nil` for anything that is not a live credential;
    /// the caller answers 401 and audits without the token.
    public func authenticate(token: String) async throws -> Principal? {
        guard token.utf8.count <= Self.maximumTokenLength else { return nil }
        let parts = token.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "zt", parts[1].utf8.count == 16, Hex.decode(String(parts[1])) != nil,
            let secret = Base64.decodeURLSafe(String(parts[2])), secret.count == 32
        else { return nil }
        let id = String(parts[1])
        let presented = Self.hash(secret: secret)
        let credential: StoredCredential?
        if let cached = cache.value(for: id) {
            credential = cached
        } else {
            let readAt = cache.now()
            credential = try await database.read { db in try CredentialStore.stored(id, in: db) }.map {
                StoredCredential(
                    secretHash: $0.secretHash, scopes: Set($0.scopes.map(Scope.init(rawValue:))), departmentCode: $0.departmentCode,
                    revoked: $0.revoked)
            }
            cache.store(credential, for: id, readAt: readAt)
        }
        let matches = ConstantTime.equals(presented, credential?.secretHash ?? [UInt8](repeating: 0, count: 32))
        guard let credential, matches, !credential.revoked else { return nil }
        return Principal(credentialID: id, departmentCode: credential.departmentCode, scopes: credential.scopes)
    }

    /// The id part of a token shaped like one, for audit records (never the secret).
    public static func credentialID(inToken token: String) -> String? {
        let parts = token.prefix(maximumTokenLength).split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "zt", parts[1].utf8.count == 16, Hex.decode(String(parts[1])) != nil else { return nil }
        return String(parts[1])
    }

    static func hash(secret: [UInt8]) -> [UInt8] {
        Digest.sha256(Array("zerotrip-credential-v1".utf8) + secret)
    }
}
