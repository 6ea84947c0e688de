public import Foundation
import ZeroTripCrypto
import ZeroTripDocuments

/// Chip data of an ID card read at a window.
public struct CardRead: Sendable, Hashable, Codable {
    /// Citizen ID number.
    public var idNumber: String
    /// Name.
    public var name: String
    /// Valid from, `YYYY-MM-DD`.
    public var validFrom: String
    /// Valid until, `YYYY-MM-DD` or `long-term`.
    public var validUntil: String

    /// Creates a card read.
    public init(idNumber: String, name: String, validFrom: String, validUntil: String) {
        self.idNumber = idNumber
        self.name = name
        self.validFrom = validFrom
        self.validUntil = validUntil
    }
}

/// A window check's result: the tier-3 record and a hand-off the applicant's phone can claim a session with.
public struct WindowCheckResult: Sendable, Hashable {
    /// The assurance record.
    public var assurance: AssuranceRecord
    /// Hand-off for the applicant's phone (shown as a QR at the window), single use, short-lived.
    public var handoff: VerificationStart
}

/// A pending verification as a clerk sees it: enough to recognise the person, nothing more.
public struct PendingVerification: Sendable, Hashable, Codable {
    /// Reference.
    public var verificationId: String
    /// Method.
    public var method: AssuranceMethod
    /// `pending`, `verified`, `failed` or `claimed`.
    public var status: String
    /// Whether the claimed ID number and name match the registry (clerks may know; applicants never learn it).
    public var registryMatch: Bool
    /// Masked ID number from the registry, if matched.
    public var idNumberMasked: String?
    /// Name from the registry, if matched.
    public var name: String?
    /// Expiry.
    public var expiresAt: Date
}

extension IdentityService {
    /// A pending verification for the clerk who will attest it.
    public func pending(verificationId: String) async throws -> PendingVerification {
        let keys = try keySource.keys()
        return try await database.read { db in
            guard verificationId.utf8.count == 24, let flow = try Self.flow(verificationId, secret: nil, keys: keys, in: db) else {
                throw ZeroTripError(.notFound, "no verification \(verificationId.prefix(24))")
            }
            let person = try flow.personID.flatMap { try PersonStore.person(id: $0, in: db) }
            return PendingVerification(
                verificationId: flow.id, method: flow.method, status: flow.status, registryMatch: flow.personID != nil,
                idNumberMasked: person?.idMasked, name: person?.name, expiresAt: flow.expiresAt)
        }
    }

    /// A clerk's attestation of a live video check (tier 2). `matched == false` records a failure for the person.
    public func attestVideo(verificationId: String, matched: Bool, clerk rawClerk: ClerkIdentity, reference: String, actor: String) async throws
        -> AssuranceRecord
    {
        let clerk = try rawClerk.validated()
        let reference = try Validation.label(reference)
        let now = clock.now()
        let keys = try keySource.keys()
        let agent = clerk.agent(actor: actor)
        let outcome: Result<AssuranceRecord, ZeroTripError> = try await database.write { db in
            guard verificationId.utf8.count == 24, let flow = try Self.flow(verificationId, secret: nil, keys: keys, in: db), flow.method == .video
            else {
                return .failure(ZeroTripError(.notFound, "no video verification \(verificationId.prefix(24))"))
            }
            let target = "verification:\(flow.id)"
            guard flow.status == "pending", flow.expiresAt > now else {
                return .failure(
                    ZeroTripError(
                        .verificationFailed,
                        "verification \(flow.id) is \(flow.expiresAt > now ? flow.status : "expired"); the applicant must start again"))
            }
            if let until = try Self.lockedUntil(flow.subjectLookup, method: .video, at: now, in: db) {
                try AuditLog.append(
                    AuditEntry(actor: agent, action: .identityVideoRefused, target: target, outcome: "denied", details: ["reason": "locked"]),
                    at: now, in: db)
                return .failure(Self.lockedError(until: until, now: now))
            }
            guard matched, let subject = flow.personID else {
                try IdentityStore.setStatus(flow.id, to: "failed", completedAt: now, in: db)
                let lock = try Self.recordFailure(flow.subjectLookup, method: .video, policy: policy, at: now, in: db)
                try AuditLog.append(
                    AuditEntry(
                        actor: agent, action: .identityVideoFailed, target: target, outcome: "denied",
                        details: [
                            "reason": flow.personID == nil ? "no_registry_match" : "clerk_no_match", "failures": "\(lock.failures)",
                            "reference": reference,
                        ]), at: now, in: db)
                return .failure(
                    flow.personID == nil
                        ? ZeroTripError(.unknownPerson, "the ID number and name given by the applicant do not match the registry")
                        : ZeroTripError(.identityNotConfirmed, "recorded: the video check did not confirm the person"))
            }
            try Self.clearFailures(flow.subjectLookup, method: .video, in: db)
            let record = try Self.recordAssurance(
                subject: subject, method: .video,
                evidence: ["registry": "id_and_name_match", "video_reference": reference, "clerk_name": clerk.name],
                agent: agent, at: now, in: db)
            try IdentityStore.setStatus(flow.id, to: "verified", completedAt: now, assuranceID: record.id, in: db)
            return .success(record)
        }
        return try outcome.get()
    }

