public import struct Foundation.TimeInterval

/// The limits of identity verification and applicant sessions, in one place.
///
/// Defaults follow NIST SP 800-63B-4 and the district's practice (docs/identity.md): 6-digit codes
/// valid 10 minutes; 5 failures per person and method lock for 15 minutes, doubling with each
/// further lockout up to 24 hours; session lifetimes by tier within the AAL limits.
public struct IdentityPolicy: Sendable {
    /// Lifetime of an SMS code (at most 10 minutes).
    public var codeLifetime: TimeInterval = 600
    /// Failed attempts per (person, method) before a lockout.
    public var maximumFailures = 5
    /// The first lockout; each further lockout doubles it.
    public var lockoutBase: TimeInterval = 15 * 60
    /// The longest lockout.
    public var lockoutMaximum: TimeInterval = 24 * 3600
    /// SMS codes sent per person per hour.
    public var codesPerHour = 5
    /// Minimum time between two codes for one person.
    public var codeInterval: TimeInterval = 60
    /// How long a clerk has to attest a pending video verification, and a window hand-off stays claimable.
    public var attestationWindow: TimeInterval = 30 * 60
    /// Lifetime of a device-login challenge.
    public var challengeLifetime: TimeInterval = 120
    /// Devices a person may bind.
    public var maximumDevices = 5
    /// Session lifetimes per tier: `(absolute, idle)`.
    public var sessionLifetimes: [Int: (absolute: TimeInterval, idle: TimeInterval)] = [
        1: (3600, 15 * 60),  // SMS-verified (AAL1): short
        2: (12 * 3600, 3600),  // clerk video check or device key (AAL2: ≤ 24 h, ≤ 1 h idle)
        3: (12 * 3600, 15 * 60),  // window hand-off (AAL3: ≤ 12 h, ≤ 15 min idle)
    ]
    /// Tier needed to download one's own result PDF.
    public var tierForResultDownload = 1
    /// Tier needed to see one's full personal data.
    public var tierForFullPersonalData = 2
    /// Tier a session must carry to bind a device key.
    public var tierForDeviceBinding = 2
    /// Tier needed to see one's credit level, or anything that discloses it (points scored from it).
    public var tierForCreditLevel = 2

    /// Whether `session` may see its credit level (and the points scored from it).
    public func seesCreditLevel(_ session: ApplicantSession) -> Bool { session.tier >= tierForCreditLevel }

    /// The default policy.
    public init() {}

    /// Lockout length after the `lockouts`-th lockout (1-based).
    public func lockoutDuration(afterLockouts lockouts: Int) -> TimeInterval {
        min(lockoutMaximum, lockoutBase * Double(1 << min(max(lockouts - 1, 0), 16)))
    }

    /// `(absolute, idle)` lifetime of a session of `tier`.
    public func lifetime(tier: Int) -> (absolute: TimeInterval, idle: TimeInterval) {
        sessionLifetimes[tier] ?? sessionLifetimes[1]!
    }
}
