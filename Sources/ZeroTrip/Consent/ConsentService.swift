import Foundation
import ZeroTripCrypto
import ZeroTripDocuments

/// Data travels instead of the applicant: a person grants the department that handles a matter the use of their
/// results of named types (other departments' matters the catalogue accepts for that matter's materials), and the
/// department pulls those results, verified, instead of asking for paper. Every grant, withdrawal, use and refusal
/// is in the audit log, and the person sees the uses among who looked at their data.
public final class ConsentService: Sendable {
    /// Days an application-long grant (the default) waits for the application it is for; once an application uses
    /// it, it lasts as long as that application.
    public static let defaultDays = 30
    /// The longest a grant may last.
    public static let maximumDays = 365

    private let database: AppDatabase
    private let clock: ZeroTripClock
    private let credit: CreditService
    private let registry: PopulationRegistry
    private let documents: DocumentService

    init(database: AppDatabase, clock: ZeroTripClock, credit: CreditService, registry: PopulationRegistry, documents: DocumentService) {
        self.database = database
        self.clock = clock
        self.credit = credit
        self.registry = registry
        self.documents = documents
    }

    /// Records `subject`'s consent that the department handling `matter` may use their results of `resultTypes`
    /// (default: every type the matter's materials accept), for `days` or, by default, for the life of one
    /// application (``ConsentLifetime/application``): `application` names it (the person's open application for
    /// `matter`), else the first application that names a result under the grant takes it. `department`, when given,
    /// must be the matter's department: a grant names the purpose, and the purpose decides who may use it.
    ///
    /// With `organization` (a unified social credit code), the grant is the organisation's, given by `subject` as
    /// its registered legal representative (anyone else is refused), for the organisation's results.
    public func grant(
        subject person: SubjectID, department: String?, matter rawMatter: String, resultTypes: [String]?, days: Int?,
        application: String? = nil, channel: ConsentChannel, actor: String, assuranceTier: Int,
        organization: String? = nil
    ) async throws -> ConsentGrant {
        let subject = try await grantSubject(person: person, organization: organization)
        let (matter, _) = try await credit.matter(rawMatter)
        if let department, department.uppercased() != matter.department {
            throw ZeroTripError(.invalidInput, "matter \(matter.code) is handled by \(matter.department); a grant is to the department of its matter")
        }
        let accepted = matter.acceptedResults
        guard !accepted.isEmpty else {
            throw ZeroTripError(.invalidInput, "no material of matter \(matter.code) accepts another department's result (matter catalogue)")
        }
        let types = resultTypes.map { $0.map { $0.uppercased() } } ?? accepted
        guard !types.isEmpty, types.count <= 20, Set(types).count == types.count else {
            throw ZeroTripError(.invalidInput, "resultTypes must name 1–20 distinct result types")
        }
        if let foreign = types.first(where: { !accepted.contains($0) }) {
            throw ZeroTripError(
                .invalidInput, "matter \(matter.code) accepts no result of type \(foreign.prefix(32)); it accepts \(accepted.joined(separator: ", "))"
            )
        }
        if days != nil, application != nil {
            throw ZeroTripError(.invalidInput, "a grant lasts either a number of days or the life of an application, not both")
        }
        if let days, !(1...Self.maximumDays).contains(days) { throw ZeroTripError(.invalidInput, "days must be 1–\(Self.maximumDays)") }
        let applicationID = try application.map { raw in
            let id = raw.lowercased()
            guard id.utf8.count == 32, Hex.decode(id) != nil else { throw ZeroTripError(.unknownApplication, "no application \(raw.prefix(32))") }
            return id
        }
        let now = clock.now()
        let id = try withCrypto("generating a grant id") { () throws(CryptoError) in Hex.encode(try SecureRandom.bytes(count: 16)) }
        let grant = ConsentGrant(
            id: id, subject: subject, department: matter.department, matter: matter.code, resultTypes: types.sorted(),
            grantedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(days ?? Self.defaultDays) * 86_400), channel: channel,
            grantedBy: actor, assuranceTier: assuranceTier, withdrawnAt: nil, withdrawnBy: nil,
            lifetime: days == nil ? .application : .days, application: applicationID)
        try await database.write { db in
            if let applicationID {
                // Only the subject's own open application for this matter (another's is not revealed).
                guard let record = try ApplicationStore.brief(applicationID, in: db), record.subject == subject,
                    record.matterCode == matter.code
                else {
                    throw ZeroTripError(.unknownApplication, "no application \(applicationID) of this applicant for matter \(matter.code)")
                }
                guard !record.state.isFinal else {
                    throw ZeroTripError(.invalidTransition, "application \(applicationID) is \(record.state.rawValue): it needs no more consent")
                }
            }
            try ConsentStore.insert(grant, in: db)
            var details = [
                "grant": id, "department": grant.department, "matter": grant.matter, "resultTypes": grant.resultTypes.joined(separator: ","),
                "channel": channel.rawValue, "tier": "\(assuranceTier)", "lifetime": grant.lifetime.rawValue,
            ]
            if let days { details["days"] = "\(days)" }
            if let applicationID { details["application"] = applicationID }
            try AuditLog.append(AuditEntry(actor: actor, action: .consentGranted, target: subject.rawValue, details: details), at: now, in: db)
        }
        return grant
    }

    /// The person's grants and those of the organisations they represent, newest first.
    public func grants(subject: SubjectID) async throws -> [ConsentGrant] {
        try await database.read { db in try ConsentStore.grants(subjects: Self.subjects(actingAs: subject, in: db), in: db) }
    }

    /// The grant subjects `person` acts as: themselves and the organisations they are the legal representative of.
    private static func subjects(actingAs person: SubjectID, in db: SQLTransaction) throws -> [SubjectID] {
        guard let id = person.personID else { return [person] }
        return [person] + (try CreditLedger.organizations(representedBy: id, in: db).map { SubjectID.organization($0) })
    }

    /// The grant subject: the person, or an organisation they are the registered legal representative of.
    private func grantSubject(person: SubjectID, organization: String?) async throws -> SubjectID {
        guard let organization else { return person }
        guard let code = UnifiedSocialCreditCode.validate(organization.trimmingWhitespace()) else {
            throw ZeroTripError(.invalidInput, "organization must be a unified social credit code (18 characters, GB 32100 check character)")
        }
        let representative = try await database.read { db in try CreditLedger.legalRepresentative(of: code, in: db) }
        guard let representative, representative == person.personID else {
            throw ZeroTripError(.forbidden, "only the registered legal representative of organisation \(code) consents for it")
        }
        return SubjectID.organization(code)
    }

    /// Withdraws one of `subject`'s grants: the department can no longer use it. Another person's grant is
    /// `not_found` (nothing about it is revealed); a withdrawn one `consent_withdrawn`.
    public func withdraw(id rawID: String, subject: SubjectID, actor: String) async throws -> ConsentGrant {
        let id = rawID.lowercased()
        guard id.utf8.count == 32, Hex.decode(id) != nil else { throw ZeroTripError(.notFound, "no consent grant \(rawID.prefix(40))") }
        let now = clock.now()
        return try await database.write { db in
            guard let grant = try ConsentStore.grant(id: id, in: db), try Self.subjects(actingAs: subject, in: db).contains(grant.subject) else {
                throw ZeroTripError(.notFound, "no consent grant \(id)")
            }
            if grant.endedAt != nil {
                throw ZeroTripError(.consentEnded, "consent grant \(id) ended with application \(grant.application ?? "")")
            }
            guard try ConsentStore.withdraw(id: id, by: actor, at: now, in: db) else {
                throw ZeroTripError(.consentWithdrawn, "consent grant \(id) was already withdrawn")
            }
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .consentWithdrawn, target: grant.subject.rawValue,
                    details: ["grant": id, "department": grant.department, "matter": grant.matter]), at: now, in: db)
            var withdrawn = grant
            withdrawn.withdrawnAt = now
            withdrawn.withdrawnBy = actor
            return withdrawn
        }
    }

    /// `subject`'s live grant to the department of `matter` for it; without one the refusal is audited
    /// (`document.reuse_denied`, under the person, so they see who asked) and `consent_required` thrown.
    private func liveGrant(subject: SubjectID, matter: Matter, forNewApplication: Bool = false, actor: String, at now: Date) async throws
        -> ConsentGrant
    {
        if let grant = try await database.read({ db in
            try ConsentStore.liveGrant(
                subject: subject, department: matter.department, matter: matter.code, forNewApplication: forNewApplication,
                at: now, in: db)
        }) {
            return grant
        }
        try await AuditLog.append(
            AuditEntry(
                actor: actor, action: .documentReuseDenied, target: subject.rawValue, outcome: "denied",
                details: ["reason": "consent_required", "department": matter.department, "matter": matter.code]),
            at: now, to: database)
        throw ZeroTripError(.consentRequired, "the person has not consented to \(matter.department) using their results for \(matter.code)").audited()
    }

    /// Checks the results an application names for its materials (material code → document id), for the person
    /// `subject` with ID number `idNumber`: under their live grant to the matter's department for this matter, each
    /// document must be theirs, in force (a superseded one names its successor), of a type the material accepts and
    /// the grant covers, and valid by the register. Returns them by material; nothing is written.
    func resultsForApplication(
        _ named: [String: String], matter: Matter, subject: SubjectID, idNumber: String,
        actor: String
    ) async throws -> (grant: ConsentGrant, results: [String: ResultDocumentRecord])? {
        guard !named.isEmpty else { return nil }
        guard named.count <= matter.materials.count else { throw ZeroTripError(.invalidInput, "more documents than the matter has materials") }
        let now = clock.now()
        let grant = try await liveGrant(subject: subject, matter: matter, forNewApplication: true, actor: actor, at: now)
        var results: [String: ResultDocumentRecord] = [:]
        for (rawCode, rawID) in named.sorted(by: { $0.key < $1.key }) {
            let code = rawCode.uppercased()
            guard let material = matter.material(code) else {
                throw ZeroTripError(.invalidInput, "matter \(matter.code) has no material \(rawCode.prefix(32))")
            }
            guard !material.acceptedResults.isEmpty else {
                throw ZeroTripError(.invalidInput, "material \(code) (\(material.name)) is not satisfied by result documents: hand in the paper")
            }
            guard let id = DocumentID(rawID) else { throw ZeroTripError(.invalidInput, "document ids are 32 hex digits") }
            guard let record = try await documents.record(id: id) else { throw ZeroTripError(.notFound, "no document \(id)") }
            guard record.holderKind == .person, record.holderIDNumber == idNumber else {
                throw ZeroTripError(.holderMismatch, "document \(id) is not the applicant's")
            }
            guard material.acceptedResults.contains(record.matterCode) else {
                throw ZeroTripError(
                    .invalidInput,
                    "a \(record.matterName) (\(record.matterCode)) does not satisfy material \(code); it takes \(material.acceptedResults.joined(separator: ", "))"
                )
            }
            guard grant.resultTypes.contains(record.matterCode) else {
                throw ZeroTripError(.consentRequired, "the applicant's consent does not cover \(record.matterCode) results")
            }
            switch record.status {
            case .superseded:
                throw ZeroTripError(
                    .documentNotValid, "document \(id) is superseded by \(record.supersededBy?.rawValue ?? "a newer document"): name that one")
            case .revoked:
                throw ZeroTripError(.documentNotValid, "document \(id) is revoked")
            case .valid:
                guard record.validUntil > now else { throw ZeroTripError(.documentNotValid, "document \(id) expired") }
            }
            let verification = try await documents.verifyID(id.rawValue, actor: actor, audit: false)
            guard verification.result == .valid else {
                throw ZeroTripError(
                    .documentNotValid, "document \(id) does not verify: \(verification.reasons.first?.code.rawValue ?? verification.result.rawValue)")
            }
            results[code] = record
        }
        return (grant, results)
    }

    /// In the transaction that creates `application` from results named under `grant`: an application-long grant
    /// not yet bound is bound to it (and lasts as long as it); one another application took meanwhile is refused.
    static func bind(_ grant: ConsentGrant, to application: String, at now: Date, in db: SQLTransaction) throws {
        guard grant.lifetime == .application else { return }
        guard try ConsentStore.bind(id: grant.id, application: application, at: now, in: db) else {
            throw ZeroTripError(
                .consentRequired, "the applicant's consent was withdrawn, lapsed or used for another application meanwhile: a new grant is needed")
        }
    }

    /// In the transaction that ends `application` (closed, rejected, terminated): the grants that lasted for it end,
    /// each audited (`consent.ended`) under its subject.
    static func applicationEnded(_ application: String, actor: String, at now: Date, in db: SQLTransaction) throws {
        for grant in try ConsentStore.endGrants(application: application, at: now, in: db) {
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .consentEnded, target: grant.subject.rawValue,
                    details: ["grant": grant.id, "department": grant.department, "matter": grant.matter, "application": application]),
                at: now, in: db)
        }
    }

    /// The results `department` may use for `matter` of the person with ID number `idNumber`: within its business
    /// scope (the matter is its own), under the person's live grant, the valid, unexpired results of the granted types
    /// with the register's verification answer (and the PDF when `includePDF`). Each use is audited one by one
    /// (`document.reused`, which the person sees); a refusal for want of consent is audited (`consent_required`).
    /// With `forNewApplication`, only under a grant a new application can use (not one bound to another application).
    public func reuse(
        idNumber: String, matter rawMatter: String, department: String, includePDF: Bool, forNewApplication: Bool = false,
        actor: String
    ) async throws -> ReuseResult {
        try await reuse(
            holder: .person, number: idNumber, matter: rawMatter, department: department, includePDF: includePDF,
            forNewApplication: forNewApplication, actor: actor)
    }

    /// The person's (`subject`, a registry subject) live grant to the department of `matter` that a new application
    /// can name results under, if any. Reads only: what a window shows before asking (a use is audited, a mere
    /// look for a grant is not).
    public func grantForNewApplication(subject: SubjectID, matter rawMatter: String) async throws -> ConsentGrant? {
        let (matter, _) = try await credit.matter(rawMatter)
        let now = clock.now()
        return try await database.read { db in
            try ConsentStore.liveGrant(subject: subject, department: matter.department, matter: matter.code, forNewApplication: true, at: now, in: db)
        }
    }

    /// ``reuse(idNumber:matter:department:includePDF:actor:)`` for the results of an organisation (by unified social
    /// credit code) under the grant its legal representative gave.
    public func reuse(creditCode: String, matter rawMatter: String, department: String, includePDF: Bool, actor: String) async throws -> ReuseResult {
        try await reuse(holder: .organization, number: creditCode, matter: rawMatter, department: department, includePDF: includePDF, actor: actor)
    }

    private func reuse(
        holder: HolderKind, number raw: String, matter rawMatter: String, department: String, includePDF: Bool,
        forNewApplication: Bool = false, actor: String
    ) async throws -> ReuseResult {
        let (matter, _) = try await credit.matter(rawMatter)
        guard matter.department == department.uppercased() else {
            throw ZeroTripError(.forbidden, "matter \(matter.code) is not within this department's business (it is \(matter.department)'s)")
        }
        let number: String, subject: SubjectID
        switch holder {
        case .person:
            number = try CitizenIDNumber.validate(raw)
            guard let person = try await registry.subject(idNumber: number) else {
                throw ZeroTripError(.unknownPerson, "ID number \(PersonalDataMask.idNumber(number)) is not in the population registry")
            }
            subject = .person(person)
        case .organization:
            guard let code = UnifiedSocialCreditCode.validate(raw.trimmingWhitespace()) else {
                throw ZeroTripError(.invalidInput, "creditCode must be a unified social credit code (18 characters, GB 32100 check character)")
            }
            guard let organization = try await database.read({ db in try CreditLedger.organization(code, in: db) }) else {
                throw ZeroTripError(.unknownSubject, "organisation \(code) is not registered")
            }
            number = code
            subject = SubjectID(rawValue: organization.id)
        }
        let now = clock.now()
        let grant = try await liveGrant(subject: subject, matter: matter, forNewApplication: forNewApplication, actor: actor, at: now)
        let candidates = try await documents.validRecords(holderIDNumber: number, matterCodes: grant.resultTypes, at: now)
            .filter { $0.holderKind == holder }
        var reused: [ReusedDocument] = []
        for record in candidates {
            let verification = try await documents.verifyID(record.id.rawValue, actor: actor, audit: false)
            guard verification.result == .valid else { continue }
            reused.append(ReusedDocument(record: record, verification: verification, pdf: includePDF ? try await documents.pdf(id: record.id) : nil))
        }
        let uses = reused.map {
            (
                entry: AuditEntry(
                    actor: actor, action: .documentReused, target: "document:\($0.record.id)",
                    details: ["grant": grant.id, "department": grant.department, "matter": grant.matter]), date: now
            )
        }
        // Group-committed with the other audited answers of the moment: the pull answers once its uses are durable.
        let audit = database.audit
        try await withThrowingTaskGroup(of: Void.self) { group in
            for use in uses { group.addTask { try await audit.append(use.entry, at: use.date) } }
            try await group.waitForAll()
        }
        return ReuseResult(grant: grant, documents: reused)
    }
}
