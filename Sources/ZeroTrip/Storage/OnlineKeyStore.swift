import Foundation
import ZeroTripCrypto

/// An online signing key as registered: certified by root `rootKid`, held in `location` (a key file name in Keys/,
/// or a `pkcs11:` URI).
struct OnlineKeyRecord: Sendable {
    var kid: String
    var rootKid: String
    var algorithm: String
    var certificate: Data
    var location: String
    var createdAt: Date
}

/// The district's online signing keys and the CRL each root signed last (`online_keys`, `root_crls`), and all
/// their SQL. Methods run in the caller's transaction.
enum OnlineKeyStore {
    /// Registers an online key; the root's history row makes the trust list and its caches start again.
    static func insert(_ certificate: Certificate, rootKid: String, algorithm: KeyAlgorithm, location: String, at now: Date, in db: SQLTransaction)
        throws
    {
        try db.execute(
            sql: "INSERT INTO online_keys (kid, root_kid, algorithm, certificate, key_file, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [certificate.kidHex, rootKid, algorithm.rawValue, Data(certificate.derRepresentation), location, now])
        try db.execute(
            sql: "INSERT INTO signing_key_history (kid, status, reason, changed_at) SELECT kid, status, ?, ? FROM signing_keys WHERE kid = ?",
            arguments: ["online_key_certified:\(certificate.kidHex)", now, rootKid])
    }

    private static let columns = "kid, root_kid, algorithm, certificate, key_file, created_at"

    private static func record(_ row: SQLRow) -> OnlineKeyRecord {
        OnlineKeyRecord(
            kid: row["kid"], rootKid: row["root_kid"], algorithm: row["algorithm"], certificate: row["certificate"], location: row["key_file"],
            createdAt: row["created_at"])
    }

    /// Every online key, newest first.
    static func all(in db: SQLTransaction) throws -> [OnlineKeyRecord] {
        try db.fetchAll(sql: "SELECT \(columns) FROM online_keys ORDER BY created_at DESC, rowid DESC").map(record)
    }

    /// The newest online key certified by root `rootKid` (the current root's is the one that signs), or nil.
    static func newest(certifiedBy rootKid: String, in db: SQLTransaction) throws -> OnlineKeyRecord? {
        try db.fetchOne(
            sql: "SELECT \(columns) FROM online_keys WHERE root_kid = ? ORDER BY created_at DESC, rowid DESC LIMIT 1", arguments: [rootKid]
        ).map(record)
    }

    /// The online key that signs now: the newest one the district's current root certified, or nil.
    static func current(in db: SQLTransaction) throws -> OnlineKeyRecord? {
        try DistrictStore.rootKid(in: db).flatMap { try newest(certifiedBy: $0, in: db) }
    }

    /// Keeps `crl` as the last CRL root `rootKid` signed (replacing one with a lower or equal number; a higher-numbered
    /// CRL another process kept meanwhile stays).
    static func keepCRL(_ crl: [UInt8], rootKid: String, number: Int64, thisUpdate: Date, nextUpdate: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql: """
                INSERT INTO root_crls (root_kid, number, this_update, next_update, crl) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (root_kid) DO UPDATE SET number = excluded.number, this_update = excluded.this_update,
                    next_update = excluded.next_update, crl = excluded.crl
                WHERE excluded.number >= root_crls.number
                """, arguments: [rootKid, number, thisUpdate, nextUpdate, Data(crl)])
    }

    /// The last CRL root `rootKid` signed, with its number and times.
    static func lastCRL(rootKid: String, in db: SQLTransaction) throws -> (crl: Data, number: Int64, thisUpdate: Date, nextUpdate: Date)? {
        try db.fetchOne(sql: "SELECT crl, number, this_update, next_update FROM root_crls WHERE root_kid = ?", arguments: [rootKid]).map {
            (crl: $0["crl"], number: $0["number"], thisUpdate: $0["this_update"], nextUpdate: $0["next_update"])
        }
    }
}
