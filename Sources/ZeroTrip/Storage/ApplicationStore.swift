package import Foundation

/// Applications and what hangs on them (`applications`, `application_materials`, `application_history`,
/// `application_flags`, `commitments`, `obligations`) and all their SQL.
///
/// Every method runs in a transaction handed in by the caller: ``ApplicationService`` composes these with the
/// audit log, the credit ledger and the document register so each step commits whole. The benchmark fills the
/// same tables through the same methods.
package enum ApplicationStore {
    // MARK: Applications

    /// A new application's row.
    package struct NewApplication: Sendable {
        package var id: String
        package var matterCode: String
        package var catalogueVersion: Int
        package var department: String
        /// `person:<id>`.
        package var subject: String
        package var applicantName: String
        package var mode: ApplicationMode
        package var state: ApplicationState = .submitted
        package var submittedAt: Date
        package var acceptedAt: Date?
        package var timeLimitDue: Date?
        package var createdBy: String

        package init(
            id: String, matterCode: String, catalogueVersion: Int, department: String, subject: String, applicantName: String,
            mode: ApplicationMode, state: ApplicationState = .submitted, submittedAt: Date, acceptedAt: Date? = nil,
            timeLimitDue: Date? = nil, createdBy: String
        ) {
            self.id = id
            self.matterCode = matterCode
            self.catalogueVersion = catalogueVersion
            self.department = department
            self.subject = subject
            self.applicantName = applicantName
            self.mode = mode
            self.state = state
            self.submittedAt = submittedAt
            self.acceptedAt = acceptedAt
            self.timeLimitDue = timeLimitDue
            self.createdBy = createdBy
        }
    }

    /// Inserts an application with one row per material (`provided` says which were handed in).
    package static func insert(
        _ application: NewApplication, materials: [(code: String, provided: Bool)], documents: [String: String] = [:],
        in db: SQLTransaction
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO applications (id, matter_code, catalogue_version, department_code, subject, applicant_name, mode, state, submitted_at,
                    accepted_at, time_limit_due, created_by, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                application.id, application.matterCode, application.catalogueVersion, application.department, application.subject,
                application.applicantName, application.mode.rawValue, application.state.rawValue, application.submittedAt,
                application.acceptedAt, application.timeLimitDue, application.createdBy, application.submittedAt,
            ])
        try FiguresStore.add(.submitted, at: application.submittedAt, department: application.department, label: application.mode.rawValue, in: db)
        for material in materials {
            try db.execute(
                sql: "INSERT INTO application_materials (application_id, code, status, provided_at, document_id) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    application.id, material.code, material.provided ? "provided" : "missing",
                    material.provided ? application.submittedAt : nil, documents[material.code],
                ])
        }
    }

    /// Columns a step sets besides the state (nil: unchanged).
    package struct StepColumns: Sendable {
        var acceptedAt: Date?
        var timeLimitDue: Date?
        var reviewStartedAt: Date?
        var reviewStallAt: Date?
        var documentID: DocumentID?

        package init(
            acceptedAt: Date? = nil, timeLimitDue: Date? = nil, reviewStartedAt: Date? = nil, reviewStallAt: Date? = nil,
            documentID: DocumentID? = nil
        ) {
            self.acceptedAt = acceptedAt
            self.timeLimitDue = timeLimitDue
            self.reviewStartedAt = reviewStartedAt
            self.reviewStallAt = reviewStallAt
            self.documentID = documentID
        }
    }

    /// Moves `id` from one of `from` to `to` with its history row and audit event; `invalid_transition` when it is
    /// elsewhere, `unknown_application` when there is no such application.
    package static func transition(
        _ id: String, from: [ApplicationState], to: ApplicationState, setting columns: StepColumns = StepColumns(),
        reason: String, actor: String, at now: Date, in db: SQLTransaction
    ) throws {
        var assignments = ["state = ?", "updated_at = ?"]
        var arguments: SQLArguments = [to.rawValue, now]
        for (column, value) in [
            ("accepted_at", columns.acceptedAt), ("time_limit_due", columns.timeLimitDue),
            ("review_started_at", columns.reviewStartedAt), ("review_stall_at", columns.reviewStallAt),
        ] {
            if let value { assignments.append("\(column) = ?"); arguments += [value] }
        }
        if let document = columns.documentID { assignments.append("document_id = ?"); arguments += [document] }
        arguments += [id]
        arguments += SQLArguments(from.map(\.rawValue))
        let placeholders = from.map { _ in "?" }.joined(separator: ", ")
        try db.execute(
            sql: "UPDATE applications SET \(assignments.joined(separator: ", ")) WHERE id = ? AND state IN (\(placeholders))",
            arguments: arguments)
        guard db.changesCount == 1 else {
            guard let state = try self.state(of: id, in: db) else { throw ZeroTripError(.unknownApplication, "no application \(id.prefix(32))") }
            throw ZeroTripError(
                .invalidTransition, "application is \(state.rawValue); \(to.rawValue) needs \(from.map(\.rawValue).joined(separator: " or "))")
        }
        try history(id, to, reason: reason, actor: actor, at: now, in: db)
        try AuditLog.append(
            AuditEntry(actor: actor, action: .application(to), target: "application:\(id)", details: ["reason": reason]),
            at: now, in: db)
    }

    /// Terminates `id` unless it already ended (closed, rejected, terminated); true when it moved.
    static func terminate(_ id: String, reason: String, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: "UPDATE applications SET state = 'terminated', updated_at = ? WHERE id = ? AND state NOT IN ('closed', 'rejected', 'terminated')",
            arguments: [now, id])
        guard db.changesCount == 1 else { return false }
        try history(id, .terminated, reason: reason, actor: "system", at: now, in: db)
        return true
    }

    /// Appends to the application's state history.
    static func history(_ id: String, _ state: ApplicationState, reason: String, actor: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql: "INSERT INTO application_history (application_id, state, reason, actor, changed_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [id, state.rawValue, reason, actor, now])
        try countFigures(id, state, at: now, in: db)
    }

    /// The district's figures of an ending (handling time from submission) and of a review decision (review time from
    /// its start), in working days of the calendar in force now.
    private static func countFigures(_ id: String, _ state: ApplicationState, at now: Date, in db: SQLTransaction) throws {
        let ending = state == .closed || state == .rejected || state == .terminated, decided = state == .approved || state == .rejected
        guard ending || decided, let brief = try brief(id, in: db) else { return }
        let calendar = try FiguresStore.calendar(at: now, in: db)
        if ending {
            try FiguresStore.addEnding(
                department: brief.department, state: state.rawValue, submitted: brief.submittedAt, at: now, calendar: calendar, in: db)
        }
        // A review ends at the application's first approval or rejection (one approved and rejected later counts once).
        if decided, let start = brief.reviewStartedAt, now >= start,
            try db.fetchOne(
                Int.self,
                sql: """
                    SELECT COUNT(*) FROM application_history WHERE application_id = ? AND state IN ('approved', 'rejected')
                    """, arguments: [id]) == 1
        {
            try FiguresStore.addReview(department: brief.department, started: start, at: now, calendar: calendar, in: db)
        }
    }

    /// The columns of one application that a step beside it needs (a rating invitation, a staff notice, a grant's
    /// check), read in one query: not the materials, obligation and commitment ``load(_:in:)`` assembles.
    struct Brief: Sendable {
        var subject: SubjectID
        var department: String
        var matterCode: String
        var state: ApplicationState
        var submittedAt: Date
        var reviewStartedAt: Date?
        /// Who submitted it (a credential's actor, `credential:<id>/clerk:<no>` at a window station).
        var createdBy: String
    }

    static func brief(_ id: String, in db: SQLTransaction) throws -> Brief? {
        try db.fetchOne(
            sql: """
                SELECT subject, department_code, matter_code, state, submitted_at, review_started_at, created_by FROM applications WHERE id = ?
                """, arguments: [id]
        ).map {
            Brief(
                subject: $0["subject"], department: $0["department_code"], matterCode: $0["matter_code"],
                state: ApplicationState(rawValue: $0["state"]) ?? .submitted, submittedAt: $0["submitted_at"],
                reviewStartedAt: $0["review_started_at"],
                createdBy: $0["created_by"])
        }
    }

    /// The state of `id`, nil when unknown.
    static func state(of id: String, in db: SQLTransaction) throws -> ApplicationState? {
        try db.fetchOne(String.self, sql: "SELECT state FROM applications WHERE id = ?", arguments: [id]).flatMap(ApplicationState.init)
    }

    /// Marks `codes` of `id` handed in at `now`; returns how many materials are still missing.
    static func provide(_ codes: Set<String>, of id: String, at now: Date, in db: SQLTransaction) throws -> Int {
        for code in codes.sorted() {
            try db.execute(
                sql:
                    "UPDATE application_materials SET status = 'provided', provided_at = ? WHERE application_id = ? AND code = ? AND status = 'missing'",
                arguments: [now, id, code])
        }
        return try db.fetchOne(
            Int.self, sql: "SELECT COUNT(*) FROM application_materials WHERE application_id = ? AND status = 'missing'", arguments: [id]) ?? 0
    }

    /// Ids of applications, newest first, filtered by department, subject and flags.
    static func ids(department: String?, subject: String?, flaggedOnly: Bool, limit: Int, in db: SQLTransaction) throws -> [String] {
        var clauses: [String] = []
        var arguments: SQLArguments = []
        if let department { clauses.append("department_code = ?"); arguments += [department.uppercased()] }
        if let subject { clauses.append("subject = ?"); arguments += [subject] }
        if flaggedOnly { clauses.append("id IN (SELECT application_id FROM application_flags)") }
        let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        arguments += [max(1, min(limit, 1000))]
        return try db.fetchAll(String.self, sql: "SELECT id FROM applications \(filter) ORDER BY submitted_at DESC LIMIT ?", arguments: arguments)
    }

    /// Application `id` with its materials (named and ordered as its catalogue version lists them), obligation,
    /// commitment and flags.
    static func load(_ id: String, in db: SQLTransaction) throws -> ApplicationRecord? {
        guard let row = try db.fetchOne(sql: "SELECT * FROM applications WHERE id = ?", arguments: [id]) else { return nil }
        let version: Int = row["catalogue_version"]
        let matterCode: String = row["matter_code"]
        let matter = try ConfigurationStore.catalogue(version: version, in: db)?.matter(matterCode)
        let order = Dictionary((matter?.materials ?? []).enumerated().map { ($1.code, $0) }, uniquingKeysWith: { a, _ in a })
        let materials = try db.fetchAll(
            sql: "SELECT code, status, provided_at, document_id FROM application_materials WHERE application_id = ?", arguments: [id]
        )
        .map { m -> ApplicationMaterial in
            let code: String = m["code"]
            let spec = matter?.material(code)
            let provided = (m["status"] as String) == "provided"
            return ApplicationMaterial(
                code: code, name: spec?.name ?? code, kind: spec?.kind ?? .secondary, provided: provided, providedAt: m["provided_at"],
                documentID: m["document_id"])
        }
        .sorted { (order[$0.code] ?? 0) < (order[$1.code] ?? 0) }
        let obligation = try db.fetchOne(sql: "SELECT * FROM obligations WHERE application_id = ?", arguments: [id]).map { o in
            Obligation(
                id: o["id"], kind: ApplicationMode(rawValue: o["kind"]) ?? .trust,
                items: (try? JSONDecoder().decode([String].self, from: Data((o["items"] as String).utf8))) ?? [],
                state: ObligationState(rawValue: o["state"]) ?? .open, deadline: o["deadline"], remindAt: o["remind_at"],
                rectificationDeadline: o["rectification_deadline"], createdAt: o["created_at"], closedAt: o["closed_at"])
        }
        let commitment = try db.fetchOne(sql: "SELECT * FROM commitments WHERE application_id = ?", arguments: [id]).map { c in
            Commitment(
                items: (try? JSONDecoder().decode([String].self, from: Data((c["items"] as String).utf8))) ?? [], deadline: c["deadline"],
                consequences: c["consequences"], tier: c["tier"], method: c["method"], signedAt: c["signed_at"])
        }
        let flags = try db.fetchAll(String.self, sql: "SELECT flag FROM application_flags WHERE application_id = ? ORDER BY flag", arguments: [id])
        return ApplicationRecord(
            id: id, matterCode: matterCode, catalogueVersion: version, department: row["department_code"], subject: row["subject"],
            applicantName: row["applicant_name"], mode: ApplicationMode(rawValue: row["mode"]) ?? .standard,
            state: ApplicationState(rawValue: row["state"]) ?? .submitted,
            submittedAt: row["submitted_at"], acceptedAt: row["accepted_at"], timeLimitDue: row["time_limit_due"], documentID: row["document_id"],
            materials: materials, obligation: obligation, commitment: commitment, flags: flags)
    }

    // MARK: Flags

    /// Ids of applications at `now` past their time limit (`time_limit_exceeded`) or with a review pending too long
    /// (`review_stalled`) that do not carry that flag yet.
    static func unflagged(_ flag: String, at now: Date, limit: Int, in db: SQLTransaction) throws -> [String] {
        let due: String
        switch flag {
        case "time_limit_exceeded": due = "state IN ('accepted', 'under_review', 'approved') AND time_limit_due <= ?"
        case "review_stalled": due = "state = 'under_review' AND review_stall_at <= ?"
        case "review_escalated": due = "state = 'under_review' AND review_escalate_at <= ?"
        default: return []
        }
        return try db.fetchAll(
            String.self,
            sql: """
                SELECT id FROM applications WHERE \(due) AND id NOT IN (SELECT application_id FROM application_flags WHERE flag = ?) LIMIT ?
                """, arguments: [now, flag, limit])
    }

    /// Who started the review of `id` (the actor of its latest move to under review), if anyone did.
    static func reviewer(of id: String, in db: SQLTransaction) throws -> String? {
        try db.fetchOne(
            String.self,
            sql: """
                SELECT actor FROM application_history WHERE application_id = ? AND state = 'under_review' ORDER BY changed_at DESC LIMIT 1
                """, arguments: [id])
    }

    /// When a stalled review of `id` is escalated to the supervisors.
    static func escalate(_ id: String, at date: Date, in db: SQLTransaction) throws {
        try db.execute(sql: "UPDATE applications SET review_escalate_at = ? WHERE id = ?", arguments: [date, id])
    }

    /// Per department, applications under review now and how many of them are past their stall time at `now`.
    static func underReview(at now: Date, in db: SQLTransaction) throws -> [(department: String, waiting: Int, stalled: Int)] {
        try db.fetchAll(
            sql: """
                SELECT department_code, COUNT(*), CAST(SUM(CASE WHEN review_stall_at <= ? THEN 1 ELSE 0 END) AS BIGINT) FROM applications
                WHERE state = 'under_review' GROUP BY department_code
                """, arguments: [now]
        ).map { (department: $0[0], waiting: $0[1], stalled: $0[2]) }
    }

    /// Raises `flag` on `id`.
    package static func raise(_ flag: String, on id: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(sql: "INSERT INTO application_flags (application_id, flag, raised_at) VALUES (?, ?, ?)", arguments: [id, flag, now])
        if flag == "time_limit_exceeded", let brief = try brief(id, in: db) {
            try FiguresStore.add(.overdue, at: now, department: brief.department, in: db)
        }
    }

    // MARK: Commitments

    /// The provided materials, of any application, that document `documentID` stands for.
    static func materialsSatisfied(byDocument documentID: String, in db: SQLTransaction) throws -> [(application: String, code: String)] {
        try db.fetchAll(
            sql: "SELECT application_id, code FROM application_materials WHERE document_id = ? AND status = 'provided'",
            arguments: [documentID]
        ).map { (application: $0["application_id"], code: $0["code"]) }
    }

    /// Marks materials `codes` of `application` missing again, no longer standing on a document.
    static func reopenMaterials(application: String, codes: [String], in db: SQLTransaction) throws {
        for code in codes {
            try db.execute(
                sql:
                    "UPDATE application_materials SET status = 'missing', provided_at = NULL, document_id = NULL WHERE application_id = ? AND code = ?",
                arguments: [application, code])
        }
    }

    /// Stores the applicant's signed commitment; a second one for the same application fails the unique constraint.
    static func insertCommitment(_ commitment: Commitment, application: String, subject: String, assurance: String, in db: SQLTransaction) throws {
        try db.execute(
            sql: """
                INSERT INTO commitments (application_id, subject, items, deadline, consequences, tier, method, assurance, signed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                application, subject, String(decoding: try JSONEncoder().encode(commitment.items), as: UTF8.self), commitment.deadline,
                commitment.consequences, commitment.tier, commitment.method, assurance, commitment.signedAt,
            ])
    }

    /// The deadline the applicant committed to for `application`, nil when nothing is signed.
    static func commitmentDeadline(application: String, in db: SQLTransaction) throws -> Date? {
        try db.fetchOne(Date.self, sql: "SELECT deadline FROM commitments WHERE application_id = ?", arguments: [application])
    }

    // MARK: Obligations

    /// Opens an obligation: `items` (material codes) due by `deadline`, a reminder at `remindAt`.
    package static func openObligation(
        id: String, application: String, subject: String, kind: ApplicationMode, items: [String], deadline: Date,
        remindAt: Date?, at now: Date, in db: SQLTransaction
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO obligations (id, application_id, subject, kind, items, state, deadline, remind_at, created_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)
                """,
            arguments: [
                id, application, subject, kind.rawValue, String(decoding: try JSONEncoder().encode(items), as: UTF8.self),
                deadline, remindAt, now,
            ])
    }

    /// The state of obligation `id`.
    static func obligationState(_ id: String, in db: SQLTransaction) throws -> ObligationState? {
        try db.fetchOne(String.self, sql: "SELECT state FROM obligations WHERE id = ?", arguments: [id]).flatMap(ObligationState.init)
    }

    /// How many of `application`'s obligations still wait (open or in rectification).
    static func pendingObligations(application: String, in db: SQLTransaction) throws -> Int {
        try db.fetchOne(
            Int.self, sql: "SELECT COUNT(*) FROM obligations WHERE application_id = ? AND state IN ('open', 'rectification')",
            arguments: [application]) ?? 0
    }

    /// Closes obligation `id` as fulfilled if it still waits; true when it moved.
    static func fulfilObligation(_ id: String, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: "UPDATE obligations SET state = 'fulfilled', closed_at = ? WHERE id = ? AND state IN ('open', 'rectification')",
            arguments: [now, id])
        return db.changesCount == 1
    }

    /// Breaches obligation `id` if it is still in `state`; true when it moved.
    static func breachObligation(_ id: String, from state: ObligationState, at now: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: "UPDATE obligations SET state = 'breached', closed_at = ? WHERE id = ? AND state = ?", arguments: [now, id, state.rawValue])
        return db.changesCount == 1
    }

    /// Breaches every open obligation of `application` (it was rejected).
    static func breachOpenObligations(application: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql: "UPDATE obligations SET state = 'breached', closed_at = ? WHERE application_id = ? AND state = 'open'",
            arguments: [now, application])
    }

    /// Moves an open obligation into rectification until `until`; true when it moved.
    static func startRectification(_ id: String, until: Date, in db: SQLTransaction) throws -> Bool {
        try db.execute(
            sql: "UPDATE obligations SET state = 'rectification', rectification_deadline = ? WHERE id = ? AND state = 'open'", arguments: [until, id])
        return db.changesCount == 1
    }

    /// An obligation the sweep acts on, with its application's result document if one was issued.
    struct DueObligation: Sendable {
        var id: String
        var application: String
        var subject: String
        /// The deadline (open obligations) or the end of rectification.
        var due: Date
        var document: String?
    }

    /// Open obligations past their deadline at `now`, oldest first.
    static func overdue(at now: Date, limit: Int, in db: SQLTransaction) throws -> [DueObligation] {
        try db.fetchAll(
            sql: """
                SELECT o.id, o.application_id, o.subject, o.deadline, a.document_id FROM obligations o JOIN applications a ON a.id = o.application_id
                WHERE o.state = 'open' AND o.deadline <= ? ORDER BY o.deadline LIMIT ?
                """, arguments: [now, limit]
        ).map(DueObligation.init(row:))
    }

    /// Obligations whose rectification ended by `now`, oldest first.
    static func rectificationEnded(at now: Date, limit: Int, in db: SQLTransaction) throws -> [DueObligation] {
        try db.fetchAll(
            sql: """
                SELECT o.id, o.application_id, o.subject, o.rectification_deadline, a.document_id FROM obligations o JOIN applications a ON a.id = o.application_id
                WHERE o.state = 'rectification' AND o.rectification_deadline <= ? ORDER BY o.rectification_deadline LIMIT ?
                """, arguments: [now, limit]
        ).map(DueObligation.init(row:))
    }

    /// Open obligations whose reminder time came at `now` and whose deadline has not passed, not reminded yet.
    static func remindersDue(at now: Date, limit: Int, in db: SQLTransaction) throws -> [DueObligation] {
        try db.fetchAll(
            sql: """
                SELECT id, application_id, subject, deadline, NULL FROM obligations
                WHERE state = 'open' AND reminded_at IS NULL AND remind_at <= ? AND deadline > ? LIMIT ?
                """, arguments: [now, now, limit]
        ).map(DueObligation.init(row:))
    }

    /// Records that the applicant was reminded of obligation `id`.
    static func markReminded(_ id: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(sql: "UPDATE obligations SET reminded_at = ? WHERE id = ?", arguments: [now, id])
    }
}

