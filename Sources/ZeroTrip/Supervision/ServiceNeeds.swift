public import Foundation
import ZeroTripDocuments

/// A service a resident expects to need (海曙's demand collection): the district plans school places, housing and
/// loans from the counts.
public enum ServiceNeedKind: String, Sendable, Hashable, Codable, CaseIterable {
    case schooling
    case publicHousing = "public_housing"
    case settlement
    case businessLoan = "business_loan"
    case other

    public var chinese: String {
        switch self {
        case .schooling: "子女入学"
        case .publicHousing: "公共租赁住房"
        case .settlement: "落户"
        case .businessLoan: "创业贷款"
        case .other: "其他"
        }
    }
}

/// One stated need of one resident for one year.
public struct ServiceNeed: Sendable, Hashable, Codable {
    /// `person:<subject>`.
    public var subject: String
    public var kind: ServiceNeedKind
    public var year: Int
    /// What exactly (required for `other`), at most 200 characters.
    public var detail: String
    public var statedAt: Date
}

extension SupervisionService {
    /// How far ahead a need may be stated, in years (schooling is planned five years ahead).
    public static let needYearsAhead = 5

    /// Records `subject`'s need of `kind` for each of `years` (this year to ``needYearsAhead`` years on), replacing
    /// the detail of one stated before. Audited `need.stated` (without the detail).
    public func stateNeed(subject: SubjectID, kind: ServiceNeedKind, years: [Int], detail rawDetail: String?, actor: String) async throws
        -> [ServiceNeed]
    {
        // Stored and audited as text.
        let subject = subject.rawValue
        let now = clock.now()
        let thisYear = ChinaTime(now).year
        guard !years.isEmpty, years.count <= Self.needYearsAhead + 1, Set(years).count == years.count,
            years.allSatisfy({ (thisYear...thisYear + Self.needYearsAhead).contains($0) })
        else {
            throw ZeroTripError(.invalidInput, "years must be distinct years from \(thisYear) to \(thisYear + Self.needYearsAhead)")
        }
        let detail = try Validation.note(rawDetail ?? "", field: "detail", limit: 200)
        if kind == .other, detail.isEmpty { throw ZeroTripError(.invalidInput, "say what the need is (detail) for kind other") }
        let needs = years.sorted().map { ServiceNeed(subject: subject, kind: kind, year: $0, detail: detail, statedAt: now) }
        try await database.write { db in
            for need in needs { try NeedStore.put(need, in: db) }
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .needStated, target: subject,
                    details: ["kind": kind.rawValue, "years": years.sorted().map(String.init).joined(separator: ",")]), at: now, in: db)
        }
        return needs
    }

    /// `subject`'s stated needs.
    public func needs(subject: SubjectID) async throws -> [ServiceNeed] {
        // Stored and audited as text.
        let subject = subject.rawValue
        return try await database.read { db in try NeedStore.needs(subject: subject, in: db) }
    }

    /// Needs counted per kind and year, from this year on.
    public func needCounts() async throws -> [(kind: ServiceNeedKind, year: Int, count: Int)] {
        let thisYear = ChinaTime(clock.now()).year
        return try await database.read { db in try NeedStore.counts(from: thisYear, in: db) }
            .map { (kind: ServiceNeedKind(rawValue: $0.kind) ?? .other, year: $0.year, count: $0.count) }
    }
}
