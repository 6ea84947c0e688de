import Foundation
import ZeroTripDocuments

/// Owner of the points tables (`points_runs`, `points_scores`, `points_claims`, `points_disputes`) and all their SQL,
/// and of the scoring run's reads of the registry and the register. Methods run in the caller's transaction.
enum PointsStore {
    // MARK: Runs

    private static let runColumns = "id, period, as_of, policy_version, started_at, started_by, finished_at, persons"

    private static func run(from row: SQLRow) -> PointsRun {
        PointsRun(
            id: row["id"], period: row["period"], asOf: row["as_of"], policyVersion: row["policy_version"], startedAt: row["started_at"],
            startedBy: row["started_by"], finishedAt: row["finished_at"], persons: row["persons"])
    }

    /// Starts a run; for a `period`, nil when that period's run exists already (another daemon started it).
    static func startRun(period: String?, asOf: Date, policyVersion: Int, actor: String, at now: Date, in db: SQLTransaction) throws -> PointsRun? {
        let row = try db.fetchOne(
            sql: """
                INSERT INTO points_runs (period, as_of, policy_version, started_at, started_by, heartbeat_at)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (period) DO NOTHING RETURNING \(runColumns)
                """, arguments: [period, asOf, policyVersion, now, actor, now])
        return row.map(run(from:))
    }

    static func run(id: Int64, in db: SQLTransaction) throws -> PointsRun? {
        try db.fetchOne(sql: "SELECT \(runColumns) FROM points_runs WHERE id = ?", arguments: [id]).map(run(from:))
    }

    static func run(period: String, in db: SQLTransaction) throws -> PointsRun? {
        try db.fetchOne(sql: "SELECT \(runColumns) FROM points_runs WHERE period = ?", arguments: [period]).map(run(from:))
    }

    /// The newest runs, newest first.
    static func runs(limit: Int, in db: SQLTransaction) throws -> [PointsRun] {
        try db.fetchAll(sql: "SELECT \(runColumns) FROM points_runs ORDER BY id DESC LIMIT ?", arguments: [max(1, min(limit, 200))]).map(run(from:))
    }

