public import Foundation
public import ZeroTripDocuments

/// A result document as the scoring reads it from the register.
public struct PointsDocument: Sendable, Hashable {
    /// Register id.
    public var id: String
    /// Result type (matter code).
    public var matter: String
    /// Issued.
    public var issuedAt: Date
    /// End of validity.
    public var validUntil: Date
    /// Status now.
    public var status: DocumentStatus
    /// When the status left `valid`.
    public var statusChangedAt: Date?
    /// The document's fields.
    public var fields: [ResultField]

    /// Issued by `date` and not revoked by then (a revocation after `date` does not change a score of `date`).
    func held(at date: Date) -> Bool {
        issuedAt <= date && !(status == .revoked && (statusChangedAt ?? .distantPast) <= date)
    }

    /// Held at `date` and not replaced by a re-issue by then.
    func current(at date: Date) -> Bool {
        held(at: date) && !(status == .superseded && (statusChangedAt ?? .distantPast) <= date)
    }

    /// Current and within its validity at `date`.
    func inForce(at date: Date) -> Bool { current(at: date) && date < validUntil }
}

/// An approved proof claim (后申请) as the scoring reads it.
public struct PointsApproval: Sendable, Hashable {
    /// Claim id.
    public var claim: String
    /// Indicator.
    public var indicator: String
    /// The option approved.
    public var option: String
    /// When the reviewer approved it.
    public var decidedAt: Date
}

/// A score corrected on review (复核) as the scoring reads it: from `decidedAt`, scores under `policyVersion` give the
/// indicator `points` instead of what the data give — as long as the data give the item from the same records as
/// the item disputed (`inputs`). A new document or claim behind the item is a new fact that the rules score again
/// (and the person may dispute again): a correction never outlives what it corrected.
public struct PointsCorrection: Sendable, Hashable {
    /// Dispute id.
    public var dispute: String
    /// Indicator.
    public var indicator: String
    /// Points decided on review.
    public var points: Int
    /// When decided.
    public var decidedAt: Date
    /// The policy version of the score disputed.
    public var policyVersion: Int
    /// The records the disputed item came from (`document:<id>`, `claim:<id>`, `credit:<level>`, `registry`; none
    /// when the data gave no item), without earlier corrections.
    public var inputs: [String]

    /// A correction.
    public init(dispute: String, indicator: String, points: Int, decidedAt: Date, policyVersion: Int, inputs: [String]) {
        self.dispute = dispute
        self.indicator = indicator
        self.points = points
        self.decidedAt = decidedAt
        self.policyVersion = policyVersion
        self.inputs = inputs
    }
}

/// Everything the district holds that a person's points are computed from.
public struct PointsFacts: Sendable {
    /// Person id.
    public var subject: SubjectID
    /// Birth date from the citizen ID number.
    public var birthDay: CivilDay?
    /// Result documents of the policy's types issued to the person.
    public var documents: [PointsDocument]
    /// Credit level on the scoring date.
    public var creditLevel: CreditLevel?
    /// Approved proof claims.
    public var approvals: [PointsApproval]
    /// Corrections decided on review.
    public var corrections: [PointsCorrection]

    /// Facts with nothing but the person.
    public init(
        subject: SubjectID, birthDay: CivilDay?, documents: [PointsDocument] = [], creditLevel: CreditLevel? = nil,
        approvals: [PointsApproval] = [], corrections: [PointsCorrection] = []
    ) {
        self.subject = subject
        self.birthDay = birthDay
        self.documents = documents
        self.creditLevel = creditLevel
        self.approvals = approvals
        self.corrections = corrections
    }
}

/// One indicator's points with what they came from, so that every score can be explained and replayed.
public struct PointsItem: Sendable, Hashable, Codable {
    /// Indicator code.
    public var indicator: String
    /// Points (after the cap and any correction).
    public var points: Int
    /// The value read, e.g. `3 年`, `B 级`, `本科`, `48`.
    public var value: String
    /// The records it came from: `document:<id>`, `claim:<id>`, `dispute:<id>`.
    public var inputs: [String]
    /// Whether the cap cut the points.
    public var capped: Bool

    /// Creates an item.
    public init(indicator: String, points: Int, value: String, inputs: [String], capped: Bool) {
        self.indicator = indicator
        self.points = points
        self.value = value
        self.inputs = inputs
        self.capped = capped
    }
}

/// A person's points on a date under one policy version.
public struct PointsScore: Sendable, Hashable, Codable {
    /// Person id.
    public var subject: SubjectID
    /// The sum of the items.
    public var total: Int
    /// Indicators that gave points (or were decided), in policy order.
    public var items: [PointsItem]
}

