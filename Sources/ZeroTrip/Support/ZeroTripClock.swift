public import struct Foundation.Date

/// The source of "now" for the domain, passed in so tests can move time.
public struct ZeroTripClock: Sendable {
    /// Returns the current time.
    public let now: @Sendable () -> Date

    /// A clock reading `now`.
    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    /// The system wall clock.
    public static let system = ZeroTripClock { Date() }
}
