package import Foundation

/// Owner of `service_ratings` and all its SQL: invitations to rate a finished service and the ratings given.
/// Methods run in the caller's transaction.
package enum RatingStore {
    private static let columns = """
        id, application_id, service, subject, department, matter, clerk, outcome, invited_at, closes_at, rated_at, score, tags, comment
        """

    /// Records an invitation; nothing when the application already has one (a service is rated once).
    package static func invite(_ rating: ServiceRating, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: """
                INSERT INTO service_ratings (id, application_id, service, subject, department, matter, clerk, outcome, invited_at, closes_at, tags)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]') ON CONFLICT (application_id) DO NOTHING
                """,
            arguments: [
                rating.id, rating.application, rating.service?.rawValue, rating.subject, rating.department, rating.matter,
                rating.clerk, rating.outcome, rating.invitedAt, rating.closesAt,
            ])
        return db.changesCount == 1
    }

    /// How many window-service invitations `subject` received from `department` since `since`.
    static func windowServiceCount(subject: SubjectID, department: String, since: Date, in db: SQLTransaction) throws -> Int {
        try db.fetchOne(
            Int.self,
            sql: """
                SELECT COUNT(*) FROM service_ratings WHERE subject = ? AND invited_at >= ? AND application_id IS NULL AND department = ?
                """, arguments: [subject, since, department]) ?? 0
    }

    /// The invitation for a window service `subject` received from `department`'s clerk `clerk` since `since`.
    static func windowService(subject: SubjectID, department: String, clerk: String, since: Date, in db: SQLTransaction) throws -> ServiceRating? {
        try db.fetchOne(
            sql: """
                SELECT \(columns) FROM service_ratings
                WHERE subject = ? AND invited_at >= ? AND application_id IS NULL AND department = ? AND clerk = ?
                ORDER BY invited_at DESC, id LIMIT 1
                """, arguments: [subject, since, department, clerk]
        ).map(rating(from:))
    }

    static func rating(id: String, in db: SQLTransaction) throws -> ServiceRating? {
        try db.fetchOne(sql: "SELECT \(columns) FROM service_ratings WHERE id = ?", arguments: [id]).map(rating(from:))
    }

    /// `subject`'s invitations, newest first (at most 200).
    static func ratings(subject: SubjectID, in db: SQLTransaction) throws -> [ServiceRating] {
        try db.fetchAll(
            sql: "SELECT \(columns) FROM service_ratings WHERE subject = ? ORDER BY invited_at DESC, id LIMIT 200",
            arguments: [subject]
        ).map(rating(from:))
    }

    /// Records the rating of an invitation not yet rated; false when it was rated already.
    package static func rate(id: String, score: Int, tags: [RatingTag], comment: String?, at now: Date, in db: SQLTransaction) throws -> Bool {
        let tagText = String(decoding: try JSONEncoder().encode(tags.map(\.rawValue)), as: UTF8.self)
        guard
            let rated = try db.fetchOne(
                sql: """
                    UPDATE service_ratings SET rated_at = ?, score = ?, tags = ?, comment = ? WHERE id = ? AND rated_at IS NULL RETURNING department, clerk
                    """, arguments: [now, score, tagText, comment, id])
        else { return false }
        try count(department: rated[0], clerk: rated[1], score: score, tags: tags.map(\.rawValue), at: now, in: db)
        return true
    }

    /// The district's figures of one rating: per department and clerk, and per tag (FiguresStore).
    static func count(department: String, clerk: String?, score: Int, tags: [String], at date: Date, in db: SQLTransaction) throws {
        let poor = score <= 2 ? 1 : 0
        try FiguresStore.add(.rated, at: date, department: department, label: clerk ?? "", total: score, extra: poor, in: db)
        for tag in Set(tags) { try FiguresStore.add(.tagged, at: date, department: "", label: tag, extra: poor, in: db) }
    }

    /// Per department and per clerk: (count, sum of scores, ratings of 1–2) of ratings given on the days of
    /// [from, to); the tags chosen; and the tags of the poor ratings (1–2), which say what the complaints were about.
    /// Read from the district's daily figures (FiguresStore).
    static func totals(from: Date, to: Date, in db: SQLTransaction) throws
        -> (
            departments: [(key: String, count: Int, sum: Int, poor: Int)],
            clerks: [(key: String, department: String, count: Int, sum: Int, poor: Int)],
            tags: [String: Int], complaintCauses: [String: Int]
        )
    {
        let rated = try FiguresStore.sums(.rated, from: from, to: to, in: db)
        var departments: [String: (count: Int, sum: Int, poor: Int)] = [:]
        for row in rated {
            let current = departments[row.department] ?? (0, 0, 0)
            departments[row.department] = (current.count + row.items, current.sum + row.total, current.poor + row.extra)
        }
        let clerks = rated.filter { !$0.label.isEmpty }.map {
            (key: $0.label, department: $0.department, count: $0.items, sum: $0.total, poor: $0.extra)
        }
        var tags: [String: Int] = [:], complaintCauses: [String: Int] = [:]
        for row in try FiguresStore.sums(.tagged, from: from, to: to, in: db) {
            tags[row.label, default: 0] += row.items
            if row.extra > 0 { complaintCauses[row.label, default: 0] += row.extra }
        }
        return (departments.map { (key: $0.key, count: $0.value.count, sum: $0.value.sum, poor: $0.value.poor) }, clerks, tags, complaintCauses)
    }

    private static func rating(from row: SQLRow) throws -> ServiceRating {
        let tags = (try? JSONDecoder().decode([String].self, from: Data((row["tags"] as String).utf8))) ?? []
        return ServiceRating(
            id: row["id"], application: row["application_id"], service: (row["service"] as String?).flatMap(WindowService.init(rawValue:)),
            subject: row["subject"], department: row["department"],
            matter: row["matter"], clerk: row["clerk"], outcome: row["outcome"], invitedAt: row["invited_at"],
            closesAt: row["closes_at"], ratedAt: row["rated_at"], score: row["score"],
            tags: tags.compactMap(RatingTag.init(rawValue:)), comment: row["comment"])
    }
}
