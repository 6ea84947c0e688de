import Foundation

import ZeroTripCrypto

/// The district's signing keys, root and seals, and their status history (`signing_keys`, `signing_key_history`),
/// and all their SQL. Every status change writes its history row here, which is what the verification caches
/// watch (``AppDatabase/keyChanges``). Methods run in the caller's transaction.
enum SigningKeyStore {
    /// Registers a key with its certificate and encrypted key file, in `status` (active, or pending until `activateAt`).
    static func insert(
        _ certificate: Certificate, departmentID: Int64?, role: KeyRole, algorithm: KeyAlgorithm, keyFile: String,
        status: KeyStatus = .active, activateAt: Date? = nil, at now: Date, in db: SQLTransaction
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO signing_keys (kid, department_id, role, algorithm, status, certificate, key_file, not_before, not_after, created_at, activate_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                certificate.kidHex, departmentID, role, algorithm.rawValue, status, Data(certificate.derRepresentation), keyFile,
                certificate.notValidBefore, certificate.notValidAfter, now, activateAt ?? now,
            ])
        try history(certificate.kidHex, status: status, reason: "created", at: now, in: db)
    }

    /// Retires key `kid` (it never signs again and keeps verifying what it signed).
    static func retire(_ kid: String, reason: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(sql: "UPDATE signing_keys SET status = 'retired', retired_at = ? WHERE kid = ?", arguments: [now, kid])
        db.forget(.keyUsage(kid: kid))
        try history(kid, status: .retired, reason: reason, at: now, in: db)
    }

    /// Makes key `kid` the active one.
    static func activate(_ kid: String, reason: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(sql: "UPDATE signing_keys SET status = 'active' WHERE kid = ?", arguments: [kid])
        db.forget(.keyUsage(kid: kid))
        try history(kid, status: .active, reason: reason, at: now, in: db)
    }

    /// Revokes key `kid` from `notAfter` on.
    static func revoke(_ kid: String, notAfter: Date, reason: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql: "UPDATE signing_keys SET status = 'revoked', revoked_at = ?, revoked_not_after = ?, revocation_reason = ? WHERE kid = ?",
            arguments: [now, notAfter, reason, kid])
        db.forget(.keyUsage(kid: kid))
        try history(kid, status: .revoked, reason: reason, at: now, in: db)
    }

    private static func history(_ kid: String, status: KeyStatus, reason: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql: "INSERT INTO signing_key_history (kid, status, reason, changed_at) VALUES (?, ?, ?, ?)", arguments: [kid, status, reason, now])
    }

    /// Sets the use and age limits of an active or pending seal key; returns its department's code, nil when there is
    /// no such key.
    static func setLimits(_ kid: String, maxUses: Int?, maxAgeSeconds: Int?, in db: SQLTransaction) throws -> String? {
        guard
            let code = try db.fetchOne(
                String.self,
                sql: """
                    SELECT d.code FROM signing_keys k JOIN departments d ON d.id = k.department_id WHERE k.kid = ? AND k.status IN ('active', 'pending')
                    """, arguments: [kid])
        else { return nil }
        db.forget(.keyUsage(kid: kid))
        try db.execute(sql: "UPDATE signing_keys SET max_uses = ?, max_age_seconds = ? WHERE kid = ?", arguments: [maxUses, maxAgeSeconds, kid])
        return code
    }

    // MARK: Reading

    /// A department's key situation before a rotation: whether it has an active key and how many keys are pending.
    /// (The next key's algorithm does not depend on the active one: seals are P-256.)
    static func rotationState(departmentCode code: String, in db: SQLTransaction) throws -> (departmentID: Int64, hasActiveKey: Bool, pending: Int)? {
        try db.fetchOne(
            sql: """
                SELECT d.id AS id, EXISTS (SELECT 1 FROM signing_keys k WHERE k.department_id = d.id AND k.status = 'active') AS active,
                       (SELECT COUNT(*) FROM signing_keys k WHERE k.department_id = d.id AND k.status = 'pending') AS pending
                FROM departments d WHERE d.code = ?
                """, arguments: [code]
        ).map { (departmentID: $0["id"], hasActiveKey: $0["active"], pending: $0["pending"]) }
    }

    /// The algorithm recorded for key `kid`.
    static func algorithm(of kid: String, in db: SQLTransaction) throws -> String? {
        try db.fetchOne(String.self, sql: "SELECT algorithm FROM signing_keys WHERE kid = ?", arguments: [kid])
    }

    /// Departments with a pending key whose activation time came at `now`.
    static func departmentsWithDueKeys(at now: Date, in db: SQLTransaction) throws -> [(id: Int64, code: String)] {
        try db.fetchAll(
            sql: """
                SELECT DISTINCT d.id, d.code FROM signing_keys k JOIN departments d ON d.id = k.department_id WHERE k.status = 'pending' AND k.activate_at <= ?
                """, arguments: [now]
        ).map { (id: $0["id"], code: $0["code"]) }
    }

    /// The oldest pending key of a department due at `now` (kid, certificate DER).
    static func duePendingKey(departmentID: Int64, at now: Date, in db: SQLTransaction) throws -> (kid: String, certificate: Data)? {
        try db.fetchOne(
            sql: """
                SELECT kid, certificate FROM signing_keys WHERE department_id = ? AND status = 'pending' AND activate_at <= ? ORDER BY created_at LIMIT 1
                """, arguments: [departmentID, now]
        ).map { (kid: $0["kid"], certificate: $0["certificate"]) }
    }

    /// A department's active keys (kid, certificate DER).
    static func activeKeys(departmentID: Int64, in db: SQLTransaction) throws -> [(kid: String, certificate: Data)] {
        try db.fetchAll(sql: "SELECT kid, certificate FROM signing_keys WHERE department_id = ? AND status = 'active'", arguments: [departmentID])
            .map { (kid: $0["kid"], certificate: $0["certificate"]) }
    }

    /// Role, status, certificate DER and department code of key `kid`.
    static func key(_ kid: String, in db: SQLTransaction) throws -> (role: KeyRole, status: KeyStatus, certificate: Data, department: String?)? {
        try db.fetchOne(
            sql: """
                SELECT k.role, k.status, k.certificate, d.code FROM signing_keys k LEFT JOIN departments d ON d.id = k.department_id WHERE k.kid = ?
                """, arguments: [kid]
        ).map { (role: $0["role"], status: $0["status"], certificate: $0["certificate"], department: $0["code"]) }
    }

    /// Certificate DER and key file name of key `kid`.
    static func certificateAndKeyFile(_ kid: String, in db: SQLTransaction) throws -> (certificate: Data, keyFile: String)? {
        try db.fetchOne(sql: "SELECT certificate, key_file FROM signing_keys WHERE kid = ?", arguments: [kid])
            .map { (certificate: $0["certificate"], keyFile: $0["key_file"]) }
    }

    /// Certificate DER of key `kid`.
    static func certificate(_ kid: String, in db: SQLTransaction) throws -> Data? {
        try db.fetchOne(Data.self, sql: "SELECT certificate FROM signing_keys WHERE kid = ?", arguments: [kid])
    }

    /// Every seal certificate ever registered, DER.
    static func sealCertificates(in db: SQLTransaction) throws -> [Data] {
        try db.fetchAll(Data.self, sql: "SELECT certificate FROM signing_keys WHERE role = 'seal'")
    }

    /// Every key file name (root and seals).
    /// Records that seal key `kid` moved from its file into a token at `location` (the schema refuses any other change
    /// of a key's location).
    static func moveKey(_ kid: String, to location: String, in db: SQLTransaction) throws {
        try db.execute(sql: "UPDATE signing_keys SET key_file = ? WHERE kid = ? AND role = 'seal'", arguments: [location, kid])
        guard db.changesCount == 1 else { throw ZeroTripError(.unknownKey, "no seal key \(kid)") }
    }

    /// Names the new file of root key `kid` (the same key, encrypted again).
    static func moveRootKeyFile(_ kid: String, from old: String, to location: String, in db: SQLTransaction) throws {
        try db.execute(sql: "UPDATE signing_keys SET key_file = ? WHERE kid = ? AND role = 'root' AND key_file = ?", arguments: [location, kid, old])
        guard db.changesCount == 1 else { throw ZeroTripError(.notReady, "root key \(kid.prefix(16)) was moved meanwhile; run again") }
    }

    /// Seal keys held in a token that will never sign again (retired or revoked): kid, location and department.
    static func finishedTokenKeys(in db: SQLTransaction) throws -> [(kid: String, location: String, department: String)] {
        try db.fetchAll(
            sql: """
                SELECT k.kid, k.key_file, d.code FROM signing_keys k JOIN departments d ON d.id = k.department_id
                WHERE k.role = 'seal' AND k.status IN ('retired', 'revoked') AND k.key_file LIKE 'pkcs11:%' ORDER BY k.kid
                """
        ).map { (kid: $0["kid"], location: $0["key_file"], department: $0["code"]) }
    }

    /// Where every key lives (a file name in Keys/, or a token key's URI), with its role.
    static func keyFiles(in db: SQLTransaction) throws -> [(location: String, role: KeyRole)] {
        try db.fetchAll(sql: "SELECT key_file, role FROM signing_keys").map { (location: $0["key_file"], role: $0["role"]) }
    }

    /// Root keys, newest first: kid, algorithm, certificate DER, validity and creation time.
    static func roots(in db: SQLTransaction) throws -> [(
        kid: String, algorithm: String, certificate: Data, notBefore: Date, notAfter: Date, createdAt: Date
    )] {
        try db.fetchAll(
            sql: """
                SELECT kid, algorithm, certificate, not_before, not_after, created_at FROM signing_keys WHERE role = 'root' ORDER BY created_at DESC, rowid DESC
                """
        ).map {
            (
                kid: $0["kid"], algorithm: $0["algorithm"], certificate: $0["certificate"], notBefore: $0["not_before"], notAfter: $0["not_after"],
                createdAt: $0["created_at"]
            )
        }
    }

    /// Keys as operators see them: of department `code` (the root keys with nil), or every key with
    /// `all` (oldest first; otherwise newest first).
    static func infos(department code: String?, all: Bool, at now: Date, in db: SQLTransaction) throws -> [SigningKeyInfo] {
        let rows =
            all
            ? try db.fetchAll(
                sql: """
                    SELECT k.*, d.code AS department_code FROM signing_keys k LEFT JOIN departments d ON d.id = k.department_id ORDER BY k.created_at, k.rowid
                    """)
            : try db.fetchAll(
                sql: """
                    SELECT k.*, d.code AS department_code FROM signing_keys k LEFT JOIN departments d ON d.id = k.department_id
                    WHERE (CAST(? AS TEXT) IS NULL AND k.role = 'root') OR d.code = ? ORDER BY k.created_at DESC, k.rowid DESC
                    """, arguments: [code, code])
        return try rows.map { try info(from: $0, now: now) }
    }

    private static func info(from row: SQLRow, now: Date) throws -> SigningKeyInfo {
        let certificate = try Certificate(derRepresentation: [UInt8](row["certificate"] as Data))
        var info = SigningKeyInfo(
            kid: row["kid"], role: row["role"], departmentCode: row["department_code"], algorithm: row["algorithm"],
            status: row["status"], certificatePEM: certificate.pemRepresentation,
            notBefore: row["not_before"], notAfter: row["not_after"])
        info.activateAt = row["activate_at"]
        info.retiredAt = row["retired_at"]
        info.revokedAt = row["revoked_at"]
        info.revokedNotAfter = row["revoked_not_after"]
        info.revocationReason = row["revocation_reason"]
        info.usageCount = row["usage_count"] ?? 0
        info.maxUses = row["max_uses"]
        info.maxAgeSeconds = row["max_age_seconds"]
        if info.status == .active {
            if let max = info.maxUses, info.usageCount * 10 >= max * 9 {
                info.warning = "\(info.usageCount) of \(max) uses: rotate the key"
            }
            if let age = info.maxAgeSeconds, let created = row["created_at"] as Date?, now.timeIntervalSince(created) * 10 >= Double(age) * 9 {
                info.warning = "older than 90 % of its maximum age: rotate the key"
            }
        }
        return info
    }

    /// Counts one signature against the active key `kid`, refusing a key that reached its use or age limit.
    ///
    /// Throws `keyNotActive` when the key stopped signing (rotated or revoked meanwhile: the caller signs again
    /// with the new key) and `keyLimitReached` when it is active but exhausted (an operator must rotate it).
    static func consumeUse(kid: String, at now: Date, in db: SQLTransaction) throws {
        // One statement counts the use and returns the limits; they are checked here rather than in SQL (date
        // arithmetic is not portable between the engines). Over a limit, the error rolls the caller's transaction
        // back, count included; the write transaction holds the database's write lock, so nothing slips between.
        let usage: KeyUsage
        if var known = db.remembered(.keyUsage(kid: kid), as: KeyUsage.self) {
            // An earlier write of this transaction counted a use of this key while it was active, and every status or
            // limit change goes through this store, which forgets it: count in the memo, and add the uses counted so
            // to the row once, before the commit or before anything reads (on PostgreSQL each statement is a round
            // trip on the one writer; one per issuance kept the batch's inserts from going out together). A status
            // change is a statement waited for, so the uses are added while the key is still active.
            known.used += 1
            known.unsent += 1
            usage = known
            try db.writeAtCommit(.keyUsage(kid: kid), beforeReads: true) { db in
                guard var kept = db.remembered(.keyUsage(kid: kid), as: KeyUsage.self), kept.unsent > 0 else { return }
                try db.executeUnanswered(
                    sql: "UPDATE signing_keys SET usage_count = usage_count + ? WHERE kid = ? AND status = 'active'",
                    arguments: [kept.unsent, kid])
                kept.unsent = 0
                db.remember(kept, for: .keyUsage(kid: kid))
            }
        } else {
            guard
                let row = try db.fetchOne(
                    sql: """
                        UPDATE signing_keys SET usage_count = usage_count + 1 WHERE kid = ? AND status = 'active'
                        RETURNING usage_count, max_uses, max_age_seconds, created_at
                        """, arguments: [kid])
            else {
                throw ZeroTripError(.keyNotActive, "the seal key \(kid) stopped signing")
            }
            usage = KeyUsage(
                used: (row["usage_count"] as Int64) - 1, maxUses: row["max_uses"], maxAgeSeconds: row["max_age_seconds"],
                createdAt: row["created_at"])
        }
        let exhausted = usage.maxUses.map { usage.used >= $0 } ?? false
        let expired = usage.maxAgeSeconds.map { now.timeIntervalSince(usage.createdAt) >= Double($0) } ?? false
        if exhausted || expired {
            throw ZeroTripError(.keyLimitReached, "the seal key \(kid) reached its maximum use or age; rotate it (zerotrip keys rotate)")
        }
        db.remember(usage, for: .keyUsage(kid: kid))
    }

    /// A seal key's uses before the one being counted, and its limits (``consumeUse(kid:at:in:)``).
    private struct KeyUsage: Sendable {
        var used: Int64
        /// Uses counted in the memo and not yet added to the row.
        var unsent: Int64 = 0
        var maxUses: Int64?
        var maxAgeSeconds: Int64?
        var createdAt: Date
    }

    /// A revoked key's "not after" time and reason.
    struct Revocation: Sendable {
        var notAfter: Date
        var reason: String?
    }

    /// The key history's generation: `MAX(id)` of `signing_key_history`, so any key change anywhere shows as a new value.
    static func generation(in db: SQLTransaction) throws -> Int64 {
        try db.fetchOne(Int64.self, sql: "SELECT COALESCE(MAX(id), 0) FROM signing_key_history") ?? 0
    }

    /// The key history's generation and every revoked key with a "not after" time.
    static func revocations(in db: SQLTransaction) throws -> (generation: Int64, revoked: [String: Revocation]) {
        let generation = try generation(in: db)
        var revoked: [String: Revocation] = [:]
        for row in try db.fetchAll(sql: "SELECT kid, revoked_not_after, revocation_reason FROM signing_keys WHERE status = 'revoked'") {
            guard let notAfter = row["revoked_not_after"] as Date? else { continue }
            revoked[row["kid"]] = Revocation(notAfter: notAfter, reason: row["revocation_reason"])
        }
        return (generation, revoked)
    }
}
