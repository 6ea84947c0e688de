import Foundation
import GRDB

/// Runs the read transactions of async callers on threads of its own, several callers per transaction.
///
/// Why not GRDB's async `DatabasePool.read`: each call hops three times (to the pool's semaphore queue, to the
/// reader connection's queue, back to the caller's executor) and waits on a semaphore that 64 concurrent requests
/// keep contended; on two cores those thread switches cost more than the reads. Here a caller enqueues its closure
/// and suspends; a reader thread takes every queued closure (up to ``maximumBatch``), runs them one after another
/// in one read transaction on its own read-only connection, and resumes each caller with its result.
///
/// A batch's snapshot begins after every closure in it was enqueued, so a caller always sees what was committed
/// before it asked (its own earlier writes included). Closures run on these threads, never on Swift's cooperative
/// pool, so a slow read blocks only its reader thread; ``threadCount`` threads keep long reads (an audit chain
/// check) from holding up the rest. The threads hold the executor; ``Lifetime`` stops them when the last
/// ``AppDatabase`` copy using it is gone.
final class ReadExecutor: @unchecked Sendable {
    /// Stops the executor's threads when released.
    final class Lifetime: Sendable {
        let executor: ReadExecutor
        init(_ executor: ReadExecutor) { self.executor = executor }
        deinit { executor.stop() }
    }

    /// Closures run in one transaction at most.
    static let maximumBatch = 64
    /// Reader threads (and read-only connections).
    static let threadCount = 4

    private final class Job {
        let run: (Database) -> Void
        let fail: (any Error) -> Void
        init(run: @escaping (Database) -> Void, fail: @escaping (any Error) -> Void) {
            self.run = run
            self.fail = fail
        }
    }

    // State guarded by `condition` (the reason for @unchecked Sendable).
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopped = false
    private var running = 0

    /// Opens ``threadCount`` read-only connections to the database at `path` (prepared by `prepare`) and starts
    /// their threads.
    init(path: String, configuration base: Configuration) throws {
        var configuration = base
        configuration.readonly = true
        configuration.label = "ZeroTrip.reader"
        let connections = try (0..<Self.threadCount).map { _ in try DatabaseQueue(path: path, configuration: configuration) }
        running = connections.count
        for (index, connection) in connections.enumerated() {
            let thread = Thread { [self] in self.serve(connection) }
            thread.name = "zerotrip-read-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Stops the threads once the queued reads have run (the database is closing).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `body` in a read transaction on a reader thread and returns its result.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(run: { db in continuation.resume(with: Result { try body(db) }) },
                          fail: { error in continuation.resume(throwing: error) })
            condition.lock()
            guard !stopped else {
                condition.unlock()
                job.fail(ZeroTripError(.storageFailure, "the database is closed"))
                return
            }
            queue.append(job)
            condition.signal()
            condition.unlock()
        }
    }

    private func serve(_ connection: DatabaseQueue) {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty {
                running -= 1
                condition.unlock()
                return
            }
            let count = min(queue.count, Self.maximumBatch)
            let batch = Array(queue.prefix(count))
            queue.removeFirst(count)
            // More waiting than this thread takes: wake another reader for the rest.
            if !queue.isEmpty { condition.signal() }
            condition.unlock()

            var next = 0
            do {
                try connection.inDatabase { db in
                    try db.inTransaction(.deferred) {
                        while next < batch.count {
                            let job = batch[next]
                            next += 1
                            job.run(db)
                        }
                        return .commit
                    }
                }
            } catch {
                let failure = (error as? DatabaseError).map { AppDatabase.isBusy($0) ? AppDatabase.busyError : ZeroTripError(.storageFailure, "reading the database failed") }
                    ?? ZeroTripError(.storageFailure, "reading the database failed")
                for job in batch[next...] { job.fail(failure) }
            }
        }
    }
}
