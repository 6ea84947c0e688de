import Foundation
import ZeroTripDocuments

/// Where an indicator's value comes from: data the district already holds (result documents in the register, the
/// credit ledger, the population registry) or a proof the applicant hands in and a department reviews (后申请).
public enum PointsSource: Sendable, Hashable, Codable {
    /// Result documents of these types (matter codes) issued to the person. Several types score the same
    /// ("租购同分": a lease registration counts as much as a title deed).
    case documents(matters: [String], field: String?)
    /// The person's credit level on the scoring date.
    case credit
    /// The person's age in full years on the scoring date, from the citizen ID number in the registry.
    case age
    /// A proof handed in by the applicant and decided by a reviewer of `department`.
    case proof(department: String)

    /// Whether a reviewer decides the indicator (it is never scored from stored data alone).
    public var needsReview: Bool {
        if case .proof = self { return true }
        return false
    }
}

/// An age band: `from`…`to` full years (inclusive) give `points`.
public struct PointsBand: Sendable, Hashable, Codable {
    /// Youngest age of the band.
    public var from: Int
    /// Oldest age of the band.
    public var to: Int
    /// Points.
    public var points: Int
}

/// One choice of a reviewed indicator, e.g. 本科 → 20.
public struct PointsOption: Sendable, Hashable, Codable {
    /// The option as the applicant picks it.
    public var name: String
    /// Points when a reviewer approves it.
    public var points: Int
}

/// How an indicator's value becomes points.
public enum PointsRule: Sendable, Hashable, Codable {
    /// `points` when the person holds at least one qualifying document in force.
    case present(points: Int)
    /// `points` per qualifying document (each issued and neither revoked nor replaced by a re-issue).
    case perOccurrence(points: Int)
    /// `points` per full year since the first qualifying document was issued.
    case perYear(points: Int)
    /// `points` per full `unit` of the document field's number (the largest among documents in force).
    case perUnit(unit: Int, points: Int)
    /// Points by credit level; a level not listed scores 0.
    case levels([String: Int])
    /// Points by age band; an age in no band scores 0.
    case bands([PointsBand])
    /// Points by the option a reviewer approved.
    case options([PointsOption])
}

/// One indicator of a points scheme.
public struct PointsIndicator: Sendable, Hashable, Codable {
    /// Stable code, e.g. `residence` (1–48 of a-z 0-9 _).
    public var code: String
    /// The name residents read, e.g. 居住年限.
    public var name: String
    /// Where the value comes from.
    public var source: PointsSource
    /// How it becomes points.
    public var rule: PointsRule
    /// Most points the indicator gives (nil: no cap).
    public var cap: Int?
    /// The rule as printed in the explanation, e.g. 每满 1 年 5 分，最高 30 分.
    public var basis: String
}

/// A versioned points scheme (量化积分): indicators, their sources and rules, the department that issues the points
/// certificate. Stored like the credit policy (`points_policy_versions`); a score names the version it was computed with,
/// so it can be replayed.
public struct PointsPolicy: Sendable, Hashable, Codable {
    /// The scheme's name, printed on the page and the certificate.
    public var name: String
    /// The department whose seal signs the points certificate.
    public var certificateDepartment: String
    /// Indicators in the order residents read them.
    public var indicators: [PointsIndicator]

    /// The indicator `code`.
    public func indicator(_ code: String) -> PointsIndicator? { indicators.first { $0.code == code } }

    /// Every matter code a documents indicator reads.
    public var documentMatters: Set<String> {
        Set(
            indicators.flatMap { indicator -> [String] in
                if case .documents(let matters, _) = indicator.source { return matters }
                return []
            })
    }
}

extension PointsPolicy {
    /// Most indicators in a scheme: the points certificate prints each on a line of its own, beside the scheme,
    /// the date, the total and the run (the document table holds ``DocumentLimits/fields`` lines).
    public static let maximumIndicators = DocumentLimits.fields.upperBound - 4

