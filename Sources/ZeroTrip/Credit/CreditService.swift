public import Foundation
import Synchronization
import ZeroTripCrypto

/// A stored version of the catalogue or the policy.
public struct ConfigurationVersion: Sendable, Hashable, Codable {
    /// Version number.
    public var version: Int
    /// SHA-256 of the file as loaded.
    public var sha256: String
    /// Who loaded it.
    public var createdBy: String
    /// When.
    public var createdAt: Date
    /// False when the file matched the newest version and nothing was stored.
    public var stored: Bool
}

/// What a window learns when it reads a subject's credit for a matter: the level and whether trust-based approval
/// is available and why not; never the events behind it.
public struct WindowCreditCheck: Sendable, Hashable, Codable {
    /// The matter asked about.
    public var matter: String
    /// Level.
    public var level: CreditLevel
    /// Trust-based approval for this matter.
    public var trustApproval: TrustApprovalAvailability
    /// When assessed.
    public var asOf: Date
    /// Policy version used.
    public var policyVersion: Int
}

/// A subject's own view: the level now, the events (with basis), and the level over time.
public struct CreditHistory: Sendable, Hashable, Codable {
    /// The current assessment.
    public var assessment: CreditAssessment
    /// Every event, oldest first.
    public var events: [CreditEvent]
}

/// The outcome of importing a credit-event file.
public struct CreditImportReport: Sendable, Hashable, Codable {
    /// Events recorded.
    public var recorded: Int
    /// Rows already imported earlier (same source and reference).
    public var duplicates: Int
}

/// Credit: versioned policy and matter catalogue, subjects, the append-only event ledger, levels on any date,
/// audited window checks, and imports of external records.
public final class CreditService: Sendable {
    let database: AppDatabase
    let clock: ZeroTripClock
    let registry: PopulationRegistry
    private let policies = Mutex<[Int: CreditPolicy]>([:])
    private let catalogues = Mutex<[Int: MatterCatalogue]>([:])
    private let newest = Mutex(NewestVersions())
    private let newestRefresh = SingleFlight<Int, (policy: Int, catalogue: Int)>()

    /// The newest version numbers as last read, and how many loads this process has made: a read that started
    /// before a load is neither joined nor kept after it.
    private struct NewestVersions {
        var policy = 0
        var catalogue = 0
        var checkedAt: Date?
        var loads = 0
    }

    /// Creates the service.
    public init(database: AppDatabase, clock: ZeroTripClock, registry: PopulationRegistry) {
        self.database = database
        self.clock = clock
        self.registry = registry
    }

    // MARK: Versions

    /// The newest version numbers, re-read at most once a second (a load by another process shows within a second).
    private func newestVersions() async throws -> (policy: Int, catalogue: Int) {
        let now = clock.now()
        let cached = newest.withLock { $0 }
        if let checkedAt = cached.checkedAt, abs(now.timeIntervalSince(checkedAt)) < 1 { return (cached.policy, cached.catalogue) }
        // Concurrent requests that find it stale share one read.
        let loads = cached.loads
        return try await newestRefresh.value(for: loads) { [self] in
            let versions = try await database.read(severalStatements: true) { db in
                (
                    policy: try ConfigurationStore.newestVersion(.creditPolicy, in: db),
                    catalogue: try ConfigurationStore.newestVersion(.catalogue, in: db)
                )
            }
            newest.withLock { state in
                guard state.loads == loads else { return }
                (state.policy, state.catalogue, state.checkedAt) = (versions.policy, versions.catalogue, now)
            }
            return versions
        }
    }

    /// The policy version `version` (0 = built-in).
    public func policy(version: Int) async throws -> CreditPolicy {
        if version == 0 { return .builtIn }
        if let cached = policies.withLock({ $0[version] }) { return cached }
        guard let policy = try await database.read({ db in try ConfigurationStore.creditPolicy(version: version, in: db) }) else {
            throw ZeroTripError(.notFound, "no policy version \(version)")
        }
        policies.withLock { $0[version] = policy }
        return policy
    }

    /// The policy in force now, with its version.
    public func currentPolicy() async throws -> (version: Int, policy: CreditPolicy) {
        let version = try await newestVersions().policy
        return await (version, try policy(version: version))
    }

