public import Foundation
import Synchronization

/// Group commit for audit events that are not part of a larger change (verifications, window credit reads,
/// denials, downloads).
///
/// With WAL and `synchronous = FULL` every commit waits for one fsync, which bounds one-event transactions to a
/// few thousand a second on this class of machine. Requests hand their event to ``append(_:at:)`` and suspend; the
/// writer takes everything queued (up to ``maximumBatch``), appends it in one transaction (the hash chain is
/// sequential inside it, exactly as with single appends) and resumes every request with its stored event only
/// after the commit (the events of a batch go in with a few multi-row statements), then takes what queued
/// meanwhile. When the daemon is idle a batch is one event, so latency does not grow; under load the batch grows to
/// what arrived during the previous commit.
///
/// A transaction costs about as much CPU as a few events (its begin, commit and sync, the batch's read-ahead and
/// the hops between threads), and when the CPU is what limits the daemon, those costs decide its pace. Requests whose
/// event comes after slow work of their own (a signature check) say so with ``expecting(_:)``: when a batch
/// commits while some of them are still on their way, the next batch waits for them, for about ``defaultGathering``,
/// instead of going with the one or two events queued meanwhile. It never waits for a request that is not coming:
/// an idle batcher starts at once, and the wait ends as soon as every expected request has queued its event or
/// given up.
public final class AuditBatcher: Sendable {
    /// Events written per transaction at most.
    public static let maximumBatch = 512
    /// How long a batch waits at most for expected requests still on their way (``expecting(_:)``), give or take the
    /// timer's slack (Dispatch may fire a 1 ms timer up to a millisecond late).
    public static let defaultGathering: Duration = .milliseconds(1)
    /// Events waiting at most (about a second of the disk's pace under load); beyond it requests are refused with
    /// `overloaded` (503 with `Retry-After`) instead of queueing without bound while the disk falls behind.
    public static let defaultMaximumQueued = 8_192

    /// What the batcher has done since start (for `/metrics` and `zerotrip bench http`).
    public struct Statistics: Sendable, Hashable, Codable {
        /// Transactions committed.
        public var batches = 0
        /// Events committed.
        public var events = 0
        /// The largest batch.
        public var largestBatch = 0
        /// Requests refused because ``defaultMaximumQueued`` events were already waiting.
        public var refused = 0
        /// Batches that waited for expected requests on their way before they began (``expecting(_:)``).
        public var gathered = 0
        /// Upper bounds of the batch-size histogram's buckets (events per transaction).
        public static let batchSizeBounds = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        /// Transactions by their number of events: at or under each of ``batchSizeBounds`` (not cumulative).
        public var batchSizes = [Int](repeating: 0, count: batchSizeBounds.count)
        /// Average events per transaction.
        public var averageBatch: Double { batches == 0 ? 0 : Double(events) / Double(batches) }
    }

    /// One queued request: `produce` runs inside the batch's transaction and returns the entry to append (nil when
    /// the request's own read failed: it then gets its error and adds nothing); `complete` runs after the commit.
    private struct Pending: Sendable {
        var date: Date
        var lookup: Lookup? = nil
        var produce: @Sendable (SQLTransaction) -> AuditEntry?
        var complete: @Sendable (Result<AuditEvent?, any Error>) -> Void
    }

    /// A row an audited read will look up: the batch reads those of all its requests in one statement before the
    /// reads run (``audited(at:severalStatements:lookup:_:)``).
    package enum Lookup: Hashable, Sendable {
        /// A document's register entry.
        case document(id: String)
        /// A document's register entry and the first log leaf of its issuance, with that leaf's block (for its
        /// inclusion proof, when the log does not hold it in memory).
        case documentAndIssuanceLeaf(id: String)
        /// The registry person with this ID-number hash and their credit events (a window credit read).
        case creditPerson(lookup: Data)

        var documentID: String? {
            switch self {
            case .document(let id), .documentAndIssuanceLeaf(let id): id
            case .creditPerson: nil
            }
        }
    }

    /// What an audited read computed, handed from the writer's transaction to the waiting request.
    private final class Outcome<T: Sendable>: @unchecked Sendable {
        // Written inside the transaction, read after the commit: never at the same time.
        var value: Result<T, any Error>?
    }

