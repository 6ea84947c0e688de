public import Foundation
import ZeroTripCrypto
import ZeroTripDocuments

/// The start of a verification: a public reference and a secret only the applicant's device holds.
public struct VerificationStart: Sendable, Hashable, Codable {
    /// Public reference (24 hex digits): a clerk uses it to attest a video check.
    public var verificationId: String
    /// Proves the flow is the caller's: needed to submit a code or claim the session. Shown once.
    public var secret: String
    /// `sms`, `video` or `window_card`.
    public var method: AssuranceMethod
    /// When the code or the pending check expires.
    public var expiresAt: Date
}

/// A clerk acting at a station: the person, recorded with every attestation.
public struct ClerkIdentity: Sendable, Hashable, Codable {
    /// Employee number: 1–32 characters of A-Z a-z 0-9 `-`.
    public var id: String
    /// The clerk's name.
    public var name: String

    /// Creates a clerk identity.
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    func validated() throws(ZeroTripError) -> ClerkIdentity {
        try Self.checkNumber(id)
        return ClerkIdentity(id: id, name: try RegistryEntry.personName(name))
    }

    /// Refuses an employee number that is not 1–32 characters of A-Z a-z 0-9 `-`.
    static func checkNumber(_ id: String) throws(ZeroTripError) {
        let bytes = Array(id.utf8)
        guard (1...32).contains(bytes.count),
            bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D })
        else {
            throw ZeroTripError(.invalidInput, "clerk id must be 1–32 characters of A-Z, a-z, 0-9 and -")
        }
    }

    func agent(actor: String) -> String { "\(actor)/clerk:\(id)" }
}

/// What a department learns when it asks whether a person is verified at a tier: no personal data.
public struct TierCheck: Sendable, Hashable, Codable {
    /// Whether a verification at or above the tier exists within the age limit.
    public var meets: Bool
    /// The tier asked about.
    public var minimumTier: Int
    /// When the newest qualifying verification happened, if any.
    public var verifiedAt: Date?
}

/// Applicant identity ("我是我"): the registry, the four verification paths with their assurance records,
/// failure counters and lockouts, device keys, and applicant sessions.
///
/// Every attempt is audited without the code or secret; personal data appear in audit records masked.
public struct IdentityService: Sendable {
    let database: AppDatabase
    let keySource: IdentityKeySource
    let clock: ZeroTripClock
    /// The limits in force.
    public let policy: IdentityPolicy
    let gateway: any SMSGateway
    let deviceKeys: DeviceKeyCache
    /// The registry.
    public let registry: PopulationRegistry
    /// Applicant sessions.
    public let sessions: ApplicantSessions

    /// Creates the service; the identity key is read from (or created in) `keys` on first use.
    /// With `deliverSMS` the outbox keeps each number sealed until ``smsDelivery(to:)`` has handed the message to the
    /// operator.
    package init(
        database: AppDatabase, keys: KeyFileStore, clock: ZeroTripClock = .system, policy: IdentityPolicy = IdentityPolicy(),
        gateway: (any SMSGateway)? = nil, deliverSMS: Bool = false
    ) {
        self.database = database
        self.keySource = IdentityKeySource(store: keys)
        self.clock = clock
        self.policy = policy
        self.gateway = gateway ?? OutboxSMSGateway(sealing: deliverSMS ? keySource : nil)
        self.deviceKeys = DeviceKeyCache()
        self.registry = PopulationRegistry(database: database, keySource: keySource, clock: clock)
        self.sessions = ApplicantSessions(database: database, keySource: keySource, clock: clock, policy: policy)
    }

    // MARK: Starting