/// Computes points from facts. Pure: the same facts, policy and date always give the same score, which is what makes
/// a stored score replayable.
public enum PointsCalculator {
    /// `facts`' score on `date` under `policy` (version `version`).
    public static func score(_ facts: PointsFacts, policy: PointsPolicy, version: Int, at date: Date) -> PointsScore {
        var items: [PointsItem] = []
        let today = CivilDay(date)
        for indicator in policy.indicators {
            var item = item(indicator, facts: facts, today: today, at: date)
            if let cap = indicator.cap, let points = item?.points, points > cap {
                item?.points = cap
                item?.capped = true
            }
            // A correction decided on review replaces what the data give (or gives points where they gave none), while
            // the data give the item from the same records as the item disputed; it too stays within the cap.
            let inputs = item?.inputs ?? []
            if let correction = facts.corrections.filter({
                $0.indicator == indicator.code && $0.policyVersion == version && $0.decidedAt <= date && $0.inputs == inputs
            }).max(by: { ($0.decidedAt, $0.dispute) < ($1.decidedAt, $1.dispute) }) {
                var corrected = item ?? PointsItem(indicator: indicator.code, points: 0, value: "复核", inputs: [], capped: false)
                corrected.points = min(correction.points, indicator.cap ?? .max)
                corrected.capped = correction.points > corrected.points
                corrected.inputs.append("dispute:\(correction.dispute)")
                item = corrected
            }
            if let item { items.append(item) }
        }
        return PointsScore(subject: facts.subject, total: items.reduce(0) { $0 + $1.points }, items: items)
    }

    private static func item(_ indicator: PointsIndicator, facts: PointsFacts, today: CivilDay, at date: Date) -> PointsItem? {
        let code = indicator.code
        switch (indicator.source, indicator.rule) {
        case (.documents(let matters, _), .present(let points)):
            guard
                let document = facts.documents.filter({ matters.contains($0.matter) && $0.inForce(at: date) })
                    .max(by: { ($0.issuedAt, $0.id) < ($1.issuedAt, $1.id) })
            else { return nil }
            return PointsItem(indicator: code, points: points, value: "持有", inputs: ["document:\(document.id)"], capped: false)
        case (.documents(let matters, _), .perOccurrence(let points)):
            let documents = facts.documents.filter { matters.contains($0.matter) && $0.current(at: date) }.sorted {
                ($0.issuedAt, $0.id) < ($1.issuedAt, $1.id)
            }
            guard !documents.isEmpty else { return nil }
            return PointsItem(
                indicator: code, points: points * documents.count, value: "\(documents.count) 份", inputs: documents.map { "document:\($0.id)" },
                capped: false)
        case (.documents(let matters, _), .perYear(let points)):
            guard
                let first = facts.documents.filter({ matters.contains($0.matter) && $0.held(at: date) })
                    .min(by: { ($0.issuedAt, $0.id) < ($1.issuedAt, $1.id) })
            else { return nil }
            let years = today.fullYears(since: CivilDay(first.issuedAt))
            return PointsItem(indicator: code, points: points * years, value: "\(years) 年", inputs: ["document:\(first.id)"], capped: false)
        case (.documents(let matters, let field?), .perUnit(let unit, let points)):
            let values = facts.documents.filter { matters.contains($0.matter) && $0.inForce(at: date) }.compactMap {
                document -> (PointsDocument, Int)? in
                guard let text = document.fields.first(where: { $0.label == field })?.value, let number = leadingNumber(text) else { return nil }
                return (document, number)
            }
            guard let best = values.max(by: { ($0.1, $0.0.issuedAt, $0.0.id) < ($1.1, $1.0.issuedAt, $1.0.id) }) else { return nil }
            return PointsItem(
                indicator: code, points: points * (best.1 / unit), value: "\(field) \(best.1)", inputs: ["document:\(best.0.id)"], capped: false)
        case (.credit, .levels(let levels)):
            guard let level = facts.creditLevel else { return nil }
            return PointsItem(
                indicator: code, points: levels[level.rawValue] ?? 0, value: "\(level.rawValue) 级", inputs: ["credit:\(level.rawValue)"],
                capped: false)
        case (.age, .bands(let bands)):
            guard let birth = facts.birthDay else { return nil }
            let age = today.fullYears(since: birth)
            return PointsItem(
                indicator: code, points: bands.first { $0.from <= age && age <= $0.to }?.points ?? 0, value: "\(age) 岁",
                inputs: ["registry"], capped: false)
        case (.proof, .options(let options)):
            guard
                let approval = facts.approvals.filter({ $0.indicator == code && $0.decidedAt <= date })
                    .max(by: { ($0.decidedAt, $0.claim) < ($1.decidedAt, $1.claim) }),
                let option = options.first(where: { $0.name == approval.option })
            else { return nil }
            return PointsItem(indicator: code, points: option.points, value: option.name, inputs: ["claim:\(approval.claim)"], capped: false)
        default:
            return nil
        }
    }

    /// The whole number a field value starts with (`48`, `48个月`, `48 个月`), nil when it starts with none.
    static func leadingNumber(_ text: String) -> Int? {
        let digits = text.trimmingWhitespace().prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        return Int(digits)
    }
}

extension CivilDay {
    /// Full years from `start` to this day (a birthday or an anniversary on 29 February counts on 1 March in other years).
    public func fullYears(since start: CivilDay) -> Int {
        let (y1, m1, d1) = Self.civil(from: start.number)
        let (y2, m2, d2) = Self.civil(from: number)
        return max(0, y2 - y1 - ((m2, d2) < (m1, d1) ? 1 : 0))
    }
}
