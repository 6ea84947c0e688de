public import struct Foundation.Date
public import Foundation

/// The append-only, hash-chained audit log.
///
/// Events are appended inside the caller's write transaction, so an audited change and its
/// audit event commit together or not at all. `audit_head` records the last sequence number and
/// hash so that deleting the newest events is detected too.
public enum AuditLog {
    static let genesisHash = [UInt8](repeating: 0, count: 32)

    /// Appends `entry` at `date` within an open write transaction and returns the stored event.
    @discardableResult
    package static func append(_ entry: AuditEntry, at date: Date, in db: SQLTransaction) throws -> AuditEvent {
        try append([(entry, date)], in: db)[0]
    }

    /// Appends `entries` in order within an open write transaction and returns the stored events.
    ///
    /// The chain is computed in memory from one read of the head, the events go in with multi-row inserts and the
    /// head is written once: a group-committed batch costs a few statements, not three per event (on PostgreSQL
    /// every statement is a network round trip on the one writer every daemon shares).
    ///
    /// `alone`: these events are a group-committed batch (``AuditBatcher``). On SQLite its transaction holds nothing
    /// else, so a failed insert may void all of it (see ``eventRow``); on PostgreSQL the writer may join it with other
    /// writes in one transaction, and its events and the new head go in as one statement. Inside a larger
    /// transaction, or a savepoint that must roll back alone, it stays false.
    package static func append(_ entries: [(entry: AuditEntry, date: Date)], in db: SQLTransaction, alone: Bool = false) throws -> [AuditEvent] {
        guard !entries.isEmpty else { return [] }
        var previousSeq: Int64
        var previousHash: [UInt8]
        if let head = db.remembered(.auditHead, as: ChainHead.self) {
            (previousSeq, previousHash) = (head.seq, head.hash)
        } else {
            let head = try headRow(in: db)
            previousSeq = head?["seq"] ?? 0
            previousHash = head.map { [UInt8]($0["hash"] as Data) } ?? genesisHash
        }
        var events: [AuditEvent] = []
        events.reserveCapacity(entries.count)
        for (entry, date) in entries {
            // Compact, keys sorted, the same canonical form as transparency-log entries (and far cheaper than
            // JSONEncoder on the sweep's and the window checks' hot paths).
            let detailsJSON = String(decoding: TransparencyLog.canonicalJSON(entry.details), as: UTF8.self)
            var event = AuditEvent(
                seq: previousSeq + 1, occurredAt: AuditEvent.timestamp(date), actor: entry.actor, action: entry.action.rawValue,
                target: entry.target, outcome: entry.outcome, details: detailsJSON, prevHash: previousHash, hash: [])
            event.hash = event.computedHash
            events.append(event)
            previousSeq = event.seq
            previousHash = event.hash
        }
        let head = ChainHead(seq: previousSeq, hash: previousHash)
        db.remember(head, for: .auditHead)
        if alone, db.isPostgres, events.count * (eventRow.columns.count + 1) < 30_000 {
            // A group-committed batch on PostgreSQL: its events and the new head in one statement, since every
            // statement is a round trip through the connection (PostgresNIO runs them one after another).
            var arguments = SQLArguments()
            for event in events { arguments += Self.arguments(event) }
            arguments += [head.seq, Data(head.hash)]
            try db.executeUnanswered(sql: "WITH events AS (\(eventRow.sql(rows: events.count))) \(headUpsert)", arguments: arguments)
            // The writer may have joined this batch with other writes in one transaction: a head update one of them
            // left for the commit would write an older head over this one.
            try db.writeAtCommit(.auditHead) { _ in }
            return events
        }
        var rollingBackAll = false
        if alone, case .sqlite = db.engine { rollingBackAll = true }
        var start = 0
        while start < events.count {
            let chunk = events[start..<min(events.count, start + insertRows)]
            var arguments = SQLArguments()
            for event in chunk { arguments += Self.arguments(event) }
            if rollingBackAll {
                try db.executeUnanswered(sql: eventRow.sql(rows: chunk.count, verb: "INSERT OR ROLLBACK"), arguments: arguments)
            } else {
                try db.insertRows(eventRow, values: arguments)
            }
            start += chunk.count
        }
        // Where writes share a transaction (PostgreSQL) the head is written once, as the last of them left it.
        try db.writeAtCommit(.auditHead) { db in try db.executeUnanswered(sql: headUpsert, arguments: [head.seq, Data(head.hash)]) }
        return events
    }

