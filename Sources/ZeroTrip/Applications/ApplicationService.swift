public import Foundation
import ZeroTripCrypto
import ZeroTripDocuments

/// Applications for matters, with trust-based approval (容缺) and deferral (容缓), commitments and obligations.
///
/// Every state change is a conditional update inside one write transaction together with its history row, audit
/// event and (where due) credit event, so two racing steps on the same application or obligation cannot both win.
public struct ApplicationService: Sendable {
    let database: AppDatabase
    let clock: ZeroTripClock
    /// The credit ledger and catalogue.
    public let credit: CreditService
    let documents: DocumentService
    let identity: IdentityService
    /// Consent grants and the reuse of results under them (for materials satisfied by results instead of paper).
    public let consent: ConsentService
    /// Ratings of finished applications (好差评).
    public let ratings: RatingService
    /// Complaints and the follow-up of poor ratings (差评回访整改).
    public let complaints: ComplaintService
    /// Staff directory, notices about stalled reviews, review times.
    public let supervision: SupervisionService

    /// Creates the service.
    public init(database: AppDatabase, clock: ZeroTripClock, credit: CreditService, documents: DocumentService, identity: IdentityService) {
        self.database = database
        self.clock = clock
        self.credit = credit
        self.documents = documents
        self.identity = identity
        consent = ConsentService(database: database, clock: clock, credit: credit, registry: identity.registry, documents: documents)
        var base = documents.verificationBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        ratings = RatingService(database: database, clock: clock, registry: identity.registry, credit: credit, ratingPage: "\(base)/my/ratings")
        supervision = SupervisionService(database: database, clock: clock, credit: credit)
        complaints = ComplaintService(database: database, clock: clock)
    }

    /// The matter's name in the current catalogue (its code when it left the catalogue).
    private func matterName(_ code: String) async -> String {
        (try? await credit.matter(code).0.name) ?? code
    }

    /// In the transaction that ends application `id` as served (closed or rejected): its application-long consent
    /// grants end, and the applicant is invited to rate the service.
    private func served(_ id: String, _ outcome: ApplicationState, matterName: String, actor: String, at now: Date, in db: SQLTransaction) throws {
        try ConsentService.applicationEnded(id, actor: actor, at: now, in: db)
        try RatingService.invite(application: id, outcome: outcome, matterName: matterName, ratingPage: ratings.ratingPage, at: now, in: db)
    }

    /// How long a window's identity check stays usable for a commitment.
    public static let windowAssuranceMaxAge: TimeInterval = 30 * 60

    // MARK: Submission

