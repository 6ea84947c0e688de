import Foundation

/// Owner of `complaints` and all its SQL. Methods run in the caller's transaction.
enum ComplaintStore {
    private static let columns = """
        id, subject, department, clerk, rating_id, source, cause, text, filed_at, due_at, answered_at, answered_by, finding, action, reply,
        overdue_notified_at
        """

    /// Records a complaint; false when its rating has one already.
    static func insert(_ complaint: Complaint, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: """
                INSERT INTO complaints (id, subject, department, clerk, rating_id, source, cause, text, filed_at, due_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rating_id) DO NOTHING
                """,
            arguments: [
                complaint.id, complaint.subject, complaint.department, complaint.clerk, complaint.rating, complaint.source,
                complaint.cause.rawValue, complaint.text, complaint.filedAt, complaint.dueAt,
            ])
        guard db.changesCount == 1 else { return false }
        try FiguresStore.add(.complained, at: complaint.filedAt, department: complaint.department, label: complaint.cause.rawValue, in: db)
        return true
    }

    static func complaint(id: String, in db: SQLTransaction) throws -> Complaint? {
        try db.fetchOne(sql: "SELECT \(columns) FROM complaints WHERE id = ?", arguments: [id]).map(complaint(from:))
    }

    /// The complaint of rating `rating`, if any.
    static func complaint(rating: String, in db: SQLTransaction) throws -> Complaint? {
        try db.fetchOne(sql: "SELECT \(columns) FROM complaints WHERE rating_id = ?", arguments: [rating]).map(complaint(from:))
    }

    /// `subject`'s complaints, newest first (at most 200).
    static func complaints(subject: SubjectID, in db: SQLTransaction) throws -> [Complaint] {
        try db.fetchAll(
            sql: "SELECT \(columns) FROM complaints WHERE subject = ? ORDER BY filed_at DESC, id LIMIT 200",
            arguments: [subject]
        ).map(complaint(from:))
    }

    /// How many of the complaints `subject` filed (not those their poor ratings opened) are waiting for an answer.
    static func openCount(subject: SubjectID, in db: SQLTransaction) throws -> Int {
        try db.fetchOne(
            Int.self, sql: "SELECT COUNT(*) FROM complaints WHERE subject = ? AND answered_at IS NULL AND source = 'applicant'",
            arguments: [subject]) ?? 0
    }

    /// `department`'s complaints, open ones first by deadline, then the answered ones newest first (at most `limit`).
    static func complaints(department: String, open: Bool, limit: Int, in db: SQLTransaction) throws -> [Complaint] {
        let order = open ? "answered_at IS NULL AND department = ? ORDER BY due_at, id" : "department = ? ORDER BY filed_at DESC, id"
        return try db.fetchAll(sql: "SELECT \(columns) FROM complaints WHERE \(order) LIMIT ?", arguments: [department, limit]).map(complaint(from:))
    }

    /// Records the answer of an open complaint; false when it was answered already.
    static func answer(
        id: String, cause: ComplaintCause, finding: ComplaintFinding, action: String, reply: String, by actor: String, at now: Date,
        in db: SQLTransaction
    ) throws -> Bool {
        guard
            let answered = try db.fetchOne(
                sql: """
                    UPDATE complaints SET cause = ?, finding = ?, action = ?, reply = ?, answered_by = ?, answered_at = ? WHERE id = ? AND answered_at IS NULL
                    RETURNING department, due_at
                    """, arguments: [cause.rawValue, finding.rawValue, action, reply, actor, now, id])
        else { return false }
        try FiguresStore.addAnswer(department: answered[0], finding: finding.rawValue, answered: now, due: answered[1], in: db)
        return true
    }

    /// Open complaints past their deadline whose supervisors were not told yet (at most `limit`).
    static func overdueUnnotified(at now: Date, limit: Int, in db: SQLTransaction) throws -> [Complaint] {
        try db.fetchAll(
            sql: """
                SELECT \(columns) FROM complaints WHERE answered_at IS NULL AND due_at <= ? AND overdue_notified_at IS NULL ORDER BY due_at, id LIMIT ?
                """, arguments: [now, limit]
        ).map(complaint(from:))
    }

    /// Marks that the supervisors were told complaint `id` is overdue; false when they were already.
    static func markOverdueNotified(_ id: String, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(sql: "UPDATE complaints SET overdue_notified_at = ? WHERE id = ? AND overdue_notified_at IS NULL", arguments: [now, id])
        return db.changesCount == 1
    }

    /// Per department: complaints filed in the China days of [`from`, `to`) by cause; answered in them, by their deadline,
    /// and found substantiated (wholly or partly); from the daily figures.
    static func figures(from: Date, to: Date, in db: SQLTransaction) throws
        -> (filed: [(department: String, cause: String, count: Int)], answered: [(department: String, finding: String, count: Int, inTime: Int)])
    {
        (
            try FiguresStore.sums(.complained, from: from, to: to, in: db).map { ($0.department, $0.label, $0.items) },
            try FiguresStore.sums(.complaintAnswered, from: from, to: to, in: db).map { ($0.department, $0.label, $0.items, $0.total) }
        )
    }

    /// Per department, the complaints open past their deadline at `now` (read from the index of open complaints).
    static func overdue(at now: Date, in db: SQLTransaction) throws -> [String: Int] {
        Dictionary(
            try db.fetchAll(
                sql: """
                    SELECT department, COUNT(*) FROM complaints WHERE answered_at IS NULL AND due_at <= ? GROUP BY department
                    """, arguments: [now]
            ).map { ($0[0] as String, $0[1] as Int) }, uniquingKeysWith: +)
    }

    private static func complaint(from row: SQLRow) -> Complaint {
        Complaint(
            id: row["id"], subject: row["subject"], department: row["department"], clerk: row["clerk"], rating: row["rating_id"],
            source: row["source"], cause: ComplaintCause(rawValue: row["cause"]) ?? .other, text: row["text"], filedAt: row["filed_at"],
            dueAt: row["due_at"], answeredAt: row["answered_at"], answeredBy: row["answered_by"],
            finding: (row["finding"] as String?).flatMap(ComplaintFinding.init(rawValue:)), action: row["action"], reply: row["reply"],
            overdueNotifiedAt: row["overdue_notified_at"])
    }
}