    /// The policy version in force at `date`.
    public func policyVersion(at date: Date) async throws -> Int {
        try await database.read { db in
            try ConfigurationStore.version(.creditPolicy, at: date, in: db)
        }
    }

    /// The catalogue version `version`.
    public func catalogue(version: Int) async throws -> MatterCatalogue {
        if let cached = catalogues.withLock({ $0[version] }) { return cached }
        guard let catalogue = try await database.read({ db in try ConfigurationStore.catalogue(version: version, in: db) }) else {
            throw ZeroTripError(
                .notFound, version == 0 ? "no matter catalogue is loaded (zerotrip catalogue load FILE)" : "no catalogue version \(version)")
        }
        catalogues.withLock { $0[version] = catalogue }
        return catalogue
    }

    /// The newest catalogue.
    public func currentCatalogue() async throws -> MatterCatalogue {
        try await catalogue(version: try newestVersions().catalogue)
    }

    /// The matter `code` in the newest catalogue, or `unknown_matter`.
    public func matter(_ code: String) async throws -> (matter: Matter, version: Int) {
        let catalogue = try await currentCatalogue()
        guard code.utf8.count <= 32, let matter = catalogue.matter(code) else {
            throw ZeroTripError(.unknownMatter, "no matter \(code.prefix(32)) in catalogue version \(catalogue.version)")
        }
        return (matter, catalogue.version)
    }

    /// Loads a catalogue file as a new version (unless identical to the newest). Responsible departments must exist.
    public func loadCatalogue(_ bytes: [UInt8], actor: String) async throws -> ConfigurationVersion {
        let departments = try await database.read { db in Set(try DistrictStore.departments(code: nil, in: db).map(\.code)) }
        let catalogue = try MatterCatalogue.parse(bytes) { departments.contains($0) }
        return try await storeVersion(.catalogue, bytes: bytes, parsed: catalogue, action: .catalogueLoaded, actor: actor)
    }

    /// Loads a policy file as a new version (unless identical to the newest).
    public func loadPolicy(_ bytes: [UInt8], actor: String) async throws -> ConfigurationVersion {
        let policy = try CreditPolicy.parse(bytes)
        return try await storeVersion(.creditPolicy, bytes: bytes, parsed: policy, action: .creditPolicyLoaded, actor: actor)
    }

    private func storeVersion(_ kind: ConfigurationStore.Kind, bytes: [UInt8], parsed: some Encodable & Sendable, action: AuditAction, actor: String)
        async throws -> ConfigurationVersion
    {
        let now = clock.now()
        let result = try await database.write { db in
            try ConfigurationStore.load(kind, source: bytes, parsed: parsed, action: action, actor: actor, at: now, in: db)
        }
        newest.withLock { state in
            state.loads += 1
            state.checkedAt = nil
        }
        return result
    }

    /// Every stored version of the catalogue (`catalogue: true`) or the policy.
    public func versions(catalogue: Bool) async throws -> [ConfigurationVersion] {
        try await database.read { db in try ConfigurationStore.versions(catalogue ? .catalogue : .creditPolicy, in: db) }
    }

    // MARK: Subjects

    /// How a subject is found: checked and hashed before any database access.
    enum SubjectKey {
        /// By the keyed hash of a citizen ID number.
        case personLookup(Data)
        /// By registry subject id.
        case person(String)
        /// By unified social credit code.
        case organization(String)
    }

    /// Checks a window's or admin's input: a citizen ID number, a unified social credit code, or a subject id.
    func subjectKey(_ raw: String) throws -> SubjectKey {
        let text = raw.trimmingWhitespace()
        guard text.utf8.count <= 40 else {
            throw ZeroTripError(.invalidInput, "subject must be an ID number, a unified social credit code or a subject id")
        }
        let id = SubjectID(rawValue: text)
        if let person = id.personID { return .person(person) }
        if let code = id.organizationCode { return .organization(code) }
        let problem = text.utf8.count == 18 ? CitizenIDNumber.check(text, today: clock.now()) : .length
        if problem == nil { return .personLookup(Data(try registry.keySource.keys().lookupHash(idNumber: text.uppercased()))) }
        if let code = UnifiedSocialCreditCode.validate(text) { return .organization(code) }
        if let problem, text.utf8.count == 18, text.first.map({ $0.isNumber }) == true {
            throw ZeroTripError(.invalidIDNumber, "not a valid citizen ID number (\(problem.rawValue)) nor a unified social credit code")
        }
        throw ZeroTripError(.invalidInput, "subject must be a citizen ID number, a unified social credit code or a subject id")
    }

