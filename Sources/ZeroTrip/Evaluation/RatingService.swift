public import Foundation
import ZeroTripCrypto
import ZeroTripDocuments

/// 好差评: every finished application (closed or rejected) invites its applicant, in the same commit, to rate the
/// service 1–5 with optional tags and a short comment, once, within ``ratingDays`` days (a message in the outbox with
/// the link to the rating page). Ratings attach to the department and to the window clerk who took the application;
/// ``figures(from:to:)`` gives district, department and clerk averages with the weighted formula of ``RatingFigures``.
public final class RatingService: Sendable {
    /// Days an invitation stays open.
    public static let ratingDays = 30
    /// Window-service invitations one department may send one person a day (each from a different clerk).
    public static let windowServicesPerDay = 3
    /// Longest comment, in characters.
    public static let commentLimit = 200

    private let database: AppDatabase
    private let clock: ZeroTripClock
    private let registry: PopulationRegistry
    private let credit: CreditService
    /// The applicant pages' ratings page, linked from every invitation.
    let ratingPage: String

    init(database: AppDatabase, clock: ZeroTripClock, registry: PopulationRegistry, credit: CreditService, ratingPage: String) {
        self.database = database
        self.clock = clock
        self.registry = registry
        self.credit = credit
        self.ratingPage = ratingPage
    }

    /// In the transaction that finishes `application` (closed or rejected): the invitation and its message.
    /// `ratingPage` is the applicant pages' address of the ratings page.
    static func invite(
        application id: String, outcome: ApplicationState, matterName: String, ratingPage: String, at now: Date,
        in db: SQLTransaction
    ) throws {
        guard let record = try ApplicationStore.brief(id, in: db) else { return }
        let clerk = SupervisionService.clerkNumber(record.createdBy)
        let ratingID = try withCrypto("generating a rating id") { () throws(CryptoError) in Hex.encode(try SecureRandom.bytes(count: 16)) }
        let rating = ServiceRating(
            id: ratingID, application: id, subject: record.subject, department: record.department, matter: record.matterCode,
            clerk: clerk, outcome: outcome.rawValue, invitedAt: now,
            closesAt: now.addingTimeInterval(TimeInterval(ratingDays) * 86_400), ratedAt: nil, score: nil, tags: [], comment: nil)
        guard try RatingStore.invite(rating, in: db) else { return }
        let ended = outcome == .closed ? "已办结" : "已办理完毕（未予批准）"
        try NotificationOutbox.enqueue(
            subject: record.subject, kind: "rating_invitation", reference: "rating:\(ratingID)",
            message: "您申请的「\(matterName)」\(ended)。欢迎对本次服务评价（1–5 分，\(ratingDays) 天内）：\(ratingPage)",
            at: now, in: db)
    }

