public import Foundation

/// One recorded credit event. Events are never changed or deleted; a repair is a new event pointing at the one it repairs.
public struct CreditEvent: Sendable, Hashable, Codable {
    /// Row id.
    public var id: Int64
    /// `person:<subject id>` or `organization:<unified social credit code>`.
    public var subject: String
    /// Event type code (`repair` for repairs).
    public var type: String
    /// Points as recorded (the policy's points at the time, or the repair's computed share).
    public var points: Int
    /// Serious record (blocks trust-based approval until repaired).
    public var serious: Bool
    /// Assigns D while it counts.
    public var directD: Bool
    /// Legal basis.
    public var basis: String
    /// When it takes effect.
    public var effectiveAt: Date
    /// When it stops counting.
    public var expiresAt: Date
    /// The event this one repairs.
    public var repairs: Int64?
    /// `system`, `import:<source>` or `admin`.
    public var source: String
    /// Application, obligation or external record reference.
    public var reference: String?
    /// When it was recorded (a level "as known on date X" uses only events recorded by then).
    public var recordedAt: Date
    /// Who recorded it.
    public var recordedBy: String
}

/// Whether trust-based approval (容缺) is open to the subject, and why not.
public struct TrustApprovalAvailability: Sendable, Hashable, Codable {
    /// Available.
    public var available: Bool
    /// Stable reason codes when not: `level_not_qualifying`, `unrepaired_serious_record`, `direct_d`.
    public var reasons: [String]
    /// A sentence for the window.
    public var explanation: String
}

/// A subject's level on a date, computed by replaying its events with the policy then in force.
public struct CreditAssessment: Sendable, Hashable, Codable {
    /// The subject.
    public var subject: String
    /// The level.
    public var level: CreditLevel
    /// The score.
    public var score: Int
    /// The instant assessed.
    public var asOf: Date
    /// Policy version used (0 = built-in).
    public var policyVersion: Int
    /// An active serious record that has not been repaired.
    public var unrepairedSerious: Bool
    /// Trust-based approval.
    public var trustApproval: TrustApprovalAvailability
}

/// A credit subject as the ledger knows it.
public struct CreditSubject: Sendable, Hashable, Codable {
    /// `person:<id>` or `organization:<code>`.
    public var id: String
    /// Person or organisation.
    public var kind: CreditSubjectKind
    /// When the subject was established (registered): an M subject is new relative to this.
    public var establishedAt: Date
    /// Whether its data are complete (else it starts at the policy's lower score).
    public var dataComplete: Bool
    /// Name (organisations) or masked name source; shown to the subject only.
    public var displayName: String
}

/// Replays events into a level. Pure: the same events, policy and instant always give the same answer.
public enum CreditCalculator {
    /// The assessment of `subject` at `date` from `events` (already limited to those known at `date`).
    public static func assess(_ subject: CreditSubject, events: [CreditEvent], policy: CreditPolicy, policyVersion: Int, at date: Date)
        -> CreditAssessment
    {
        var repairedAt: [Int64: Date] = [:]
        for event in events where event.repairs != nil && event.effectiveAt <= date {
            repairedAt[event.repairs!] = min(repairedAt[event.repairs!] ?? event.effectiveAt, event.effectiveAt)
        }
        let byID = Dictionary(events.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func active(_ event: CreditEvent) -> Bool { event.effectiveAt <= date && date < event.expiresAt }

        var score = subject.dataComplete ? policy.baseScore : policy.incompleteDataScore
        var directD = false
        var capped = false
        var serious = false
        for event in events {
            if let original = event.repairs {
                // A repair counts while the deduction it repairs still counts.
                if let repaired = byID[original], active(repaired), event.effectiveAt <= date { score += event.points }
                continue
            }
            let repaired = repairedAt[event.id].map { $0 <= date } ?? false
            if active(event) {
                score += event.points
                if event.directD && !repaired { directD = true }
                if event.serious && !repaired { serious = true }
            }
            if event.directD && event.effectiveAt <= date {
                let end = min(event.expiresAt, repairedAt[event.id] ?? .distantFuture)
                if end <= date && date.timeIntervalSince(end) < TimeInterval(policy.capAfterDirectDDays) * 86_400 { capped = true }
            }
        }
        score = max(0, min(score, max(policy.baseScore, 100)))
        var level = directD ? .d : policy.band(score)
        if capped && level == .a { level = .b }
        if level == .a || level == .b, policy.newSubjectKinds.contains(subject.kind),
            date.timeIntervalSince(subject.establishedAt) < TimeInterval(policy.newSubjectDays) * 86_400
        {
            level = .m
        }

        var reasons: [String] = []
        var sentences: [String] = []
        if directD {
            reasons.append("direct_d")
            sentences.append("存在严重失信记录，直接评为 D 级")
        }
        if !policy.qualifyingLevels.contains(level) {
            reasons.append("level_not_qualifying")
            sentences.append(
                "信用等级 \(level.rawValue) 不在可容缺受理的等级（\(policy.qualifyingLevels.sorted().reversed().map(\.rawValue).joined(separator: "、"))）之内")
        }
        if serious {
            reasons.append("unrepaired_serious_record")
            sentences.append("有尚未修复的严重失信记录")
        }
        // In Chinese: the explanation is read out to the applicant at the window.
        let explanation = reasons.isEmpty ? "可以容缺受理（先出结果，后补材料）" : sentences.joined(separator: "；")
        return CreditAssessment(
            subject: subject.id, level: level, score: score, asOf: date, policyVersion: policyVersion, unrepairedSerious: serious,
            trustApproval: TrustApprovalAvailability(available: reasons.isEmpty, reasons: reasons, explanation: explanation))
    }
}

/// The unified social credit code of a legal person (GB 32100-2015): 18 characters, MOD 31 check character.
public enum UnifiedSocialCreditCode {
    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// The normalised code, or nil when it is not one.
    public static func validate(_ raw: String) -> String? {
        let code = Array(raw.uppercased())
        guard code.count == 18 else { return nil }
        var sum = 0
        for (index, character) in code.prefix(17).enumerated() {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            sum += value * weights[index]
        }
        let check = (31 - sum % 31) % 31
        guard code[17] == alphabet[check] else { return nil }
        return String(code)
    }
}
