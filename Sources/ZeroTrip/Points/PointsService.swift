public import Foundation
public import Logging
public import ServiceLifecycle
import ZeroTripCrypto
import ZeroTripDocuments

/// A person's points as they read them: the newest score with every item explained, the indicators they may still
/// claim with a proof, and their claims and disputes.
public struct PointsStatement: Sendable, Hashable, Codable {
    /// One scored item with the indicator's name and rule.
    public struct Item: Sendable, Hashable, Codable {
        /// The item as stored.
        public var item: PointsItem
        /// Indicator name.
        public var name: String
        /// The rule in words.
        public var basis: String
    }

    /// An indicator scored only from a proof the person hands in (后申请).
    public struct Claimable: Sendable, Hashable, Codable {
        /// Indicator code.
        public var indicator: String
        /// Name.
        public var name: String
        /// Department that reviews it.
        public var department: String
        /// Options with their points.
        public var options: [PointsOption]
    }

    /// The scheme's name (nil when no policy is loaded).
    public var scheme: String?
    /// The run of the score shown.
    public var run: PointsRun?
    /// Total.
    public var total: Int?
    /// Items, in the scheme's order.
    public var items: [Item]
    /// What may be claimed now.
    public var claimable: [Claimable]
    /// The person's claims, newest first.
    public var claims: [PointsClaim]
    /// The person's disputes, newest first.
    public var disputes: [PointsDispute]
    /// Names of the scored items left out because they disclose the credit level, which needs a higher identity
    /// tier than the session has; the total is then left out too (it would disclose them).
    public var withheld: [String]
}

/// A score computed again from the data and compared with the stored one.
public struct PointsReplay: Sendable, Hashable, Codable {
    /// The instant scored.
    public var asOf: Date
    /// Policy version used.
    public var policyVersion: Int
    /// The score computed now.
    public var computed: PointsScore
    /// The stored score (when a run is named).
    public var stored: PointsScore?
    /// Whether both agree: false when the run stored no score for the person; true when no run was named.
    public var matches: Bool
}

/// 量化积分 (海曙, 宁波): **先赋分** — a monthly run scores every registered person from the data the district holds
/// (result documents in the register, credit levels, the registry) under the versioned points policy, storing each
/// score with the records and rule behind each item; **后申请** — a person claims only the indicators that need a
/// proof, and a reviewer of the indicator's department decides; **复核** — a disputed item is decided by a second
/// reviewer. Every score is replayable: ``replay(subject:run:)`` computes it again from the data as they were.
public final class PointsService: Sendable {
    /// Persons scored per transaction.
    public static let pageSize = 1000
    /// A run whose runner has not reported for this long is taken over by another.
    public static let staleRunSeconds: TimeInterval = 300
    /// Largest proof handed in with a claim.
    public static let evidenceLimit = 700 * 1024
    /// Longest statement, reason or decision note, in characters.
    public static let noteLimit = 200

    private let database: AppDatabase
    private let clock: ZeroTripClock
    private let registry: PopulationRegistry
    private let documents: DocumentService
    /// The district's identity policy: which tier sees the credit level.
    private let identityPolicy: IdentityPolicy

    init(database: AppDatabase, clock: ZeroTripClock, registry: PopulationRegistry, documents: DocumentService, identityPolicy: IdentityPolicy) {
        self.database = database
        self.clock = clock
        self.registry = registry
        self.documents = documents
        self.identityPolicy = identityPolicy
    }

    // MARK: Policy

    /// Loads a points policy file as a new version (unless identical to the newest). Reviewing and certificate
    /// departments must exist.
    public func loadPolicy(_ bytes: [UInt8], actor: String) async throws -> ConfigurationVersion {
        let departments = try await database.read { db in Set(try DistrictStore.departments(code: nil, in: db).map(\.code)) }
        let policy = try PointsPolicy.parse(bytes) { departments.contains($0) }
        let now = clock.now()
        return try await database.write { db in
            try ConfigurationStore.load(.pointsPolicy, source: bytes, parsed: policy, action: .pointsPolicyLoaded, actor: actor, at: now, in: db)
        }
    }

    /// Every stored policy version, oldest first.
    public func versions() async throws -> [ConfigurationVersion] {
        try await database.read { db in try ConfigurationStore.versions(.pointsPolicy, in: db) }
    }

    /// The policy version in force at `date` and the policy, or `no_points_policy`.
    public func policy(at date: Date) async throws -> (version: Int, policy: PointsPolicy) {
        try await database.read { db in try Self.policy(at: date, in: db) }
    }

    static func policy(at date: Date, in db: SQLTransaction) throws -> (version: Int, policy: PointsPolicy) {
        let version = try ConfigurationStore.version(.pointsPolicy, at: date, in: db)
        guard version > 0, let policy = try ConfigurationStore.pointsPolicy(version: version, in: db) else {
            throw ZeroTripError(.noPointsPolicy, "no points policy was in force on \(CivilDay(date)) (zerotrip points policy load FILE)")
        }
        return (version, policy)
    }

    static func policy(version: Int, in db: SQLTransaction) throws -> PointsPolicy {
        guard let policy = try ConfigurationStore.pointsPolicy(version: version, in: db) else {
            throw ZeroTripError(.noPointsPolicy, "no points policy version \(version)")
        }
        return policy
    }

    // MARK: Scoring runs (先赋分)

    /// How long after the start of its month the scheduled run begins: it scores as of the month's first instant, so
    /// it waits until every write stamped before that instant has surely committed (a write takes its time, then
    /// waits for the writer), or a replay would later find a record the run did not see.
    public static let settleSeconds: TimeInterval = 60