extension ApplicationStore.DueObligation {
    /// Decodes a row of (id, application, subject, due, document) by position.
    init(row: SQLRow) {
        id = row[0]
        application = row[1]
        subject = row[2]
        due = row[3]
        document = row[4]
    }
}

/// Messages waiting for the applicant's channel (`notification_outbox`): reminders, rectification and breach notices.
enum NotificationOutbox {
    /// Queues a message for `subject`.
    static func enqueue(subject: SubjectID, kind: String, reference: String, message: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql: "INSERT INTO notification_outbox (subject, kind, reference, message, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [subject, kind, reference, message, now])
    }

    /// The newest `limit` messages (of `subject`, or everyone's), oldest of them first.
    static func newest(subject: String?, limit: Int, in db: SQLTransaction) throws -> [ApplicantNotification] {
        var arguments: SQLArguments = []
        if let subject { arguments += [subject] }
        arguments += [max(1, min(limit, 1000))]
        return try db.fetchAll(
            sql: """
                SELECT * FROM (SELECT * FROM notification_outbox \(subject == nil ? "" : "WHERE subject = ?") ORDER BY id DESC LIMIT ?) AS newest ORDER BY id
                """, arguments: arguments
        ).map {
            ApplicantNotification(
                subject: $0["subject"], kind: $0["kind"], reference: $0["reference"], message: $0["message"], createdAt: $0["created_at"])
        }
    }
}
