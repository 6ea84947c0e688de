public import Foundation
public import ServiceLifecycle
public import Logging

extension ApplicationService {
    /// Finds what is due at `now` (default: the clock) and acts on it, in batches of `batchSize` per transaction:
    /// - an open obligation past its deadline with no result: breached, application terminated, `obligation_overdue` recorded;
    /// - with a result issued: rectification until its own deadline; past that: breached, the result revoked
    ///   (`obligation_unmet`), application terminated, `obligation_breached` recorded;
    /// - reminders before deadlines; supervisor flags for time limits exceeded and reviews stalled.
    ///
    /// Each obligation moves by a conditional update, so a fulfilment racing the sweep leaves exactly one outcome.
    @discardableResult
    public func sweep(now date: Date? = nil, batchSize: Int = 1000) async throws -> SweepReport {
        let now = date ?? clock.now()
        let policy = try await credit.currentPolicy().policy
        var report = SweepReport()
        let batch = max(1, min(batchSize, 10_000))
        // An obligation whose step fails (say, a storage error while revoking) is rolled back alone, counted, and
        // left for the next sweep; the others still move.
        var failed = Set<String>()
        while true {
            let knownFailed = failed
            let (moved, batchReport, batchFailed) = try await database.write { db -> (Int, SweepReport, Set<String>) in
                var report = SweepReport(), failed = knownFailed
                let due = try ApplicationStore.overdue(at: now, limit: batch + failed.count, in: db)
                var moved = Self.each(db, due, failed: &failed, report: &report) { row, report in
                    let (id, application, subject, deadline) = (row.id, row.application, row.subject, row.due)
                    if row.document == nil {
                        if try Self.breach(
                            db, obligation: id, from: .open, application: application, subject: subject, type: "obligation_overdue",
                            effectiveAt: deadline, policy: policy, at: now)
                        {
                            report.terminated += 1
                        }
                    } else if policy.rectificationWorkingDays == 0 {
                        if try Self.breach(
                            db, obligation: id, from: .open, application: application, subject: subject, type: "obligation_breached",
                            effectiveAt: deadline, policy: policy, at: now, revoke: row.document)
                        {
                            report.revoked += 1
                        }
                    } else {
                        let until = policy.calendar.deadline(workingDays: policy.rectificationWorkingDays, from: deadline.addingTimeInterval(-1))
                        if try ApplicationStore.startRectification(id, until: until, in: db) {
                            try AuditLog.append(
                                AuditEntry(
                                    actor: "system", action: .obligationRectification, target: "obligation:\(id)",
                                    details: ["application": application, "until": AuditEvent.timestamp(until)]), at: now, in: db)
                            try Self.notify(
                                db, subject: subject, kind: "rectification", reference: "obligation:\(id)",
                                message: "【政务服务】您承诺补交的材料已逾期，请于\(CivilDay(until.addingTimeInterval(-1)).chinese)24时前补交，逾期将撤销办理结果并记录信用扣分。", at: now)
                            report.rectification += 1
                        }
                    }
                }
                let overdue = try ApplicationStore.rectificationEnded(at: now, limit: batch + failed.count, in: db)
                moved += Self.each(db, overdue, failed: &failed, report: &report) { row, report in
                    if try Self.breach(
                        db, obligation: row.id, from: .rectification, application: row.application, subject: row.subject,
                        type: "obligation_breached", effectiveAt: row.due, policy: policy, at: now, revoke: row.document)
                    {
                        report.revoked += 1
                    }
                }
                return (moved, report, failed)
            }
            report.add(batchReport)
            failed = batchFailed
            if moved == 0 { break }
        }
        let knownFailed = failed
        let matterNames = Dictionary(
            ((try? await credit.currentCatalogue())?.matters ?? []).map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let gateway = identity.gateway
        let finalReport = try await database.write { db -> SweepReport in
            var report = SweepReport(), failed = knownFailed
            let reminders = try ApplicationStore.remindersDue(at: now, limit: 100_000, in: db)
            _ = Self.each(db, reminders, failed: &failed, report: &report) { row, report in
                let (id, deadline) = (row.id, row.due)
                try ApplicationStore.markReminded(id, at: now, in: db)
                try Self.notify(
                    db, subject: row.subject, kind: "reminder", reference: "obligation:\(id)",
                    message: "【政务服务】提醒：您承诺补交的材料须于\(CivilDay(deadline.addingTimeInterval(-1)).chinese)24时前补交。", at: now)
                report.reminders += 1
            }
            for flag in ["time_limit_exceeded", "review_stalled", "review_escalated"] {
                for id in try ApplicationStore.unflagged(flag, at: now, limit: 100_000, in: db) {
                    try ApplicationStore.raise(flag, on: id, at: now, in: db)
                    try AuditLog.append(
                        AuditEntry(actor: "system", action: .applicationFlagged, target: "application:\(id)", details: ["flag": flag]), at: now,
                        in: db)
                    report.flagged += 1
                    // A notice that fails (the gateway refuses) is rolled back alone and counted; the flag stays raised
                    // and the rest of the sweep commits.
                    do {
                        try db.inSavepoint {
                            switch flag {
                            case "review_stalled":
                                report.staffNotices += try SupervisionService.reviewStalled(
                                    id, matterNames: matterNames, gateway: gateway, policy: policy,
                                    at: now, in: db)
                            case "review_escalated":
                                report.staffNotices += try SupervisionService.reviewEscalated(
                                    id, matterNames: matterNames, gateway: gateway, policy: policy,
                                    at: now, in: db)
                            default:
                                break
                            }
                        }
                    } catch {
                        report.failed += 1
                        if report.failures.count < 10 {
                            report.failures.append(
                                "application:\(id): notice: \((error as? ZeroTripError).map { "\($0.code): \($0.message)" } ?? String(describing: error).prefix(300).description)"
                            )
                        }
                    }
                }
            }
            // Complaints past their deadline: the supervisors are told (a gateway refusal rolls back the notices alone).
            do {
                try db.inSavepoint { report.staffNotices += try ComplaintService.overdueNotices(gateway: gateway, at: now, in: db) }
            } catch {
                report.failed += 1
                if report.failures.count < 10 {
                    report.failures.append(
                        "complaints: notice: \((error as? ZeroTripError).map { "\($0.code): \($0.message)" } ?? String(describing: error).prefix(300).description)"
                    )
                }
            }
            return report
        }
        report.add(finalReport)
        return report
    }

    /// Runs `body` for each row not yet failed, each in its own savepoint: a row whose step throws is rolled back
    /// alone, remembered in `failed` and counted, and the others still move. Returns how many moved.
    static func each(
        _ db: SQLTransaction, _ rows: [ApplicationStore.DueObligation], failed: inout Set<String>, report: inout SweepReport,
        _ body: (ApplicationStore.DueObligation, inout SweepReport) throws -> Void
    ) -> Int {
        var moved = 0
        for row in rows where !failed.contains(row.id) {
            var attempt = report
            do {
                try db.inSavepoint { try body(row, &attempt) }
                report = attempt
                moved += 1
            } catch {
                failed.insert(row.id)
                report.failed += 1
                if report.failures.count < 10 {
                    let cause = (error as? ZeroTripError).map { "\($0.code): \($0.message)" } ?? String(describing: error).prefix(300).description
                    report.failures.append("obligation:\(row.id): \(cause)")
                }
            }
        }
        return moved
    }

    /// Breaches one obligation (false when another step closed it first): application terminated, credit event, optional revocation.
    static func breach(
        _ db: SQLTransaction, obligation id: String, from state: ObligationState, application: String, subject: String, type: String,
        effectiveAt: Date, policy: CreditPolicy, at now: Date, revoke document: String? = nil
    ) throws -> Bool {
        guard try ApplicationStore.breachObligation(id, from: state, at: now, in: db) else { return false }
        if let document = document.flatMap(DocumentID.init(rawValue:)), try DocumentRegister.status(of: document, in: db) == .valid {
            try DocumentRegister.changeStatus(
                document, to: .revoked, reason: RevocationReason.obligationUnmet.rawValue, supersededBy: nil,
                actor: "system", at: now, in: db)
            _ = try MaterialReopening.reopen(documentID: document.rawValue, status: .revoked, supersededBy: nil, actor: "system", at: now, in: db)
        }
        if try ApplicationStore.terminate(application, reason: type, at: now, in: db) {
            try ConsentService.applicationEnded(application, actor: "system", at: now, in: db)
        }
        try AuditLog.append(
            AuditEntry(
                actor: "system", action: .obligationBreached, target: "obligation:\(id)",
                details: ["application": application, "revoked": document ?? ""]), at: now, in: db)
        try CreditService.record(
            type: type, subject: subject, effectiveAt: effectiveAt, source: "system", reference: "obligation:\(id):\(type)",
            policy: policy, actor: "system", at: now, in: db)
        try notify(
            db, subject: subject, kind: "breach", reference: "obligation:\(id)",
            message: document == nil
                ? "【政务服务】您承诺补交的材料逾期未补交，该事项已终止办理，并已记录信用信息。"
                : "【政务服务】您承诺补交的材料整改期满仍未补交，办理结果已撤销，并已记录信用信息。", at: now)
        return true
    }

    static func notify(_ db: SQLTransaction, subject: String, kind: String, reference: String, message: String, at now: Date) throws {
        try NotificationOutbox.enqueue(subject: SubjectID(rawValue: subject), kind: kind, reference: reference, message: message, at: now, in: db)
    }

    /// The newest notifications (reminders, rectification and breach notices), newest last.
    public func notifications(subject: SubjectID? = nil, limit: Int = 20) async throws -> [ApplicantNotification] {
        // Stored and audited as text.
        let subject = subject?.rawValue
        return try await database.read { db in try NotificationOutbox.newest(subject: subject, limit: limit, in: db) }
    }
}

/// A notification waiting for the applicant's channel.
public struct ApplicantNotification: Sendable, Hashable, Codable {
    /// `person:<id>`.
    public var subject: String
    /// `reminder`, `rectification` or `breach`.
    public var kind: String
    /// The obligation.
    public var reference: String
    /// Text.
    public var message: String
    /// Queued.
    public var createdAt: Date
}

/// The daemon's obligation timer (one Service in the ServiceGroup): sweeps overdue obligations, reminders and flags.
public struct ObligationSweepService: Service {
    let applications: ApplicationService
    let interval: Duration
    let logger: Logger

    /// A timer sweeping every `interval`.
    public init(applications: ApplicationService, interval: Duration, logger: Logger) {
        self.applications = applications
        self.interval = interval
        self.logger = logger
    }

    /// Sweeps until graceful shutdown.
    public func run() async throws {
        let (applications, logger) = (applications, logger)
        try await PeriodicTimer.run(every: interval, name: "obligation sweep", logger: logger) {
            let report = try await applications.sweep()
            if report != SweepReport() {
                logger.info(
                    "obligation sweep",
                    metadata: [
                        "terminated": "\(report.terminated)", "rectification": "\(report.rectification)",
                        "revoked": "\(report.revoked)", "reminders": "\(report.reminders)", "flagged": "\(report.flagged)",
                        "failed": "\(report.failed)",
                    ])
            }
            // A failed step is retried by the next sweep; the warning says why, so a broken gateway or disk is found.
            for failure in report.failures { logger.warning("obligation sweep step failed; retried next sweep", metadata: ["cause": "\(failure)"]) }
        }
    }
}
