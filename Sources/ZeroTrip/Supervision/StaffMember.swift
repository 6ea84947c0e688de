public import Foundation

/// What a member of a department's staff does for supervision.
public enum StaffRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// Reviews applications: told when a review they started waits too long.
    case reviewer
    /// Supervises the department: told when a stalled review is still waiting after the escalation limit.
    case supervisor
}

/// A department's staff member in the supervision directory: the clerk number they sign in at a window with (the
/// `clerk:` of their actions) and the mobile number their notices go to.
public struct StaffMember: Sendable, Hashable, Codable {
    public var department: String
    /// The clerk number (工号), as at window sign-in.
    public var clerk: String
    public var name: String
    /// 11-digit mobile number (shown masked).
    public var phone: String
    public var role: StaffRole
    public var addedAt: Date
    public var addedBy: String
}

/// Review times of one department over a period, in working days of the policy's calendar.
public struct ReviewFigures: Sendable, Hashable, Codable {
    public struct Department: Sendable, Hashable, Codable {
        public var department: String
        /// Reviews finished (approved or rejected) in the period.
        public var reviewed: Int
        /// Their mean length in working days (0 when none).
        public var meanWorkingDays: Double
        /// The longest of them.
        public var maximumWorkingDays: Int
        /// Applications under review now.
        public var waiting: Int
        /// Of those, how many passed the stall limit.
        public var stalled: Int
    }
    public var from: Date
    public var to: Date
    public var stallWorkingDays: Int
    public var departments: [Department]
}

/// Volumes of a period per department, and applications submitted per month (China calendar), for supervisors'
/// statistics and the public figures.
public struct VolumeFigures: Sendable, Hashable, Codable {
    public struct Department: Sendable, Hashable, Codable {
        public var department: String
        /// Applications submitted in the period, and of them under 容缺 (trust) and 容缓 (deferral).
        public var submitted: Int, trust: Int, deferral: Int
        /// Applications that ended in the period, by how.
        public var closed: Int, rejected: Int, terminated: Int
        /// Mean working days from submission to closing, over those closed in the period.
        public var meanHandlingWorkingDays: Double
        /// Applications that passed their time limit in the period.
        public var overdue: Int
        /// Results of the department revoked in the period.
        public var revoked: Int

        /// Share of submissions under 容缺 (0 when none were submitted).
        public var trustShare: Double { submitted == 0 ? 0 : Double(trust) / Double(submitted) }
    }
    public var from: Date
    public var to: Date
    public var departments: [Department]
    /// `YYYY-MM` → applications submitted that month (every month of the period, oldest first).
    public var months: [Month]

    public struct Month: Sendable, Hashable, Codable {
        public var month: String
        public var submitted: Int
    }
}
