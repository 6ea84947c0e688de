public import Foundation

/// What an applicant may say about a service besides the score (好差评's fixed tags: counted, never free text).
public enum RatingTag: String, Sendable, Hashable, Codable, CaseIterable {
    case doneInOneVisit = "done_in_one_visit"
    case fast
    case courteous
    case clearGuidance = "clear_guidance"
    case longWait = "long_wait"
    case tooManyMaterials = "too_many_materials"
    case discourteous
    case repeatVisits = "repeat_visits"

    /// The label on the form.
    public var chinese: String {
        switch self {
        case .doneInOneVisit: "一次办成"
        case .fast: "办理快"
        case .courteous: "态度好"
        case .clearGuidance: "指引清楚"
        case .longWait: "等候时间长"
        case .tooManyMaterials: "材料要求多"
        case .discourteous: "态度差"
        case .repeatVisits: "多次跑腿"
        }
    }
}

/// A service at the window that ends without an application (好差评 covers every service, not only applications):
/// the clerk records it when the person leaves the counter, and the person is invited to rate it.
public enum WindowService: String, Sendable, Hashable, Codable, CaseIterable {
    case consultation
    case materialPrecheck = "material_precheck"
    case documentPickup = "document_pickup"
    case identityCheck = "identity_check"
    case other

    /// The name on the station's form and in the invitation.
    public var chinese: String {
        switch self {
        case .consultation: "咨询"
        case .materialPrecheck: "材料预审"
        case .documentPickup: "证照领取"
        case .identityCheck: "身份核验"
        case .other: "其他窗口服务"
        }
    }
}

/// One invitation to rate a finished service — an application closed or rejected, or a window service without an
/// application — and the rating once given. The applicant rates once, within ``RatingService/ratingDays`` days; the
/// rating attaches to the department and, when a window clerk took the application or served the person, to that
/// clerk.
public struct ServiceRating: Sendable, Hashable, Codable {
    /// 32 lowercase hex digits.
    public var id: String
    /// The application rated (nil for a window service).
    public var application: String?
    /// The window service rated (nil for an application).
    public var service: WindowService?
    /// The person (`person:<id>`).
    public var subject: SubjectID
    public var department: String
    /// The matter applied for, or the one a window service was about ("" when none was named).
    public var matter: String
    /// The clerk number of the window that took the application or gave the service, if one did.
    public var clerk: String?
    /// `closed` or `rejected`: how the application ended; `served` for a window service.
    public var outcome: String
    public var invitedAt: Date
    /// The last moment a rating is taken.
    public var closesAt: Date
    public var ratedAt: Date?
    /// 1 (很不满意) … 5 (非常满意).
    public var score: Int?
    public var tags: [RatingTag]
    /// At most ``RatingService/commentLimit`` characters.
    public var comment: String?

    /// An invitation (or a rating, with `ratedAt` and `score`).
    package init(
        id: String, application: String?, service: WindowService? = nil, subject: SubjectID, department: String, matter: String,
        clerk: String?, outcome: String, invitedAt: Date, closesAt: Date, ratedAt: Date? = nil, score: Int? = nil,
        tags: [RatingTag] = [], comment: String? = nil
    ) {
        self.id = id
        self.application = application
        self.service = service
        self.subject = subject
        self.department = department
        self.matter = matter
        self.clerk = clerk
        self.outcome = outcome
        self.invitedAt = invitedAt
        self.closesAt = closesAt
        self.ratedAt = ratedAt
        self.score = score
        self.tags = tags
        self.comment = comment
    }
}

/// Ratings over a period, district-wide and per department and clerk, with a weighted average that does not let a
/// handful of ratings top the ranking: `weighted = (C × M + Σ scores) / (C + n)` (a Bayesian average), where `n` is
/// the group's number of ratings, `M` the district's mean over the same period and `C` = ``priorWeight``. A group
/// with few ratings stays near the district mean; one with many is judged by its own.
public struct RatingFigures: Sendable, Hashable, Codable {
    /// The weight of the district mean in every group's weighted average.
    public static let priorWeight = 10

    public struct Group: Sendable, Hashable, Codable {
        /// A department code or a clerk number.
        public var key: String
        /// The department of a clerk (nil for a department row).
        public var department: String?
        public var count: Int
        public var mean: Double
        public var weighted: Double
        /// Ratings of 1 or 2 (差评).
        public var poor: Int
    }

    public var from: Date
    public var to: Date
    public var count: Int
    public var districtMean: Double
    /// By weighted average, best first.
    public var departments: [Group]
    public var clerks: [Group]
    /// Tag → times chosen.
    public var tags: [String: Int]
    /// Tag → times chosen with a poor rating (1–2): the causes of complaints.
    public var complaintCauses: [String: Int] = [:]

    /// Figures from per-group (count, score sum, poor count) totals.
    public static func make(
        from: Date, to: Date, departments: [(key: String, count: Int, sum: Int, poor: Int)],
        clerks: [(key: String, department: String, count: Int, sum: Int, poor: Int)], tags: [String: Int],
        complaintCauses: [String: Int] = [:]
    ) -> RatingFigures {
        let count = departments.reduce(0) { $0 + $1.count }
        let sum = departments.reduce(0) { $0 + $1.sum }
        let mean = count == 0 ? 0 : Double(sum) / Double(count)
        let prior = count == 0 ? 3 : mean
        func group(_ key: String, _ department: String?, _ n: Int, _ s: Int, _ poor: Int) -> Group {
            Group(
                key: key, department: department, count: n, mean: n == 0 ? 0 : Double(s) / Double(n),
                weighted: (Double(priorWeight) * prior + Double(s)) / Double(priorWeight + n), poor: poor)
        }
        func ranked(_ groups: [Group]) -> [Group] {
            groups.sorted { ($0.weighted, $0.count, $1.key) > ($1.weighted, $1.count, $0.key) }
        }
        return RatingFigures(
            from: from, to: to, count: count, districtMean: mean,
            departments: ranked(departments.map { group($0.key, nil, $0.count, $0.sum, $0.poor) }),
            clerks: ranked(clerks.map { group($0.key, $0.department, $0.count, $0.sum, $0.poor) }), tags: tags,
            complaintCauses: complaintCauses)
    }
}
