import Foundation
import ZeroTripCrypto

/// The versioned configuration files (`catalogue_versions`, `credit_policy_versions`, `points_policy_versions`): every loaded file stays under
/// its version number with its source bytes, parsed form and SHA-256, so any past answer can be replayed with the
/// configuration in force then. Methods run in the caller's transaction.
enum ConfigurationStore {
    /// Which configuration.
    enum Kind: Sendable {
        case catalogue
        case creditPolicy
        case pointsPolicy

        var table: String {
            switch self {
            case .catalogue: "catalogue_versions"
            case .creditPolicy: "credit_policy_versions"
            case .pointsPolicy: "points_policy_versions"
            }
        }
    }

    /// The newest version number (0 when none was loaded).
    static func newestVersion(_ kind: Kind, in db: SQLTransaction) throws -> Int {
        try db.fetchOne(Int.self, sql: "SELECT COALESCE(MAX(version), 0) FROM \(kind.table)") ?? 0
    }

    /// The newest version loaded at or before `date` (0 when none).
    static func version(_ kind: Kind, at date: Date, in db: SQLTransaction) throws -> Int {
        try db.fetchOne(Int.self, sql: "SELECT COALESCE(MAX(version), 0) FROM \(kind.table) WHERE created_at <= ?", arguments: [date]) ?? 0
    }

    /// The newest version loaded at or before `date` with the SHA-256 of its source (nil when none).
    static func versionAndDigest(_ kind: Kind, at date: Date, in db: SQLTransaction) throws -> (version: Int, sha256: String)? {
        try db.fetchOne(sql: "SELECT version, sha256 FROM \(kind.table) WHERE created_at <= ? ORDER BY version DESC LIMIT 1", arguments: [date])
            .map { ($0["version"], $0["sha256"]) }
    }

    /// The parsed form (JSON) of `version`.
    static func parsed(_ kind: Kind, version: Int, in db: SQLTransaction) throws -> String? {
        try db.fetchOne(String.self, sql: "SELECT parsed FROM \(kind.table) WHERE version = ?", arguments: [version])
    }

    /// Catalogue `version` as parsed when it was loaded, nil when there is no such version.
    static func catalogue(version: Int, in db: SQLTransaction) throws -> MatterCatalogue? {
        guard let json = try parsed(.catalogue, version: version, in: db) else { return nil }
        var catalogue = try JSONDecoder().decode(MatterCatalogue.self, from: Data(json.utf8))
        catalogue.version = version
        return catalogue
    }

    /// Credit policy `version` as parsed when it was loaded (version 0: the built-in policy), nil when there is no such version.
    static func creditPolicy(version: Int, in db: SQLTransaction) throws -> CreditPolicy? {
        if version == 0 { return .builtIn }
        guard let json = try parsed(.creditPolicy, version: version, in: db) else { return nil }
        return try JSONDecoder().decode(CreditPolicy.self, from: Data(json.utf8))
    }

    /// Points policy `version` as parsed when it was loaded, nil when there is no such version.
    static func pointsPolicy(version: Int, in db: SQLTransaction) throws -> PointsPolicy? {
        guard let json = try parsed(.pointsPolicy, version: version, in: db) else { return nil }
        return try JSONDecoder().decode(PointsPolicy.self, from: Data(json.utf8))
    }

    /// Stores a new version unless the newest one is the same file (SHA-256 of the source) or has the same parsed form;
    /// returns it and whether it was stored. (The parsed form alone is not enough: a policy's sets encode in an order
    /// that changes from run to run, so loading an unchanged file made a new version every time.)
    static func store(
        _ kind: Kind, source: [UInt8], parsed json: String, sha256: String, actor: String, at now: Date,
        in db: SQLTransaction
    ) throws -> ConfigurationVersion {
        if let row = try db.fetchOne(sql: "SELECT version, parsed, sha256, created_by, created_at FROM \(kind.table) ORDER BY version DESC LIMIT 1"),
            (row["sha256"] as String) == sha256 || (row["parsed"] as String) == json
        {
            return ConfigurationVersion(
                version: row["version"], sha256: row["sha256"], createdBy: row["created_by"], createdAt: row["created_at"], stored: false)
        }
        let version = try db.fetchValue(
            Int.self, sql: "INSERT INTO \(kind.table) (source, parsed, sha256, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING version",
            arguments: [Data(source), json, sha256, actor, now])
        return ConfigurationVersion(version: version, sha256: sha256, createdBy: actor, createdAt: now, stored: true)
    }

    /// Stores `parsed` (the form `source` parses to) as a new version of `kind` unless it is the newest already, and
    /// audits `action` when it stored one.
    static func load(
        _ kind: Kind, source: [UInt8], parsed: some Encodable, action: AuditAction, actor: String, at now: Date,
        in db: SQLTransaction
    ) throws -> ConfigurationVersion {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(parsed), as: UTF8.self)
        let digest = Hex.encode(Digest.sha256(source))
        let version = try store(kind, source: source, parsed: json, sha256: digest, actor: actor, at: now, in: db)
        guard version.stored else { return version }
        try AuditLog.append(
            AuditEntry(actor: actor, action: action, target: "\(kind.table):\(version.version)", details: ["sha256": digest]),
            at: now, in: db)
        return version
    }

    /// Every stored version, oldest first.
    static func versions(_ kind: Kind, in db: SQLTransaction) throws -> [ConfigurationVersion] {
        try db.fetchAll(sql: "SELECT version, sha256, created_by, created_at FROM \(kind.table) ORDER BY version").map {
            ConfigurationVersion(version: $0["version"], sha256: $0["sha256"], createdBy: $0["created_by"], createdAt: $0["created_at"], stored: true)
        }
    }
}
