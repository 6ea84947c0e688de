import Foundation

/// Owner of `window_sessions`: the clerks signed in at window stations.
enum WindowSessionStore {
    struct Row {
        var secretHash: [UInt8]
        var credentialID: String
        var clerk: ClerkIdentity
        var station: String
        var createdAt: Date
        var expiresAt: Date
        var lastSeenAt: Date
        var ended: Bool
    }

    static func insert(
        id: String, secretHash: [UInt8], credentialID: String, clerk: ClerkIdentity, station: String, at now: Date, expires: Date,
        in db: SQLTransaction
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO window_sessions (id, secret_hash, credential_id, clerk_id, clerk_name, station, created_at, expires_at, last_seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, Data(secretHash), credentialID, clerk.id, clerk.name, station, now, expires, now])
    }

    static func session(_ id: String, in db: SQLTransaction) throws -> Row? {
        try db.fetchOne(
            sql: """
                SELECT secret_hash, credential_id, clerk_id, clerk_name, station, created_at, expires_at, last_seen_at, ended_at FROM window_sessions WHERE id = ?
                """, arguments: [id]
        ).map {
            Row(
                secretHash: [UInt8]($0["secret_hash"] as Data), credentialID: $0["credential_id"],
                clerk: ClerkIdentity(id: $0["clerk_id"], name: $0["clerk_name"]),
                station: $0["station"], createdAt: $0["created_at"], expiresAt: $0["expires_at"], lastSeenAt: $0["last_seen_at"],
                ended: ($0["ended_at"] as Date?) != nil)
        }
    }

    static func touch(_ id: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(sql: "UPDATE window_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?", arguments: [now, id, now])
    }

    /// Ends the session; whether it was still open.
    static func end(_ id: String, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(sql: "UPDATE window_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", arguments: [now, id])
        return db.changesCount > 0
    }
}