    /// The subject for `key`, read inside the caller's transaction.
    static func fetch(_ key: SubjectKey, in db: SQLTransaction) throws -> CreditSubject {
        switch key {
        case .personLookup(let lookup):
            guard let person = try PersonStore.brief(lookup: lookup, in: db) else {
                throw ZeroTripError(.unknownSubject, "no person with that ID number in the registry")
            }
            return CreditSubject(
                id: SubjectID.person(person.id).rawValue, kind: .person, establishedAt: person.createdAt, dataComplete: true, displayName: person.name
            )
        case .person(let id):
            guard let person = try PersonStore.brief(id: id, in: db) else {
                throw ZeroTripError(.unknownSubject, "no person \(id.prefix(20)) in the registry")
            }
            return CreditSubject(
                id: SubjectID.person(id).rawValue, kind: .person, establishedAt: person.createdAt, dataComplete: true, displayName: person.name)
        case .organization(let code):
            guard let organization = try CreditLedger.organization(code, in: db) else {
                throw ZeroTripError(.unknownSubject, "no organisation \(code.prefix(18)) is registered for credit")
            }
            return organization
        }
    }

    /// Resolves a window's or admin's input: a citizen ID number (registry), a unified social credit code
    /// (registered organisations), or a subject id (`person:…`, `organization:…`).
    public func subject(_ raw: String) async throws -> CreditSubject {
        let key = try subjectKey(raw)
        return try await database.read { db in try Self.fetch(key, in: db) }
    }

    func person(_ id: String) async throws -> CreditSubject {
        try await database.read { db in try Self.fetch(.person(id), in: db) }
    }

    func organization(_ code: String) async throws -> CreditSubject {
        try await database.read { db in try Self.fetch(.organization(code), in: db) }
    }

    /// Registers a legal person by unified social credit code.
    /// `legalRepresentative` (an ID number in the registry) is the person who consents to the reuse of the
    /// organisation's results.
    public func registerOrganization(
        code raw: String, name rawName: String, establishedOn: CivilDay, dataComplete: Bool,
        legalRepresentative: String? = nil, actor: String
    ) async throws -> CreditSubject {
        guard let code = UnifiedSocialCreditCode.validate(raw.trimmingWhitespace()) else {
            throw ZeroTripError(.invalidInput, "not a unified social credit code (18 characters, GB 32100 check character)")
        }
        let name = try Validation.name(rawName, field: "name")
        let now = clock.now()
        guard establishedOn.start <= now else { throw ZeroTripError(.invalidInput, "established date is in the future") }
        var representative: String?
        if let legalRepresentative {
            let number = try CitizenIDNumber.validate(legalRepresentative)
            guard let subject = try await registry.subject(idNumber: number) else {
                throw ZeroTripError(.unknownPerson, "the legal representative's ID number is not in the population registry")
            }
            representative = subject
        }
        let legal = representative
        try await database.write { db in
            try CreditLedger.insertOrganization(
                code: code, name: name, establishedAt: establishedOn.start, dataComplete: dataComplete,
                legalRepresentative: legal, actor: actor, at: now, in: db)
            try AuditLog.append(
                AuditEntry(actor: actor, action: .creditSubjectRegistered, target: SubjectID.organization(code).rawValue), at: now, in: db)
        }
        return try await organization(code)
    }

    // MARK: Events