    private struct State: Sendable {
        var queue: [Pending] = []
        /// A batch is being written, or the next one is gathering: whoever queues an event leaves the writing to it.
        var draining = false
        /// Requests inside ``expecting(_:)`` that have not queued their event yet.
        var expected = 0
        /// The next batch waits for expected requests (``gatheringRound`` names the wait, so a timer of an ended
        /// wait does nothing).
        var gathering = false
        var gatheringRound: UInt64 = 0
        var statistics = Statistics()

        /// Ends the next batch's wait if it is waiting and `condition` holds; true when the caller must now start it.
        mutating func endGathering(when condition: Bool = true) -> Bool {
            guard gathering, condition else { return false }
            gathering = false
            return true
        }
    }

    /// What ``drainNext(mayGather:)`` does next.
    private enum Next {
        case idle
        case gather(round: UInt64, for: DispatchTimeInterval)
        case batch([Pending])
    }

    /// A request inside ``expecting(_:)``: counted once, either when it queues its event or when it leaves without.
    private final class Expectation: Sendable {
        let batcher: ObjectIdentifier
        private let open = Atomic<Bool>(true)
        init(_ batcher: AuditBatcher) { self.batcher = ObjectIdentifier(batcher) }
        /// True the first time only.
        func settle() -> Bool { open.exchange(false, ordering: .acquiringAndReleasing) }
        /// Not settled yet.
        var isOpen: Bool { open.load(ordering: .acquiring) }
    }

    @TaskLocal private static var expectation: Expectation?

    /// Runs one batch in a write transaction of the database the batcher belongs to and hands the outcome to
    /// `completion` on the writer's thread, right after the commit (``AppDatabase/write(_:completion:)``).
    typealias BatchWriter =
        @Sendable (
            _ batch: @escaping @Sendable (SQLTransaction) throws -> [AuditEvent?],
            _ completion: @escaping @Sendable (Result<[AuditEvent?], any Error>) -> Void
        ) -> Void

    /// Runs a read in a read transaction of the same database (a snapshot apart from the writer).
    typealias ReadRunner = @Sendable (_ severalStatements: Bool, _ read: @escaping @Sendable (SQLTransaction) throws -> Void) async throws -> Void

    private let write: BatchWriter
    private let readApart: ReadRunner?
    private let state = Mutex(State())
    private let maximumQueued: Int
    /// The gathering limit as Dispatch takes it; nil when batches never wait.
    private let gatheringDelay: DispatchTimeInterval?

    /// `readApart`: where audited reads run. Nil runs them inside the batch's write transaction (SQLite: the
    /// writer is local and a statement costs microseconds, so answer and event come from one snapshot in one trip);
    /// given, each read runs on its own read connection first and only the event waits for the batch (PostgreSQL:
    /// every statement is a round trip, and the writer is shared by every daemon, so it should do nothing but append).
    init(
        write: @escaping BatchWriter, readApart: ReadRunner? = nil, maximumQueued: Int = defaultMaximumQueued,
        gathering: Duration = defaultGathering
    ) {
        self.write = write
        self.readApart = readApart
        self.maximumQueued = maximumQueued
        let (seconds, attoseconds) = gathering.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        self.gatheringDelay = nanoseconds > 0 ? .nanoseconds(nanoseconds) : nil
    }

    /// A second batcher on `database` (tests of the queue bound; the daemon uses ``AppDatabase/audit``).
    package convenience init(database: AppDatabase, maximumQueued: Int, gathering: Duration = defaultGathering) {
        self.init(write: { batch, completion in database.write(batch, completion: completion) }, maximumQueued: maximumQueued, gathering: gathering)
    }

    /// The counters so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// What waits right now: events queued for the next batch, expected requests on their way, and whether the next
    /// batch is waiting for them.
    package struct Backlog: Sendable, Hashable {
        package var queued: Int
        package var expected: Int
        package var gathering: Bool
    }

    /// What waits right now.
    package var backlog: Backlog { state.withLock { Backlog(queued: $0.queue.count, expected: $0.expected, gathering: $0.gathering) } }