    private static let headUpsert =
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"

    /// An event's values in ``eventRow``'s column order.
    private static func arguments(_ event: AuditEvent) -> SQLArguments {
        [event.seq, event.occurredAt, event.actor, event.action, event.target, event.outcome, event.details, Data(event.prevHash), Data(event.hash)]
    }

    /// The chain's last sequence number and hash, as `audit_head` holds them.
    private struct ChainHead: Sendable {
        var seq: Int64
        var hash: [UInt8]
    }

    /// Rows per insert statement: 9 parameters each, well below SQLite's and PostgreSQL's limits, and few distinct
    /// statement texts.
    private static let insertRows = 64

    /// The columns of an event row.
    ///
    /// A group-committed batch inserts `OR ROLLBACK` on SQLite: a multi-row insert that could fail half-way
    /// (`OR ABORT`, the default) makes SQLite keep a statement journal to undo just that statement, and beyond 64 KiB
    /// (a batch of a few hundred events) that journal is a temporary file created and deleted per batch. Without it a
    /// failure voids the whole transaction, which for a batch is what happens anyway (every request of it gets the
    /// error). Elsewhere the insert keeps the default: a sweep's savepoint must be able to roll back its row alone,
    /// and a single event never fills such a journal.
    private static let eventRow = SQLTransaction.RowInsert(
        "audit_events",
        columns: [
            "seq", "occurred_at", "actor", "action", "target", "outcome", "details", "prev_hash", "hash",
        ])

    /// Appends `entry` on its own, group-committed with the events of concurrent requests (``AuditBatcher``);
    /// returns once it is durable.
    @discardableResult
    public static func append(_ entry: AuditEntry, at date: Date, to database: AppDatabase) async throws -> AuditEvent {
        try await database.audit.append(entry, at: date)
    }

    /// Audits a refusal of `actor` on `target` (`auth.denied`, outcome `denied`, with `reason`, `route` and any other
    /// `details`) on its own, and returns `error` marked audited for the caller to throw: the refusal is in the log
    /// before the caller hears of it, and the route's wrapper does not audit it again.
    static func denied(
        _ error: ZeroTripError, actor: String, target: String, reason: String, route: String, details: [String: String] = [:],
        at date: Date, to database: AppDatabase
    ) async throws -> ZeroTripError {
        try await append(
            AuditEntry(
                actor: actor, action: .authDenied, target: target, outcome: "denied",
                details: details.merging(["reason": reason, "route": route]) { _, fixed in fixed }), at: date, to: database)
        return error.audited()
    }

    /// The `audit_head` row (`seq`, `hash`), nil before the first event; prepared, as every batch reads it.
    private static func headRow(in db: SQLTransaction) throws -> SQLRow? {
        try db.fetchAll(prepared: "SELECT seq, hash FROM audit_head WHERE id = 1", texts: []).first
    }

    /// How many events the log holds: the chain head's sequence number (events are numbered from 1 without a gap).
    package static func count(in db: SQLTransaction) throws -> Int64 {
        try headRow(in: db)?["seq"] ?? 0
    }

