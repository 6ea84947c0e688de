import Foundation
import Synchronization
import Testing
@testable import ZeroTrip

/// The shared refresh behind the one-second caches: callers that arrive while a refresh runs get its value; a
/// different key, or a call after it ended, runs a new one.
@Suite("SingleFlight: one refresh for callers that arrive together")
struct SingleFlightTests {
    final class Runs: Sendable {
        let count = Atomic<Int>(0)
        /// Callers about to ask (each then joins, or starts, a run without waiting for anything else).
        let entered = Atomic<Int>(0)

        /// Waits until `callers` are about to ask and a run has started, and a little longer so that every caller
        /// has joined.
        func awaitCallers(_ callers: Int) async throws {
            while entered.load(ordering: .relaxed) < callers || count.load(ordering: .relaxed) == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    struct Refused: Error {}

    /// A refresh that counts its runs and finishes only once `release` is signalled.
    static func refresh(_ runs: Runs, value: Int, release: AsyncStream<Void>, fail: Bool = false) -> @Sendable () async throws -> Int {
        {
            runs.count.add(1, ordering: .relaxed)
            for await _ in release { break }
            if fail { throw Refused() }
            return value
        }
    }

    /// Runs `callers` calls of `call` together: once every caller is about to ask and a run has started, releases
    /// one run per caller (so a caller that did start a run of its own shows in the count instead of hanging), and
    /// returns each call's value, or nil when it threw ``Refused``.
    static func together(
        _ callers: Int, runs: Runs, releaser: AsyncStream<Void>.Continuation,
        _ call: @escaping @Sendable () async throws -> Int
    ) async throws -> [Int?] {
        try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    runs.entered.add(1, ordering: .relaxed)
                    do { return try await call() } catch is Refused { return nil }
                }
            }
            try await runs.awaitCallers(callers)
            for _ in 0..<callers { releaser.yield() }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test("Twenty callers of one key while a refresh runs share it: one run, every caller gets its value")
    func callersShareOneRun() async throws {
        let flight = SingleFlight<Int, Int>()
        let runs = Runs()
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let values = try await Self.together(20, runs: runs, releaser: releaser) {
            try await flight.value(for: 1, Self.refresh(runs, value: 42, release: release))
        }
        #expect(values == Array(repeating: 42, count: 20))
        #expect(runs.count.load(ordering: .relaxed) == 1)
    }

    @Test("A caller with another key starts its own run; a call after a run ended starts a new one")
    func otherKeyAndLaterCallsRunAgain() async throws {
        let flight = SingleFlight<Int, Int>()
        let runs = Runs()
        let (release, releaser) = AsyncStream<Void>.makeStream()
        releaser.yield()
        releaser.yield()
        releaser.yield()
        #expect(try await flight.value(for: 1, Self.refresh(runs, value: 1, release: release)) == 1)
        #expect(try await flight.value(for: 1, Self.refresh(runs, value: 2, release: release)) == 2)
        #expect(try await flight.value(for: 2, Self.refresh(runs, value: 3, release: release)) == 3)
        #expect(runs.count.load(ordering: .relaxed) == 3)
    }

    @Test("A refresh that fails fails every caller that joined it, and the next call runs again")
    func failureReachesEveryCaller() async throws {
        let flight = SingleFlight<Int, Int>()
        let runs = Runs()
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let values = try await Self.together(5, runs: runs, releaser: releaser) {
            try await flight.value(for: 1, Self.refresh(runs, value: 0, release: release, fail: true))
        }
        let failures = values.filter { $0 == nil }.count
        #expect(failures == 5)
        #expect(runs.count.load(ordering: .relaxed) == 1)
        releaser.yield()
        #expect(try await flight.value(for: 1, Self.refresh(runs, value: 7, release: release)) == 7)
    }
}