    /// A window check (tier 3): the station submits the card chip data and the clerk's face check. The card
    /// must be current and match the registry (a newer card's validity updates the registry). Returns the
    /// record and a hand-off for the applicant's phone.
    public func windowCheck(card: CardRead, faceMatched: Bool, clerk rawClerk: ClerkIdentity, station: String, actor: String) async throws
        -> WindowCheckResult
    {
        let clerk = try rawClerk.validated()
        let station = try Validation.label(station)
        let now = clock.now()
        let entry = try RegistryEntry(
            idNumber: card.idNumber, name: card.name, phone: "13800000000", cardValidFrom: card.validFrom,
            cardValidUntil: card.validUntil
        ).validated(today: now)
        let today = ChinaTime(now)
        let todayString = String(format: "%04d-%02d-%02d", today.year, today.month, today.day)
        let agent = clerk.agent(actor: actor)
        guard (entry.cardValidUntil == "long-term" || entry.cardValidUntil >= todayString), entry.cardValidFrom <= todayString else {
            try await AuditLog.append(
                AuditEntry(
                    actor: agent, action: .identityWindowFailed, target: "id:\(PersonalDataMask.idNumber(entry.idNumber))",
                    outcome: "denied", details: ["reason": "card_not_current"]), at: now, to: database)
            throw ZeroTripError(
                .invalidInput,
                entry.cardValidFrom > todayString
                    ? "the ID card is not valid yet"
                    : "the ID card expired on \(entry.cardValidUntil); an expired card cannot prove identity")
        }
        let keys = try keySource.keys()
        let lookup = keys.lookupHash(idNumber: entry.idNumber)
        let flowID = try randomHex(bytes: 12)
        let secret = try randomSecret()
        let expires = now.addingTimeInterval(policy.attestationWindow)
        let outcome: Result<WindowCheckResult, ZeroTripError> = try await database.write { db in
            let target = "id:\(PersonalDataMask.idNumber(entry.idNumber))"
            guard var person = try PersonStore.person(lookup: lookup, in: db) else {
                try AuditLog.append(
                    AuditEntry(
                        actor: agent, action: .identityWindowFailed, target: target, outcome: "denied", details: ["reason": "unknown_person"]),
                    at: now, in: db)
                return .failure(ZeroTripError(.unknownPerson, "the card's ID number is not in the population registry"))
            }
            let subject = person.id
            guard ConstantTime.equals(keys.nameHash(person.name), keys.nameHash(entry.name)) else {
                try AuditLog.append(
                    AuditEntry(
                        actor: agent, action: .identityWindowFailed, target: target, outcome: "denied", details: ["reason": "name_mismatch"]),
                    at: now, in: db)
                return .failure(ZeroTripError(.identityNotConfirmed, "the card's name does not match the registry"))
            }
            guard faceMatched else {
                let lock = try Self.recordFailure(lookup, method: .windowCard, policy: policy, at: now, in: db)
                try AuditLog.append(
                    AuditEntry(
                        actor: agent, action: .identityWindowFailed, target: target, outcome: "denied",
                        details: ["reason": "face_check_failed", "failures": "\(lock.failures)"]), at: now, in: db)
                return .failure(ZeroTripError(.identityNotConfirmed, "recorded: the face check did not confirm the card holder"))
            }
            if person.cardValidFrom != entry.cardValidFrom || person.cardValidUntil != entry.cardValidUntil {
                person.cardValidFrom = entry.cardValidFrom
                person.cardValidUntil = entry.cardValidUntil
                person.updatedAt = now
                try PersonStore.update(person, change: "updated card_validity from a window card read", actor: agent, in: db)
            }
            try Self.clearFailures(lookup, method: .windowCard, in: db)
            let record = try Self.recordAssurance(
                subject: subject, method: .windowCard,
                evidence: [
                    "card_chip": "read", "registry": "id_and_name_match", "card_valid_until": entry.cardValidUntil, "face_check": "clerk_match",
                    "station": station, "clerk_name": clerk.name,
                ], agent: agent, at: now, in: db)
            try IdentityStore.insert(
                IdentityStore.NewFlow(
                    id: flowID, secretHash: keys.codeHash(context: "flow:\(flowID)", secret: secret), method: .windowCard, subjectLookup: lookup,
                    personID: subject,
                    codeHash: nil, status: "verified", createdAt: now, expiresAt: expires, completedAt: now, assuranceID: record.id,
                    client: "station:\(station)"), in: db)
            return .success(
                WindowCheckResult(
                    assurance: record, handoff: VerificationStart(verificationId: flowID, secret: secret, method: .windowCard, expiresAt: expires)))
        }
        return try outcome.get()
    }
}