    /// Parses a points policy file (YAML or JSON); every error names its line. `isDepartment` tells which department
    /// codes exist (reviewers and the certificate's issuer must).
    public static func parse(_ bytes: [UInt8], isDepartment: (String) -> Bool) throws(ZeroTripError) -> PointsPolicy {
        let root = try StructuredFile.root(bytes, code: .invalidPolicy)
        try root.only(["name", "certificate", "indicators"])
        let name = try root.string("name", maxLength: 60)
        let certificate = try root.required("certificate")
        try certificate.only(["department"])
        let issuer = try certificate.string("department", maxLength: 16)
        guard isDepartment(issuer) else { throw certificate.error(at: "department", "no department \(issuer)") }

        var indicators: [PointsIndicator] = []
        for field in try root.list("indicators", maxCount: maximumIndicators) {
            try field.only(["code", "name", "source", "matters", "field", "department", "rule", "cap"])
            let code = try field.string("code", maxLength: 48)
            guard CreditEventType.isValidCode(code) else { throw field.error(at: "code", "indicator codes are 1–48 of a-z 0-9 _") }
            guard !indicators.contains(where: { $0.code == code }) else { throw field.error(at: "code", "indicator \(code) is defined twice") }
            // The name labels the indicator's line on the certificate.
            let label = try field.string("name", maxLength: DocumentLimits.fieldLabel)
            let sourceName = try field.string("source", maxLength: 16)
            let source: PointsSource
            switch sourceName {
            case "documents":
                let matters = try field.list("matters", maxCount: 10).map { entry throws(ZeroTripError) in try entry.text(maxLength: 32) }
                guard !matters.isEmpty else { throw field.error(at: "matters", "name at least one result type (matter code)") }
                source = .documents(matters: matters, field: try field.optionalString("field", maxLength: 40))
            case "credit": source = .credit
            case "age": source = .age
            case "proof":
                let department = try field.string("department", maxLength: 16)
                guard isDepartment(department) else { throw field.error(at: "department", "no department \(department)") }
                source = .proof(department: department)
            default:
                throw field.error(at: "source", "must be documents, credit, age or proof")
            }
            for (key, allowed) in [
                ("matters", sourceName == "documents"), ("field", sourceName == "documents"), ("department", sourceName == "proof"),
            ]
            where !allowed && field.child(key) != nil {
                throw field.error(at: key, "\"\(key)\" belongs to \(key == "department" ? "a proof" : "a documents") indicator")
            }
            let rule = try parseRule(try field.required("rule"), source: source)
            let cap = try field.optionalInteger("cap", in: 1...10_000)
            indicators.append(
                PointsIndicator(
                    code: code, name: label, source: source, rule: rule, cap: cap,
                    basis: basis(
                        rule,
                        field: {
                            if case .documents(_, let name) = source { return name }; return nil
                        }(), cap: cap)))
        }
        guard !indicators.isEmpty else { throw root.error(at: "indicators", "name at least one indicator") }
        return PointsPolicy(name: name, certificateDepartment: issuer, indicators: indicators)
    }

    private static func parseRule(_ field: StructuredFile.Field, source: PointsSource) throws(ZeroTripError) -> PointsRule {
        guard let keys = field.keyNames, !keys.isEmpty else { throw field.error("must be a mapping") }
        let points = -1000...1000
        switch source {
        case .documents(_, let valueField):
            if valueField != nil {
                try field.only(["per", "points"])
                return .perUnit(unit: try field.integer("per", in: 1...100_000), points: try field.integer("points", in: points))
            }
            try field.only(["present", "perOccurrence", "perYear"])
            guard keys.count == 1 else { throw field.error("give one of present, perOccurrence, perYear") }
            if let value = field.child("present") { return .present(points: try value.integer(in: points)) }
            if let value = field.child("perOccurrence") { return .perOccurrence(points: try value.integer(in: points)) }
            return .perYear(points: try field.integer("perYear", in: points))
        case .credit:
            try field.only(["levels"])
            var levels: [String: Int] = [:]
            for (level, value) in try field.entries("levels", maxCount: 5) {
                guard CreditLevel(rawValue: level) != nil else { throw value.error("credit levels are A, B, M, C, D") }
                levels[level] = try value.integer(in: points)
            }
            return .levels(levels)
        case .age:
            try field.only(["bands"])
            let bands = try field.list("bands", maxCount: 20).map { band throws(ZeroTripError) in
                try band.only(["from", "to", "points"])
                let result = PointsBand(
                    from: try band.integer("from", in: 0...150), to: try band.integer("to", in: 0...150),
                    points: try band.integer("points", in: points))
                guard result.from <= result.to else { throw band.error("from must not be above to") }
                return result
            }
            for (index, band) in bands.enumerated() where bands[..<index].contains(where: { $0.from <= band.to && band.from <= $0.to }) {
                throw try field.list("bands")[index].error("bands must not overlap")
            }
            return .bands(bands)
        case .proof:
            try field.only(["options"])
            var options: [PointsOption] = []
            for (name, value) in try field.entries("options", maxCount: 30) {
                options.append(PointsOption(name: name, points: try value.integer(in: points)))
            }
            guard !options.isEmpty else { throw field.error(at: "options", "name at least one option") }
            return .options(options)
        }
    }

    /// The rule in the words of the explanation.
    static func basis(_ rule: PointsRule, field: String? = nil, cap: Int?) -> String {
        let text: String
        switch rule {
        case .present(let points): text = "持有有效证明 \(points) 分"
        case .perOccurrence(let points): text = "每份 \(points) 分"
        case .perYear(let points): text = "每满 1 年 \(points) 分"
        case .perUnit(let unit, let points): text = "\(field ?? "数值")每满 \(unit) 得 \(points) 分"
        case .levels(let levels):
            text = CreditLevel.allCases.compactMap { level in levels[level.rawValue].map { "\(level.rawValue) 级 \($0) 分" } }
                .joined(separator: "，")
        case .bands(let bands): text = bands.map { "\($0.from)–\($0.to) 岁 \($0.points) 分" }.joined(separator: "，")
        case .options(let options): text = options.map { "\($0.name) \($0.points) 分" }.joined(separator: "，")
        }
        return cap.map { "\(text)，最高 \($0) 分" } ?? text
    }
}