    /// After a window service without an application, the clerk `clerk` of `department` records it and the person
    /// with `idNumber` is invited, like after an application, to rate it (a message in the outbox with the link).
    /// `matter`, when given, is the department's matter the service was about. One invitation per person, clerk and
    /// day (China time): recording the service again that day gives the same invitation back and sends nothing, so a
    /// counter cannot flood a person with messages, nor collect several ratings for one visit. Audited `rating.invited`.
    public func invite(
        windowService service: WindowService, idNumber: String, matter rawMatter: String?, department: String, clerk rawClerk: String,
        actor: String
    ) async throws -> (rating: ServiceRating, created: Bool) {
        try ClerkIdentity.checkNumber(rawClerk)
        // As ratings of applications name the clerk (SupervisionService.clerkNumber): upper case.
        let clerk = rawClerk.uppercased()
        guard let subjectID = try await registry.subject(idNumber: idNumber) else {
            throw ZeroTripError(.unknownPerson, "no person with this ID number in the population registry")
        }
        var named: Matter?
        if let rawMatter, !rawMatter.isEmpty {
            named = try await credit.matter(rawMatter).matter
            guard named?.department == department else {
                try await AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .authDenied, target: "matter:\(rawMatter.prefix(32))", outcome: "denied",
                        details: ["reason": "matter_not_of_department", "department": department]),
                    at: clock.now(), to: database)
                throw ZeroTripError(.forbidden, "matter \(rawMatter.prefix(32)) is not one of department \(department)'s").audited()
            }
        }
        let (matterCode, matterName) = (named?.code ?? "", named?.name)
        let subject = SubjectID.person(subjectID)
        let now = clock.now()
        let dayStart = CivilDay(now).start
        let ratingID = try withCrypto("generating a rating id") { () throws(CryptoError) in Hex.encode(try SecureRandom.bytes(count: 16)) }
        let page = ratingPage
        do {
            return try await database.write { db in
                guard try !DistrictStore.departments(code: department, in: db).isEmpty else {
                    throw ZeroTripError(.unknownDepartment, "no department \(department.prefix(32))")
                }
                if let open = try RatingStore.windowService(subject: subject, department: department, clerk: clerk, since: dayStart, in: db) {
                    return (open, false)
                }
                // However many clerk numbers a credential names, a person gets few messages from one department a day.
                guard
                    try RatingStore.windowServiceCount(subject: subject, department: department, since: dayStart, in: db) < Self.windowServicesPerDay
                else {
                    throw ZeroTripError(.rateLimited, "this person was invited \(Self.windowServicesPerDay) times today by \(department)'s windows")
                }
                let rating = ServiceRating(
                    id: ratingID, application: nil, service: service, subject: subject, department: department, matter: matterCode,
                    clerk: clerk, outcome: "served", invitedAt: now,
                    closesAt: now.addingTimeInterval(TimeInterval(Self.ratingDays) * 86_400))
                guard try RatingStore.invite(rating, in: db) else { throw ZeroTripError(.storageFailure, "the invitation was not stored") }
                let departmentName = try DistrictStore.departments(code: department, in: db).first?.name ?? department
                let what = matterName.map { "\(service.chinese)：\($0)" } ?? service.chinese
                try NotificationOutbox.enqueue(
                    subject: subject, kind: "rating_invitation", reference: "rating:\(ratingID)",
                    message: "您在\(departmentName)窗口的「\(what)」服务已完成。欢迎对本次服务评价（1–5 分，\(Self.ratingDays) 天内）：\(page)",
                    at: now, in: db)
                try AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .ratingInvited, target: "rating:\(ratingID)",
                        details: ["department": department, "clerk": clerk, "service": service.rawValue, "matter": matterCode]),
                    at: now, in: db)
                return (rating, true)
            }
        } catch let error as ZeroTripError where error.code == .rateLimited {
            throw try await AuditLog.denied(
                error, actor: actor, target: SubjectID.person(subjectID).rawValue, reason: "rate_limited", route: "window service invitation",
                at: now, to: database
            ).retryingAfter(Int(CivilDay(now).adding(days: 1).start.timeIntervalSince(now).rounded(.up)))
        }
    }

    /// `subject`'s (`person:<subject>`) invitations, newest first, rated or not.
    public func ratings(subject: SubjectID) async throws -> [ServiceRating] {
        return try await database.read { db in try RatingStore.ratings(subject: subject, in: db) }
    }

    /// Records `subject`'s rating of invitation `id`: `score` 1–5, known `tags` (at most 8, no repeats), a comment of
    /// at most ``commentLimit`` characters. Another person's invitation is `not_found`; a second rating
    /// `already_rated`; after the invitation closed `rating_closed`. Audited `rating.recorded` (the comment is not).
    public func rate(
        id rawID: String, subject: SubjectID, score: Int, tags rawTags: [String], comment rawComment: String?,
        actor: String
    ) async throws -> ServiceRating {
        let id = rawID.lowercased()
        guard id.utf8.count == 32, Hex.decode(id) != nil else { throw ZeroTripError(.notFound, "no rating invitation \(rawID.prefix(40))") }
        guard (1...5).contains(score) else { throw ZeroTripError(.invalidInput, "score must be 1–5") }
        guard rawTags.count <= RatingTag.allCases.count, Set(rawTags).count == rawTags.count else {
            throw ZeroTripError(.invalidInput, "tags must be distinct")
        }
        let tags = try rawTags.map { raw in
            guard let tag = RatingTag(rawValue: raw) else {
                throw ZeroTripError(
                    .invalidInput, "unknown tag \(raw.prefix(32)); known: \(RatingTag.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return tag
        }
        let comment = try rawComment.map { text throws(ZeroTripError) in try Validation.note(text, field: "comment", limit: Self.commentLimit) }
        let now = clock.now()
        return try await database.write { db in
            guard var rating = try RatingStore.rating(id: id, in: db), rating.subject == subject else {
                throw ZeroTripError(.notFound, "no rating invitation \(id)")
            }
            guard rating.ratedAt == nil else {
                throw ZeroTripError(.alreadyRated, "this service was rated on \(ChinaTime(rating.ratedAt!).minuteText)")
            }
            guard now <= rating.closesAt else { throw ZeroTripError(.ratingClosed, "ratings for this service closed after \(Self.ratingDays) days") }
            let text = comment?.isEmpty == false ? comment : nil
            guard try RatingStore.rate(id: id, score: score, tags: tags, comment: text, at: now, in: db) else {
                throw ZeroTripError(.alreadyRated, "this service was rated meanwhile")
            }
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .ratingRecorded,
                    target: rating.application.map { "application:\($0)" } ?? "rating:\(rating.id)",
                    details: [
                        "rating": id, "department": rating.department, "score": "\(score)",
                        "tags": tags.map(\.rawValue).joined(separator: ","),
                    ]), at: now, in: db)
            rating.ratedAt = now
            rating.score = score
            rating.tags = tags
            rating.comment = text
            // A poor rating is a complaint the department must look into and answer (差评回访整改).
            try ComplaintService.openForPoorRating(rating, score: score, tags: tags, comment: text, at: now, in: db)
            return rating
        }
    }

    /// Ratings given in [`from`, `to`): counts, means and weighted averages per department and clerk, ranked.
    public func figures(from: Date, to: Date) async throws -> RatingFigures {
        guard from < to else { throw ZeroTripError(.invalidInput, "from must be before to") }
        try await SupervisionService.figuresCounted(database, at: clock.now())
        let totals = try await database.read { db in try RatingStore.totals(from: from, to: to, in: db) }
        return RatingFigures.make(
            from: from, to: to, departments: totals.departments, clerks: totals.clerks, tags: totals.tags,
            complaintCauses: totals.complaintCauses)
    }
}