    /// Starts a tier-1 (SMS) or tier-2 (clerk video) verification for the person claiming `idNumber` and `name`.
    ///
    /// The answer is the same whether or not the details match the registry: a code is sent (SMS) or a
    /// clerk can attest (video) only when they do. Malformed input is refused with its reason.
    public func start(method: AssuranceMethod, idNumber rawID: String, name rawName: String, client: String) async throws -> VerificationStart {
        guard method == .sms || method == .video else {
            throw ZeroTripError(.invalidInput, "applicants start sms or video verifications; window checks are made by a clerk")
        }
        let now = clock.now()
        let idNumber = try CitizenIDNumber.validate(rawID, today: now)
        let name = try RegistryEntry.personName(rawName)
        let keys = try keySource.keys()
        let subjectLookup = keys.lookupHash(idNumber: idNumber)
        let flowID = try randomHex(bytes: 12)
        let secret = try randomSecret()
        let code = try randomCode()
        let lifetime = method == .sms ? policy.codeLifetime : policy.attestationWindow
        let client = String(client.prefix(64))
        let outcome: Result<Void, ZeroTripError> = try await database.write { db in
            if method == .sms {
                let recent = try IdentityStore.recentSMS(lookup: subjectLookup, since: now.addingTimeInterval(-3600), in: db)
                if recent.count >= policy.codesPerHour {
                    try AuditLog.append(
                        AuditEntry(
                            actor: "applicant:\(client)", action: .identityVerificationRefused,
                            target: "id:\(PersonalDataMask.idNumber(idNumber))",
                            outcome: "denied", details: ["method": method.rawValue, "reason": "codes_per_hour"]), at: now, in: db)
                    return .failure(ZeroTripError(.rateLimited, "at most \(policy.codesPerHour) codes per hour for one person; try again later"))
                }
                if let last = recent.last, now.timeIntervalSince(last) < policy.codeInterval {
                    return .failure(ZeroTripError(.rateLimited, "wait \(Int(policy.codeInterval)) seconds between codes"))
                }
            }
            let person = try PersonStore.person(lookup: subjectLookup, in: db)
            let nameMatches = ConstantTime.equals(keys.nameHash(person?.name ?? ""), keys.nameHash(name))
            let matched = person != nil && nameMatches
            let subject: String? = matched ? person?.id : nil
            let locked = try Self.lockedUntil(subjectLookup, method: method, at: now, in: db) != nil
            if method == .sms, let subject, !locked {
                let phone = try keys.openValue(person?.phoneSealed ?? [], context: "phone:\(subject)")
                try gateway.enqueue(
                    subject: subject, phone: phone, message: "【政务服务】您的验证码为\(code)，\(Int(policy.codeLifetime / 60))分钟内有效。请勿告诉他人。", at: now, in: db)
            }
            try IdentityStore.insert(
                IdentityStore.NewFlow(
                    id: flowID, secretHash: keys.codeHash(context: "flow:\(flowID)", secret: secret), method: method, subjectLookup: subjectLookup,
                    personID: subject, codeHash: method == .sms ? keys.codeHash(context: "code:\(flowID)", secret: code) : nil, status: "pending",
                    createdAt: now, expiresAt: now.addingTimeInterval(lifetime), client: client), in: db)
            try AuditLog.append(
                AuditEntry(
                    actor: "applicant:\(client)", action: .identityVerificationStarted, target: "verification:\(flowID)",
                    details: [
                        "method": method.rawValue, "id": PersonalDataMask.idNumber(idNumber),
                        "registry": matched ? "match" : (person == nil ? "unknown_id" : "name_mismatch"),
                        "sent": method == .sms && matched && !locked ? "yes" : "no",
                    ]), at: now, in: db)
            return .success(())
        }
        try outcome.get()
        return VerificationStart(verificationId: flowID, secret: secret, method: method, expiresAt: now.addingTimeInterval(lifetime))
    }

    // MARK: Codes

