import Foundation
import Synchronization
import Testing
@testable import ZeroTrip

@Suite("The freshness cache serves a value for its lifetime after the read began, then reads again")
struct FreshnessCacheTests {
    /// A monotonic time the test moves.
    final class ManualTime: Sendable {
        let offset = Mutex<Duration>(.zero)
        let start = ContinuousClock.now
        var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
        func advance(_ by: Duration) { offset.withLock { $0 += by } }
    }

    @Test("Fresh within the lifetime counted from when the read began; stale at the lifetime; removed at once on a local change")
    func lifetime() {
        let time = ManualTime()
        let cache = FreshnessCache<String, Int>(lifetime: .seconds(1), capacity: 8, now: { time.now })
        let readAt = cache.now()
        time.advance(.milliseconds(300))  // the read took this long
        cache.store(7, for: "k", readAt: readAt)
        #expect(cache.value(for: "k") == 7)
        time.advance(.milliseconds(699))
        #expect(cache.value(for: "k") == 7, "999 ms after the read began")
        time.advance(.milliseconds(1))
        #expect(cache.value(for: "k") == nil, "a full second after the read began: another process's change may be due")
        cache.store(8, for: "k", readAt: cache.now())
        cache.remove("k")
        #expect(cache.value(for: "k") == nil)
    }

    @Test("Without a lifetime a value never goes stale; a full map is emptied rather than evicted one by one")
    func capacity() {
        let time = ManualTime()
        let cache = FreshnessCache<Int, Int>(lifetime: nil, capacity: 3, now: { time.now })
        for key in 0..<3 { cache.store(key, for: key, readAt: cache.now()) }
        time.advance(.seconds(86_400))
        #expect(cache.value(for: 2) == 2)
        cache.store(3, for: 3, readAt: cache.now())
        #expect(cache.value(for: 0) == nil && cache.value(for: 3) == 3)
        cache.store(30, for: 3, readAt: cache.now())
        #expect(cache.value(for: 3) == 30, "replacing a held key does not empty the map")
    }
}