    /// The scheduled run of the month of `now` (China time), scoring everyone as of the month's first day at 00:00:
    /// started once per district however many daemons call it; resumed when its runner died. Nil when it is finished
    /// already, another runner is working on it, or the month began less than ``settleSeconds`` ago.
    @discardableResult
    public func scheduledRun(now date: Date? = nil) async throws -> PointsRunReport? {
        let now = date ?? clock.now()
        let time = ChinaTime(now)
        let period = String(format: "%04d-%02d", time.year, time.month)
        guard let first = CivilDay(period + "-01"), now >= first.start.addingTimeInterval(Self.settleSeconds) else { return nil }
        do {
            let report = try await run(asOf: first.start, period: period, actor: "system", now: now)
            return report.alreadyFinished ? nil : report
        } catch let error as ZeroTripError where error.code == .noPointsPolicy {
            return nil
        }
    }

    /// Scores every person registered by `asOf` (default: now) with the policy then in force and stores the scores in
    /// pages of ``pageSize`` persons, one short transaction each. A `period` run exists once; calling it again resumes
    /// it when its runner stopped reporting ``staleRunSeconds`` ago, and does nothing when it is finished or running.
    public func run(asOf requested: Date? = nil, period: String? = nil, actor: String, now date: Date? = nil) async throws -> PointsRunReport {
        let now = date ?? clock.now()
        let asOf = requested ?? now
        guard asOf <= now else { throw ZeroTripError(.invalidInput, "a score can only be computed for a date that has begun") }
        let start = try await database.write { db -> (run: PointsRun, policy: PointsPolicy)? in
            let (version, policy) = try Self.policy(at: asOf, in: db)
            if let run = try PointsStore.startRun(period: period, asOf: asOf, policyVersion: version, actor: actor, at: now, in: db) {
                try AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .pointsRunStarted, target: "points_run:\(run.id)",
                        details: ["as_of": AuditEvent.timestamp(asOf), "policy_version": "\(version)"]), at: now, in: db)
                return (run, policy)
            }
            guard let period, let existing = try PointsStore.run(period: period, in: db) else { return nil }
            if existing.finishedAt != nil { return (existing, policy) }
            guard try Self.takeOver(existing, actor: actor, now: now, in: db) else { return nil }
            // Resumed: the run keeps the version it started with.
            return (existing, try Self.policy(version: existing.policyVersion, in: db))
        }
        guard let start else {
            throw ZeroTripError(.invalidTransition, "the scoring run of \(period ?? "") is in progress on another daemon")
        }
        if start.run.finishedAt != nil { return PointsRunReport(run: start.run, scored: 0, skipped: 0, alreadyFinished: true) }
        return try await score(start.run, policy: start.policy, actor: actor)
    }

    /// Resumes every unfinished run whose runner has not reported for ``staleRunSeconds`` (its daemon died or was
    /// stopped), whether scheduled or asked for by an admin, from the last person it stored.
    public func resumeStalledRuns(now date: Date? = nil) async throws -> [PointsRunReport] {
        let now = date ?? clock.now()
        let stalled = try await database.read { db in try PointsStore.stalledRuns(staleBefore: now.addingTimeInterval(-Self.staleRunSeconds), in: db)
        }
        var reports: [PointsRunReport] = []
        var failure: (any Error)?
        for candidate in stalled {
            // One run that fails again does not keep the others (or this month's) from being scored.
            do {
                let policy = try await database.write { db -> PointsPolicy? in
                    guard try Self.takeOver(candidate, actor: "system", now: now, in: db) else { return nil }
                    return try Self.policy(version: candidate.policyVersion, in: db)
                }
                if let policy { reports.append(try await score(candidate, policy: policy, actor: "system")) }
            } catch {
                failure = failure ?? error
            }
        }
        if reports.isEmpty, let failure { throw failure }
        return reports
    }

    /// Takes `run` over from a runner silent for ``staleRunSeconds``; audited. False when its runner is alive or it
    /// finished.
    private static func takeOver(_ run: PointsRun, actor: String, now: Date, in db: SQLTransaction) throws -> Bool {
        guard try PointsStore.takeOver(run.id, staleBefore: now.addingTimeInterval(-staleRunSeconds), at: now, in: db) else { return false }
        try AuditLog.append(
            AuditEntry(
                actor: actor, action: .pointsRunResumed, target: "points_run:\(run.id)",
                details: ["persons": "\(run.persons)"]), at: now, in: db)
        return true
    }

    /// Scores `run`'s persons after the last one it stored, a page per transaction, and finishes it. A person whose
    /// registry record cannot be read (it does not decrypt with the identity key) is left out and audited
    /// `points.person.skipped`, so that one damaged record never stops a district's run.
    private func score(_ started: PointsRun, policy: PointsPolicy, actor: String) async throws -> PointsRunReport {
        var run = started
        let registry = self.registry, clock = self.clock
        let (runID, runAsOf, runVersion) = (run.id, run.asOf, run.policyVersion)
        let (lastScored, credit) = try await database.read { db -> (String?, (Int, CreditPolicy)?) in
            let creditVersion = try ConfigurationStore.version(.creditPolicy, at: runAsOf, in: db)
            return (
                try PointsStore.lastScored(run: runID, in: db),
                try ConfigurationStore.creditPolicy(version: creditVersion, in: db).map { (creditVersion, $0) }
            )
        }
        var cursor = lastScored.map { String($0.dropFirst(7)) }
        var (scored, skipped) = (0, 0)
        while true {
            try Task.checkCancellation()
            let after = cursor
            let (page, last) = try await database.read { db -> (ScoredPage, String?) in
                let persons = try PointsStore.persons(after: after, registeredBy: runAsOf, limit: Self.pageSize, in: db)
                let page = try Self.score(
                    persons: persons, policy: policy, version: runVersion, credit: credit, asOf: runAsOf,
                    keys: try registry.keySource.keys(), in: db)
                return (ScoredPage(scores: try PointsStore.encoded(page.scores), unreadable: page.unreadable), persons.last?.id)
            }
            guard let last else { break }
            let progress = run.persons + scored + page.scores.count
            let now = clock.now()
            try await database.write { db in
                try PointsStore.insert(page.scores, run: runID, in: db)
                guard try PointsStore.heartbeat(runID, persons: progress, at: now, in: db) else {
                    throw ZeroTripError(.invalidTransition, "scoring run \(runID) was finished by another runner")
                }
                for person in page.unreadable {
                    try AuditLog.append(
                        AuditEntry(
                            actor: actor, action: .pointsPersonSkipped, target: SubjectID.person(person).rawValue,
                            details: ["run": "\(runID)", "reason": "identity_key_unavailable"]), at: now, in: db)
                }
            }
            scored += page.scores.count
            skipped += page.unreadable.count
            cursor = last
        }
        let finishedAt = clock.now()
        run.persons = try await database.write { db in
            let persons = try PointsStore.finish(runID, at: finishedAt, in: db)
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .pointsRunFinished, target: "points_run:\(runID)",
                    details: ["persons": "\(persons)"]), at: finishedAt, in: db)
            return persons
        }
        run.finishedAt = finishedAt
        return PointsRunReport(run: run, scored: scored, skipped: skipped, alreadyFinished: false)
    }

    /// One page of a run, encoded where it was computed.
    private struct ScoredPage: Sendable {
        var scores: [PointsStore.EncodedScore]
        var unreadable: [String]
    }

    /// Scores `persons` on `asOf`: reads what each score is computed from in this transaction, computes them. Persons
    /// whose ID number does not decrypt are returned apart, by id.
    static func score(
        persons all: [PointsStore.Person], policy: PointsPolicy, version: Int, credit: (Int, CreditPolicy)?, asOf: Date,
        keys: IdentityKeys, in db: SQLTransaction
    ) throws -> (scores: [PointsScore], unreadable: [String]) {
        var persons: [PointsStore.Person] = [], idNumbers: [String] = [], unreadable: [String] = []
        persons.reserveCapacity(all.count)
        idNumbers.reserveCapacity(all.count)
        for person in all {
            guard let number = try? keys.openValue(person.idSealed, context: "id:\(person.id)"), number.utf8.count == 18 else {
                unreadable.append(person.id)
                continue
            }
            persons.append(person)
            idNumbers.append(number)
        }
        // Every person of a page failing is not damaged records but the wrong identity key: stop, do not finish the
        // month's run with nobody scored.
        guard !persons.isEmpty else {
            if all.count > 1, unreadable.count == all.count {
                throw ZeroTripError(.identityKeyUnavailable, "no person of this page decrypts with the identity key; the run stops")
            }
            return ([], unreadable)
        }
        let subjects = persons.map { SubjectID.person($0.id).rawValue }
        let held = try PointsStore.documents(holders: idNumbers, matters: policy.documentMatters, issuedBy: asOf, in: db)
        let approvals =
            policy.indicators.contains { $0.source.needsReview }
            ? try PointsStore.approvals(subjects: subjects, decidedBy: asOf, in: db) : [:]
        let corrections = try PointsStore.corrections(subjects: subjects, decidedBy: asOf, in: db)
        var levels: [String: CreditLevel] = [:]
        if let (creditVersion, creditPolicy) = credit, policy.indicators.contains(where: { $0.source == .credit }) {
            let events = try CreditLedger.events(subjects: subjects, recordedBy: asOf, in: db)
            for (subject, person) in zip(subjects, persons) {
                let creditSubject = CreditSubject(id: subject, kind: .person, establishedAt: person.registeredAt, dataComplete: true, displayName: "")
                levels[subject] =
                    CreditCalculator.assess(
                        creditSubject, events: events[subject] ?? [], policy: creditPolicy,
                        policyVersion: creditVersion, at: asOf
                    ).level
            }
        }
        let scores = zip(subjects, idNumbers).map { subject, idNumber in
            let facts = PointsFacts(
                subject: SubjectID(rawValue: subject), birthDay: CivilDay(CitizenIDNumber.birthDate(of: idNumber)), documents: held[idNumber] ?? [],
                creditLevel: levels[subject], approvals: approvals[subject] ?? [], corrections: corrections[subject] ?? [])
            return PointsCalculator.score(facts, policy: policy, version: version, at: asOf)
        }
        return (scores, unreadable)
    }

    /// The newest runs, newest first.
    public func runs(limit: Int = 20) async throws -> [PointsRun] {
        try await database.read { db in try PointsStore.runs(limit: limit, in: db) }
    }

    // MARK: Explaining and replaying

    /// Computes `subject`'s (`person:<id>`) score again from the data as they were: at run `run`'s date with its
    /// policy version (and compares with the stored score), or at `date` with the version `version` (default: the one
    /// in force then).
    public func replay(subject: SubjectID, run runID: Int64? = nil, at date: Date? = nil, version requested: Int? = nil) async throws -> PointsReplay
    {
        // Stored and audited as text.
        let subject = subject.rawValue
        let registry = self.registry
        let now = clock.now()
        return try await database.read { db in
            var asOf = date ?? now
            var version = requested
            var stored: PointsScore?
            if let runID {
                guard let run = try PointsStore.run(id: runID, in: db) else { throw ZeroTripError(.notFound, "no scoring run \(runID)") }
                asOf = run.asOf
                version = run.policyVersion
                stored = try PointsStore.score(run: runID, subject: subject, in: db)
            }
            let policy: PointsPolicy
            if let version { policy = try Self.policy(version: version, in: db) } else { (version, policy) = try Self.policy(at: asOf, in: db) }
            guard let id = SubjectID(rawValue: subject).personID, let person = try PointsStore.person(id, registeredBy: asOf, in: db) else {
                throw ZeroTripError(.unknownSubject, "no person \(subject.prefix(24)) registered on \(CivilDay(asOf))")
            }
            let creditVersion = try ConfigurationStore.version(.creditPolicy, at: asOf, in: db)
            let credit = try ConfigurationStore.creditPolicy(version: creditVersion, in: db).map { (creditVersion, $0) }
            guard
                let computed = try Self.score(
                    persons: [person], policy: policy, version: version ?? 0, credit: credit, asOf: asOf,
                    keys: try registry.keySource.keys(), in: db
                ).scores.first
            else {
                throw ZeroTripError(.identityKeyUnavailable, "the registry record of \(subject.prefix(24)) does not decrypt with the identity key")
            }
            // A run that stored no score for a person registered by its date did not score what it should have.
            let matches = runID == nil || stored == computed
            return PointsReplay(asOf: asOf, policyVersion: version ?? 0, computed: computed, stored: stored, matches: matches)
        }
    }

    // MARK: The person's view

    /// `subject`'s (`person:<id>`) statement: the newest score explained, claimable indicators, claims and disputes.
    /// Without `disclosingCredit` (a session below the credit level's tier), items scored from the credit level —
    /// and so the total — are withheld, named in ``PointsStatement/withheld``.
    public func statement(subject: SubjectID, disclosingCredit: Bool) async throws -> PointsStatement {
        // Stored and audited as text.
        let subject = subject.rawValue
        let now = clock.now()
        return try await database.read { db in
            let current: (version: Int, policy: PointsPolicy)?
            do { current = try Self.policy(at: now, in: db) } catch let error as ZeroTripError where error.code == .noPointsPolicy { current = nil }
            let latest = try PointsStore.latestScore(subject: subject, in: db)
            let scoredPolicy = try latest.map { try Self.policy(version: $0.run.policyVersion, in: db) }
            var withheld: [String] = []
            let items = (latest?.score.items ?? []).compactMap { item -> PointsStatement.Item? in
                let indicator = scoredPolicy?.indicator(item.indicator)
                let name = indicator?.name ?? item.indicator
                if !disclosingCredit && (indicator?.source == .credit || item.inputs.contains { $0.hasPrefix("credit:") }) {
                    withheld.append(name)
                    return nil
                }
                return PointsStatement.Item(item: item, name: name, basis: indicator?.basis ?? "")
            }
            let claimable = (current?.policy.indicators ?? []).compactMap { indicator -> PointsStatement.Claimable? in
                guard case .proof(let department) = indicator.source, case .options(let options) = indicator.rule else { return nil }
                return PointsStatement.Claimable(indicator: indicator.code, name: indicator.name, department: department, options: options)
            }
            // A dispute's points disclose the item it disputed: one of an item scored from the credit level under the
            // scheme version it was filed under is withheld too (a later version may score that indicator otherwise).
            var policies: [Int: PointsPolicy] = [:]
            let disputes = try PointsStore.disputes(subject: subject, in: db).filter { dispute in
                if disclosingCredit { return true }
                if policies[dispute.policyVersion] == nil {
                    policies[dispute.policyVersion] = try Self.policy(version: dispute.policyVersion, in: db)
                }
                return policies[dispute.policyVersion]?.indicator(dispute.indicator)?.source != .credit
            }
            return PointsStatement(
                scheme: current?.policy.name ?? scoredPolicy?.name, run: latest?.run,
                total: withheld.isEmpty ? latest?.score.total : nil, items: items,
                claimable: claimable, claims: try PointsStore.claims(subject: subject, in: db),
                disputes: disputes, withheld: withheld)
        }
    }

    // MARK: Claims (后申请)

    /// Records `subject`'s claim of `option` for the reviewed indicator `indicator`, with an optional proof (PDF, JPEG
    /// or PNG, at most ``evidenceLimit`` bytes). Audited `points.claim.submitted` (without the statement or proof).
    public func claim(
        subject: SubjectID, indicator code: String, option: String, statement rawStatement: String, evidence: [UInt8]?,
        actor: String
    ) async throws -> PointsClaim {
        let statement = try Validation.note(rawStatement, field: "statement", limit: Self.noteLimit)
        let evidenceType = try evidence.map { bytes throws(ZeroTripError) in try Self.evidenceType(bytes) }
        let now = clock.now()
        let id = try withCrypto("generating a claim id") { () throws(CryptoError) in Hex.encode(try SecureRandom.bytes(count: 16)) }
        return try await database.write { db in
            let (version, policy) = try Self.policy(at: now, in: db)
            guard let indicator = policy.indicator(code), case .proof(let department) = indicator.source, case .options(let options) = indicator.rule
            else {
                throw ZeroTripError(.unknownIndicator, "no indicator \(code.prefix(48)) decided on a proof in points policy version \(version)")
            }
            guard options.contains(where: { $0.name == option }) else {
                throw ZeroTripError(.invalidInput, "option must be one of \(options.map(\.name).joined(separator: ", "))")
            }
            let claim = PointsClaim(
                id: id, subject: subject, indicator: indicator.code, option: option, statement: statement, evidenceType: evidenceType,
                department: department, policyVersion: version, submittedAt: now)
            guard try PointsStore.insert(claim, evidence: evidence, in: db) else {
                throw ZeroTripError(.claimPending, "a claim for \(indicator.code) is waiting for review")
            }
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .pointsClaimSubmitted, target: "points_claim:\(id)",
                    details: ["indicator": indicator.code, "department": department, "evidence": evidenceType ?? "none"]),
                at: now, in: db)
            return claim
        }
    }

    /// The media type of a proof, by its first bytes; `invalid_input` when it is none of PDF, JPEG, PNG or too large.
    static func evidenceType(_ bytes: [UInt8]) throws(ZeroTripError) -> String {
        guard !bytes.isEmpty else { throw ZeroTripError(.invalidInput, "the proof is empty") }
        guard bytes.count <= evidenceLimit else { throw ZeroTripError(.payloadTooLarge, "the proof must be at most \(evidenceLimit / 1024) KiB") }
        if bytes.starts(with: Array("%PDF-".utf8)) { return "application/pdf" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        throw ZeroTripError(.invalidInput, "the proof must be a PDF, JPEG or PNG file")
    }

    /// Days a decided claim's proof is kept (for a dispute, a complaint or an audit), then cleared.
    public static let evidenceRetentionDays = 365

    /// Clears the proofs of claims decided more than ``evidenceRetentionDays`` ago, unless a dispute of the claim is
    /// still open: personal documents are not kept longer than their purpose. The claim and the proof's media type
    /// stay. Audited `points.evidence.cleared` with the count; at most 1,000 a call (the timer calls again).
    @discardableResult
    public func clearOldEvidence(now date: Date? = nil) async throws -> Int {
        let now = date ?? clock.now()
        return try await database.write { db in
            let cleared = try PointsStore.clearEvidence(
                decidedBefore: now.addingTimeInterval(-Double(Self.evidenceRetentionDays) * 86_400), limit: 1000, in: db)
            if cleared > 0 {
                try AuditLog.append(
                    AuditEntry(
                        actor: "system", action: .pointsEvidenceCleared, target: "points_claims",
                        details: ["claims": "\(cleared)", "retention_days": "\(Self.evidenceRetentionDays)"]), at: now, in: db)
            }
            return cleared
        }
    }

    /// Claims waiting for `department`'s reviewers, oldest first, each with whose it is (name and masked ID number:
    /// enough to match the proof, never the full number).
    public func pendingClaims(department: String) async throws -> [Concerning<PointsClaim>] {
        try await database.read { db in
            try PointsStore.pendingClaims(department: department, in: db).map { try Concerning($0, subject: $0.subject, in: db) }
        }
    }

    /// The proof handed in with claim `id`, for a reviewer of `department`. Audited `points.evidence.read`.
    public func evidence(claim id: String, department: String, actor: String) async throws -> (type: String, bytes: [UInt8]) {
        let now = clock.now()
        return try await database.write { db in
            guard let claim = try PointsStore.claim(id: id, in: db), claim.department == department,
                let evidence = try PointsStore.evidence(claim: id, in: db)
            else {
                throw ZeroTripError(.notFound, "no proof for claim \(id.prefix(32)) in this department")
            }
            try AuditLog.append(AuditEntry(actor: actor, action: .pointsEvidenceRead, target: "points_claim:\(id)", details: [:]), at: now, in: db)
            return evidence
        }
    }

    /// The reviewer `clerk` of `department` approves or rejects claim `id`, once; the person is told.
    public func decide(
        claim rawID: String, department: String, clerk: String, approve: Bool, reason rawReason: String,
        actor: String
    ) async throws -> PointsClaim {
        let id = rawID.lowercased()
        let reason = try Validation.note(rawReason, field: "reason", limit: Self.noteLimit)
        guard !reason.isEmpty else { throw ZeroTripError(.invalidInput, "a decision needs a reason") }
        let now = clock.now()
        return try await database.write { db in
            let reviewer = try Self.reviewer(department: department, clerk: clerk, actor: actor, in: db)
            guard id.utf8.count == 32, var claim = try PointsStore.claim(id: id, in: db), claim.department == department else {
                throw ZeroTripError(.notFound, "no claim \(rawID.prefix(32)) for this department")
            }
            guard claim.decision == nil, try PointsStore.decide(claim: id, approved: approve, reviewer: reviewer, reason: reason, at: now, in: db)
            else {
                throw ZeroTripError(.alreadyDecided, "claim \(id) was decided already")
            }
            claim.decision = approve ? "approved" : "rejected"
            claim.decidedBy = reviewer
            claim.decidedAt = now
            claim.reason = reason
            try AuditLog.append(
                AuditEntry(
                    actor: reviewer, action: .pointsClaimDecided, target: "points_claim:\(id)",
                    details: ["indicator": claim.indicator, "decision": claim.decision!]), at: now, in: db)
            try NotificationOutbox.enqueue(
                subject: claim.subject, kind: "points_claim", reference: "points_claim:\(id)",
                message: "【积分】您申报的积分项目已审核：\(approve ? "通过" : "未通过")（\(reason)）。对结果有异议可在积分页面申请复核。",
                at: now, in: db)
            return claim
        }
    }

    /// `department`'s staff member `clerk` as the actor of a review decision; `not_a_reviewer` unless listed in the
    /// staff directory as a reviewer or supervisor of that department.
    static func reviewer(department: String, clerk rawClerk: String, actor: String, in db: SQLTransaction) throws -> String {
        let clerk = rawClerk.trimmingWhitespace()
        guard !clerk.isEmpty, clerk.utf8.count <= 32, try StaffStore.member(department: department, clerk: clerk, in: db) != nil else {
            throw ZeroTripError(.notAReviewer, "clerk \(clerk.prefix(32)) is not in \(department)'s staff directory")
        }
        return "\(actor)/clerk:\(clerk)"
    }

    // MARK: Disputes (复核)

    /// `subject` disputes an item: of a claim's decision (`claim`), or else of their newest score. Once per item.
    /// Without `disclosingCredit`, an item scored from the credit level is refused with `step_up_required` (audited).
    public func dispute(
        subject: SubjectID, indicator code: String, claim claimID: String?, reason rawReason: String, actor: String,
        disclosingCredit: Bool
    ) async throws -> PointsDispute {
        let reason = try Validation.note(rawReason, field: "reason", limit: Self.noteLimit)
        guard !reason.isEmpty else { throw ZeroTripError(.invalidInput, "say why the score is wrong") }
        let now = clock.now()
        let id = try withCrypto("generating a dispute id") { () throws(CryptoError) in Hex.encode(try SecureRandom.bytes(count: 16)) }
        do {
            return try await fileDispute(
                id: id, subject: subject, indicator: code, claim: claimID, reason: reason, actor: actor,
                disclosingCredit: disclosingCredit, at: now)
        } catch let error as ZeroTripError where error.code == .stepUpRequired {
            throw try await creditDenied(actor: actor, action: "disputing the item scored from the credit level")
        }
    }

    private func fileDispute(
        id: String, subject: SubjectID, indicator code: String, claim claimID: String?, reason: String, actor: String,
        disclosingCredit: Bool, at now: Date
    ) async throws -> PointsDispute {
        try await database.write { db in
            var dispute: PointsDispute
            if let claimID {
                guard let claim = try PointsStore.claim(id: claimID.lowercased(), in: db), claim.subject == subject, claim.indicator == code else {
                    throw ZeroTripError(.notFound, "no claim \(claimID.prefix(32)) of yours for \(code.prefix(48))")
                }
                guard let decision = claim.decision else { throw ZeroTripError(.claimPending, "the claim is still waiting for review") }
                let policy = try Self.policy(version: claim.policyVersion, in: db)
                var points = 0
                if decision == "approved", case .options(let options) = policy.indicator(code)?.rule {
                    points = options.first { $0.name == claim.option }?.points ?? 0
                }
                dispute = PointsDispute(
                    id: id, subject: subject, indicator: code, run: nil, claim: claim.id, policyVersion: claim.policyVersion,
                    disputedPoints: points, reason: reason, department: claim.department, firstReviewer: claim.decidedBy, filedAt: now)
            } else {
                guard let latest = try PointsStore.latestScore(subject: subject.rawValue, in: db) else {
                    throw ZeroTripError(.noPointsScore, "no score of yours to dispute yet")
                }
                let policy = try Self.policy(version: latest.run.policyVersion, in: db)
                guard let indicator = policy.indicator(code) else {
                    throw ZeroTripError(.unknownIndicator, "no indicator \(code.prefix(48)) in points policy version \(latest.run.policyVersion)")
                }
                guard disclosingCredit || indicator.source != .credit else { throw ZeroTripError(.stepUpRequired, "the credit item") }
                let department: String
                if case .proof(let reviewing) = indicator.source { department = reviewing } else { department = policy.certificateDepartment }
                let item = latest.score.items.first { $0.indicator == code }
                // An item scored from an approved claim was decided by a reviewer: the dispute goes to another.
                let claim = try item?.inputs.first { $0.hasPrefix("claim:") }.flatMap { try PointsStore.claim(id: String($0.dropFirst(6)), in: db) }
                dispute = PointsDispute(
                    id: id, subject: subject, indicator: code, run: latest.run.id, claim: nil, policyVersion: latest.run.policyVersion,
                    disputedPoints: item?.points ?? 0, reason: reason, department: department,
                    firstReviewer: claim?.decidedBy, filedAt: now)
            }
            guard try PointsStore.insert(dispute, in: db) else { throw ZeroTripError(.alreadyDisputed, "this item was disputed already") }
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .pointsDisputeFiled, target: "points_dispute:\(id)",
                    details: ["indicator": code, "department": dispute.department]), at: now, in: db)
            return dispute
        }
    }

    /// Disputes waiting for `department`'s reviewers, oldest first, each with whose it is.
    public func pendingDisputes(department: String) async throws -> [Concerning<PointsDispute>] {
        try await database.read { db in
            try PointsStore.pendingDisputes(department: department, in: db).map { try Concerning($0, subject: $0.subject, in: db) }
        }
    }

    /// The reviewer `clerk` of `department` decides dispute `id`: `points` nil upholds the score, a number corrects it
    /// (from now on, in scores under the disputed policy version). Never the clerk who decided the claim.
    public func decide(
        dispute rawID: String, department: String, clerk: String, points: Int?, reason rawReason: String,
        actor: String
    ) async throws -> PointsDispute {
        let id = rawID.lowercased()
        let reason = try Validation.note(rawReason, field: "reason", limit: Self.noteLimit)
        guard !reason.isEmpty else { throw ZeroTripError(.invalidInput, "a decision needs a reason") }
        if let points, !(-1000...1000).contains(points) { throw ZeroTripError(.invalidInput, "points must be -1000…1000") }
        let now = clock.now()
        return try await database.write { db in
            let reviewer = try Self.reviewer(department: department, clerk: clerk, actor: actor, in: db)
            guard id.utf8.count == 32, var dispute = try PointsStore.dispute(id: id, in: db), dispute.department == department else {
                throw ZeroTripError(.notFound, "no dispute \(rawID.prefix(32)) for this department")
            }
            guard dispute.outcome == nil else { throw ZeroTripError(.alreadyDecided, "dispute \(id) was decided already") }
            if let points, let cap = try Self.policy(version: dispute.policyVersion, in: db).indicator(dispute.indicator)?.cap, points > cap {
                throw ZeroTripError(.invalidInput, "\(dispute.indicator) gives at most \(cap) points")
            }
            if let first = dispute.firstReviewer, SupervisionService.clerkNumber(first) == SupervisionService.clerkNumber(reviewer) {
                throw ZeroTripError(.sameReviewer, "clerk \(clerk) decided the claim; another reviewer decides the dispute")
            }
            guard try PointsStore.decide(dispute: id, points: points, reviewer: reviewer, reason: reason, at: now, in: db) else {
                throw ZeroTripError(.alreadyDecided, "dispute \(id) was decided already")
            }
            dispute.outcome = points == nil ? "upheld" : "corrected"
            dispute.points = points
            dispute.decidedBy = reviewer
            dispute.decidedAt = now
            dispute.decisionReason = reason
            try AuditLog.append(
                AuditEntry(
                    actor: reviewer, action: .pointsDisputeDecided, target: "points_dispute:\(id)",
                    details: [
                        "indicator": dispute.indicator, "outcome": dispute.outcome!,
                        "points": points.map { "\($0)" } ?? "",
                    ]), at: now, in: db)
            let text = points.map { "改为 \($0) 分，下次赋分起生效" } ?? "维持原分"
            try NotificationOutbox.enqueue(
                subject: dispute.subject, kind: "points_dispute", reference: "points_dispute:\(id)",
                message: "【积分】您的复核申请已办理：\(text)（\(reason)）。", at: now, in: db)
            return dispute
        }
    }

    // MARK: Certificate

    /// Issues `subject`'s newest score as a signed result document (积分证明) of the scheme's certificate department:
    /// one per scoring run — asked again, the certificate of that run still valid is given back, not issued anew.
    /// Without `disclosingCredit` (a session below ``IdentityPolicy/tierForCreditLevel``) a score with an item from
    /// the credit level is refused with `step_up_required` (audited): the certificate would print the level.
    public func certificate(subject: SubjectID, actor: String, disclosingCredit: Bool) async throws -> PointsCertificate {
        // Stored and audited as text.
        let subject = subject.rawValue
        guard let id = SubjectID(rawValue: subject).personID, let person = try await registry.personalData(subject: id) else {
            throw ZeroTripError(.unknownSubject, "no person \(subject.prefix(24)) in the registry")
        }
        let now = clock.now()
        let (run, score, policy, existing) = try await database.read { db -> (PointsRun, PointsScore, PointsPolicy, ResultDocumentRecord?) in
            guard let latest = try PointsStore.latestScore(subject: subject, in: db) else {
                throw ZeroTripError(.noPointsScore, "no score of yours to certify yet")
            }
            let policy = try Self.policy(version: latest.run.policyVersion, in: db)
            let existing = try Self.existingCertificate(idNumber: person.idNumber, run: latest.run, policy: policy, at: now, in: db)
            return (latest.run, latest.score, policy, existing)
        }
        if !disclosingCredit, score.items.contains(where: { policy.indicator($0.indicator)?.source == .credit }) {
            throw try await creditDenied(actor: actor, action: "a points certificate (it prints the credit level)")
        }
        if let existing {
            return PointsCertificate(
                record: existing, verificationPage: ResultToken.verificationURL(base: documents.verificationBaseURL, token: existing.token),
                reused: true)
        }
        var fields = [
            ResultField(label: "积分方案", value: policy.name), ResultField(label: "赋分日期", value: CivilDay(run.asOf).chinese),
            ResultField(label: "积分总分", value: "\(score.total) 分"),
        ]
        // A scheme has at most PointsPolicy.maximumIndicators indicators: each scored one has its line.
        for item in score.items {
            fields.append(ResultField(label: policy.indicator(item.indicator)?.name ?? item.indicator, value: "\(item.points) 分（\(item.value)）"))
        }
        fields.append(ResultField(label: "赋分批次", value: Self.batch(run)))
        let request = IssueDocumentRequest(
            departmentCode: policy.certificateDepartment, matterCode: Self.certificateMatter, matterName: "积分证明",
            holderName: person.name, holderIDNumber: person.idNumber, fields: fields, validDays: 90,
            pickupMode: .qrSelfPrint)
        do {
            // Writes are serialised (SQLite's one writer, PostgreSQL's write lock), so looking again in the registering
            // transaction keeps two requests at once from issuing two certificates of one run.
            let issued = try await documents.issue(request, actor: actor) { db, prepared in
                // The register has this one already; another one of the run is the other request's.
                if try Self.existingCertificate(idNumber: person.idNumber, run: run, policy: policy, at: now, in: db, except: prepared.record.id)
                    != nil
                {
                    throw ZeroTripError(Self.certificateExists, "the run's certificate was issued meanwhile")
                }
            }
            return PointsCertificate(record: issued.record, verificationPage: issued.qrContent, reused: false)
        } catch let error as ZeroTripError where error.code == Self.certificateExists {
            guard
                let existing = try await database.read({ db in
                    try Self.existingCertificate(idNumber: person.idNumber, run: run, policy: policy, at: now, in: db)
                })
            else { throw ZeroTripError(.storageFailure, "the run's certificate was issued and is gone") }
            return PointsCertificate(
                record: existing, verificationPage: ResultToken.verificationURL(base: documents.verificationBaseURL, token: existing.token),
                reused: true)
        }
    }

    /// Never leaves this type: the registering transaction found the run's certificate issued by a request beside it.
    private static let certificateExists = ZeroTripError.Code("points_certificate_exists", kind: .conflict)

    /// The valid certificate of `run` held by the person with `idNumber`, if one was issued (other than `excluded`).
    private static func existingCertificate(
        idNumber: String, run: PointsRun, policy: PointsPolicy, at now: Date,
        in db: SQLTransaction, except excluded: DocumentID? = nil
    ) throws -> ResultDocumentRecord? {
        let batch = Self.batch(run)
        return try DocumentRegister.validRecords(holderIDNumber: idNumber, matterCodes: [Self.certificateMatter], at: now, limit: 50, in: db)
            .first {
                $0.id != excluded && $0.departmentCode == policy.certificateDepartment && $0.fields.contains(ResultField(label: "赋分批次", value: batch))
            }
    }

    /// Audits and returns the refusal of `action` to a session that may not see the credit level.
    private func creditDenied(actor: String, action: String) async throws -> ZeroTripError {
        let tier = identityPolicy.tierForCreditLevel
        let now = clock.now()
        try await database.write { db in
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .authDenied, target: "points", outcome: "denied",
                    details: ["reason": "step_up_required", "required_tier": "\(tier)"]), at: now, in: db)
        }
        return ZeroTripError(.stepUpRequired, "\(action) needs identity tier \(tier)").audited()
    }

    /// The matter code of the points certificate.
    static let certificateMatter = "JFZM"

    /// The certificate's line naming the run (and so the score) it certifies.
    private static func batch(_ run: PointsRun) -> String { "第 \(run.id) 批（积分规则第 \(run.policyVersion) 版）" }

    /// The policy version a certificate's batch line names (nil when the line is missing or not ours).
    static func batchVersion(_ record: ResultDocumentRecord) -> Int? {
        guard let line = record.fields.first(where: { $0.label == "赋分批次" })?.value,
            let start = line.range(of: "积分规则第 "), let end = line.range(of: " 版", range: start.upperBound..<line.endIndex)
        else { return nil }
        return Int(line[start.upperBound..<end.lowerBound])
    }

    // MARK: What a result document discloses

    /// The ids of those of `records` that print the holder's credit level: points certificates that scored an item
    /// from it. A session below ``IdentityPolicy/tierForCreditLevel`` must see neither their fields, nor their QR code
    /// (its verification page shows the fields), nor their PDF — the same rule as the points statement. A certificate
    /// whose scheme version cannot be read counts as disclosing: the check fails closed.
    public func printingCreditLevel(_ records: [ResultDocumentRecord]) async throws -> Set<DocumentID> {
        let certificates = records.filter { $0.matterCode == Self.certificateMatter }
        guard !certificates.isEmpty else { return [] }
        let versions = Set(certificates.compactMap(Self.batchVersion))
        let creditNames = try await database.read { db -> [Int: Set<String>] in
            var names: [Int: Set<String>] = [:]
            for version in versions {
                guard let policy = try ConfigurationStore.pointsPolicy(version: version, in: db) else { continue }
                names[version] = Set(policy.indicators.filter { $0.source == .credit }.map(\.name))
            }
            return names
        }
        return Set(
            certificates.filter { record in
                guard let version = Self.batchVersion(record), let names = creditNames[version] else { return true }
                return record.fields.contains { names.contains($0.label) }
            }.map(\.id))
    }

    /// Refuses `record` to a session that may not see the credit level when the record prints it: audited
    /// `auth.denied` and thrown as `step_up_required`. `route` names what was asked for in the audit event.
    public func checkDisclosure(of record: ResultDocumentRecord, disclosingCredit: Bool, actor: String, route: String) async throws {
        guard !disclosingCredit, try await printingCreditLevel([record]).contains(record.id) else { return }
        let tier = identityPolicy.tierForCreditLevel
        throw try await AuditLog.denied(
            ZeroTripError(.stepUpRequired, "document \(record.id) prints the credit level, which needs identity tier \(tier)"), actor: actor,
            target: "document:\(record.id)", reason: "step_up_required", route: route, details: ["required_tier": "\(tier)"], at: clock.now(),
            to: database)
    }
}