    /// Runs `body`, a request that will append an audit event (``append(_:at:)`` or ``audited(at:severalStatements:lookup:_:)``
    /// on this batcher) after slow work of its own, and counts it as on its way until it does, or until `body`
    /// returns without (an error, nothing to audit). A batch that commits meanwhile lets the next one wait for it.
    ///
    /// The event must be appended by `body`'s own task (not a detached task or a callback), or the request would be
    /// counted as on its way while its event waits: each batch would then wait its full limit. Inside another
    /// `expecting` on this batcher, `body` just runs: the request is counted once.
    package func expecting<T>(_ body: () async throws -> T) async rethrows -> T {
        if let outer = Self.expectation, outer.batcher == ObjectIdentifier(self), outer.isOpen { return try await body() }
        let expectation = Expectation(self)
        state.withLock { $0.expected += 1 }
        defer { if expectation.settle() { expectationEnded() } }
        return try await Self.$expectation.withValue(expectation) { try await body() }
    }

    /// An expected request left without queuing an event: if the next batch waits for nobody else, it goes now.
    private func expectationEnded() {
        let start = state.withLock { state -> Bool in
            state.expected -= 1
            return state.endGathering(when: state.expected == 0)
        }
        if start { drainNext(mayGather: false) }
    }

    /// Appends `entry` at `date` and returns once the transaction holding it has committed.
    @discardableResult
    public func append(_ entry: AuditEntry, at date: Date) async throws -> AuditEvent {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<AuditEvent, any Error>) in
            enqueue(
                Pending(
                    date: date, produce: { _ in entry },
                    complete: { result in
                        continuation.resume(with: result.map { $0! })
                    }))
        }
    }

    /// Runs `read` inside the next batch's transaction and appends the audit entry it returns in that same
    /// transaction; returns its value once that transaction has committed.
    ///
    /// For audited answers computed from the database (a verification, a window's credit read): the answer and its
    /// audit event come from one snapshot and cost one trip to the writer instead of a read and then an append.
    /// `read` must only read; it runs on the writer's queue, so it must be short. When it throws, the request gets
    /// that error and nothing is appended for it; a failed commit fails every request of the batch.
    ///
    /// `severalStatements`: `read` always runs more than one statement, so where reads first try a lone statement
    /// (PostgreSQL, ``AppDatabase/read(severalStatements:_:)``) it starts in its snapshot at once.
    ///
    /// `lookup`: the one row `read` looks up first (and the log leaf it needs, if any). The read then runs inside the
    /// batch's transaction on every engine, with those rows read for the whole batch at once, so on PostgreSQL a batch
    /// of verifications costs two statements more than its appends, not one or two each.
    func audited<T: Sendable>(
        at date: Date, severalStatements: Bool = false, lookup: Lookup? = nil,
        _ read: @escaping @Sendable (SQLTransaction) throws -> (T, AuditEntry)
    ) async throws -> T {
        if let readApart, lookup == nil {
            let answer = Outcome<(T, AuditEntry)>()
            try await readApart(severalStatements) { db in answer.value = .success(try read(db)) }
            guard let (value, entry) = try answer.value?.get() else {
                throw ZeroTripError(.storageFailure, "the audited read did not run")
            }
            try await append(entry, at: date)
            return value
        }
        let outcome = Outcome<T>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue(
                Pending(
                    date: date, lookup: lookup,
                    produce: { db in
                        do {
                            let (value, entry) = try read(db)
                            outcome.value = .success(value)
                            return entry
                        } catch {
                            outcome.value = .failure(error)
                            return nil
                        }
                    },
                    complete: { result in
                        switch result {
                        case .success:
                            continuation.resume(with: outcome.value ?? .failure(ZeroTripError(.storageFailure, "the audited read did not run")))
                        case .failure(let error): continuation.resume(throwing: error)
                        }
                    }))
        }
    }

    private func enqueue(_ pending: Pending) {
        // Runs in the request's task (inside `withCheckedThrowingContinuation`), so its expectation is readable here.
        let arrived = Self.expectation.map { $0.batcher == ObjectIdentifier(self) && $0.settle() } ?? false
        let (accepted, startDrain) = state.withLock { state -> (Bool, Bool) in
            if arrived { state.expected -= 1 }
            guard state.queue.count < maximumQueued else {
                // Full: a gathering batch goes now rather than refuse what arrives until its limit.
                state.statistics.refused += 1
                return (false, state.endGathering())
            }
            state.queue.append(pending)
            if !state.draining {
                state.draining = true
                return (true, true)
            }
            return (true, state.endGathering(when: state.expected == 0 || state.queue.count >= Self.maximumBatch))
        }
        if !accepted {
            pending.complete(.failure(ZeroTripError(.overloaded, "too many audited requests are waiting for the disk; try again shortly")))
        }
        if startDrain { drainNext(mayGather: false) }
    }

    /// Writes the next batch, if anything is queued; otherwise marks the batcher idle. Called by the request that
    /// finds it idle, then by each batch's completion on the writer's thread, so the writer goes on to the next batch
    /// at once instead of waiting for a cooperative thread (under load those are busy with the requests, and the
    /// writer would sit idle meanwhile).
    ///
    /// `mayGather` (after a batch): while expected requests are on their way, the next batch waits for them instead,
    /// until the last of them queues its event or gives up, the queue holds ``maximumBatch`` events, or
    /// the gathering limit has passed.
    private func drainNext(mayGather: Bool) {
        let next = state.withLock { state -> Next in
            guard !state.queue.isEmpty else {
                state.draining = false
                return .idle
            }
            if mayGather, let gatheringDelay, state.expected > 0, state.queue.count < Self.maximumBatch {
                state.gathering = true
                state.gatheringRound &+= 1
                state.statistics.gathered += 1
                return .gather(round: state.gatheringRound, for: gatheringDelay)
            }
            let count = min(state.queue.count, Self.maximumBatch)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return .batch(batch)
        }
        let batch: [Pending]
        switch next {
        case .idle: return
        case .gather(let round, let delay):
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
                if state.withLock({ $0.endGathering(when: $0.gatheringRound == round) }) { drainNext(mayGather: false) }
            }
            return
        case .batch(let taken): batch = taken
        }
        write(
            { db in
                var entries: [(entry: AuditEntry, date: Date)] = []
                var owners: [Int] = []
                let documents = batch.compactMap { $0.lookup?.documentID }
                let issuances = batch.compactMap { pending -> String? in
                    guard case .documentAndIssuanceLeaf(let id) = pending.lookup else { return nil }
                    return TransparencyLog.documentReference(id)
                }
                let persons = batch.compactMap { pending -> Data? in
                    guard case .creditPerson(let lookup) = pending.lookup else { return nil }
                    return lookup
                }
                try DocumentRegister.readingAhead(ids: documents, in: db) {
                    try TransparencyLog.readingAhead(refs: issuances, kind: LogEntryKind.documentIssued, in: db) {
                        try PersonStore.readingAhead(lookups: persons, in: db) { found in
                            try CreditLedger.readingAhead(subjects: found.map { SubjectID.person($0.id).rawValue }, in: db) {
                                for (index, pending) in batch.enumerated() {
                                    guard let entry = pending.produce(db) else { continue }
                                    entries.append((entry, pending.date))
                                    owners.append(index)
                                }
                            }
                        }
                    }
                }
                var events = [AuditEvent?](repeating: nil, count: batch.count)
                for (event, index) in zip(try AuditLog.append(entries, in: db, alone: true), owners) { events[index] = event }
                return events
            },
            { [self] result in
                switch result {
                case .success(let events):
                    record(events.count { $0 != nil })
                    for (pending, event) in zip(batch, events) { pending.complete(.success(event)) }
                case .failure(let error):
                    // A batch fails as a whole (say, the disk filled up); each request gets the error, as with its own
                    // transaction.
                    for pending in batch { pending.complete(.failure(error)) }
                }
                drainNext(mayGather: true)
            })
    }

    private func record(_ count: Int) {
        state.withLock { state in
            state.statistics.batches += 1
            state.statistics.events += count
            state.statistics.largestBatch = max(state.statistics.largestBatch, count)
            let bucket = Statistics.batchSizeBounds.firstIndex { count <= $0 } ?? Statistics.batchSizeBounds.count - 1
            state.statistics.batchSizes[bucket] += 1
        }
    }
}