    /// Checks an SMS code. Within one transaction: a locked (person, sms) pair is refused without evaluating
    /// the code; otherwise the code is compared in constant time and a failure is counted, locking the pair
    /// after ``IdentityPolicy/maximumFailures``. The right code yields a tier-1 assurance record and session.
    public func submitCode(verificationId: String, secret: String, code: String, client: String) async throws -> IssuedSession {
        let now = clock.now()
        let keys = try keySource.keys()
        guard verificationId.utf8.count == 24, secret.utf8.count <= 64, code.utf8.count <= 16 else {
            throw ZeroTripError(.verificationFailed, "the verification or code is not valid")
        }
        let client = String(client.prefix(64))
        let outcome: Result<IssuedSession, ZeroTripError> = try await database.write { db in
            guard let flow = try Self.flow(verificationId, secret: secret, keys: keys, in: db), flow.method == .sms else {
                try AuditLog.append(
                    AuditEntry(
                        actor: "applicant:\(client)", action: .identityCodeRefused, target: "verification:\(verificationId.prefix(24))",
                        outcome: "denied", details: ["reason": "unknown_flow_or_secret"]), at: now, in: db)
                return .failure(ZeroTripError(.verificationFailed, "the verification or code is not valid"))
            }
            let target = "verification:\(flow.id)"
            if let until = try Self.lockedUntil(flow.subjectLookup, method: .sms, at: now, in: db) {
                try AuditLog.append(
                    AuditEntry(
                        actor: "applicant:\(client)", action: .identityCodeRefused, target: target, outcome: "denied",
                        details: ["reason": "locked"]), at: now, in: db)
                return .failure(Self.lockedError(until: until, now: now))
            }
            guard flow.status == "pending", flow.expiresAt > now else {
                try AuditLog.append(
                    AuditEntry(
                        actor: "applicant:\(client)", action: .identityCodeRefused, target: target, outcome: "denied",
                        details: ["reason": flow.status == "pending" ? "expired" : "used"]), at: now, in: db)
                return .failure(ZeroTripError(.verificationFailed, "the code has expired or was already used; request a new one"))
            }
            let presented = keys.codeHash(context: "code:\(flow.id)", secret: code)
            let codeMatches = ConstantTime.equals(presented, flow.codeHash ?? [])
            guard codeMatches, let subject = flow.personID else {
                let lock = try Self.recordFailure(flow.subjectLookup, method: .sms, policy: policy, at: now, in: db)
                try AuditLog.append(
                    AuditEntry(
                        actor: "applicant:\(client)", action: .identityCodeFailed, target: target, outcome: "denied",
                        details: ["failures": "\(lock.failures)", "locked": lock.lockedUntil == nil ? "no" : "yes"]), at: now, in: db)
                if let until = lock.lockedUntil { return .failure(Self.lockedError(until: until, now: now)) }
                return .failure(
                    ZeroTripError(
                        .verificationFailed, "the verification or code is not valid; \(policy.maximumFailures - lock.failures) attempts left"))
            }
            try Self.clearFailures(flow.subjectLookup, method: .sms, in: db)
            let phone = try PersonStore.person(id: subject, in: db)?.phoneMasked ?? ""
            let assurance = try Self.recordAssurance(
                subject: subject, method: .sms, evidence: ["registry": "id_and_name_match", "sms_to": phone],
                agent: "self", at: now, in: db)
            try IdentityStore.setStatus(flow.id, to: "claimed", completedAt: now, assuranceID: assurance.id, in: db)
            try AuditLog.append(
                AuditEntry(
                    actor: "applicant:\(client)", action: .identityCodeAccepted, target: target,
                    details: ["subject": subject, "tier": "1"]), at: now, in: db)
            return .success(try sessions.create(subject: subject, tier: 1, method: "sms", deviceID: nil, at: now, in: db))
        }
        return try outcome.get()
    }

    /// Exchanges a verified video check or window hand-off for a session: `nil` while the clerk has not attested yet.
    public func claimSession(verificationId: String, secret: String, client: String) async throws -> IssuedSession? {
        let now = clock.now()
        let keys = try keySource.keys()
        guard verificationId.utf8.count == 24, secret.utf8.count <= 64 else {
            throw ZeroTripError(.verificationFailed, "the verification is not valid")
        }
        let outcome: Result<IssuedSession?, ZeroTripError> = try await database.write { db in
            guard let flow = try Self.flow(verificationId, secret: secret, keys: keys, in: db), flow.method != .sms else {
                return .failure(ZeroTripError(.verificationFailed, "the verification is not valid"))
            }
            if flow.status == "pending", flow.expiresAt > now { return .success(nil) }
            guard flow.status == "verified", flow.expiresAt > now, let subject = flow.personID, let assuranceID = flow.assuranceID else {
                return .failure(ZeroTripError(.verificationFailed, "the verification has expired, failed or was already used"))
            }
            try IdentityStore.setStatus(flow.id, to: "claimed", in: db)
            let tier = try IdentityStore.tier(ofAssurance: assuranceID, in: db) ?? 1
            try AuditLog.append(
                AuditEntry(
                    actor: "applicant:\(String(client.prefix(64)))", action: .identitySessionClaimed, target: "verification:\(flow.id)",
                    details: ["subject": subject, "tier": "\(tier)"]), at: now, in: db)
            return .success(try sessions.create(subject: subject, tier: tier, method: flow.method.rawValue, deviceID: nil, at: now, in: db))
        }
        return try outcome.get()
    }