/// A points certificate (积分证明): the register entry and the page its QR code opens.
public struct PointsCertificate: Sendable {
    /// The signed result document.
    public var record: ResultDocumentRecord
    /// The verification page's address with the document's token (what the QR code carries).
    public var verificationPage: String
    /// Whether the certificate of the same run was issued before and is given back.
    public var reused: Bool
}

/// The daemon's points timer (one Service in the ServiceGroup): every `interval` it makes sure this month's scoring run
/// exists and is finished — started by whichever daemon comes first — and resumes any run (scheduled or asked for by
/// an admin) whose runner died.
public struct PointsScheduleService: Service {
    let points: PointsService
    let interval: Duration
    let logger: Logger

    /// A timer checking every `interval`.
    public init(points: PointsService, interval: Duration, logger: Logger) {
        self.points = points
        self.interval = interval
        self.logger = logger
    }

    /// Checks until graceful shutdown.
    public func run() async throws {
        let (points, logger) = (points, logger)
        try await PeriodicTimer.run(every: interval, name: "points scoring", logger: logger) {
            do {
                try await points.clearOldEvidence()
                var reports: [PointsRunReport] = []
                do { reports = try await points.resumeStalledRuns() } catch {
                    logger.error("a stalled points run failed again", metadata: ["error": "\(String(describing: error).prefix(300))"])
                }
                if let report = try await points.scheduledRun() { reports.append(report) }
                for report in reports {
                    logger.info(
                        "points scoring run finished",
                        metadata: [
                            "run": "\(report.run.id)", "persons": "\(report.run.persons)",
                            "skipped": "\(report.skipped)", "period": "\(report.run.period ?? "")",
                        ])
                }
            } catch let error as ZeroTripError where error.code == .invalidTransition {
                // Another daemon is scoring this month; it is taken over here if it stops reporting.
            }
        }
    }
}
