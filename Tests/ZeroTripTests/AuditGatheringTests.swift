import Foundation
import Synchronization
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport

/// The audit batcher's gathering: a batch that commits while expected requests are on their way lets the next batch
/// wait for them. The writer here holds each batch until the test lets it go (a slow disk), so every step is
/// decided by the test, not by timing.
@Suite("Audit group commit: the next batch waits for expected requests on their way, and only for them")
struct AuditGatheringTests {
    /// Holds each batch the batcher hands over; ``release()`` writes the oldest to the database.
    final class HeldWriter: Sendable {
        typealias Held = (
            batch: @Sendable (SQLTransaction) throws -> [AuditEvent?], completion: @Sendable (Result<[AuditEvent?], any Error>) -> Void
        )
        let database: AppDatabase
        private let held = Mutex<[Held]>([])
        init(_ database: AppDatabase) { self.database = database }

        var write: AuditBatcher.BatchWriter { { batch, completion in self.held.withLock { $0.append((batch, completion)) } } }
        var count: Int { held.withLock { $0.count } }

        func release() {
            guard let next = held.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
                Issue.record("no batch is held")
                return
            }
            database.write(next.batch, completion: next.completion)
        }
    }

    /// A door a task waits at until the test opens it.
    final class Door: Sendable {
        private let opened = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))
        func wait() async {
            await withCheckedContinuation { continuation in
                let now = opened.withLock { state -> Bool in
                    if state.open { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }
        func open() {
            for continuation in opened.withLock({ state -> [CheckedContinuation<Void, Never>] in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }) { continuation.resume() }
        }
    }

    struct GaveUp: Error {}

    static func entry(_ name: String) -> AuditEntry {
        AuditEntry(actor: "test", action: AuditAction(rawValue: "thing.done"), target: "thing:\(name)")
    }

    /// Polls `condition` for up to 10 s; records a failure if it never holds.
    static func until(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<2_000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("never: \(what)")
        throw GaveUp()
    }

    typealias Scene = (
        batcher: AuditBatcher, writer: HeldWriter, door: Door, b: Task<AuditEvent, any Error>, x: Task<AuditEvent, any Error>,
        released: ContinuousClock.Instant
    )

    /// A batcher with a held writer (on `database`, or a new one): event `a` is being written, an expected request
    /// `x` is on its way (held at `door`) and `b` queues meanwhile; then `a`'s batch commits (at `released`).
    static func scene(
        gathering: Duration, maximumQueued: Int = AuditBatcher.defaultMaximumQueued, database: AppDatabase? = nil,
        x: @escaping @Sendable (AuditBatcher) async throws -> AuditEvent = { try await $0.append(entry("x"), at: Date()) }
    ) async throws -> Scene {
        let writer = HeldWriter(try database ?? TestDatabase.make())
        let batcher = AuditBatcher(write: writer.write, maximumQueued: maximumQueued, gathering: gathering)
        let door = Door()
        let a = Task { try await batcher.append(entry("a"), at: Date()) }
        try await until("a's batch is with the writer") { writer.count == 1 }
        let x = Task {
            try await batcher.expecting {
                await door.wait()
                return try await x(batcher)
            }
        }
        try await until("x is expected") { batcher.backlog.expected == 1 }
        let b = Task { try await batcher.append(entry("b"), at: Date()) }
        try await until("b is queued") { batcher.backlog.queued == 1 }
        let released = ContinuousClock.now
        writer.release()
        _ = try await a.value
        return (batcher, writer, door, b, x, released)
    }

    /// `b`'s batch is with the writer: it commits; then `x` arrives and its batch, alone, commits too.
    static func finish(b: Task<AuditEvent, any Error>, x: Task<AuditEvent, any Error>, _ writer: HeldWriter, door: Door) async throws {
        writer.release()
        _ = try await b.value
        door.open()
        try await until("x goes") { writer.count == 1 }
        writer.release()
        _ = try await x.value
    }

    @Test("The batch after a commit waits for an expected request and goes with it as soon as it queues its event")
    func waitsForTheExpected() async throws {
        let (batcher, writer, door, b, x, _) = try await Self.scene(gathering: .seconds(60))
        try await Self.until("the next batch gathers") { batcher.backlog.gathering }
        // b waits: nothing goes to the writer while x is on its way.
        try await Task.sleep(for: .milliseconds(100))
        #expect(writer.count == 0)
        #expect(batcher.backlog == .init(queued: 1, expected: 1, gathering: true))

        door.open()
        try await Self.until("b and x go to the writer") { writer.count == 1 }
        #expect(batcher.backlog == .init(queued: 0, expected: 0, gathering: false))
        writer.release()
        let (eventB, eventX) = (try await b.value, try await x.value)
        #expect(eventX.seq == eventB.seq + 1)
        let statistics = batcher.statistics
        #expect(statistics.batches == 2 && statistics.events == 3 && statistics.largestBatch == 2 && statistics.gathered == 1)
        #expect(try await AuditLog.verify(writer.database) == .intact(eventCount: 3, headHash: try await AuditLogTests.headHash(writer.database)))
    }

    @Test("Without gathering, the same requests take three batches: the queued event goes without the one on its way")
    func noGathering() async throws {
        let (batcher, writer, door, b, x, _) = try await Self.scene(gathering: .zero)
        try await Self.until("b goes alone") { writer.count == 1 }
        #expect(batcher.backlog == .init(queued: 0, expected: 1, gathering: false))
        try await Self.finish(b: b, x: x, writer, door: door)
        #expect(batcher.statistics.batches == 3 && batcher.statistics.largestBatch == 1 && batcher.statistics.gathered == 0)
    }

    @Test("An expected request that leaves without an event ends the wait at once; the batcher stays usable")
    func expectedGivesUp() async throws {
        let (batcher, writer, door, b, x, _) = try await Self.scene(gathering: .seconds(60)) { _ in throw ZeroTripError(.invalidInput, "not a token")
        }
        try await Self.until("the next batch gathers") { batcher.backlog.gathering }
        door.open()
        let refused = await #expect(throws: ZeroTripError.self) { try await x.value }
        #expect(refused?.code == .invalidInput)
        try await Self.until("b goes") { writer.count == 1 }
        writer.release()
        _ = try await b.value
        #expect(batcher.backlog == .init(queued: 0, expected: 0, gathering: false))
        #expect(batcher.statistics.events == 2 && batcher.statistics.gathered == 1)

        // The next request starts a batch at once, as on an idle batcher.
        let c = Task { try await batcher.append(Self.entry("c"), at: Date()) }
        try await Self.until("c goes") { writer.count == 1 }
        writer.release()
        #expect(try await c.value.seq == 3)
    }

    @Test("A request that stays on its way holds the next batch no longer than the gathering limit")
    func gatheringIsBounded() async throws {
        let (batcher, writer, door, b, x, released) = try await Self.scene(gathering: .milliseconds(50))
        try await Self.until("b goes after the limit, x still on its way") { writer.count == 1 }
        // It did wait: the batch came no sooner than the limit after the commit before it.
        #expect(ContinuousClock.now - released >= .milliseconds(50))
        #expect(batcher.backlog == .init(queued: 0, expected: 1, gathering: false))
        try await Self.finish(b: b, x: x, writer, door: door)
        #expect(batcher.statistics.batches == 3 && batcher.statistics.gathered == 1)
    }

    @Test("An event queued for another batcher does not count as this one's expected request")
    func otherBatcher() async throws {
        let database = try TestDatabase.make()
        let other = AuditBatcher(database: database, maximumQueued: 10)
        let (batcher, writer, door, b, x, _) = try await Self.scene(gathering: .seconds(60), database: database) { _ in
            try await other.append(Self.entry("x"), at: Date())
        }
        try await Self.until("the next batch gathers") { batcher.backlog.gathering }
        door.open()
        _ = try await x.value
        // x left `expecting` without queuing on `batcher`: the wait ends then, not when x queued elsewhere.
        try await Self.until("b goes") { writer.count == 1 }
        writer.release()
        _ = try await b.value
        #expect(batcher.backlog == .init(queued: 0, expected: 0, gathering: false))
    }

    @Test("A gathering batch goes at once when 512 events are queued, or when the queue is full and refuses one")
    func fullBatchGoes() async throws {
        for full in ["batch", "queue"] {
            let (batcher, writer, door, b, x, _) = try await Self.scene(
                gathering: .seconds(60), maximumQueued: full == "queue" ? 2 : AuditBatcher.defaultMaximumQueued)
            try await Self.until("the next batch gathers") { batcher.backlog.gathering }
            let more = full == "queue" ? 2 : AuditBatcher.maximumBatch - 1
            let others = (0..<more).map { index in Task { try await batcher.append(Self.entry("more \(index)"), at: Date()) } }
            try await Self.until("\(full) full: the batch goes while x is still on its way") { writer.count == 1 }
            #expect(batcher.backlog.expected == 1 && !batcher.backlog.gathering, "\(full)")
            try await Self.finish(b: b, x: x, writer, door: door)
            var refused = 0
            for other in others {
                do { _ = try await other.value } catch let error as ZeroTripError where error.code == .overloaded { refused += 1 }
            }
            // A queue of two holds b and one more; the third is refused, and that refusal sent the batch.
            #expect(refused == (full == "queue" ? 1 : 0), "\(full)")
            #expect(batcher.statistics.largestBatch == (full == "queue" ? 2 : AuditBatcher.maximumBatch), "\(full)")
        }
    }

    @Test("Inside another expecting on the same batcher a request is counted once, and settles with its event")
    func nested() async throws {
        let database = try TestDatabase.make()
        let batcher = AuditBatcher(database: database, maximumQueued: 10)
        let event = try await batcher.expecting {
            try await batcher.expecting {
                #expect(batcher.backlog.expected == 1)
                let event = try await batcher.append(Self.entry("nested"), at: Date())
                #expect(batcher.backlog.expected == 0)
                return event
            }
        }
        #expect(event.seq == 1 && batcher.backlog == .init(queued: 0, expected: 0, gathering: false))
    }
}
