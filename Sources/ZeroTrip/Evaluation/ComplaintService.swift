public import Foundation
import ZeroTripCrypto
import ZeroTripDocuments

/// Complaints (投诉) and the follow-up of poor ratings (差评回访整改), as the State Council's 好差评 rules ask: every
/// complaint, and every rating of 1–2, is looked into by the department that gave the service ("谁办理、谁负责"),
/// which answers the person within ``answerWorkingDays`` working days with what it found and what it changed. The
/// answer is given by a supervisor of the department's staff directory, never by the clerk complained about, once,
/// and kept as given. Complaints unanswered past their deadline are sent to the department's supervisors by SMS
/// (``ApplicationService/sweep(now:batchSize:)``). Figures per department and cause for the supervisors.
public final class ComplaintService: Sendable {
    /// Working days a department has to answer.
    public static let answerWorkingDays = 15
    /// Longest complaint, action or reply, in characters.
    public static let textLimit = 500
    /// Complaints a person may have waiting at once (a sixth waits for an answer to one of them).
    public static let openLimit = 5

    private let database: AppDatabase
    private let clock: ZeroTripClock

    init(database: AppDatabase, clock: ZeroTripClock) {
        self.database = database
        self.clock = clock
    }

    /// In the transaction of a rating of 1–2: the complaint it opens, with the cause its tags point to.
    package static func openForPoorRating(
        _ rating: ServiceRating, score: Int, tags: [RatingTag], comment: String?, at now: Date, in db: SQLTransaction
    ) throws {
        guard score <= 2 else { return }
        let id = try withCrypto("generating a complaint id") { () throws(CryptoError) in Hex.encode(try SecureRandom.bytes(count: 16)) }
        let due = try FiguresStore.calendar(at: now, in: db).deadline(workingDays: answerWorkingDays, from: now)
        let complaint = Complaint(
            id: id, subject: rating.subject, department: rating.department, clerk: rating.clerk, rating: rating.id,
            source: "poor_rating", cause: ComplaintCause.of(tags), text: comment ?? "", filedAt: now, dueAt: due)
        guard try ComplaintStore.insert(complaint, in: db) else { return }
        try AuditLog.append(
            AuditEntry(
                actor: "system", action: .complaintFiled, target: "complaint:\(id)",
                details: ["department": rating.department, "cause": complaint.cause.rawValue, "source": "poor_rating"]),
            at: now, in: db)
    }

    /// `subject` (`person:<id>`) complains about `department`'s service, or about the service of their rating
    /// `rating` (which names the department and the clerk). `cause` is one of ``ComplaintCause``; `text` says what
    /// happened (1–``textLimit`` characters). Another person's rating is `not_found`; a rating with a complaint
    /// already `already_complained`; more than ``openLimit`` waiting `too_many_open_complaints`. The person is told
    /// by when the answer is due. Audited `complaint.filed` (without the text).
    public func file(
        subject: SubjectID, department rawDepartment: String?, rating rawRating: String?, cause rawCause: String, text rawText: String,
        actor: String
    ) async throws -> Complaint {
        guard let cause = ComplaintCause(rawValue: rawCause) else {
            throw ZeroTripError(.invalidInput, "cause must be one of \(ComplaintCause.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let text = try Validation.note(rawText, field: "text", limit: Self.textLimit)
        guard !text.isEmpty else { throw ZeroTripError(.invalidInput, "say what happened (text)") }
        let ratingID = rawRating?.lowercased()
        if let ratingID, ratingID.utf8.count != 32 || Hex.decode(ratingID) == nil {
            throw ZeroTripError(.notFound, "no rating \(ratingID.prefix(40)) of yours")
        }
        let now = clock.now()
        let id = try withCrypto("generating a complaint id") { () throws(CryptoError) in Hex.encode(try SecureRandom.bytes(count: 16)) }
        return try await database.write { db in
            var department = rawDepartment?.uppercased() ?? "", clerk: String?
            if let ratingID {
                guard let rating = try RatingStore.rating(id: ratingID, in: db), rating.subject == subject else {
                    throw ZeroTripError(.notFound, "no rating \(ratingID) of yours")
                }
                if try ComplaintStore.complaint(rating: ratingID, in: db) != nil {
                    throw ZeroTripError(.alreadyComplained, "the service of rating \(ratingID) has a complaint already")
                }
                (department, clerk) = (rating.department, rating.clerk)
            }
            guard department.utf8.count <= 32, try !DistrictStore.departments(code: department, in: db).isEmpty else {
                throw ZeroTripError(.unknownDepartment, "no department \(department.prefix(32)) (name the department, or the rating of the service)")
            }
            guard try ComplaintStore.openCount(subject: subject, in: db) < Self.openLimit else {
                throw ZeroTripError(.tooManyOpenComplaints, "\(Self.openLimit) complaints of yours are waiting for an answer")
            }
            let due = try FiguresStore.calendar(at: now, in: db).deadline(workingDays: Self.answerWorkingDays, from: now)
            let complaint = Complaint(
                id: id, subject: subject, department: department, clerk: clerk, rating: ratingID, source: "applicant",
                cause: cause, text: text, filedAt: now, dueAt: due)
            guard try ComplaintStore.insert(complaint, in: db) else {
                throw ZeroTripError(.alreadyComplained, "the service of rating \(ratingID ?? "") has a complaint already")
            }
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .complaintFiled, target: "complaint:\(id)",
                    details: ["department": department, "cause": cause.rawValue, "source": "applicant"]), at: now, in: db)
            try NotificationOutbox.enqueue(
                subject: subject, kind: "complaint", reference: "complaint:\(id)",
                message: "【政务服务】您的投诉已受理，办理部门将于\(CivilDay(due.addingTimeInterval(-1)).chinese)前答复您。",
                at: now, in: db)
            return complaint
        }
    }

