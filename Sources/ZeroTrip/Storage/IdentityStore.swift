import Foundation

/// What identity proofing records (`verification_flows`, `auth_counters`, `assurance_records`, `device_keys`,
/// `device_challenges`), and
/// all their SQL. Secrets and codes are stored only as keyed hashes, persons only by keyed lookup hash or subject id.
/// Methods run in the caller's transaction.
enum IdentityStore {
    // MARK: Verification flows

    /// A verification flow's row.
    struct FlowRow: Sendable {
        var id: String
        var secretHash: [UInt8]
        var method: AssuranceMethod
        var subjectLookup: [UInt8]
        var personID: String?
        var codeHash: [UInt8]?
        var status: String
        var expiresAt: Date
        var assuranceID: Int64?
    }

    /// A new flow.
    struct NewFlow: Sendable {
        var id: String
        var secretHash: [UInt8]
        var method: AssuranceMethod
        var subjectLookup: [UInt8]
        var personID: String?
        var codeHash: [UInt8]?
        var status: String
        var createdAt: Date
        var expiresAt: Date
        var completedAt: Date?
        var assuranceID: Int64?
        var client: String
    }

    /// Records a flow.
    static func insert(_ flow: NewFlow, in db: SQLTransaction) throws {
        try db.execute(
            sql: """
                INSERT INTO verification_flows (id, secret_hash, method, subject_lookup, person_id, code_hash, status, created_at, expires_at, completed_at,
                    assurance_id, client)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                flow.id, Data(flow.secretHash), flow.method.rawValue, Data(flow.subjectLookup), flow.personID, flow.codeHash.map { Data($0) },
                flow.status, flow.createdAt, flow.expiresAt, flow.completedAt, flow.assuranceID, flow.client,
            ])
    }

    /// Flow `id` (lower-cased).
    static func flow(_ id: String, in db: SQLTransaction) throws -> FlowRow? {
        try db.fetchOne(
            sql: """
                SELECT id, secret_hash, method, subject_lookup, person_id, code_hash, status, expires_at, assurance_id FROM verification_flows WHERE id = ?
                """, arguments: [id.lowercased()]
        ).map {
            FlowRow(
                id: $0["id"], secretHash: [UInt8]($0["secret_hash"] as Data), method: AssuranceMethod(rawValue: $0["method"]) ?? .sms,
                subjectLookup: [UInt8]($0["subject_lookup"] as Data), personID: $0["person_id"],
                codeHash: ($0["code_hash"] as Data?).map { [UInt8]($0) },
                status: $0["status"], expiresAt: $0["expires_at"], assuranceID: $0["assurance_id"])
        }
    }

    /// Moves flow `id` to `status`, stamping its completion and assurance record when given.
    static func setStatus(_ id: String, to status: String, completedAt: Date? = nil, assuranceID: Int64? = nil, in db: SQLTransaction) throws {
        try db.execute(
            sql: """
                UPDATE verification_flows SET status = ?, completed_at = COALESCE(?, completed_at), assurance_id = COALESCE(?, assurance_id) WHERE id = ?
                """, arguments: [status, completedAt, assuranceID, id])
    }

    /// SMS flows for lookup hash `lookup` started after `since`: how many, and the newest's time.
    static func recentSMS(lookup: [UInt8], since: Date, in db: SQLTransaction) throws -> (count: Int, last: Date?) {
        let row = try db.fetchOne(
            sql: """
                SELECT COUNT(*) AS n, MAX(created_at) AS last FROM verification_flows WHERE subject_lookup = ? AND method = 'sms' AND created_at > ?
                """, arguments: [Data(lookup), since])
        return (row?["n"] ?? 0, row?["last"])
    }

    // MARK: Failure counters

    /// The failure counter of (person, method).
    static func counter(lookup: [UInt8], method: AssuranceMethod, in db: SQLTransaction) throws -> (failures: Int, lockouts: Int, lockedUntil: Date?)?
    {
        try db.fetchOne(
            sql: "SELECT failures, lockouts, locked_until FROM auth_counters WHERE subject_lookup = ? AND method = ?",
            arguments: [Data(lookup), method.rawValue]
        ).map { (failures: $0["failures"], lockouts: $0["lockouts"], lockedUntil: $0["locked_until"]) }
    }

    /// Stores the failure counter of (person, method).
    static func saveCounter(
        lookup: [UInt8], method: AssuranceMethod, failures: Int, lockouts: Int, lockedUntil: Date?, at now: Date, in db: SQLTransaction
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO auth_counters (subject_lookup, method, failures, lockouts, locked_until, last_failure_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (subject_lookup, method) DO UPDATE SET failures = excluded.failures, lockouts = excluded.lockouts,
                    locked_until = excluded.locked_until, last_failure_at = excluded.last_failure_at
                """, arguments: [Data(lookup), method.rawValue, failures, lockouts, lockedUntil, now])
    }

