import Foundation
import GRDB

/// SQL over `signing_keys` that issuance and verification need. (The key lifecycle's own statements still live in
/// `DistrictAdministration`; they move here as that code is touched.)
enum SigningKeyStore {
    /// Counts one signature against the active key `kid`, refusing a key that reached its use or age limit.
    ///
    /// Throws `keyNotActive` when the key stopped signing (rotated or revoked meanwhile: the caller signs again
    /// with the new key) and `keyLimitReached` when it is active but exhausted (an operator must rotate it).
    static func consumeUse(kid: String, at now: Date, in db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE signing_keys SET usage_count = usage_count + 1 WHERE kid = ? AND status = 'active'
                AND (max_uses IS NULL OR usage_count < max_uses)
                AND (max_age_seconds IS NULL OR (julianday(?) - julianday(created_at)) * 86400 < max_age_seconds)
            """).execute(arguments: [kid, now])
        guard db.changesCount == 0 else { return }
        let status = try String.fetchOne(db, sql: "SELECT status FROM signing_keys WHERE kid = ?", arguments: [kid])
        throw status == "active"
            ? ZeroTripError(.keyLimitReached, "the seal key \(kid) reached its maximum use or age; rotate it (zerotrip keys rotate)")
            : ZeroTripError(.keyNotActive, "the seal key \(kid) stopped signing")
    }

    /// A revoked key's "not after" time and reason.
    struct Revocation: Sendable {
        var notAfter: Date
        var reason: String?
    }

    /// The key history's generation (`MAX(id)` of `signing_key_history`: any key change anywhere shows as a new
    /// value) and every revoked key with a "not after" time.
    static func revocations(in db: Database) throws -> (generation: Int64, revoked: [String: Revocation]) {
        let generation = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM signing_key_history") ?? 0
        var revoked: [String: Revocation] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT kid, revoked_not_after, revocation_reason FROM signing_keys WHERE status = 'revoked'") {
            guard let notAfter = row["revoked_not_after"] as Date? else { continue }
            revoked[row["kid"]] = Revocation(notAfter: notAfter, reason: row["revocation_reason"])
        }
        return (generation, revoked)
    }
}
