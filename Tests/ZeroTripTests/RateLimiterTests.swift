import Foundation
import Testing
@testable import ZeroTrip

@Suite("Per-client rate limiter")
struct RateLimiterTests {
    @Test("A burst is allowed, then one request per refill interval; clients are independent")
    func tokenBucket() {
        let clock = TestClock()
        let limiter = RateLimiter(perMinute: 30, burst: 10, clock: ZeroTripClock { clock.now })
        #expect((0..<10).allSatisfy { _ in limiter.allow("a") })
        #expect(!limiter.allow("a"))
        #expect(limiter.allow("b"))
        clock.advance(by: 2)  // 30 per minute: one token every 2 s
        #expect(limiter.allow("a"))
        #expect(!limiter.allow("a"))
        clock.advance(by: 600)
        #expect((0..<10).allSatisfy { _ in limiter.allow("a") }, "refills to the burst size, not beyond")
        #expect(!limiter.allow("a"))
    }
}