    // MARK: Counters

    /// Clears the failure counter and lockout of (person, method): an admin action, audited.
    public func unlock(idNumber rawID: String, method: AssuranceMethod, actor: String) async throws {
        let now = clock.now()
        let idNumber = try CitizenIDNumber.validate(rawID, today: now)
        let lookup = try keySource.keys().lookupHash(idNumber: idNumber)
        try await database.write { db in
            try Self.clearFailures(lookup, method: method, in: db)
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .identityUnlocked, target: "id:\(PersonalDataMask.idNumber(idNumber))",
                    details: ["method": method.rawValue]), at: now, in: db)
        }
    }

    /// Failures and lockout of (person, method), for admins and tests.
    public func failureState(idNumber rawID: String, method: AssuranceMethod) async throws -> (failures: Int, lockedUntil: Date?) {
        let now = clock.now()
        let lookup = try keySource.keys().lookupHash(idNumber: try CitizenIDNumber.validate(rawID, today: now))
        return try await database.read { db in
            let counter = try IdentityStore.counter(lookup: lookup, method: method, in: db)
            return (counter?.failures ?? 0, counter?.lockedUntil.flatMap { $0 > now ? $0 : nil })
        }
    }

    static func lockedUntil(_ lookup: [UInt8], method: AssuranceMethod, at now: Date, in db: SQLTransaction) throws -> Date? {
        guard let until = try IdentityStore.counter(lookup: lookup, method: method, in: db)?.lockedUntil, until > now else { return nil }
        return until
    }

    /// Counts one failure (the pair is not locked: callers check first); the `maximumFailures`-th starts a
    /// lockout that doubles with each repetition. A served lockout starts a fresh count.
    static func recordFailure(_ lookup: [UInt8], method: AssuranceMethod, policy: IdentityPolicy, at now: Date, in db: SQLTransaction) throws -> (
        failures: Int, lockedUntil: Date?
    ) {
        let counter = try IdentityStore.counter(lookup: lookup, method: method, in: db)
        var failures = counter?.failures ?? 0
        var lockouts = counter?.lockouts ?? 0
        if let until = counter?.lockedUntil, until <= now { failures = 0 }  // a past lockout has been served
        failures += 1
        var lockedUntil: Date?
        if failures >= policy.maximumFailures {
            lockouts += 1
            lockedUntil = now.addingTimeInterval(policy.lockoutDuration(afterLockouts: lockouts))
        }
        try IdentityStore.saveCounter(
            lookup: lookup, method: method, failures: failures, lockouts: lockouts, lockedUntil: lockedUntil, at: now, in: db)
        return (failures, lockedUntil)
    }

    static func clearFailures(_ lookup: [UInt8], method: AssuranceMethod, in db: SQLTransaction) throws {
        try IdentityStore.clearCounter(lookup: lookup, method: method, in: db)
    }

    static func lockedError(until: Date, now: Date) -> ZeroTripError {
        let minutes = Int((until.timeIntervalSince(now) / 60).rounded(.up))
        return ZeroTripError(.locked, "too many failed attempts; try again in \(max(1, minutes)) minutes or verify at a window")
    }

    // MARK: Flows and records

    /// The flow `id` if `secret` is its secret (compared in constant time), else `nil`.
    static func flow(_ id: String, secret: String?, keys: IdentityKeys, in db: SQLTransaction) throws -> IdentityStore.FlowRow? {
        guard let row = try IdentityStore.flow(id, in: db) else {
            if let secret { _ = ConstantTime.equals(keys.codeHash(context: "flow:\(id)", secret: secret), [UInt8](repeating: 0, count: 32)) }
            return nil
        }
        if let secret, !ConstantTime.equals(keys.codeHash(context: "flow:\(row.id)", secret: secret), row.secretHash) { return nil }
        return row
    }

    static func recordAssurance(
        subject: String, method: AssuranceMethod, evidence: [String: String], agent: String, at now: Date, in db: SQLTransaction
    ) throws -> AssuranceRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let id = try IdentityStore.insertAssurance(
            subject: subject, tier: method.tier, method: method,
            evidenceJSON: String(decoding: try encoder.encode(evidence), as: UTF8.self), agent: agent, at: now, in: db)
        let record = AssuranceRecord(id: id, subject: subject, tier: method.tier, method: method, evidence: evidence, agent: agent, verifiedAt: now)
        try AuditLog.append(
            AuditEntry(
                actor: agent == "self" ? "applicant:\(subject)" : agent, action: .identityAssured, target: SubjectID.person(subject).rawValue,
                details: ["tier": "\(method.tier)", "method": method.rawValue]), at: now, in: db)
        return record
    }

    /// Every assurance record of `subject`, newest first.
    public func assuranceRecords(subject: String) async throws -> [AssuranceRecord] {
        try await database.read { db in try IdentityStore.assuranceRecords(subject: subject, in: db) }
    }

    /// Whether the person with `idNumber` was verified at `minimumTier` or higher within `maxAge`: the
    /// department learns yes or no and when, never personal data. Unknown persons answer "no". Audited.
    public func check(idNumber rawID: String, minimumTier: Int, maxAge: TimeInterval, actor: String) async throws -> TierCheck {
        guard (1...3).contains(minimumTier) else { throw ZeroTripError(.invalidInput, "minimumTier must be 1, 2 or 3") }
        guard maxAge > 0, maxAge <= 3650 * 86400 else { throw ZeroTripError(.invalidInput, "maxAgeDays must be 1–3650") }
        let now = clock.now()
        let idNumber = try CitizenIDNumber.validate(rawID, today: now)
        let lookup = try keySource.keys().lookupHash(idNumber: idNumber)
        return try await database.write { db in
            let verifiedAt = try IdentityStore.lastVerified(lookup: lookup, minimumTier: minimumTier, since: now.addingTimeInterval(-maxAge), in: db)
            // A registered person is named by subject, so the check shows in their own list of who looked at their
            // data; an unknown number only masked (it names nobody the district knows).
            let target =
                try PersonStore.subjectID(lookup: lookup, in: db).map { SubjectID.person($0).rawValue } ?? "id:\(PersonalDataMask.idNumber(idNumber))"
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .identityChecked, target: target,
                    details: ["minimum_tier": "\(minimumTier)", "meets": verifiedAt == nil ? "no" : "yes"]), at: now, in: db)
            return TierCheck(meets: verifiedAt != nil, minimumTier: minimumTier, verifiedAt: verifiedAt)
        }
    }

    /// The delivery of the outbox's messages to `destination` (the daemon runs it as ``SMSDeliveryService``).
    public func smsDelivery(to destination: SMSOperator) -> SMSDelivery {
        SMSDelivery(database: database, keySource: keySource, clock: clock, operator: destination)
    }

    /// The SMS outbox, newest last (the default gateway's queue; for the demo and tests).
    public func outbox(limit: Int = 20) async throws -> [OutboxMessage] {
        try await database.read { db in try OutboxSMSGateway.newest(limit: limit, in: db) }
    }

    // MARK: Randomness

    func randomHex(bytes: Int) throws(ZeroTripError) -> String {
        Hex.encode(try withCrypto("generating an id") { () throws(CryptoError) in try SecureRandom.bytes(count: bytes) })
    }

    func randomSecret() throws(ZeroTripError) -> String {
        Base64.encodeURLSafe(try withCrypto("generating a secret") { () throws(CryptoError) in try SecureRandom.bytes(count: 32) })
    }

    /// Six uniformly random digits (rejection sampling, no modulo bias).
    func randomCode() throws(ZeroTripError) -> String {
        while true {
            let bytes = try withCrypto("generating a code") { () throws(CryptoError) in try SecureRandom.bytes(count: 4) }
            let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if value < 4_294_000_000 {
                let code = String(value % 1_000_000)
                return String(repeating: "0", count: 6 - code.count) + code
            }
        }
    }
}