    /// `subject`'s complaints, newest first, with the answers.
    public func complaints(subject: SubjectID) async throws -> [Complaint] {
        try await database.read { db in try ComplaintStore.complaints(subject: subject, in: db) }
    }

    /// `department`'s complaints: the open ones by deadline (`open`), or all, newest first; at most `limit`; each
    /// with whose it is (name and masked ID number, to call back: 回访).
    public func complaints(department: String, open: Bool, limit: Int = 200) async throws -> [Concerning<Complaint>] {
        try await database.read { db in
            try ComplaintStore.complaints(department: department, open: open, limit: max(1, min(limit, 1000)), in: db).map {
                try Concerning($0, subject: $0.subject, in: db)
            }
        }
    }

    /// `department`'s supervisor `clerk` answers complaint `id`: what was found, the cause as the department
    /// classifies it, what was done (整改), and the reply the person receives. Another department's complaint is
    /// `not_found`; a clerk not listed as the department's supervisor `not_a_supervisor` (audited); the clerk
    /// complained about `complained_clerk`; a second answer `already_decided`. Audited `complaint.answered`.
    public func answer(
        id rawID: String, department: String, clerk rawClerk: String, finding rawFinding: String, cause rawCause: String?,
        action rawAction: String, reply rawReply: String, actor: String
    ) async throws -> Complaint {
        let id = rawID.lowercased()
        guard id.utf8.count == 32, Hex.decode(id) != nil else { throw ZeroTripError(.notFound, "no complaint \(rawID.prefix(40))") }
        guard let finding = ComplaintFinding(rawValue: rawFinding) else {
            throw ZeroTripError(.invalidInput, "finding must be one of \(ComplaintFinding.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let cause = try rawCause.map { raw in
            guard let cause = ComplaintCause(rawValue: raw) else {
                throw ZeroTripError(.invalidInput, "cause must be one of \(ComplaintCause.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return cause
        }
        let action = try Validation.note(rawAction, field: "action", limit: Self.textLimit)
        let reply = try Validation.note(rawReply, field: "reply", limit: Self.textLimit)
        guard !reply.isEmpty, !action.isEmpty else {
            throw ZeroTripError(.invalidInput, "say what was done (action) and what the person is told (reply)")
        }
        try ClerkIdentity.checkNumber(rawClerk)
        let clerk = rawClerk.uppercased()
        let now = clock.now()
        do {
            return try await database.write { db in
                guard var complaint = try ComplaintStore.complaint(id: id, in: db), complaint.department == department else {
                    throw ZeroTripError(.notFound, "no complaint \(id) of department \(department)")
                }
                guard try StaffStore.member(department: department, clerk: clerk, in: db)?.role == .supervisor else {
                    throw ZeroTripError(.notASupervisor, "clerk \(clerk) is not a supervisor in \(department)'s staff directory")
                }
                guard complaint.clerk != clerk else { throw ZeroTripError(.complainedClerk, "clerk \(clerk) is the one complained about") }
                let by = "\(actor)/clerk:\(clerk)"
                let classified = cause ?? complaint.cause
                guard try ComplaintStore.answer(id: id, cause: classified, finding: finding, action: action, reply: reply, by: by, at: now, in: db)
                else {
                    throw ZeroTripError(.alreadyDecided, "complaint \(id) was answered already")
                }
                try AuditLog.append(
                    AuditEntry(
                        actor: by, action: .complaintAnswered, target: "complaint:\(id)",
                        details: [
                            "department": department, "finding": finding.rawValue, "cause": classified.rawValue,
                            "in_time": now <= complaint.dueAt ? "true" : "false",
                        ]), at: now, in: db)
                try NotificationOutbox.enqueue(
                    subject: complaint.subject, kind: "complaint_answer", reference: "complaint:\(id)",
                    message: "【政务服务】您的投诉已办结（\(finding.chinese)）：\(reply)", at: now, in: db)
                (complaint.cause, complaint.finding, complaint.action, complaint.reply) = (classified, finding, action, reply)
                (complaint.answeredBy, complaint.answeredAt) = (by, now)
                return complaint
            }
        } catch let error as ZeroTripError where error.code == .notASupervisor {
            try await AuditLog.append(
                AuditEntry(
                    actor: "\(actor)/clerk:\(clerk)", action: .authDenied, target: "complaint:\(id)", outcome: "denied",
                    details: ["reason": "not_a_supervisor"]), at: now, to: database)
            throw error.audited()
        }
    }

    /// Per department over the China days of [`from`, `to`): complaints filed, by cause as filed; complaints answered,
    /// how many by their deadline and how many found substantiated (wholly or partly); and those open past their
    /// deadline now. Counted as they happen (the daily figures), so a year of a city's complaints reads in milliseconds.
    public func figures(from: Date, to: Date) async throws -> ComplaintFigures {
        guard from < to else { throw ZeroTripError(.invalidInput, "from must be before to") }
        let now = clock.now()
        try await SupervisionService.figuresCounted(database, at: now)
        let (counts, overdue) = try await database.read { db in
            (try ComplaintStore.figures(from: from, to: to, in: db), try ComplaintStore.overdue(at: now, in: db))
        }
        var departments: [String: ComplaintFigures.Department] = [:], causes: [String: Int] = [:]
        func entry(_ code: String) -> ComplaintFigures.Department {
            departments[code] ?? .init(department: code, filed: 0, answered: 0, answeredInTime: 0, substantiated: 0, overdue: 0, causes: [:])
        }
        for row in counts.filed {
            var department = entry(row.department)
            department.filed += row.count
            department.causes[row.cause, default: 0] += row.count
            departments[row.department] = department
            causes[row.cause, default: 0] += row.count
        }
        for row in counts.answered {
            var department = entry(row.department)
            department.answered += row.count
            department.answeredInTime += row.inTime
            if row.finding != ComplaintFinding.unsubstantiated.rawValue { department.substantiated += row.count }
            departments[row.department] = department
        }
        for (code, count) in overdue {
            var department = entry(code)
            department.overdue = count
            departments[code] = department
        }
        return ComplaintFigures(from: from, to: to, departments: departments.values.sorted { $0.department < $1.department }, causes: causes)
    }

    // MARK: Notices (in the sweep's transaction)

    /// Complaints past their deadline without an answer: each department's supervisors are told once. Returns the
    /// notices sent.
    static func overdueNotices(gateway: any SMSGateway, at now: Date, in db: SQLTransaction) throws -> Int {
        var sent = 0
        for complaint in try ComplaintStore.overdueUnnotified(at: now, limit: 10_000, in: db) {
            guard try ComplaintStore.markOverdueNotified(complaint.id, at: now, in: db) else { continue }
            let supervisors = try StaffStore.members(department: complaint.department, role: .supervisor, in: db)
            for member in supervisors {
                try gateway.enqueue(
                    subject: "staff:\(member.department)/\(member.clerk)", phone: member.phone,
                    message:
                        "【政务服务】督办提醒：投诉 \(complaint.id.prefix(8).uppercased())（\(complaint.cause.chinese)）已超过 \(answerWorkingDays) 个工作日未答复，请尽快核实答复。",
                    at: now, in: db)
            }
            try AuditLog.append(
                AuditEntry(
                    actor: "system", action: .complaintOverdueNotice, target: "complaint:\(complaint.id)",
                    outcome: supervisors.isEmpty ? "nobody" : "sent",
                    details: ["department": complaint.department, "to": supervisors.map(\.clerk).joined(separator: ",")]),
                at: now, in: db)
            sent += supervisors.count
        }
        return sent
    }
}
