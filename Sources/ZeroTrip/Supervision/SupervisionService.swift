public import Foundation
import ZeroTripDocuments

/// Supervision (督办): the departments' staff directory, the notices about reviews that wait too long, and review
/// times per department. A review pending more than the policy's `reviewStallWorkingDays` sends an SMS to the clerk
/// who started it (or, when that clerk has no number in the directory, to the department's supervisors); one still
/// pending `reviewEscalationWorkingDays` later goes to every supervisor of the department. The notices go through
/// the same SMS gateway as verification codes, in the sweep's transaction.
public final class SupervisionService: Sendable {
    let database: AppDatabase
    let clock: ZeroTripClock
    let credit: CreditService

    init(database: AppDatabase, clock: ZeroTripClock, credit: CreditService) {
        self.database = database
        self.clock = clock
        self.credit = credit
    }

    /// Adds or replaces a member of `department`'s staff: `clerk` is the number they sign in at a window with,
    /// `phone` an 11-digit mobile number. Audited `staff.added` / `staff.updated` (the number masked).
    public func putStaff(
        department rawDepartment: String, clerk rawClerk: String, name rawName: String, phone rawPhone: String, role: StaffRole,
        actor: String
    ) async throws -> StaffMember {
        let department = rawDepartment.uppercased()
        // Clerk numbers compare in upper case: a clerk signing in as ga-0042 is GA-0042 of the directory.
        let validated = try ClerkIdentity(id: rawClerk.trimmingWhitespace().uppercased(), name: rawName.trimmingWhitespace()).validated()
        let (clerk, name) = (validated.id, validated.name)
        let phone = rawPhone.trimmingWhitespace()
        guard phone.utf8.count == 11, phone.hasPrefix("1"), phone.utf8.allSatisfy({ (48...57).contains($0) }) else {
            throw ZeroTripError(.invalidInput, "phone must be an 11-digit mobile number")
        }
        let now = clock.now()
        let member = StaffMember(department: department, clerk: clerk, name: name, phone: phone, role: role, addedAt: now, addedBy: actor)
        try await database.write { db in
            guard try DistrictStore.departmentID(code: department, in: db) != nil else {
                throw ZeroTripError(.unknownDepartment, "no department \(department.prefix(16))")
            }
            let new = try StaffStore.put(member, in: db)
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: new ? .staffAdded : .staffUpdated, target: "staff:\(department)/\(clerk)",
                    details: ["role": role.rawValue, "phone": PersonalDataMask.phone(phone)]), at: now, in: db)
        }
        return member
    }

    /// Removes a member; `not_found` when there is none. Audited `staff.removed`.
    public func removeStaff(department rawDepartment: String, clerk rawClerk: String, actor: String) async throws {
        let department = rawDepartment.uppercased(), clerk = rawClerk.uppercased()
        let now = clock.now()
        try await database.write { db in
            guard try StaffStore.remove(department: department, clerk: clerk, in: db) else {
                throw ZeroTripError(.notFound, "no staff member \(clerk.prefix(32)) in \(department.prefix(16))")
            }
            try AuditLog.append(AuditEntry(actor: actor, action: .staffRemoved, target: "staff:\(department)/\(clerk.prefix(32))"), at: now, in: db)
        }
    }

    /// The directory (of one department, or all).
    public func staff(department: String?) async throws -> [StaffMember] {
        try await database.read { db in try StaffStore.members(department: department?.uppercased(), in: db) }
    }

    /// Review times per department: reviews decided on the days of [`from`, `to`) (China day starts) in working days,
    /// and what is under review now and past the stall limit. Read from the district's daily figures, so a year of a
    /// city's applications answers in milliseconds.
    public func reviewFigures(from: Date, to: Date) async throws -> ReviewFigures {
        guard from < to else { throw ZeroTripError(.invalidInput, "from must be before to") }
        let policy = try await credit.currentPolicy().policy
        let now = clock.now()
        try await Self.figuresCounted(database, at: now)
        let (finished, waiting) = try await database.read { db in
            (try FiguresStore.sums(.reviewed, from: from, to: to, in: db), try ApplicationStore.underReview(at: now, in: db))
        }
        var byDepartment: [String: ReviewFigures.Department] = [:]
        func entry(_ code: String) -> ReviewFigures.Department {
            byDepartment[code]
                ?? ReviewFigures.Department(department: code, reviewed: 0, meanWorkingDays: 0, maximumWorkingDays: 0, waiting: 0, stalled: 0)
        }
        for sum in finished {
            var row = entry(sum.department)
            row.reviewed = sum.items
            row.maximumWorkingDays = sum.longest
            row.meanWorkingDays = sum.items == 0 ? 0 : Double(sum.total) / Double(sum.items)
            byDepartment[sum.department] = row
        }
        for item in waiting {
            var row = entry(item.department)
            row.waiting = item.waiting
            row.stalled = item.stalled
            byDepartment[item.department] = row
        }
        return ReviewFigures(
            from: from, to: to, stallWorkingDays: policy.reviewStallWorkingDays,
            departments: byDepartment.values.sorted { $0.department < $1.department })
    }

    /// Volumes of the days of [`from`, `to`) (China day starts) per department and per month: submissions (容缺 and
    /// 容缓 among them), endings, mean handling time in working days, time limits passed, results revoked. Read from
    /// the district's daily figures.
    public func volumes(from: Date, to: Date) async throws -> VolumeFigures {
        guard from < to else { throw ZeroTripError(.invalidInput, "from must be before to") }
        try await Self.figuresCounted(database, at: clock.now())
        let (submitted, ended, overdue, revoked, months) = try await database.read { db in
            (
                try FiguresStore.sums(.submitted, from: from, to: to, in: db), try FiguresStore.sums(.ended, from: from, to: to, in: db),
                try FiguresStore.sums(.overdue, from: from, to: to, in: db), try DocumentRegister.revocations(from: from, to: to, in: db),
                try FiguresStore.months(.submitted, from: from, to: to, in: db)
            )
        }
        let overdueBy = Dictionary(overdue.map { ($0.department, $0.items) }, uniquingKeysWith: +)
        var rows: [String: VolumeFigures.Department] = [:]
        func row(_ code: String) -> VolumeFigures.Department {
            rows[code]
                ?? .init(
                    department: code, submitted: 0, trust: 0, deferral: 0, closed: 0, rejected: 0, terminated: 0, meanHandlingWorkingDays: 0,
                    overdue: overdueBy[code] ?? 0, revoked: revoked[code] ?? 0)
        }
        for sum in submitted {
            var entry = row(sum.department)
            entry.submitted += sum.items
            if sum.label == ApplicationMode.trust.rawValue { entry.trust += sum.items }
            if sum.label == ApplicationMode.deferral.rawValue { entry.deferral += sum.items }
            rows[sum.department] = entry
        }
        for sum in ended {
            var entry = row(sum.department)
            switch sum.label {
            case "closed":
                entry.closed += sum.items
                entry.meanHandlingWorkingDays = sum.items == 0 ? 0 : Double(sum.total) / Double(sum.items)
            case "rejected": entry.rejected += sum.items
            default: entry.terminated += sum.items
            }
            rows[sum.department] = entry
        }
        for code in Set(overdueBy.keys).union(revoked.keys) where rows[code] == nil { rows[code] = row(code) }
        var everyMonth: [VolumeFigures.Month] = []
        var cursor = from
        while cursor < to, everyMonth.count < 120 {
            let key = Self.month(cursor)
            if everyMonth.last?.month != key { everyMonth.append(.init(month: key, submitted: months[key] ?? 0)) }
            cursor = cursor.addingTimeInterval(86_400)
        }
        return VolumeFigures(from: from, to: to, departments: rows.values.sorted { $0.department < $1.department }, months: everyMonth)
    }

    /// Counts what was stored before the daily figures were kept, once (the first statistics read after the upgrade),
    /// with the working-day calendar in force now.
    static func figuresCounted(_ database: AppDatabase, at now: Date) async throws {
        if try await database.read({ db in try FiguresStore.isBuilt(in: db) }) { return }
        try await database.write { db in try FiguresStore.rebuildIfNeeded(at: now, in: db) }
    }

    /// `YYYY-MM` of `date` in China Standard Time.
    static func month(_ date: Date) -> String {
        let time = ChinaTime(date)
        return "\(time.year)-\(time.month < 10 ? "0" : "")\(time.month)"
    }

    // MARK: Notices (in the sweep's transaction)

    /// A review of `application` passed its stall limit: tell the reviewer (or the supervisors when the reviewer
    /// is not in the directory) and set when it is escalated. Returns the notices sent.
    static func reviewStalled(
        _ application: String, matterNames: [String: String], gateway: any SMSGateway, policy: CreditPolicy, at now: Date,
        in db: SQLTransaction
    ) throws -> Int {
        guard let record = try ApplicationStore.brief(application, in: db) else { return 0 }
        try ApplicationStore.escalate(application, at: policy.calendar.deadline(workingDays: policy.reviewEscalationWorkingDays, from: now), in: db)
        let what = "办件 \(application.prefix(8).uppercased())（\(matterNames[record.matterCode] ?? record.matterCode)）"
        let days = policy.calendar.workingDays(from: record.reviewStartedAt ?? record.submittedAt, to: now)
        let clerk = try ApplicationStore.reviewer(of: application, in: db).flatMap(clerkNumber)
        if let clerk, let reviewer = try StaffStore.member(department: record.department, clerk: clerk, in: db) {
            return try send(
                to: [reviewer], "【政务服务】督办提醒：您审查的\(what)已等待 \(days) 个工作日，超过 \(policy.reviewStallWorkingDays) 个工作日时限，请尽快办结。",
                application: application, stage: "reviewer", gateway: gateway, at: now, in: db)
        }
        let supervisors = try StaffStore.members(department: record.department, role: .supervisor, in: db)
        return try send(
            to: supervisors, "【政务服务】督办提醒：\(what)审查已等待 \(days) 个工作日，审查人\(clerk.map { "（工号 \($0)）" } ?? "")未登记督办号码，请督促办结。",
            application: application, stage: "reviewer_unknown", gateway: gateway, at: now, in: db)
    }

    /// A stalled review of `application` is still pending after the escalation limit: tell every supervisor.
    static func reviewEscalated(
        _ application: String, matterNames: [String: String], gateway: any SMSGateway, policy: CreditPolicy, at now: Date,
        in db: SQLTransaction
    ) throws -> Int {
        guard let record = try ApplicationStore.brief(application, in: db) else { return 0 }
        let days = policy.calendar.workingDays(from: record.reviewStartedAt ?? record.submittedAt, to: now)
        let clerk = try ApplicationStore.reviewer(of: application, in: db).flatMap(clerkNumber)
        let supervisors = try StaffStore.members(department: record.department, role: .supervisor, in: db)
        return try send(
            to: supervisors,
            "【政务服务】督办升级：办件 \(application.prefix(8).uppercased())（\(matterNames[record.matterCode] ?? record.matterCode)）审查已等待 \(days) 个工作日\(clerk.map { "，审查人工号 \($0)" } ?? "")，已提醒仍未办结，请督办。",
            application: application, stage: "supervisor", gateway: gateway, at: now, in: db)
    }

    /// The clerk number of an actor `credential:<id>/clerk:<no>`, in upper case as the directory keeps it (what a
    /// page shows of a reviewer, and what tells two reviewers apart).
    public static func clerkNumber(_ actor: String) -> String? {
        actor.range(of: "/clerk:").map { String(actor[$0.upperBound...].prefix(32)).uppercased() }
    }

    private static func send(
        to members: [StaffMember], _ message: String, application: String, stage: String, gateway: any SMSGateway,
        at now: Date, in db: SQLTransaction
    ) throws -> Int {
        for member in members {
            try gateway.enqueue(subject: "staff:\(member.department)/\(member.clerk)", phone: member.phone, message: message, at: now, in: db)
        }
        try AuditLog.append(
            AuditEntry(
                actor: "system", action: .applicationReviewNotice, target: "application:\(application)",
                outcome: members.isEmpty ? "nobody" : "sent",
                details: ["stage": stage, "to": members.map { "\($0.clerk)" }.joined(separator: ",")]), at: now, in: db)
        return members.count
    }
}
