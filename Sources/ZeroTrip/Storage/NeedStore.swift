import Foundation

/// Owner of `service_needs` and all its SQL. Methods run in the caller's transaction.
enum NeedStore {
    /// Records a need, or replaces the detail of the same need and year.
    static func put(_ need: ServiceNeed, in db: SQLTransaction) throws {
        try db.execute(
            sql: """
                INSERT INTO service_needs (subject, kind, year, detail, stated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (subject, kind, year) DO UPDATE SET detail = excluded.detail, stated_at = excluded.stated_at
                """, arguments: [need.subject, need.kind.rawValue, need.year, need.detail, need.statedAt])
    }

    /// `subject`'s needs, by year and kind.
    static func needs(subject: String, in db: SQLTransaction) throws -> [ServiceNeed] {
        try db.fetchAll(
            sql: "SELECT subject, kind, year, detail, stated_at FROM service_needs WHERE subject = ? ORDER BY year, kind LIMIT 200",
            arguments: [subject]
        ).map {
            ServiceNeed(
                subject: $0["subject"], kind: ServiceNeedKind(rawValue: $0["kind"]) ?? .other, year: $0["year"], detail: $0["detail"],
                statedAt: $0["stated_at"])
        }
    }

    /// Needs counted per kind and year, from `year` on.
    static func counts(from year: Int, in db: SQLTransaction) throws -> [(kind: String, year: Int, count: Int)] {
        try db.fetchAll(
            sql: "SELECT kind, year, COUNT(*) FROM service_needs WHERE year >= ? GROUP BY kind, year ORDER BY year, kind",
            arguments: [year]
        ).map { (kind: $0[0], year: $0[1], count: $0[2]) }
    }
}
