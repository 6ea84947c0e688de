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
