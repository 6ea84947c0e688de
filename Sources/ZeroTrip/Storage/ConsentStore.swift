import Foundation

/// Owner of `consent_grants` and all its SQL. Methods run in the caller's transaction.
enum ConsentStore {
    private static let columns = """
        id, subject, department, matter, result_types, granted_at, expires_at, channel, granted_by, assurance_tier, withdrawn_at, withdrawn_by,
        lifetime, application_id, ended_at
        """
    /// A grant allows use: neither withdrawn nor ended, given, and bound to an open application (application-long)
    /// or not yet expired. Arguments: now, now. (``ConsentGrant/isLive(at:)`` says the same in Swift.)
    private static let live = """
        withdrawn_at IS NULL AND ended_at IS NULL AND granted_at <= ? AND (expires_at > ? OR (lifetime = 'application' AND application_id IS NOT NULL))
        """

    static func insert(_ grant: ConsentGrant, in db: SQLTransaction) throws {
        let types = String(decoding: try JSONEncoder().encode(grant.resultTypes), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO consent_grants (id, subject, department, matter, result_types, granted_at, expires_at, channel, granted_by, assurance_tier,
                                            lifetime, application_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                grant.id, stored(grant.subject), grant.department, grant.matter, types, grant.grantedAt, grant.expiresAt,
                grant.channel.rawValue, grant.grantedBy, grant.assuranceTier, grant.lifetime.rawValue, grant.application,
            ])
    }

    static func grant(id: String, in db: SQLTransaction) throws -> ConsentGrant? {
        try db.fetchOne(sql: "SELECT \(columns) FROM consent_grants WHERE id = ?", arguments: [id]).map(grant(from:))
    }

    /// The grants of `subjects` (a person and the organisations they represent), newest first (at most 500).
    static func grants(subjects: [SubjectID], in db: SQLTransaction) throws -> [ConsentGrant] {
        guard !subjects.isEmpty else { return [] }
        let placeholders = SQLTransaction.placeholders(subjects.count)
        return try db.fetchAll(
            sql: "SELECT \(columns) FROM consent_grants WHERE subject IN (\(placeholders)) ORDER BY granted_at DESC, id LIMIT 500",
            arguments: SQLArguments(subjects.map(stored))
        ).map(grant(from:))
    }

    /// The newest grant of `subject` to `department` for `matter` that is live at `now`. With `forNewApplication`,
    /// one already bound to another application is not a candidate (it lasts for that application only).
    static func liveGrant(
        subject: SubjectID, department: String, matter: String, forNewApplication: Bool = false, at now: Date,
        in db: SQLTransaction
    ) throws -> ConsentGrant? {
        try db.fetchOne(
            sql: """
                SELECT \(columns) FROM consent_grants
                WHERE subject = ? AND department = ? AND matter = ? AND \(live)\(forNewApplication ? " AND application_id IS NULL" : "")
                ORDER BY granted_at DESC, id LIMIT 1
                """, arguments: [stored(subject), department, matter, now, now]
        ).map(grant(from:))
    }

    /// Binds an unbound, live application-long grant to `application`; false when it was bound meanwhile,
    /// withdrawn, or lapsed.
    static func bind(id: String, application: String, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: """
                UPDATE consent_grants SET application_id = ?
                WHERE id = ? AND lifetime = 'application' AND application_id IS NULL AND withdrawn_at IS NULL AND ended_at IS NULL AND expires_at > ?
                """, arguments: [application, id, now])
        return db.changesCount == 1
    }

    /// Ends the live grants bound to `application` (which has ended); returns them.
    static func endGrants(application: String, at now: Date, in db: SQLTransaction) throws -> [ConsentGrant] {
        let grants = try db.fetchAll(
            sql: "SELECT \(columns) FROM consent_grants WHERE application_id = ? AND ended_at IS NULL AND withdrawn_at IS NULL",
            arguments: [application]
        ).map(grant(from:))
        try db.execute(
            sql: "UPDATE consent_grants SET ended_at = ? WHERE application_id = ? AND ended_at IS NULL AND withdrawn_at IS NULL",
            arguments: [now, application])
        return grants
    }

    /// Marks a live grant withdrawn; false when it was already withdrawn.
    static func withdraw(id: String, by actor: String, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: "UPDATE consent_grants SET withdrawn_at = ?, withdrawn_by = ? WHERE id = ? AND withdrawn_at IS NULL AND ended_at IS NULL",
            arguments: [now, actor, id])
        return db.changesCount == 1
    }

    /// The stored form of a grant's subject: a person by their registry id alone (as grants were first stored), an
    /// organisation as `organization:<code>`. Only this store knows it; everything above holds a ``SubjectID``.
    static func stored(_ subject: SubjectID) -> String { subject.personID ?? subject.rawValue }

    /// The subject a stored grant names.
    static func subject(stored: String) -> SubjectID {
        SubjectID(rawValue: stored).organizationCode != nil ? SubjectID(rawValue: stored) : .person(stored)
    }

    private static func grant(from row: SQLRow) throws -> ConsentGrant {
        let types = try JSONDecoder().decode([String].self, from: Data((row["result_types"] as String).utf8))
        return ConsentGrant(
            id: row["id"], subject: subject(stored: row["subject"]), department: row["department"], matter: row["matter"], resultTypes: types,
            grantedAt: row["granted_at"], expiresAt: row["expires_at"], channel: ConsentChannel(rawValue: row["channel"]) ?? .app,
            grantedBy: row["granted_by"], assuranceTier: row["assurance_tier"], withdrawnAt: row["withdrawn_at"],
            withdrawnBy: row["withdrawn_by"], lifetime: ConsentLifetime(rawValue: row["lifetime"]) ?? .days,
            application: row["application_id"], endedAt: row["ended_at"])
    }
}
