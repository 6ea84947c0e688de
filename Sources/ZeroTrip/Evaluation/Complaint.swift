public import Foundation

/// What a complaint is about: the fixed causes it is analysed by (what the department finds may reclassify it).
public enum ComplaintCause: String, Sendable, Hashable, Codable, CaseIterable {
    case attitude
    case waiting
    case materials
    case repeatVisits = "repeat_visits"
    case unclearGuidance = "unclear_guidance"
    case overdue
    case systemFault = "system_fault"
    case misconduct
    case other

    /// The label on the form and in the figures.
    public var chinese: String {
        switch self {
        case .attitude: "服务态度"
        case .waiting: "等候时间长"
        case .materials: "材料要求过多或重复提交"
        case .repeatVisits: "多次跑腿"
        case .unclearGuidance: "指引不清"
        case .overdue: "超时办理"
        case .systemFault: "系统故障"
        case .misconduct: "违规办理或吃拿卡要"
        case .other: "其他"
        }
    }

    /// The cause a poor rating's tags point to: the first of its negative tags, else `other`.
    static func of(_ tags: [RatingTag]) -> ComplaintCause {
        for tag in tags {
            switch tag {
            case .discourteous: return .attitude
            case .longWait: return .waiting
            case .tooManyMaterials: return .materials
            case .repeatVisits: return .repeatVisits
            case .doneInOneVisit, .fast, .courteous, .clearGuidance: continue
            }
        }
        return .other
    }
}

/// What the department found on looking into a complaint (回访核实).
public enum ComplaintFinding: String, Sendable, Hashable, Codable, CaseIterable {
    case substantiated
    case partlySubstantiated = "partly_substantiated"
    case unsubstantiated

    /// The label in replies and figures.
    public var chinese: String {
        switch self {
        case .substantiated: "情况属实"
        case .partlySubstantiated: "部分属实"
        case .unsubstantiated: "情况不属实"
        }
    }
}

/// A complaint (投诉) about a department's service, filed by the person, or opened by a poor rating (1–2, 差评):
/// the department looks into it, answers the person within ``ComplaintService/answerWorkingDays`` working days with
/// what it found and did (整改), and the answer is kept as given. Unanswered past the deadline, the department's
/// supervisors are told.
public struct Complaint: Sendable, Hashable, Codable {
    /// 32 lowercase hex digits.
    public var id: String
    /// The person (`person:<id>`).
    public var subject: SubjectID
    public var department: String
    /// The clerk the service was given by, when known (from the rating's service).
    public var clerk: String?
    /// The rating the complaint comes from or refers to.
    public var rating: String?
    /// `applicant` (filed by the person) or `poor_rating` (opened by a rating of 1–2).
    public var source: String
    /// The cause: as filed, then as the department classified it on answering.
    public var cause: ComplaintCause
    /// What the person said (at most ``ComplaintService/textLimit`` characters; empty for a poor rating without comment).
    public var text: String
    public var filedAt: Date
    /// The answer is due by this moment.
    public var dueAt: Date
    public var answeredAt: Date?
    /// `credential:<id>/clerk:<no>` of the supervisor who answered (never shown to the person).
    public var answeredBy: String?
    public var finding: ComplaintFinding?
    /// What the department did about it (整改措施), for the figures and the supervisors.
    public var action: String?
    /// The answer to the person.
    public var reply: String?
    /// When the supervisors were told it was overdue.
    public var overdueNotifiedAt: Date?
}

/// Complaints over a period per department and cause.
public struct ComplaintFigures: Sendable, Hashable {
    public struct Department: Sendable, Hashable {
        public var department: String
        /// Filed in the period.
        public var filed: Int
        /// Answered in the period; of those, answered by their deadline.
        public var answered: Int
        public var answeredInTime: Int
        /// Answered in the period as substantiated, wholly or partly.
        public var substantiated: Int
        /// Not answered and past the deadline now.
        public var overdue: Int
        /// Cause (as filed) → complaints filed in the period.
        public var causes: [String: Int]
    }

    public var from: Date
    public var to: Date
    public var departments: [Department]
    /// Cause → complaints, district-wide.
    public var causes: [String: Int]
}
