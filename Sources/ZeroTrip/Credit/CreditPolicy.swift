import Foundation

/// A credit level in the A / B / M / C / D scheme (modelled on the tax-credit levels).
public enum CreditLevel: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Score ≥ the A threshold (90).
    case a = "A"
    /// Score in the B band (70–89).
    case b = "B"
    /// A new subject with a score ≥ 70 (not yet rated A or B).
    case m = "M"
    /// Score in the C band (40–69).
    case c = "C"
    /// Score below 40, or assigned directly for serious dishonesty.
    case d = "D"

    /// Ordered from worst to best: D < C < M < B < A.
    public static func < (lhs: CreditLevel, rhs: CreditLevel) -> Bool { lhs.rank < rhs.rank }
    var rank: Int {
        switch self {
        case .a: 5
        case .b: 4
        case .m: 3
        case .c: 2
        case .d: 1
        }
    }
}

/// The kind of a credit subject.
public enum CreditSubjectKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A natural person in the population registry.
    case person
    /// A legal person or other organisation, by unified social credit code.
    case organization
}

/// One type of credit event: its points, whether it is serious, whether it assigns D directly, its legal basis and how long it counts.
public struct CreditEventType: Sendable, Hashable, Codable {
    /// Stable code, e.g. `obligation_overdue`.
    public var code: String
    /// Points added (negative: a deduction).
    public var points: Int
    /// A serious record blocks trust-based approval until repaired.
    public var serious: Bool
    /// Assigns level D while it counts.
    public var directD: Bool
    /// The legal basis printed in the subject's history.
    public var basis: String
    /// How long the event counts, in days from its effective date.
    public var validDays: Int
    /// Whether a repair event may restore it.
    public var repairable: Bool
}

/// The share of a deduction a repair restores, by how soon after the event it is made.
public struct RepairStep: Sendable, Hashable, Codable {
    /// The repair is effective within this many days of the event's effective date.
    public var withinDays: Int
    /// Fraction of the deduction restored (0…1).
    public var fraction: Double
}

/// Credit policy: level bands, who may be M and whether M qualifies, penalties, repairs and the working-day calendar.
///
/// Stored in versions (`credit_policy_versions`); a level on a date is computed with the version in force then.
public struct CreditPolicy: Sendable, Hashable, Codable {
    /// Score every subject starts with.
    public var baseScore: Int = 100
    /// Score of a subject whose data are incomplete.
    public var incompleteDataScore: Int = 90
    /// Lowest score of A.
    public var minimumA: Int = 90
    /// Lowest score of B (and M).
    public var minimumB: Int = 70
    /// Lowest score of C; below is D.
    public var minimumC: Int = 40
    /// Subject kinds that are M while new.
    public var newSubjectKinds: Set<CreditSubjectKind> = [.organization]
    /// A subject is new for this many days after it was established.
    public var newSubjectDays: Int = 365
    /// Levels that qualify for trust-based approval (容缺).
    public var qualifyingLevels: Set<CreditLevel> = [.a, .b]
    /// After a direct D ends (expired or repaired), the level stays at most B for this many days ("never back to A in year 3").
    public var capAfterDirectDDays: Int = 365
    /// Repair fractions, by the smallest `withinDays` that the repair meets.
    public var repairSteps: [RepairStep] = [RepairStep(withinDays: 30, fraction: 1.0), RepairStep(withinDays: 365, fraction: 0.4)]
    /// Working days before an obligation's deadline when the applicant is reminded.
    public var reminderWorkingDays: Int = 2
    /// Working days of rectification after a missed deadline when the result was already issued.
    public var rectificationWorkingDays: Int = 5
    /// Applications pending review longer than this many working days are flagged, and their reviewer notified.
    public var reviewStallWorkingDays: Int = 5
    /// Working days after that notice when a review still pending is escalated to the department's supervisors.
    public var reviewEscalationWorkingDays: Int = 3
    /// Event types by code.
    public var eventTypes: [String: CreditEventType]
    /// The working-day calendar.
    public var calendar: WorkCalendar

    /// Event types ZeroTrip itself records, which every policy must define.
    public static let requiredEventTypes = ["obligation_fulfilled", "obligation_overdue", "obligation_breached", "false_commitment"]

    /// The level a score maps to, without M or direct D.
    public func band(_ score: Int) -> CreditLevel {
        score >= minimumA ? .a : score >= minimumB ? .b : score >= minimumC ? .c : .d
    }

    /// The fraction of a deduction a repair made `days` after the event restores (0 when too late).
    public func repairFraction(afterDays days: Int) -> Double {
        repairSteps.sorted { $0.withinDays < $1.withinDays }.first { days <= $0.withinDays }?.fraction ?? 0
    }

    /// The built-in policy (version 0), used until an admin loads one.
    public static let builtIn = CreditPolicy(
        eventTypes: Dictionary(
            uniqueKeysWithValues: [
                CreditEventType(
                    code: "obligation_fulfilled", points: 1, serious: false, directD: false,
                    basis: "容缺受理承诺按期履行", validDays: 365, repairable: false),
                CreditEventType(
                    code: "obligation_overdue", points: -10, serious: false, directD: false,
                    basis: "容缺受理承诺逾期未履行（办结前）", validDays: 730, repairable: true),
                CreditEventType(
                    code: "obligation_breached", points: -20, serious: true, directD: false,
                    basis: "容缺受理承诺整改期满仍未履行，撤销办理结果", validDays: 730, repairable: true),
                CreditEventType(
                    code: "false_commitment", points: 0, serious: true, directD: true,
                    basis: "虚假承诺", validDays: 730, repairable: true),
            ].map { ($0.code, $0) }),
        calendar: .china2026)
}