    /// Forgets the failures and lockout of (person, method).
    static func clearCounter(lookup: [UInt8], method: AssuranceMethod, in db: SQLTransaction) throws {
        try db.execute(sql: "DELETE FROM auth_counters WHERE subject_lookup = ? AND method = ?", arguments: [Data(lookup), method.rawValue])
    }

    // MARK: Assurance records

    /// Records an identity check; returns its id.
    static func insertAssurance(
        subject: String, tier: Int, method: AssuranceMethod, evidenceJSON: String, agent: String, at now: Date,
        in db: SQLTransaction
    ) throws -> Int64 {
        try db.fetchValue(
            Int64.self,
            sql: "INSERT INTO assurance_records (person_id, tier, method, evidence, agent, verified_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            arguments: [subject, tier, method.rawValue, evidenceJSON, agent, now])
    }

    /// The tier of assurance record `id`.
    static func tier(ofAssurance id: Int64, in db: SQLTransaction) throws -> Int? {
        try db.fetchOne(Int.self, sql: "SELECT tier FROM assurance_records WHERE id = ?", arguments: [id])
    }

    /// Every assurance record of `subject`, newest first.
    static func assuranceRecords(subject: String, in db: SQLTransaction) throws -> [AssuranceRecord] {
        try db.fetchAll(sql: "SELECT * FROM assurance_records WHERE person_id = ? ORDER BY verified_at DESC, id DESC", arguments: [subject]).map {
            AssuranceRecord(
                id: $0["id"], subject: $0["person_id"], tier: $0["tier"], method: AssuranceMethod(rawValue: $0["method"]) ?? .sms,
                evidence: (try? JSONDecoder().decode([String: String].self, from: Data(($0["evidence"] as String).utf8))) ?? [:],
                agent: $0["agent"], verifiedAt: $0["verified_at"])
        }
    }

    /// The newest assurance record of `subject` at `minimumTier` or higher.
    static func latestAssurance(subject: String, minimumTier: Int, in db: SQLTransaction) throws -> Int64? {
        try db.fetchOne(
            Int64.self,
            sql: """
                SELECT id FROM assurance_records WHERE person_id = ? AND tier >= ? ORDER BY verified_at DESC, id DESC LIMIT 1
                """, arguments: [subject, minimumTier])
    }

    /// When the person with lookup hash `lookup` was last verified at `minimumTier` or higher, since `since`.
    static func lastVerified(lookup: [UInt8], minimumTier: Int, since: Date, in db: SQLTransaction) throws -> Date? {
        try db.fetchOne(
            Date.self,
            sql: """
                SELECT MAX(a.verified_at) FROM assurance_records a JOIN persons p ON p.id = a.person_id
                WHERE p.id_lookup = ? AND a.tier >= ? AND a.verified_at >= ?
                """, arguments: [Data(lookup), minimumTier, since])
    }

    // MARK: Device keys

    /// How many devices of `subject` are not revoked.
    static func activeDeviceCount(subject: String, in db: SQLTransaction) throws -> Int {
        try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM device_keys WHERE person_id = ? AND revoked_at IS NULL", arguments: [subject]) ?? 0
    }

    /// Whether device `id` was ever bound (a key binds once).
    static func deviceExists(_ id: String, in db: SQLTransaction) throws -> Bool {
        try db.fetchOne(Bool.self, sql: "SELECT EXISTS(SELECT 1 FROM device_keys WHERE id = ?)", arguments: [id]) ?? false
    }

    /// Binds a device key.
    static func insertDevice(
        id: String, subject: String, publicKey: [UInt8], label: String, tier: Int, assuranceID: Int64, at now: Date,
        in db: SQLTransaction
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO device_keys (id, person_id, public_key, label, tier, assurance_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, subject, Data(publicKey), label, tier, assuranceID, now])
    }

