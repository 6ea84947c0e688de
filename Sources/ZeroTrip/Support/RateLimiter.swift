import Foundation
import Synchronization

/// Per-client token buckets: each key may make `burst` requests at once and `perMinute` on average.
/// Bounded: when the table is full, idle buckets (full again) are dropped first.
public final class RateLimiter: Sendable {
    /// Average requests per minute.
    public let perMinute: Double
    /// Bucket size.
    public let burst: Double
    let clock: ZeroTripClock
    static let capacity = 100_000
    private let buckets = Mutex<[String: (tokens: Double, updated: Date)]>([:])

    /// A limiter allowing `perMinute` requests per minute with bursts of `burst`.
    public init(perMinute: Int, burst: Int, clock: ZeroTripClock = .system) {
        self.perMinute = Double(max(1, perMinute))
        self.burst = Double(max(1, burst))
        self.clock = clock
    }

    /// Takes one token for `key`; `false` when the client must wait.
    public func allow(_ key: String) -> Bool {
        secondsToWait(key) == nil
    }

    /// Takes one token for `key` and returns nil, or, when the bucket is empty, the whole seconds until the next
    /// token (for `Retry-After`).
    public func secondsToWait(_ key: String) -> Int? {
        let now = clock.now()
        return buckets.withLock { buckets -> Int? in
            if buckets.count >= Self.capacity, buckets[key] == nil {
                buckets = buckets.filter { min(burst, $0.value.tokens + now.timeIntervalSince($0.value.updated) * perMinute / 60) < burst }
                if buckets.count >= Self.capacity { buckets.removeAll(keepingCapacity: true) }
            }
            let current = buckets[key] ?? (burst, now)
            let tokens = min(burst, current.tokens + max(0, now.timeIntervalSince(current.updated)) * perMinute / 60)
            guard tokens >= 1 else {
                buckets[key] = (tokens, now)
                return max(1, Int(((1 - tokens) * 60 / perMinute).rounded(.up)))
            }
            buckets[key] = (tokens - 1, now)
            return nil
        }
    }
}