    /// Records an event of policy type `type` for `subject` inside the caller's transaction (audited).
    @discardableResult
    static func record(
        type code: String, subject: String, effectiveAt: Date, source: String, reference: String?, policy: CreditPolicy,
        actor: String, at now: Date, in db: SQLTransaction
    ) throws -> CreditEvent {
        guard let type = policy.eventTypes[code] else { throw ZeroTripError(.invalidInput, "unknown credit event type \(code.prefix(48))") }
        let event = CreditEvent(
            id: 0, subject: subject, type: code, points: type.points, serious: type.serious, directD: type.directD, basis: type.basis,
            effectiveAt: effectiveAt, expiresAt: effectiveAt.addingTimeInterval(TimeInterval(type.validDays) * 86_400),
            repairs: nil, source: source, reference: reference, recordedAt: now, recordedBy: actor)
        return try insert(event, in: db)
    }

    static func insert(_ raw: CreditEvent, in db: SQLTransaction) throws -> CreditEvent {
        var event = raw
        // Whole milliseconds, as SQLite keeps them: the event compares the same before and after storage.
        event.effectiveAt = event.effectiveAt.wholeMilliseconds
        event.expiresAt = event.expiresAt.wholeMilliseconds
        event.recordedAt = event.recordedAt.wholeMilliseconds
        event.id = try CreditLedger.insert(event, in: db)
        try AuditLog.append(
            AuditEntry(
                actor: event.recordedBy, action: .creditEventRecorded, target: event.subject,
                details: ["event": "\(event.id)", "type": event.type, "points": "\(event.points)", "source": event.source]),
            at: event.recordedAt, in: db)
        return event
    }

    /// Records an event for `subject` (admin), effective at `effectiveAt` (not in the future).
    public func recordEvent(subject raw: String, type: String, effectiveAt: Date, reference: String?, actor: String) async throws -> CreditEvent {
        let subject = try await subject(raw)
        let now = clock.now()
        guard effectiveAt <= now else { throw ZeroTripError(.invalidInput, "an event cannot take effect in the future") }
        let policy = try await currentPolicy().policy
        if let reference { _ = try Validation.label(reference) }
        return try await database.write { db in
            try Self.record(
                type: type, subject: subject.id, effectiveAt: effectiveAt, source: "admin", reference: reference, policy: policy, actor: actor,
                at: now, in: db)
        }
    }

    /// Records a repair of event `id`: it restores the policy's share of the deduction for how soon it comes,
    /// lifts a direct D and clears a serious record. One repair per event.
    public func repair(eventID: Int64, effectiveAt: Date, reference: String?, actor: String) async throws -> CreditEvent {
        let now = clock.now()
        guard effectiveAt <= now else { throw ZeroTripError(.invalidInput, "a repair cannot take effect in the future") }
        let policy = try await currentPolicy().policy
        return try await database.write { db in
            guard let original = try CreditLedger.event(eventID, in: db) else {
                throw ZeroTripError(.notFound, "no credit event \(eventID)")
            }
            guard original.repairs == nil, original.points < 0 || original.directD || original.serious else {
                throw ZeroTripError(.invalidInput, "event \(eventID) is not a deduction or a serious record")
            }
            guard policy.eventTypes[original.type]?.repairable ?? true else {
                throw ZeroTripError(.invalidInput, "events of type \(original.type) cannot be repaired")
            }
            guard effectiveAt >= original.effectiveAt, effectiveAt < original.expiresAt else {
                throw ZeroTripError(
                    .invalidInput, "a repair takes effect while the event counts (after \(original.effectiveAt), before \(original.expiresAt))")
            }
            guard try !CreditLedger.isRepaired(eventID, in: db) else {
                throw ZeroTripError(.invalidInput, "event \(eventID) is already repaired")
            }
            let days = Int(effectiveAt.timeIntervalSince(original.effectiveAt) / 86_400)
            let points = Int((Double(-original.points) * policy.repairFraction(afterDays: days)).rounded())
            return try Self.insert(
                CreditEvent(
                    id: 0, subject: original.subject, type: "repair", points: max(0, points), serious: false, directD: false,
                    basis: "信用修复：\(original.basis)", effectiveAt: effectiveAt, expiresAt: original.expiresAt, repairs: original.id,
                    source: "admin", reference: reference, recordedAt: now, recordedBy: actor), in: db)
        }
    }

