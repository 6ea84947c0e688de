import Foundation

/// Owner of `service_ratings` and all its SQL: invitations to rate a finished service and the ratings given.
/// Methods run in the caller's transaction.
enum RatingStore {
    private static let columns = """
        id, application_id, subject, department, matter, clerk, outcome, invited_at, closes_at, rated_at, score, tags, comment
        """

    /// Records an invitation; nothing when the application already has one (a service is rated once).
    static func invite(_ rating: ServiceRating, in db: SQLTransaction) throws -> Bool {
        try db.execute(sql: """
            INSERT INTO service_ratings (id, application_id, subject, department, matter, clerk, outcome, invited_at, closes_at, tags)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]') ON CONFLICT (application_id) DO NOTHING
            """, arguments: [rating.id, rating.application, rating.subject, rating.department, rating.matter, rating.clerk, rating.outcome,
                             rating.invitedAt, rating.closesAt])
        return db.changesCount == 1
    }

    static func rating(id: String, in db: SQLTransaction) throws -> ServiceRating? {
        try db.fetchOne(sql: "SELECT \(columns) FROM service_ratings WHERE id = ?", arguments: [id]).map(rating(from:))
    }

    /// `subject`'s invitations, newest first (at most 200).
    static func ratings(subject: String, in db: SQLTransaction) throws -> [ServiceRating] {
        try db.fetchAll(sql: "SELECT \(columns) FROM service_ratings WHERE subject = ? ORDER BY invited_at DESC, id LIMIT 200",
                        arguments: [subject]).map(rating(from:))
    }

    /// Records the rating of an invitation not yet rated; false when it was rated already.
    static func rate(id: String, score: Int, tags: [RatingTag], comment: String?, at now: Date, in db: SQLTransaction) throws -> Bool {
        let tagText = String(decoding: try JSONEncoder().encode(tags.map(\.rawValue)), as: UTF8.self)
        try db.execute(sql: "UPDATE service_ratings SET rated_at = ?, score = ?, tags = ?, comment = ? WHERE id = ? AND rated_at IS NULL",
                       arguments: [now, score, tagText, comment, id])
        return db.changesCount == 1
    }

    /// Per department and per clerk: (count, sum of scores, ratings of 1–2) of ratings given in [from, to); the tags
    /// chosen; and the tags of the poor ratings (1–2), which say what the complaints were about.
    static func totals(from: Date, to: Date, in db: SQLTransaction) throws
        -> (departments: [(key: String, count: Int, sum: Int, poor: Int)], clerks: [(key: String, department: String, count: Int, sum: Int, poor: Int)],
            tags: [String: Int], complaintCauses: [String: Int]) {
        let range: SQLArguments = [from, to]
        let departments = try db.fetchAll(sql: """
            SELECT department, COUNT(*), CAST(SUM(score) AS BIGINT), SUM(CASE WHEN score <= 2 THEN 1 ELSE 0 END) FROM service_ratings
            WHERE rated_at >= ? AND rated_at < ? GROUP BY department
            """, arguments: range).map { (key: $0[0] as String, count: $0[1] as Int, sum: $0[2] as Int, poor: $0[3] as Int) }
        let clerks = try db.fetchAll(sql: """
            SELECT clerk, department, COUNT(*), CAST(SUM(score) AS BIGINT), SUM(CASE WHEN score <= 2 THEN 1 ELSE 0 END) FROM service_ratings
            WHERE rated_at >= ? AND rated_at < ? AND clerk IS NOT NULL GROUP BY clerk, department
            """, arguments: range).map { (key: $0[0] as String, department: $0[1] as String, count: $0[2] as Int, sum: $0[3] as Int, poor: $0[4] as Int) }
        var tags: [String: Int] = [:], complaintCauses: [String: Int] = [:]
        for row in try db.fetchAll(sql: "SELECT tags, score FROM service_ratings WHERE rated_at >= ? AND rated_at < ? AND tags <> '[]'",
                                   arguments: range) {
            let poor = (row["score"] as Int) <= 2
            for tag in (try? JSONDecoder().decode([String].self, from: Data((row["tags"] as String).utf8))) ?? [] {
                tags[tag, default: 0] += 1
                if poor { complaintCauses[tag, default: 0] += 1 }
            }
        }
        return (departments, clerks, tags, complaintCauses)
    }

    private static func rating(from row: SQLRow) throws -> ServiceRating {
        let tags = (try? JSONDecoder().decode([String].self, from: Data((row["tags"] as String).utf8))) ?? []
        return ServiceRating(id: row["id"], application: row["application_id"], subject: row["subject"], department: row["department"],
                             matter: row["matter"], clerk: row["clerk"], outcome: row["outcome"], invitedAt: row["invited_at"],
                             closesAt: row["closes_at"], ratedAt: row["rated_at"], score: row["score"],
                             tags: tags.compactMap(RatingTag.init(rawValue:)), comment: row["comment"])
    }
}