    /// Reads events in order, optionally only the newest `limit`.
    package static func events(in db: SQLTransaction, limit: Int? = nil) throws -> [AuditEvent] {
        let sql =
            limit == nil
            ? "SELECT * FROM audit_events ORDER BY seq"
            : "SELECT * FROM (SELECT * FROM audit_events ORDER BY seq DESC LIMIT \(max(0, limit!))) AS newest ORDER BY seq"
        return try db.fetchAll(sql: sql).map(event(from:))
    }

    /// The newest `limit` events about any of `targets` (at most 500 of them), newest first; indexed by target.
    package static func events(targets: [String], actions: [String], limit: Int, in db: SQLTransaction) throws -> [AuditEvent] {
        guard !targets.isEmpty, !actions.isEmpty else { return [] }
        let targets = Array(targets.prefix(500))
        var arguments = SQLArguments()
        for target in targets { arguments += [target] }
        for action in actions { arguments += [action] }
        arguments += [max(1, min(limit, 1000))]
        return try db.fetchAll(
            sql: """
                SELECT * FROM audit_events WHERE target IN (\(SQLTransaction.placeholders(targets.count))) AND action IN (\(SQLTransaction.placeholders(actions.count)))
                ORDER BY seq DESC LIMIT ?
                """, arguments: arguments
        ).map(event(from:))
    }

    /// Reads the newest `limit` events, oldest first.
    public static func events(in database: AppDatabase, limit: Int) async throws -> [AuditEvent] {
        try await database.read { db in try events(in: db, limit: limit) }
    }

    static func event(from row: SQLRow) -> AuditEvent {
        AuditEvent(
            seq: row["seq"], occurredAt: row["occurred_at"], actor: row["actor"], action: row["action"],
            target: row["target"], outcome: row["outcome"], details: row["details"],
            prevHash: [UInt8]((row["prev_hash"] as Data?) ?? Data()), hash: [UInt8]((row["hash"] as Data?) ?? Data()))
    }

    /// Walks the whole chain and reports the first event that does not fit.
    public static func verify(_ database: AppDatabase) async throws -> AuditVerification {
        try await database.read { db in
            var expectedSeq: Int64 = 1
            var previousHash = genesisHash
            let cursor = try db.cursor(sql: "SELECT * FROM audit_events ORDER BY seq")
            while let row = try cursor.next() {
                let event = event(from: row)
                if event.seq != expectedSeq {
                    return .broken(
                        firstBadSeq: expectedSeq,
                        reason: event.seq > expectedSeq
                            ? "event \(expectedSeq) is missing (the log jumps from \(expectedSeq - 1) to \(event.seq)): deleted"
                            : "event \(event.seq) is out of order")
                }
                if event.prevHash != previousHash {
                    return .broken(
                        firstBadSeq: event.seq,
                        reason: "event \(event.seq) does not link to event \(event.seq - 1): the previous event was altered or deleted")
                }
                if event.computedHash != event.hash {
                    return .broken(firstBadSeq: event.seq, reason: "event \(event.seq) was altered: its content does not match its hash")
                }
                previousHash = event.hash
                expectedSeq += 1
            }
            let count = expectedSeq - 1
            let head = try headRow(in: db)
            let headSeq: Int64 = head?["seq"] ?? 0
            let headHash: [UInt8] = head.map { [UInt8]($0["hash"] as Data) } ?? genesisHash
            if headSeq != count || headHash != previousHash {
                let first = min(headSeq, count) + 1
                return .broken(
                    firstBadSeq: first,
                    reason: headSeq > count
                        ? "events \(count + 1)…\(headSeq) were deleted from the end of the log"
                        : "the log head records event \(headSeq) but the log ends at \(count): altered")
            }
            return .intact(eventCount: count, headHash: previousHash)
        }
    }
}

/// The result of checking the audit chain: a value, not an exception.
public enum AuditVerification: Sendable, Hashable {
    /// Every event links to the previous and matches its hash.
    case intact(eventCount: Int64, headHash: [UInt8])
    /// The first event that does not fit, and why.
    case broken(firstBadSeq: Int64, reason: String)
}