    /// Imports external records (e.g. dishonesty lists) from CSV `subject,type,effective_date,reference`, all or nothing:
    /// any bad row refuses the file with its line number. Rows imported before (same source and reference) are skipped.
    public func importEvents(
        _ bytes: [UInt8], source rawSource: String, actor: String, progress: (@Sendable (_ checked: Int, _ total: Int) -> Void)? = nil
    ) async throws -> CreditImportReport {
        guard bytes.count <= 16 << 20 else { throw ZeroTripError(.payloadTooLarge, "credit event files are at most 16 MiB") }
        let sourceName = rawSource.trimmingWhitespace()
        guard (1...64).contains(sourceName.utf8.count), sourceName.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ZeroTripError(.invalidInput, "source must be 1–64 printable ASCII characters")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw ZeroTripError(.invalidInput, "the file is not UTF-8") }
        let now = clock.now()
        let policy = try await currentPolicy().policy
        // The whole file is valid UTF-8, so each of its lines is too.
        let lines = RegistryCSV.numberedLines(bytes).map { (number: $0.number, text: String(decoding: $0.line, as: UTF8.self)) }
        guard let header = lines.first?.text,
            try RegistryCSV.fields(of: header).map({ $0.trimmingWhitespace() }) == ["subject", "type", "effective_date", "reference"]
        else {
            throw ZeroTripError(.invalidInput, "line 1: the header must be subject,type,effective_date,reference")
        }
        struct Row { var line: Int; var subject: String; var type: String; var effective: Date; var reference: String }
        var rows: [Row] = []
        var references = Set<String>()
        for (number, line) in lines.dropFirst() {
            func fail(_ message: String) -> ZeroTripError { ZeroTripError(.invalidInput, "line \(number): \(message); nothing was imported") }
            let fields: [String]
            do { fields = try RegistryCSV.fields(of: line).map { $0.trimmingWhitespace() } } catch { throw fail("not valid CSV") }
            guard fields.count == 4 else { throw fail("expected 4 fields, found \(fields.count)") }
            let subject: CreditSubject
            do { subject = try await self.subject(fields[0]) } catch let error as ZeroTripError {
                throw ZeroTripError(
                    error.code == .unknownSubject ? .unknownSubject : .invalidInput, "line \(number): \(error.message); nothing was imported")
            }
            guard policy.eventTypes[fields[1]] != nil else { throw fail("unknown event type \"\(fields[1].prefix(48))\"") }
            guard let day = CivilDay(fields[2]), day.start <= now else { throw fail("effective_date must be a date YYYY-MM-DD, not in the future") }
            guard (1...64).contains(fields[3].utf8.count), (try? Validation.label(fields[3])) != nil else {
                throw fail("reference must be 1–64 characters")
            }
            guard references.insert(fields[3]).inserted else { throw fail("reference \(fields[3].prefix(64)) appears twice") }
            rows.append(Row(line: number, subject: subject.id, type: fields[1], effective: day.start, reference: fields[3]))
            progress?(rows.count, lines.count - 1)
        }
        guard !rows.isEmpty else { throw ZeroTripError(.invalidInput, "the file has no rows") }
        let source = "import:\(sourceName)"
        let parsedRows = rows
        return try await database.write { db in
            var report = CreditImportReport(recorded: 0, duplicates: 0)
            for row in parsedRows {
                if try CreditLedger.contains(source: source, reference: row.reference, in: db) {
                    report.duplicates += 1
                    continue
                }
                try Self.record(
                    type: row.type, subject: row.subject, effectiveAt: row.effective, source: source, reference: row.reference,
                    policy: policy, actor: actor, at: now, in: db)
                report.recorded += 1
            }
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .creditEventsImported, target: source,
                    details: ["recorded": "\(report.recorded)", "duplicates": "\(report.duplicates)"]), at: now, in: db)
            return report
        }
    }

    // MARK: Levels

    /// The level of `subject` at `date` (default now), from the events recorded by then and the policy in force then:
    /// the answer for a past date never changes, whatever is recorded later.
    public func assessment(of subject: CreditSubject, at date: Date? = nil) async throws -> CreditAssessment {
        let now = clock.now()
        let when = date ?? now
        let version = await date == nil ? try currentPolicy().version : try policyVersion(at: when)
        let events = try await database.read { db in
            try CreditLedger.events(subject: subject.id, recordedBy: when, in: db)
        }
        return await CreditCalculator.assess(subject, events: events, policy: try policy(version: version), policyVersion: version, at: when)
    }

    /// The current level of the subject given as a window types it (ID number, credit code or subject id): the
    /// subject and its events are read in one transaction — the window's hot path.
    public func assessment(of raw: String) async throws -> (subject: CreditSubject, assessment: CreditAssessment) {
        let key = try subjectKey(raw)
        let (version, policy) = try await currentPolicy()
        let when = clock.now()
        let (subject, events) = try await database.read { db in
            let subject = try Self.fetch(key, in: db)
            return (subject, try CreditLedger.events(subject: subject.id, recordedBy: when, in: db))
        }
        return (subject, CreditCalculator.assess(subject, events: events, policy: policy, policyVersion: version, at: when))
    }

    /// A window's credit check of `subject` for `matter`: only the matter's responsible department may read it
    /// (others get `forbidden`); every read, allowed or not, is audited.
    public func windowCheck(subject raw: String, matter code: String, department: String, actor: String) async throws -> WindowCreditCheck {
        let (matter, _) = try await matter(code)
        let now = clock.now()
        guard matter.department == department.uppercased() else {
            try await AuditLog.append(
                AuditEntry(
                    actor: actor, action: .creditRead, target: "matter:\(matter.code)", outcome: "denied",
                    details: ["reason": "outside_business_range", "department": department.uppercased()]), at: now, to: database)
            throw ZeroTripError(.forbidden, "matter \(matter.code) is outside department \(department.uppercased())'s business range").audited()
        }
        let key = try subjectKey(raw)
        let (version, policy) = try await currentPolicy()
        // The subject, its events and the audit event of this read in one group-committed transaction: one trip to
        // the database for the window's hot path.
        // A person looked up by ID number (the window's case) is read with the batch's others, with their events.
        var lookup: AuditBatcher.Lookup?
        if case .personLookup(let hash) = key { lookup = .creditPerson(lookup: hash) }
        let answer: Result<WindowCreditCheck, ZeroTripError> = try await database.audit.audited(at: now, severalStatements: true, lookup: lookup) {
            db in
            let subject: CreditSubject
            do {
                subject = try Self.fetch(key, in: db)
            } catch let error as ZeroTripError where error.code == .unknownSubject {
                return (
                    .failure(error),
                    AuditEntry(
                        actor: actor, action: .creditRead, target: "matter:\(matter.code)", outcome: "unknown_subject",
                        details: ["matter": matter.code])
                )
            }
            let events = try CreditLedger.events(subject: subject.id, recordedBy: now, in: db)
            let assessment = CreditCalculator.assess(subject, events: events, policy: policy, policyVersion: version, at: now)
            var trust = assessment.trustApproval
            if matter.trustDeadlineDays == nil {
                trust = TrustApprovalAvailability(
                    available: false, reasons: trust.reasons + ["matter_not_eligible"],
                    explanation: "事项 \(matter.code) 不适用容缺受理" + (trust.reasons.isEmpty ? "" : "；" + trust.explanation))
            }
            return (
                .success(
                    WindowCreditCheck(
                        matter: matter.code, level: assessment.level, trustApproval: trust, asOf: assessment.asOf,
                        policyVersion: assessment.policyVersion)),
                AuditEntry(
                    actor: actor, action: .creditRead, target: subject.id,
                    details: ["matter": matter.code, "level": assessment.level.rawValue, "trust": trust.available ? "available" : "refused"])
            )
        }
        return try answer.get()
    }

    /// The subject's own history: the current assessment and every event. For the subject's own session (or admins).
    public func history(subject raw: String) async throws -> CreditHistory {
        let subject = try await subject(raw)
        let events = try await database.read { db in try CreditLedger.events(subject: subject.id, recordedBy: nil, in: db) }
        return await CreditHistory(assessment: try assessment(of: subject), events: events)
    }
}

extension Date {
    /// This instant rounded down to a whole millisecond (the precision of stored dates).
    var wholeMilliseconds: Date { Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded(.down) / 1000) }
}
