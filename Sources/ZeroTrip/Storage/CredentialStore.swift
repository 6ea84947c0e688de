import Foundation

/// Department API credentials and their history (`credentials`, `credential_history`), and all their SQL. Only a
/// hash of each secret is stored. Methods run in the caller's transaction.
enum CredentialStore {
    /// What authentication needs of a credential.
    struct Stored: Sendable {
        var secretHash: [UInt8]
        var scopes: [String]
        var departmentCode: String
        var revoked: Bool
    }

    /// Records a credential of department row `departmentID`.
    static func insert(id: String, departmentID: Int64, label: String, scopes: [String], secretHash: [UInt8], at now: Date, in db: SQLTransaction)
        throws
    {
        try db.execute(
            sql: """
                INSERT INTO credentials (id, department_id, label, scopes, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [id, departmentID, label, scopes.joined(separator: ","), Data(secretHash), now])
        try history(id, "created scopes=\(scopes.joined(separator: ","))", at: now, in: db)
    }

    /// Revokes credential `id`. Returns false when it was already revoked; throws `unknown_credential` when there is none.
    static func revoke(_ id: String, at now: Date, in db: SQLTransaction) throws -> Bool {
        guard let row = try db.fetchOne(sql: "SELECT revoked_at FROM credentials WHERE id = ?", arguments: [id]) else {
            throw ZeroTripError(.unknownCredential, "no credential \(id.prefix(32))")
        }
        guard (row["revoked_at"] as Date?) == nil else { return false }
        try db.execute(sql: "UPDATE credentials SET revoked_at = ? WHERE id = ?", arguments: [now, id])
        try history(id, "revoked", at: now, in: db)
        return true
    }

    private static func history(_ id: String, _ change: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(sql: "INSERT INTO credential_history (credential_id, change, changed_at) VALUES (?, ?, ?)", arguments: [id, change, now])
    }

    /// Every credential's metadata (never the secret hash), of one department or all, by department and age.
    static func list(department: String?, in db: SQLTransaction) throws -> [CredentialInfo] {
        try db.fetchAll(
            sql: """
                SELECT c.id, d.code, c.label, c.scopes, c.created_at, c.revoked_at FROM credentials c JOIN departments d ON d.id = c.department_id
                WHERE CAST(? AS TEXT) IS NULL OR d.code = ? ORDER BY d.code, c.created_at
                """, arguments: [department, department]
        ).map {
            CredentialInfo(
                id: $0["id"], departmentCode: $0["code"], label: $0["label"],
                scopes: ($0["scopes"] as String).split(separator: ",").map(String.init),
                createdAt: $0["created_at"], revokedAt: $0["revoked_at"])
        }
    }

    /// The credential `id` as authentication needs it.
    static func stored(_ id: String, in db: SQLTransaction) throws -> Stored? {
        try db.fetchOne(
            sql: """
                SELECT c.secret_hash, c.scopes, c.revoked_at, d.code FROM credentials c JOIN departments d ON d.id = c.department_id WHERE c.id = ?
                """, arguments: [id]
        ).map { row in
            Stored(
                secretHash: [UInt8](row["secret_hash"] as Data), scopes: (row["scopes"] as String).split(separator: ",").map(String.init),
                departmentCode: row["code"], revoked: (row["revoked_at"] as Date?) != nil)
        }
    }
}