    /// A window submits an application. Refuses a missing primary material whatever the mode; under 容缺 refuses
    /// missing materials that are not trust-eligible, and applicants whose credit does not qualify (with the reason).
    public func submit(_ new: NewApplication, department: String?, actor: String) async throws -> ApplicationRecord {
        let (matter, version) = try await credit.matter(new.matterCode)
        try checkDepartment(department, matter.department)
        let number = try CitizenIDNumber.validate(new.idNumber, today: clock.now())
        let name = try RegistryEntry.personName(new.name)
        guard let person = try await identity.registry.subject(idNumber: number), try await identity.registry.summary(subject: person)?.name == name
        else {
            throw ZeroTripError(.unknownPerson, "no person with that ID number and name in the registry")
        }
        guard new.provided.count <= matter.materials.count * 2 else { throw ZeroTripError(.invalidInput, "too many materials") }
        var provided = Set<String>()
        for code in new.provided {
            let upper = code.uppercased()
            guard matter.material(upper) != nil else {
                throw ZeroTripError(.invalidInput, "matter \(matter.code) has no material \(code.prefix(32))")
            }
            provided.insert(upper)
        }
        // Materials the applicant's results of other departments stand for, under their consent.
        let reused = try await consent.resultsForApplication(
            new.documents, matter: matter, subject: .person(person), idNumber: number, actor: actor)
        if let reused { provided.formUnion(reused.results.keys) }
        let missing = matter.materials.filter { !provided.contains($0.code) }
        if let primary = missing.first(where: { $0.kind == .primary }) {
            throw ZeroTripError(
                .primaryMaterialMissing, "primary material \(primary.code) (\(primary.name)) is missing: the matter cannot be accepted without it")
        }
        switch new.mode {
        case .standard:
            if let first = missing.first {
                throw ZeroTripError(
                    .materialsIncomplete, "material \(first.code) (\(first.name)) is missing; apply under trust-based approval or deferral")
            }
        case .trust:
            guard matter.trustDeadlineDays != nil else {
                throw ZeroTripError(.modeUnavailable, "matter \(matter.code) allows no trust-based approval (容缺)")
            }
            guard !missing.isEmpty else { throw ZeroTripError(.invalidInput, "nothing is missing: apply in standard mode") }
            if let ineligible = missing.first(where: { !$0.trustEligible }) {
                throw ZeroTripError(
                    .materialNotTrustEligible, "material \(ineligible.code) (\(ineligible.name)) is not trust-eligible for matter \(matter.code)")
            }
            let assessment = try await credit.assessment(of: try credit.person(person))
            guard assessment.trustApproval.available else {
                let now = clock.now()
                try await AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .applicationRefused, target: SubjectID.person(person).rawValue, outcome: "refused",
                        details: [
                            "matter": matter.code, "level": assessment.level.rawValue,
                            "reasons": assessment.trustApproval.reasons.joined(separator: ","),
                        ]),
                    at: now, to: database)
                throw ZeroTripError(.trustApprovalRefused, "trust-based approval refused: \(assessment.trustApproval.explanation)")
            }
        case .deferral:
            guard matter.deferralDeadlineDays != nil else { throw ZeroTripError(.modeUnavailable, "matter \(matter.code) allows no deferral (容缓)") }
            guard !missing.isEmpty else { throw ZeroTripError(.invalidInput, "nothing is missing: apply in standard mode") }
        }
        let id = Hex.encode(try withCrypto("generating an application id") { () throws(CryptoError) in try SecureRandom.bytes(count: 16) })
        let now = clock.now()
        let providedCodes = provided
        let row = ApplicationStore.NewApplication(
            id: id, matterCode: matter.code, catalogueVersion: version, department: matter.department,
            subject: SubjectID.person(person).rawValue, applicantName: name, mode: new.mode, submittedAt: now, createdBy: actor)
        let materials = matter.materials.map { (code: $0.code, provided: providedCodes.contains($0.code)) }
        do {
            try await database.write { db in
                try ApplicationStore.insert(row, materials: materials, documents: (reused?.results ?? [:]).mapValues(\.id.rawValue), in: db)
                if let reused {
                    try ConsentService.bind(reused.grant, to: id, at: now, in: db)
                    for (code, record) in reused.results.sorted(by: { $0.key < $1.key }) {
                        try AuditLog.append(
                            AuditEntry(
                                actor: actor, action: .documentReused, target: "document:\(record.id)",
                                details: [
                                    "grant": reused.grant.id, "department": reused.grant.department, "matter": reused.grant.matter,
                                    "application": id, "material": code,
                                ]), at: now, in: db)
                    }
                }
                try ApplicationStore.history(id, .submitted, reason: new.mode.rawValue, actor: actor, at: now, in: db)
                try AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .applicationSubmitted, target: "application:\(id)",
                        details: ["matter": matter.code, "mode": new.mode.rawValue, "missing": missing.map(\.code).joined(separator: ",")]), at: now,
                    in: db)
            }
        } catch let error as ZeroTripError where error.code == .consentRequired && !error.isAudited {
            // The grant went (withdrawn, lapsed, taken by another application) between the check and the commit: the
            // refusal is audited like every other want of consent.
            try await AuditLog.append(
                AuditEntry(
                    actor: actor, action: .documentReuseDenied, target: SubjectID.person(person).rawValue, outcome: "denied",
                    details: ["reason": "consent_required", "department": matter.department, "matter": matter.code]),
                at: clock.now(), to: database)
            throw error.audited()
        }
        return try await application(id)
    }

    /// The matter as the catalogue version the application was submitted under defines it.
    func matter(of record: ApplicationRecord) async throws -> Matter {
        guard let matter = try await credit.catalogue(version: record.catalogueVersion).matter(record.matterCode) else {
            throw ZeroTripError(.storageFailure, "catalogue version \(record.catalogueVersion) has no matter \(record.matterCode)")
        }
        return matter
    }

    func checkDepartment(_ department: String?, _ owner: String) throws(ZeroTripError) {
        if let department, department.uppercased() != owner {
            throw ZeroTripError(.forbidden, "the application belongs to department \(owner)")
        }
    }

    // MARK: Commitment

    /// ``commitmentDraft(_:)`` for the applicant signed in with `session`: another person's application is
    /// `forbidden`, audited first.
    public func commitmentDraft(_ id: String, session: ApplicantSession, route: String) async throws -> Commitment {
        let record = try await application(id)
        try await checkOwnApplication(record, session, route: route)
        return try await commitmentDraft(record.id)
    }

    private func checkOwnApplication(_ record: ApplicationRecord, _ session: ApplicantSession, route: String) async throws {
        guard record.subject != session.subjectID else { return }
        throw try await AuditLog.denied(
            ZeroTripError(.forbidden, "this application is another person's"), actor: session.actor, target: "application:\(record.id)",
            reason: "another_person", route: route, at: clock.now(), to: database)
    }

    /// The commitment text an applicant signs under 容缺 (items, deadline if signed now, consequences).
    public func commitmentDraft(_ id: String) async throws -> Commitment {
        let record = try await application(id)
        guard record.mode == .trust else { throw ZeroTripError(.invalidTransition, "only trust-based applications take a commitment") }
        let matter = try await matter(of: record)
        let policy = try await credit.currentPolicy().policy
        let now = clock.now()
        let penalty = policy.eventTypes["obligation_breached"]?.points ?? 0
        let items = record.materials.filter { !$0.provided }.map(\.name)
        let deadline = policy.calendar.deadline(workingDays: matter.trustDeadlineDays ?? 1, from: now)
        let consequences =
            "本人承诺于\(CivilDay(deadline.addingTimeInterval(-1)).chinese)24时前补齐：\(items.joined(separator: "、"))。逾期未补齐的，"
            + (matter.trustDelivery == .issueNow ? "经\(policy.rectificationWorkingDays)个工作日整改期后撤销已出具的办理结果，" : "终止办理，")
            + "并记录信用扣分（\(penalty)分）；承诺不实的，直接评为D级。"
        return Commitment(items: items, deadline: deadline, consequences: consequences, tier: 0, method: "", signedAt: now)
    }

    /// The applicant signs the commitment from their own session (tier ≥ 2).
    public func commit(_ id: String, session: ApplicantSession) async throws -> ApplicationRecord {
        try identity.sessions.require(session, tier: 2, for: "signing a trust-based approval commitment")
        let record = try await application(id)
        guard record.subject == session.subjectID else { throw ZeroTripError(.forbidden, "this application is another person's") }
        return try await storeCommitment(
            record, tier: session.tier, method: "session:\(session.method)", assurance: "session:\(session.id)", actor: session.actor)
    }

    /// The window records the commitment signed in front of a clerk, backed by a fresh tier ≥ 2 identity check of the applicant.
    public func commit(_ id: String, assuranceID: Int64, department: String?, actor: String) async throws -> ApplicationRecord {
        let record = try await application(id)
        try checkDepartment(department, record.department)
        let assurance = try await freshWindowCheck(
            assuranceID, of: record.subject.personID ?? "", minimumTier: 2,
            for: "the commitment")
        return try await storeCommitment(
            record, tier: assurance.tier, method: "window:\(assurance.method.rawValue)", assurance: "assurance:\(assurance.id)", actor: actor)
    }

    /// A consent grant given at a window: the applicant, just checked by a clerk (a window identity check of this
    /// department's station, at most 30 minutes old), lets the department use their results for one of its matters.
    /// Recorded with the clerk and the check's tier (channel `window`).
    public func grantConsentAtWindow(
        idNumber: String, matter rawMatter: String, resultTypes: [String]?, days: Int?, application: String? = nil,
        assuranceID: Int64, department: String?, actor: String
    ) async throws -> ConsentGrant {
        let (matter, _) = try await credit.matter(rawMatter)
        try checkDepartment(department, matter.department)
        let number = try CitizenIDNumber.validate(idNumber, today: clock.now())
        guard let person = try await identity.registry.subject(idNumber: number) else {
            throw ZeroTripError(.unknownPerson, "no person with that ID number in the registry")
        }
        let assurance = try await freshWindowCheck(assuranceID, of: person, minimumTier: 1, for: "a consent grant")
        // Consent recorded by a clerk stands on the clerk's own check at the counter, not the applicant's login elsewhere.
        guard assurance.method == .windowCard else {
            throw ZeroTripError(.stepUpRequired, "a consent given at the window needs a card check at the counter (POST /v1/identity/window-checks)")
        }
        return try await consent.grant(
            subject: .person(person), department: matter.department, matter: matter.code, resultTypes: resultTypes, days: days,
            application: application, channel: .window, actor: actor, assuranceTier: assurance.tier)
    }

    /// The clerk's identity check `id` of `person`, of at least `minimumTier` and at most ``windowAssuranceMaxAge``
    /// old: what a step taken at a window on the person's behalf (`purpose`) stands on.
    private func freshWindowCheck(_ id: Int64, of person: String, minimumTier: Int, for purpose: String) async throws -> AssuranceRecord {
        guard let assurance = try await identity.assuranceRecords(subject: person).first(where: { $0.id == id }) else {
            throw ZeroTripError(.forbidden, "identity check \(id) is not the applicant's")
        }
        guard assurance.tier >= minimumTier else {
            throw ZeroTripError(.stepUpRequired, "\(purpose) needs an identity check of tier \(minimumTier) or higher")
        }
        guard clock.now().timeIntervalSince(assurance.verifiedAt) <= Self.windowAssuranceMaxAge else {
            throw ZeroTripError(.stepUpRequired, "the identity check is older than 30 minutes; check the applicant again")
        }
        return assurance
    }

    private func storeCommitment(_ record: ApplicationRecord, tier: Int, method: String, assurance: String, actor: String) async throws
        -> ApplicationRecord
    {
        guard record.state == .submitted else {
            throw ZeroTripError(.invalidTransition, "the commitment is signed before acceptance (application is \(record.state.rawValue))")
        }
        let draft = try await commitmentDraft(record.id)
        let now = clock.now()
        do {
            try await database.write { db in
                let signed = Commitment(
                    items: draft.items, deadline: draft.deadline, consequences: draft.consequences, tier: tier, method: method,
                    signedAt: now)
                try ApplicationStore.insertCommitment(signed, application: record.id, subject: record.subject.rawValue, assurance: assurance, in: db)
                try AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .applicationCommitted, target: "application:\(record.id)",
                        details: ["tier": "\(tier)", "method": method]), at: now, in: db)
            }
        } catch let error as SQLFailure where error.kind == .uniqueViolation {
            throw ZeroTripError(.invalidTransition, "the commitment is already signed")
        }
        return try await application(record.id)
    }

    // MARK: Steps

    /// 受理: the time limit starts; under 容缺 (commitment needed) and 容缓 an obligation with its deadline opens.
    public func accept(_ id: String, department: String?, actor: String) async throws -> ApplicationRecord {
        let record = try await application(id)
        try checkDepartment(department, record.department)
        let matter = try await matter(of: record)
        let policy = try await credit.currentPolicy().policy
        let now = clock.now()
        let due = policy.calendar.deadline(workingDays: matter.timeLimitDays, from: now)
        try await database.write { db in
            try ApplicationStore.transition(
                id, from: [.submitted], to: .accepted, setting: .init(acceptedAt: now, timeLimitDue: due),
                reason: "accepted", actor: actor, at: now, in: db)
            guard record.mode != .standard else { return }
            let deadline: Date
            if record.mode == .trust {
                guard let signed = try ApplicationStore.commitmentDeadline(application: id, in: db) else {
                    throw ZeroTripError(.commitmentRequired, "trust-based approval needs the applicant's signed commitment before acceptance")
                }
                deadline = signed
            } else {
                deadline = policy.calendar.deadline(workingDays: matter.deferralDeadlineDays ?? 1, from: now)
            }
            let items = record.materials.filter { !$0.provided }.map(\.code)
            let obligation = Hex.encode(try withCrypto("generating an obligation id") { () throws(CryptoError) in try SecureRandom.bytes(count: 16) })
            try ApplicationStore.openObligation(
                id: obligation, application: id, subject: record.subject.rawValue, kind: record.mode, items: items, deadline: deadline,
                remindAt: policy.calendar.reminder(before: deadline, workingDays: policy.reminderWorkingDays), at: now, in: db)
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .obligationOpened, target: "obligation:\(obligation)",
                    details: ["application": id, "items": items.joined(separator: ","), "deadline": AuditEvent.timestamp(deadline)]), at: now, in: db)
        }
        return try await application(id)
    }

    /// Review starts; the review-stall clock for supervisors starts with it.
    public func startReview(_ id: String, department: String?, actor: String) async throws -> ApplicationRecord {
        let record = try await application(id)
        try checkDepartment(department, record.department)
        let policy = try await credit.currentPolicy().policy
        let now = clock.now()
        try await database.write { db in
            let stall = policy.calendar.deadline(workingDays: policy.reviewStallWorkingDays, from: now)
            try ApplicationStore.transition(
                id, from: [.accepted], to: .underReview, setting: .init(reviewStartedAt: now, reviewStallAt: stall),
                reason: "review", actor: actor, at: now, in: db)
        }
        return try await application(id)
    }

    /// Approval. Under 容缓 the outstanding materials must be in first.
    public func approve(_ id: String, department: String?, actor: String) async throws -> ApplicationRecord {
        let record = try await application(id)
        try checkDepartment(department, record.department)
        if record.mode == .deferral, let obligation = record.obligation, obligation.state != .fulfilled {
            throw ZeroTripError(.materialsOutstanding, "deferred materials \(obligation.items.joined(separator: ", ")) are still outstanding")
        }
        let now = clock.now()
        try await database.write { db in
            try ApplicationStore.transition(id, from: [.underReview], to: .approved, reason: "approved", actor: actor, at: now, in: db)
        }
        return try await application(id)
    }

    /// Refusal before a result exists.
    public func reject(_ id: String, reason rawReason: String, department: String?, actor: String) async throws -> ApplicationRecord {
        let record = try await application(id)
        try checkDepartment(department, record.department)
        let reason = try Validation.label(rawReason)
        guard !reason.isEmpty else { throw ZeroTripError(.invalidInput, "a reason is required") }
        let matterName = await self.matterName(record.matterCode)
        let now = clock.now()
        try await database.write { db in
            try ApplicationStore.transition(
                id, from: [.submitted, .accepted, .underReview, .approved], to: .rejected, reason: reason, actor: actor,
                at: now, in: db)
            try ApplicationStore.breachOpenObligations(application: id, at: now, in: db)
            try served(id, .rejected, matterName: matterName, actor: actor, at: now, in: db)
        }
        return try await application(id)
    }

    /// Issues the result document from the matter's template with `values` for its fields. Under 容缺 "issue now" the
    /// obligation stays open; under "hold for pickup" and 容缓 the materials must be in first.
    public func issueResult(_ id: String, values: [String: String], department: String?, actor: String) async throws -> (
        ApplicationRecord, IssuedDocument
    ) {
        let record = try await application(id)
        try checkDepartment(department, record.department)
        guard record.state == .approved else {
            throw ZeroTripError(.invalidTransition, "application is \(record.state.rawValue); a result is issued once approved")
        }
        let matter = try await matter(of: record)
        if let obligation = record.obligation, obligation.state != .fulfilled, record.mode == .deferral || matter.trustDelivery == .holdForPickup {
            throw ZeroTripError(.materialsOutstanding, "the result is produced when \(obligation.items.joined(separator: ", ")) are handed in")
        }
        guard values.count <= matter.result.fields.count, Set(values.keys).isSubset(of: matter.result.fields) else {
            throw ZeroTripError(.invalidInput, "fields must be among \(matter.result.fields.joined(separator: ", "))")
        }
        let fields = try matter.result.fields.map { label throws(ZeroTripError) in
            guard let value = values[label] else { throw ZeroTripError(.invalidInput, "field \(label) needs a value") }
            return ResultField(label: label, value: value)
        }
        let person = record.subject.personID ?? ""
        guard let data = try await identity.registry.personalData(subject: person) else {
            throw ZeroTripError(.unknownPerson, "the applicant left the registry")
        }
        let request = IssueDocumentRequest(
            departmentCode: matter.department, matterCode: matter.code, matterName: matter.result.title,
            holderName: record.applicantName, holderIDNumber: data.idNumber,
            fields: [ResultField(label: "办件编号", value: String(id.prefix(16)).uppercased())] + fields,
            validDays: matter.result.validDays, pickupMode: matter.result.pickup)
        // The document, the application's move and their audit events commit together: if the application moved
        // meanwhile (rejected, issued twice), no document is registered at all.
        let issued = try await documents.issue(request, actor: actor) { db, prepared in
            let now = prepared.preparedAt
            try ApplicationStore.transition(
                id, from: [.approved], to: .resultIssued, setting: .init(documentID: prepared.record.id),
                reason: "document:\(prepared.record.id)", actor: actor, at: now, in: db)
            if try ApplicationStore.pendingObligations(application: id, in: db) == 0 {
                try ApplicationStore.transition(id, from: [.resultIssued], to: .closed, reason: "result delivered", actor: actor, at: now, in: db)
                try served(id, .closed, matterName: matter.name, actor: actor, at: now, in: db)
            }
        }
        return await (try application(id), issued)
    }

    /// The window records materials handed in (at pickup). When the obligation's items are all in, it is fulfilled
    /// (on time: a credit event in the applicant's favour) and a result already issued is delivered.
    public func fulfil(_ id: String, materials codes: [String], department: String?, actor: String) async throws -> ApplicationRecord {
        let record = try await application(id)
        try checkDepartment(department, record.department)
        guard let obligation = record.obligation else { throw ZeroTripError(.invalidTransition, "the application has no obligation") }
        let upper = Set(codes.map { $0.uppercased() })
        guard !upper.isEmpty, upper.isSubset(of: obligation.items) else {
            throw ZeroTripError(.invalidInput, "materials must be among the outstanding \(obligation.items.joined(separator: ", "))")
        }
        let policy = try await credit.currentPolicy().policy
        let matterName = await self.matterName(record.matterCode)
        let now = clock.now()
        try await database.write { db in
            let state = try ApplicationStore.obligationState(obligation.id, in: db)
            guard state == .open || state == .rectification else {
                throw ZeroTripError(.obligationClosed, "the obligation is already \(state?.rawValue ?? "closed")")
            }
            guard try ApplicationStore.provide(upper, of: id, at: now, in: db) == 0 else { return }
            guard try ApplicationStore.fulfilObligation(obligation.id, at: now, in: db) else {
                throw ZeroTripError(.obligationClosed, "the obligation was closed meanwhile")
            }
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .obligationFulfilled, target: "obligation:\(obligation.id)",
                    details: ["application": id, "on_time": state == .open ? "yes" : "no"]), at: now, in: db)
            if state == .open {
                try CreditService.record(
                    type: "obligation_fulfilled", subject: record.subject.rawValue, effectiveAt: now, source: "system",
                    reference: "obligation:\(obligation.id):fulfilled", policy: policy, actor: actor, at: now, in: db)
            }
            if try ApplicationStore.state(of: id, in: db) == .resultIssued {
                try ApplicationStore.transition(id, from: [.resultIssued], to: .closed, reason: "materials complete", actor: actor, at: now, in: db)
                try served(id, .closed, matterName: matterName, actor: actor, at: now, in: db)
            }
        }
        return try await application(id)
    }

    // MARK: Reading

    /// Application `id`.
    public func application(_ id: String) async throws -> ApplicationRecord {
        guard id.utf8.count == 32, Hex.decode(id) != nil else { throw ZeroTripError(.unknownApplication, "no application \(id.prefix(32))") }
        guard let record = try await database.read({ db in try ApplicationStore.load(id.lowercased(), in: db) }) else {
            throw ZeroTripError(.unknownApplication, "no application \(id.prefix(32))")
        }
        return record
    }

    /// Application `id` as department `department` may see it (nil: admin, every department).
    public func application(_ id: String, department: String?) async throws -> ApplicationRecord {
        let record = try await application(id)
        try checkDepartment(department, record.department)
        return record
    }

    /// Applications of `department` (all for nil), newest first, optionally only flagged ones.
    public func applications(department: String?, subject: SubjectID? = nil, flaggedOnly: Bool = false, limit: Int = 100) async throws
        -> [ApplicationRecord]
    {
        // Stored and audited as text.
        let subject = subject?.rawValue
        return try await database.read { db in
            try ApplicationStore.ids(department: department, subject: subject, flaggedOnly: flaggedOnly, limit: limit, in: db)
                .compactMap { try ApplicationStore.load($0, in: db) }
        }
    }
}

extension WorkCalendar {
    /// The start of the working day that lies `workingDays` working days before the last day of `deadline` (nil for 0).
    func reminder(before deadline: Date, workingDays: Int) -> Date? {
        guard workingDays > 0 else { return nil }
        var day = CivilDay(deadline.addingTimeInterval(-1))
        var remaining = workingDays - 1
        while remaining > 0 {
            day = day.adding(days: -1)
            if isWorkingDay(day) { remaining -= 1 }
        }
        return day.start
    }
}
