public import Foundation
import ZeroTripCrypto

/// A live applicant session.
public struct ApplicantSession: Sendable, Hashable {
    /// Session id (32 hex digits).
    public var id: String
    /// The person's opaque subject id.
    public var subject: String
    /// Assurance tier the session carries (1–3).
    public var tier: Int
    /// How it was opened: `sms`, `video`, `window_card` or `device_key`.
    public var method: String
    /// The device key used, for device-key sessions.
    public var deviceID: String?
    /// Opened.
    public var createdAt: Date
    /// Absolute end.
    public var expiresAt: Date
    /// Idle limit in seconds.
    public var idleTimeout: TimeInterval
    /// Audit actor: `applicant:<subject>`.
    public var actor: String { "applicant:\(subject)" }
}

/// A new session and its bearer token (shown once).
public struct IssuedSession: Sendable, Hashable {
    /// `zta1.<payload>.<mac>`.
    public var token: String
    /// The session.
    public var session: ApplicantSession
}

/// Applicant sessions: signed, short-lived bearer tokens that carry subject and tier, backed by a row
/// that enforces idle and absolute lifetimes by tier and can be ended.
///
/// Token: `zta1.` ‖ base64url(JSON {sid, sub, tier, iat, exp}) ‖ `.` ‖ base64url(HMAC-SHA-256(session key, everything before the second dot)).
public struct ApplicantSessions: Sendable {
    let database: AppDatabase
    let keySource: IdentityKeySource
    let clock: ZeroTripClock
    let policy: IdentityPolicy

    /// Longest token accepted before parsing.
    public static let maximumTokenLength = 512
    static let prefix = "zta1."
    /// `last_seen_at` is written at most this often per session.
    static let touchInterval: TimeInterval = 30

    struct Payload: Codable {
        var sid: String
        var sub: String
        var tier: Int
        var iat: Int64
        var exp: Int64
    }

    /// Opens a session inside the caller's write transaction.
    func create(subject: String, tier: Int, method: String, deviceID: String?, at now: Date, in db: SQLTransaction) throws -> IssuedSession {
        let keys = try keySource.keys()
        let id = Hex.encode(try withCrypto("generating a session id") { () throws(CryptoError) in try SecureRandom.bytes(count: 16) })
        let lifetime = policy.lifetime(tier: tier)
        let expires = now.addingTimeInterval(lifetime.absolute)
        try db.execute(
            sql: """
                INSERT INTO applicant_sessions (id, person_id, tier, method, device_id, created_at, expires_at, idle_seconds, last_seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, subject, tier, method, deviceID, now, expires, Int(lifetime.idle), now])
        let payload = Payload(sid: id, sub: subject, tier: tier, iat: Int64(now.timeIntervalSince1970), exp: Int64(expires.timeIntervalSince1970))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = Self.prefix + Base64.encodeURLSafe(Array(try encoder.encode(payload)))
        let token = body + "." + Base64.encodeURLSafe(HMAC.sha256(key: keys.sessions, Array(body.utf8)))
        return IssuedSession(
            token: token,
            session: ApplicantSession(
                id: id, subject: subject, tier: tier, method: method, deviceID: deviceID,
                createdAt: now, expiresAt: expires, idleTimeout: lifetime.idle))
    }

    /// The live session behind `token`, or `session_invalid`: forged, malformed, past its absolute or
    /// idle lifetime, or ended. Each use counts as activity for the idle limit.
    public func authenticate(token: String) async throws -> ApplicantSession {
        let invalid = ZeroTripError(.sessionInvalid, "the applicant session is invalid or has expired; verify again")
        guard token.utf8.count <= Self.maximumTokenLength, token.hasPrefix(Self.prefix) else { throw invalid }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let mac = Base64.decodeURLSafe(String(parts[2])), mac.count == 32 else { throw invalid }
        let body = Array("\(parts[0]).\(parts[1])".utf8)
        guard ConstantTime.equals(HMAC.sha256(key: try keySource.keys().sessions, body), mac),
            let json = Base64.decodeURLSafe(String(parts[1])), let payload = try? JSONDecoder().decode(Payload.self, from: Data(json))
        else { throw invalid }
        let now = clock.now()
        guard Double(payload.exp) > now.timeIntervalSince1970 else { throw invalid }
        guard
            let row = try await database.read({ db in
                try db.fetchOne(
                    sql: """
                        SELECT person_id, tier, method, device_id, created_at, expires_at, idle_seconds, last_seen_at, ended_at FROM applicant_sessions WHERE id = ?
                        """, arguments: [payload.sid])
            })
        else { throw invalid }
        let lastSeen: Date = row["last_seen_at"], expires: Date = row["expires_at"]
        let idle = TimeInterval(row["idle_seconds"] as Int)
        guard (row["ended_at"] as Date?) == nil, (row["person_id"] as String) == payload.sub else { throw invalid }
        guard expires > now else { throw invalid }
        guard now.timeIntervalSince(lastSeen) <= idle else {
            try await end(id: payload.sid, reason: "idle", at: now)
            throw invalid
        }
        if now.timeIntervalSince(lastSeen) >= Self.touchInterval {
            _ = try await database.write { db in
                try db.execute(
                    sql: "UPDATE applicant_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?", arguments: [now, payload.sid, now])
            }
        }
        return ApplicantSession(
            id: payload.sid, subject: payload.sub, tier: row["tier"], method: row["method"], deviceID: row["device_id"],
            createdAt: row["created_at"], expiresAt: expires, idleTimeout: idle)
    }

    /// Ends session `id` (logout); later use is refused.
    public func end(id: String, reason: String = "logout", at date: Date? = nil) async throws {
        let now = date ?? clock.now()
        try await database.write { db in
            try db.execute(
                sql: "UPDATE applicant_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL", arguments: [now, reason, id])
            if db.changesCount > 0 {
                try AuditLog.append(
                    AuditEntry(actor: "system", action: .identitySessionEnded, target: "session:\(id)", details: ["reason": reason]), at: now,
                    in: db)
            }
        }
    }

    /// Refuses with `step_up_required` unless `session` carries at least `tier`.
    public func require(_ session: ApplicantSession, tier: Int, for action: String) throws(ZeroTripError) {
        guard session.tier >= tier else {
            throw ZeroTripError(
                .stepUpRequired,
                "\(action) needs identity tier \(tier); this session has tier \(session.tier). Verify again at tier \(tier) or higher.")
        }
    }
}