    /// The devices of `subject`, oldest first.
    static func devices(subject: String, in db: SQLTransaction) throws -> [DeviceKeyInfo] {
        try db.fetchAll(
            sql: "SELECT id, label, tier, created_at, revoked_at FROM device_keys WHERE person_id = ? ORDER BY created_at", arguments: [subject]
        ).map {
            DeviceKeyInfo(deviceId: $0["id"], label: $0["label"], tier: $0["tier"], createdAt: $0["created_at"], revokedAt: $0["revoked_at"])
        }
    }

    /// Revokes `subject`'s active device `id`; false when there is none.
    static func revokeDevice(_ id: String, subject: String, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: "UPDATE device_keys SET revoked_at = ? WHERE id = ? AND person_id = ? AND revoked_at IS NULL", arguments: [now, id, subject])
        return db.changesCount == 1
    }

    /// Device `id` for a login: its person, key, tier and whether it is revoked.
    static func device(_ id: String, in db: SQLTransaction) throws -> (subject: String, publicKey: [UInt8], tier: Int, revoked: Bool)? {
        try db.fetchOne(sql: "SELECT person_id, public_key, tier, revoked_at FROM device_keys WHERE id = ?", arguments: [id]).map {
            (subject: $0["person_id"], publicKey: [UInt8]($0["public_key"] as Data), tier: $0["tier"], revoked: ($0["revoked_at"] as Date?) != nil)
        }
    }

    // MARK: Device-login challenges

    /// Challenges outstanding at most; beyond it new ones are refused (`rate_limited`) until some expire.
    static let challengeCapacity = 200_000

    /// Stores a challenge; expired ones are removed first, and a full table refuses it.
    static func insertChallenge(_ challenge: DeviceChallenge, now: Date, in db: SQLTransaction) throws {
        try db.execute(sql: "DELETE FROM device_challenges WHERE expires_at <= ?", arguments: [now])
        let outstanding = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM device_challenges") ?? 0
        guard outstanding < challengeCapacity else { throw ZeroTripError(.rateLimited, "too many outstanding login challenges; try again shortly") }
        try db.execute(
            sql: "INSERT INTO device_challenges (id, device_id, nonce, expires_at) VALUES (?, ?, ?, ?)",
            arguments: [challenge.challengeId, challenge.deviceId, challenge.nonce, challenge.expiresAt])
    }

    /// Challenge `id`, if outstanding (expired or not).
    static func challenge(_ id: String, in db: SQLTransaction) throws -> DeviceChallenge? {
        try db.fetchOne(sql: "SELECT id, device_id, nonce, expires_at FROM device_challenges WHERE id = ?", arguments: [id]).map(challenge(from:))
    }

    private static func challenge(from row: SQLRow) -> DeviceChallenge {
        DeviceChallenge(challengeId: row["id"], deviceId: row["device_id"], nonce: row["nonce"], expiresAt: row["expires_at"])
    }

    /// Removes and returns challenge `id`, expired or not: whichever daemon a login reaches, a challenge is used once.
    static func takeChallenge(_ id: String, in db: SQLTransaction) throws -> DeviceChallenge? {
        try db.fetchOne(sql: "DELETE FROM device_challenges WHERE id = ? RETURNING id, device_id, nonce, expires_at", arguments: [id]).map(
            challenge(from:))
    }
}
