import Foundation

/// The credit ledger (`credit_events`, append-only) and the organisations registered as credit subjects
/// (`credit_organizations`), and all their SQL. Methods run in the caller's transaction.
enum CreditLedger {
    static let eventColumns =
        "id, subject, type, points, serious, direct_d, basis, effective_at, expires_at, repairs, source, reference, recorded_at, recorded_by"

    /// Appends `event` and returns its id. A second event with the same source and reference is `duplicate_event`.
    static func insert(_ event: CreditEvent, in db: SQLTransaction) throws -> Int64 {
        do {
            return try db.fetchValue(
                Int64.self,
                sql: """
                    INSERT INTO credit_events (subject, type, points, serious, direct_d, basis, effective_at, expires_at, repairs, source, reference, recorded_at, recorded_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                    """,
                arguments: [
                    event.subject, event.type, event.points, event.serious, event.directD, event.basis, event.effectiveAt, event.expiresAt,
                    event.repairs, event.source, event.reference, event.recordedAt, event.recordedBy,
                ])
        } catch let error as SQLFailure where error.kind == .uniqueViolation {
            // UNIQUE (source, reference): the same record twice is the caller's mistake, not a storage failure.
            throw ZeroTripError(
                .duplicateEvent,
                "an event with reference \(event.reference.map { String($0.prefix(64)) } ?? "-") from \(event.source) is already recorded")
        }
    }

    /// Events of `subject` recorded at or before `date` (all with nil), in recording order.
    static func events(subject: String, recordedBy date: Date?, in db: SQLTransaction) throws -> [CreditEvent] {
        if let ahead = db.readAhead(.creditEvents, subject, as: [CreditEvent].self) {
            let events = ahead ?? []
            guard let date else { return events }
            return events.filter { $0.recordedAt <= date }
        }
        if let date {
            return try events(where: "WHERE subject = ? AND recorded_at <= ?", arguments: [subject, date], in: db)
        }
        return try events(where: "WHERE subject = ?", arguments: [subject], in: db)
    }

    /// The events of `subjects` (at most 1,000) recorded by `date`, by subject, oldest first (the scoring run's read).
    static func events(subjects: [String], recordedBy date: Date, in db: SQLTransaction) throws -> [String: [CreditEvent]] {
        guard !subjects.isEmpty else { return [:] }
        let placeholders = SQLTransaction.placeholders(min(subjects.count, 1000))
        var arguments = SQLArguments(subjects.prefix(1000))
        arguments.append(date)
        return Dictionary(
            grouping: try events(where: "WHERE subject IN (\(placeholders)) AND recorded_at <= ?", arguments: arguments, in: db), by: \.subject)
    }

    /// Runs `body` with every event of `subjects` read in one statement, 500 subjects a statement at most; within it
    /// ``events(subject:recordedBy:in:)`` answers those subjects from memory (events are only ever added). For a
    /// group-committed batch of window credit reads, as ``PersonStore/readingAhead(lookups:in:_:)``.
    static func readingAhead<T>(subjects: [String], in db: SQLTransaction, _ body: () throws -> T) throws -> T {
        let asked = Set(subjects)
        guard !asked.isEmpty else { return try body() }
        var found: [String: [CreditEvent]] = [:]
        let all = Array(asked)
        for start in stride(from: 0, to: all.count, by: 500) {
            let chunk = all[start..<min(all.count, start + 500)]
            for event in try events(
                where: "WHERE subject IN (\(SQLTransaction.placeholders(chunk.count)))",
                arguments: SQLArguments(chunk),
                in: db)
            {
                found[event.subject, default: []].append(event)
            }
        }
        return try db.readingAhead(.creditEvents, SQLTransaction.ReadAhead(asked: asked, found: found), body)
    }

    /// Event `id`.
    static func event(_ id: Int64, in db: SQLTransaction) throws -> CreditEvent? {
        try events(where: "WHERE id = ?", arguments: [id], in: db).first
    }

    /// Whether event `id` already has a repair.
    static func isRepaired(_ id: Int64, in db: SQLTransaction) throws -> Bool {
        try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM credit_events WHERE repairs = ?", arguments: [id]) ?? 0 > 0
    }

    /// Whether an event from `source` with `reference` is recorded.
    static func contains(source: String, reference: String, in db: SQLTransaction) throws -> Bool {
        try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM credit_events WHERE source = ? AND reference = ?", arguments: [source, reference]) ?? 0
            > 0
    }

    private static func events(where clause: String, arguments: SQLArguments, in db: SQLTransaction) throws -> [CreditEvent] {
        try db.fetchAll(sql: "SELECT \(eventColumns) FROM credit_events \(clause) ORDER BY id", arguments: arguments).map {
            CreditEvent(
                id: $0["id"], subject: $0["subject"], type: $0["type"], points: $0["points"], serious: $0["serious"], directD: $0["direct_d"],
                basis: $0["basis"], effectiveAt: $0["effective_at"], expiresAt: $0["expires_at"], repairs: $0["repairs"], source: $0["source"],
                reference: $0["reference"], recordedAt: $0["recorded_at"], recordedBy: $0["recorded_by"])
        }
    }

    // MARK: Organisations

    /// Organisation `code` as a credit subject.
    static func organization(_ code: String, in db: SQLTransaction) throws -> CreditSubject? {
        try db.fetchOne(sql: "SELECT name, established_at, data_complete FROM credit_organizations WHERE code = ?", arguments: [code]).map {
            CreditSubject(
                id: SubjectID.organization(code).rawValue, kind: .organization, establishedAt: $0["established_at"],
                dataComplete: $0["data_complete"],
                displayName: $0["name"])
        }
    }

    /// The registry subject of organisation `code`'s legal representative, nil when none is recorded.
    static func legalRepresentative(of code: String, in db: SQLTransaction) throws -> String? {
        try db.fetchOne(String.self, sql: "SELECT legal_representative FROM credit_organizations WHERE code = ?", arguments: [code])
    }

    /// The codes of the organisations whose legal representative is the registry subject `subject`.
    static func organizations(representedBy subject: String, in db: SQLTransaction) throws -> [String] {
        try db.fetchAll(sql: "SELECT code FROM credit_organizations WHERE legal_representative = ? ORDER BY code LIMIT 100", arguments: [subject])
            .map { $0["code"] as String }
    }

    /// Registers an organisation; `duplicate_subject` when the code is registered.
    static func insertOrganization(
        code: String, name: String, establishedAt: Date, dataComplete: Bool, legalRepresentative: String?, actor: String,
        at now: Date, in db: SQLTransaction
    ) throws {
        do {
            try db.execute(
                sql: """
                    INSERT INTO credit_organizations (code, name, established_at, data_complete, legal_representative, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [code, name, establishedAt, dataComplete, legalRepresentative, actor, now])
        } catch let error as SQLFailure where error.kind == .uniqueViolation {
            throw ZeroTripError(.duplicateSubject, "organisation \(code) is already registered")
        }
    }
}