    /// Takes over an unfinished run whose runner has not been heard of since `staleBefore`; false when another
    /// runner holds it or it finished.
    static func takeOver(_ id: Int64, staleBefore: Date, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: "UPDATE points_runs SET heartbeat_at = ? WHERE id = ? AND finished_at IS NULL AND heartbeat_at < ?",
            arguments: [now, id, staleBefore]) == 1
    }

    /// Records progress (and that this runner is alive); false when the run was finished meanwhile (by a runner that
    /// took it over), so that the caller's scores are not added to a finished run.
    static func heartbeat(_ id: Int64, persons: Int, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: """
                UPDATE points_runs SET heartbeat_at = ?, persons = CASE WHEN persons > ? THEN persons ELSE ? END WHERE id = ? AND finished_at IS NULL
                """, arguments: [now, persons, persons, id]) == 1
    }

    /// Unfinished runs whose runner has not been heard of since `staleBefore` (a daemon died mid-run), oldest first.
    static func stalledRuns(staleBefore: Date, in db: SQLTransaction) throws -> [PointsRun] {
        try db.fetchAll(
            sql: "SELECT \(runColumns) FROM points_runs WHERE finished_at IS NULL AND heartbeat_at < ? ORDER BY id LIMIT 10",
            arguments: [staleBefore]
        ).map(run(from:))
    }

    /// Marks the run finished with its count of persons.
    static func finish(_ id: Int64, at now: Date, in db: SQLTransaction) throws -> Int {
        let persons = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM points_scores WHERE run_id = ?", arguments: [id]) ?? 0
        try db.execute(
            sql: "UPDATE points_runs SET finished_at = ?, heartbeat_at = ?, persons = ? WHERE id = ? AND finished_at IS NULL",
            arguments: [now, now, persons, id])
        return persons
    }

    /// The last person a run scored (persons are scored in id order), nil when none yet.
    static func lastScored(run id: Int64, in db: SQLTransaction) throws -> String? {
        try db.fetchOne(String.self, sql: "SELECT MAX(subject) FROM points_scores WHERE run_id = ?", arguments: [id])
    }

    // MARK: Scores

    /// A score as its row stores it: the items already encoded, so that the writer only inserts.
    struct EncodedScore: Sendable {
        var subject: String
        var total: Int
        var items: String
    }

    /// Encodes scores for ``insert(_:run:in:)`` (done where they are computed, not while the writer is held).
    static func encoded(_ scores: [PointsScore]) throws -> [EncodedScore] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try scores.map {
            EncodedScore(subject: $0.subject.rawValue, total: $0.total, items: String(decoding: try encoder.encode($0.items), as: UTF8.self))
        }
    }

    /// Stores scores of a run; a score already stored (a resumed run) is kept.
    static func insert(_ scores: [EncodedScore], run id: Int64, in db: SQLTransaction) throws {
        for chunk in stride(from: 0, to: scores.count, by: 200) {
            let part = scores[chunk..<min(chunk + 200, scores.count)]
            var arguments = SQLArguments()
            for score in part {
                arguments.append(id)
                arguments.append(score.subject)
                arguments.append(score.total)
                arguments.append(score.items)
            }
            try db.executeUnanswered(
                sql: """
                    INSERT INTO points_scores (run_id, subject, total, items) VALUES \(Array(repeating: "(?, ?, ?, ?)", count: part.count).joined(separator: ", "))
                    ON CONFLICT (run_id, subject) DO NOTHING
                    """, arguments: arguments)
        }
    }

    /// `subject`'s score in run `id`.
    static func score(run id: Int64, subject: String, in db: SQLTransaction) throws -> PointsScore? {
        try db.fetchOne(sql: "SELECT subject, total, items FROM points_scores WHERE run_id = ? AND subject = ?", arguments: [id, subject]).map(
            score(from:))
    }

    /// `subject`'s score in the newest finished run, with the run.
    static func latestScore(subject: String, in db: SQLTransaction) throws -> (run: PointsRun, score: PointsScore)? {
        let runs = try db.fetchAll(sql: "SELECT \(runColumns) FROM points_runs WHERE finished_at IS NOT NULL ORDER BY as_of DESC, id DESC LIMIT 3")
        for row in runs {
            let run = run(from: row)
            if let score = try score(run: run.id, subject: subject, in: db) { return (run, score) }
        }
        return nil
    }

    private static func score(from row: SQLRow) throws -> PointsScore {
        PointsScore(
            subject: row["subject"], total: row["total"],
            items: try JSONDecoder().decode([PointsItem].self, from: Data((row["items"] as String).utf8)))
    }

    // MARK: What a score is computed from

    /// A registered person as the scoring reads them.
    struct Person: Sendable {
        var id: String
        var idSealed: [UInt8]
        var registeredAt: Date

        init(row: SQLRow) {
            id = row[0]
            idSealed = [UInt8](row[1] as Data)
            registeredAt = row[2]
        }
    }

    /// Persons registered by `date`, in id order, after `after`.
    static func persons(after: String?, registeredBy date: Date, limit: Int, in db: SQLTransaction) throws -> [Person] {
        try db.fetchAll(
            sql: "SELECT id, id_sealed, created_at FROM persons WHERE id > ? AND created_at <= ? ORDER BY id LIMIT ?",
            arguments: [after ?? "", date, limit]
        ).map(Person.init(row:))
    }

    /// Person `id` if registered by `date`.
    static func person(_ id: String, registeredBy date: Date, in db: SQLTransaction) throws -> Person? {
        try db.fetchOne(sql: "SELECT id, id_sealed, created_at FROM persons WHERE id = ? AND created_at <= ?", arguments: [id, date]).map(
            Person.init(row:))
    }

    /// Documents of `matters` issued by `date` to the holders `idNumbers` (at most 1,000), by holder ID number.
    static func documents(holders idNumbers: [String], matters: Set<String>, issuedBy date: Date, in db: SQLTransaction) throws -> [String:
        [PointsDocument]]
    {
        guard !idNumbers.isEmpty, !matters.isEmpty else { return [:] }
        let holders = Array(idNumbers.prefix(1000)), codes = matters.sorted()
        var arguments = SQLArguments(holders)
        arguments += SQLArguments(codes)
        arguments.append(date)
        let rows = try db.fetchAll(
            sql: """
                SELECT id, holder_id_number, matter_code, issued_at, valid_until, status, status_changed_at, fields FROM documents
                WHERE holder_id_number IN (\(SQLTransaction.placeholders(holders.count)))
                  AND matter_code IN (\(SQLTransaction.placeholders(codes.count))) AND issued_at <= ? AND holder_kind = 'person'
                """, arguments: arguments)
        var result: [String: [PointsDocument]] = [:]
        let decoder = JSONDecoder()
        for row in rows {
            let fields = (try? decoder.decode([ResultField].self, from: Data((row["fields"] as String).utf8))) ?? []
            result[row["holder_id_number"], default: []].append(
                PointsDocument(
                    id: row["id"], matter: row["matter_code"], issuedAt: row["issued_at"], validUntil: row["valid_until"],
                    status: DocumentStatus(rawValue: row["status"]) ?? .valid, statusChangedAt: row["status_changed_at"], fields: fields))
        }
        return result
    }

    /// Claims of `subjects` (at most 1,000) approved by `date`, with those rejected but corrected on review by then.
    static func approvals(subjects: [String], decidedBy date: Date, in db: SQLTransaction) throws -> [String: [PointsApproval]] {
        guard !subjects.isEmpty else { return [:] }
        var arguments = SQLArguments(subjects.prefix(1000))
        arguments.append(date)
        arguments += arguments
        let placeholders = SQLTransaction.placeholders(min(subjects.count, 1000))
        // A rejected claim whose dispute was corrected counts as approved when the dispute was decided: the reviewer
        // of the 复核 decided the claim was right after all (its points are the correction's).
        let rows = try db.fetchAll(
            sql: """
                SELECT id, subject, indicator, option, decided_at FROM points_claims
                WHERE subject IN (\(placeholders)) AND decision = 'approved' AND decided_at <= ?
                UNION ALL
                SELECT c.id, c.subject, c.indicator, c.option, d.decided_at FROM points_claims c JOIN points_disputes d ON d.claim_id = c.id
                WHERE c.subject IN (\(placeholders)) AND c.decision = 'rejected' AND d.outcome = 'corrected' AND d.decided_at <= ?
                """, arguments: arguments)
        return Dictionary(
            grouping: rows.map { row in
                (
                    row["subject"] as String,
                    PointsApproval(claim: row["id"], indicator: row["indicator"], option: row["option"], decidedAt: row["decided_at"])
                )
            }, by: \.0
        ).mapValues { $0.map(\.1) }
    }

    /// Corrections decided on review for `subjects` (at most 1,000) by `date`, each with the records the disputed
    /// item came from: the stored item of the disputed run, or the claim when a claim's decision was disputed.
    static func corrections(subjects: [String], decidedBy date: Date, in db: SQLTransaction) throws -> [String: [PointsCorrection]] {
        guard !subjects.isEmpty else { return [:] }
        var arguments = SQLArguments(subjects.prefix(1000))
        arguments.append(date)
        let rows = try db.fetchAll(
            sql: """
                SELECT d.id, d.subject, d.indicator, d.points, d.decided_at, d.policy_version, d.claim_id, s.items AS run_items
                FROM points_disputes d
                LEFT JOIN points_scores s ON s.run_id = d.run_id AND s.subject = d.subject
                WHERE d.subject IN (\(SQLTransaction.placeholders(min(subjects.count, 1000)))) AND d.outcome = 'corrected' AND d.decided_at <= ?
                """, arguments: arguments)
        let decoder = JSONDecoder()
        return Dictionary(
            grouping: try rows.map { row in
                let indicator: String = row["indicator"]
                var inputs: [String] = []
                if let claim: String = row["claim_id"] {
                    // Approved, or rejected and so approved by this very correction (``approvals``): the item comes from it.
                    inputs = ["claim:\(claim)"]
                } else if let items: String = row["run_items"] {
                    let item = try decoder.decode([PointsItem].self, from: Data(items.utf8)).first { $0.indicator == indicator }
                    inputs = (item?.inputs ?? []).filter { !$0.hasPrefix("dispute:") }
                }
                return (
                    row["subject"] as String,
                    PointsCorrection(
                        dispute: row["id"], indicator: indicator, points: row["points"],
                        decidedAt: row["decided_at"], policyVersion: row["policy_version"], inputs: inputs)
                )
            }, by: \.0
        ).mapValues { $0.map(\.1) }
    }

    // MARK: Claims

    private static let claimColumns = """
        id, subject, indicator, option, statement, evidence_type, department, policy_version, submitted_at, decision, decided_by, decided_at, reason
        """

    private static func claim(from row: SQLRow) -> PointsClaim {
        PointsClaim(
            id: row["id"], subject: row["subject"], indicator: row["indicator"], option: row["option"], statement: row["statement"],
            evidenceType: row["evidence_type"], department: row["department"], policyVersion: row["policy_version"],
            submittedAt: row["submitted_at"], decision: row["decision"], decidedBy: row["decided_by"], decidedAt: row["decided_at"],
            reason: row["reason"])
    }

    /// Records a claim; false when the person has an open claim for the indicator.
    static func insert(_ claim: PointsClaim, evidence: [UInt8]?, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: """
                INSERT INTO points_claims (id, subject, indicator, option, statement, evidence, evidence_type, department, policy_version, submitted_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subject, indicator) WHERE decision IS NULL DO NOTHING
                """,
            arguments: [
                claim.id, claim.subject, claim.indicator, claim.option, claim.statement, evidence.map { Data($0) }, claim.evidenceType,
                claim.department, claim.policyVersion, claim.submittedAt,
            ]) == 1
    }

    static func claim(id: String, in db: SQLTransaction) throws -> PointsClaim? {
        try db.fetchOne(sql: "SELECT \(claimColumns) FROM points_claims WHERE id = ?", arguments: [id]).map(claim(from:))
    }

    /// The proof handed in with claim `id`.
    static func evidence(claim id: String, in db: SQLTransaction) throws -> (type: String, bytes: [UInt8])? {
        guard
            let row = try db.fetchOne(sql: "SELECT evidence_type, evidence FROM points_claims WHERE id = ? AND evidence IS NOT NULL", arguments: [id])
        else { return nil }
        return (row[0], [UInt8](row[1] as Data))
    }

    /// Clears the proofs of at most `limit` claims decided before `date` and not under an open dispute; how many.
    static func clearEvidence(decidedBefore date: Date, limit: Int, in db: SQLTransaction) throws -> Int {
        try db.execute(
            sql: """
                UPDATE points_claims SET evidence = NULL WHERE id IN (
                    SELECT c.id FROM points_claims c WHERE c.decision IS NOT NULL AND c.decided_at < ? AND c.evidence IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM points_disputes d WHERE d.claim_id = c.id AND d.outcome IS NULL) LIMIT ?)
                """, arguments: [date, limit])
    }

    /// `subject`'s claims, newest first (at most 100).
    static func claims(subject: String, in db: SQLTransaction) throws -> [PointsClaim] {
        try db.fetchAll(
            sql: "SELECT \(claimColumns) FROM points_claims WHERE subject = ? ORDER BY submitted_at DESC, id LIMIT 100",
            arguments: [subject]
        ).map(claim(from:))
    }

    /// Claims waiting for `department`'s reviewers, oldest first (at most 200).
    static func pendingClaims(department: String, in db: SQLTransaction) throws -> [PointsClaim] {
        try db.fetchAll(
            sql: "SELECT \(claimColumns) FROM points_claims WHERE department = ? AND decision IS NULL ORDER BY submitted_at, id LIMIT 200",
            arguments: [department]
        ).map(claim(from:))
    }

    /// Decides an open claim; false when it was decided already.
    static func decide(claim id: String, approved: Bool, reviewer: String, reason: String, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: "UPDATE points_claims SET decision = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND decision IS NULL",
            arguments: [approved ? "approved" : "rejected", reviewer, now, reason, id]) == 1
    }

    // MARK: Disputes

    private static let disputeColumns = """
        id, subject, indicator, run_id, claim_id, policy_version, disputed_points, reason, department, first_reviewer, filed_at, outcome, points,
        decided_by, decided_at, decision_reason
        """

    private static func dispute(from row: SQLRow) -> PointsDispute {
        PointsDispute(
            id: row["id"], subject: row["subject"], indicator: row["indicator"], run: row["run_id"], claim: row["claim_id"],
            policyVersion: row["policy_version"], disputedPoints: row["disputed_points"], reason: row["reason"], department: row["department"],
            firstReviewer: row["first_reviewer"], filedAt: row["filed_at"], outcome: row["outcome"], points: row["points"],
            decidedBy: row["decided_by"], decidedAt: row["decided_at"], decisionReason: row["decision_reason"])
    }

    /// Records a dispute; false when the item was disputed already.
    static func insert(_ dispute: PointsDispute, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: """
                INSERT INTO points_disputes (id, subject, indicator, run_id, claim_id, policy_version, disputed_points, reason, department, first_reviewer, filed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """,
            arguments: [
                dispute.id, dispute.subject, dispute.indicator, dispute.run, dispute.claim, dispute.policyVersion, dispute.disputedPoints,
                dispute.reason, dispute.department, dispute.firstReviewer, dispute.filedAt,
            ]) == 1
    }

    static func dispute(id: String, in db: SQLTransaction) throws -> PointsDispute? {
        try db.fetchOne(sql: "SELECT \(disputeColumns) FROM points_disputes WHERE id = ?", arguments: [id]).map(dispute(from:))
    }

    /// `subject`'s disputes, newest first (at most 100).
    static func disputes(subject: String, in db: SQLTransaction) throws -> [PointsDispute] {
        try db.fetchAll(
            sql: "SELECT \(disputeColumns) FROM points_disputes WHERE subject = ? ORDER BY filed_at DESC, id LIMIT 100",
            arguments: [subject]
        ).map(dispute(from:))
    }

    /// Disputes waiting for `department`'s reviewers, oldest first (at most 200).
    static func pendingDisputes(department: String, in db: SQLTransaction) throws -> [PointsDispute] {
        try db.fetchAll(
            sql: "SELECT \(disputeColumns) FROM points_disputes WHERE department = ? AND outcome IS NULL ORDER BY filed_at, id LIMIT 200",
            arguments: [department]
        ).map(dispute(from:))
    }

    /// Decides an open dispute; false when it was decided already.
    static func decide(dispute id: String, points: Int?, reviewer: String, reason: String, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: """
                UPDATE points_disputes SET outcome = ?, points = ?, decided_by = ?, decided_at = ?, decision_reason = ? WHERE id = ? AND outcome IS NULL
                """, arguments: [points == nil ? "upheld" : "corrected", points, reviewer, now, reason, id]) == 1
    }
}