extension CreditPolicy {
    /// Parses a policy file (YAML or JSON); every error names its line.
    public static func parse(_ bytes: [UInt8]) throws(ZeroTripError) -> CreditPolicy {
        let root = try StructuredFile.root(bytes, code: .invalidPolicy)
        try root.only(["levels", "trustApproval", "directD", "repair", "obligations", "events", "calendar"])
        var policy = CreditPolicy(eventTypes: [:], calendar: WorkCalendar(holidays: [], workingWeekends: [], coveredThroughYear: 0))

        let levels = try root.required("levels")
        try levels.only(["baseScore", "incompleteDataScore", "minimumA", "minimumB", "minimumC", "newSubjectKinds", "newSubjectDays"])
        policy.baseScore = try levels.integer("baseScore", in: 1...1000, default: 100)
        policy.incompleteDataScore = try levels.integer("incompleteDataScore", in: 1...1000, default: policy.baseScore)
        policy.minimumA = try levels.integer("minimumA", in: 1...1000)
        policy.minimumB = try levels.integer("minimumB", in: 1...1000)
        policy.minimumC = try levels.integer("minimumC", in: 1...1000)
        guard policy.minimumA > policy.minimumB, policy.minimumB > policy.minimumC else {
            throw levels.error("thresholds must fall: minimumA > minimumB > minimumC")
        }
        policy.newSubjectKinds = Set(
            try levels.list("newSubjectKinds", required: false, maxCount: 2).map { field throws(ZeroTripError) in
                guard let kind = CreditSubjectKind(rawValue: try field.text()) else { throw field.error("must be person or organization") }
                return kind
            })
        policy.newSubjectDays = try levels.integer("newSubjectDays", in: 0...3650, default: 365)

        let trust = try root.required("trustApproval")
        try trust.only(["qualifyingLevels"])
        policy.qualifyingLevels = Set(
            try trust.list("qualifyingLevels", maxCount: 5).map { field throws(ZeroTripError) in
                guard let level = CreditLevel(rawValue: try field.text()) else { throw field.error("must be one of A, B, M, C, D") }
                return level
            })

        if let directD = root.child("directD") {
            try directD.only(["capAfterDays"])
            policy.capAfterDirectDDays = try directD.integer("capAfterDays", in: 0...3650, default: 365)
        }
        let steps = try root.list("repair", required: false, maxCount: 10)
        if !steps.isEmpty {
            policy.repairSteps = try steps.map { step throws(ZeroTripError) in
                try step.only(["withinDays", "fraction"])
                return RepairStep(withinDays: try step.integer("withinDays", in: 1...3650), fraction: try step.number("fraction", in: 0...1))
            }
        }
        if let obligations = root.child("obligations") {
            try obligations.only(["reminderWorkingDays", "rectificationWorkingDays", "reviewStallWorkingDays", "reviewEscalationWorkingDays"])
            policy.reminderWorkingDays = try obligations.integer("reminderWorkingDays", in: 0...30, default: 2)
            policy.rectificationWorkingDays = try obligations.integer("rectificationWorkingDays", in: 0...60, default: 5)
            policy.reviewStallWorkingDays = try obligations.integer("reviewStallWorkingDays", in: 1...60, default: 5)
            policy.reviewEscalationWorkingDays = try obligations.integer("reviewEscalationWorkingDays", in: 1...60, default: 3)
        }

        let events = try root.entries("events", maxCount: 200)
        for (code, field) in events {
            guard CreditEventType.isValidCode(code) else { throw field.error("event codes are 1–48 of a-z 0-9 _") }
            try field.only(["points", "serious", "directD", "basis", "validDays", "repairable"])
            let type = CreditEventType(
                code: code, points: try field.integer("points", in: -1000...100, default: 0), serious: try field.bool("serious", default: false),
                directD: try field.bool("directD", default: false), basis: try field.string("basis"),
                validDays: try field.integer("validDays", in: 1...36_500), repairable: try field.bool("repairable", default: true))
            guard type.points != 0 || type.directD || type.serious else { throw field.error("an event must change points, be serious or assign D") }
            guard code != "repair" else { throw field.error("\"repair\" is built in") }
            policy.eventTypes[code] = type
        }
        for code in requiredEventTypes where policy.eventTypes[code] == nil {
            throw root.error("events must define \(code) (ZeroTrip records it itself)")
        }

        let calendar = try root.required("calendar")
        try calendar.only(["coveredThroughYear", "holidays", "workingWeekends"])
        func days(_ key: String, weekendsOnly: Bool = false) throws(ZeroTripError) -> Set<CivilDay> {
            Set(
                try calendar.list(key, required: false, maxCount: 5000).map { field throws(ZeroTripError) in
                    guard let day = CivilDay(try field.text(maxLength: 10)) else { throw field.error("must be a date YYYY-MM-DD") }
                    if weekendsOnly && day.weekday != 0 && day.weekday != 6 {
                        throw field.error("working weekend \(day) is not a Saturday or Sunday")
                    }
                    return day
                })
        }
        policy.calendar = WorkCalendar(
            holidays: try days("holidays"), workingWeekends: try days("workingWeekends", weekendsOnly: true),
            coveredThroughYear: try calendar.integer("coveredThroughYear", in: 2000...2200))
        if let day = policy.calendar.workingWeekends.intersection(policy.calendar.holidays).first {
            throw calendar.error(at: "workingWeekends", "\(day) is both a holiday and a working weekend")
        }
        return policy
    }
}

extension CreditEventType {
    static func isValidCode(_ code: String) -> Bool {
        (1...48).contains(code.utf8.count) && code.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}
