import Foundation
public import ServiceLifecycle
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

    private let path: String
    private let configuration: Configuration
    private var started = false

    /// Prepares the executor; its threads start, each opening a read-only connection to the database at `path`,
    /// at the first read (a CLI command that never reads costs no threads).
    init(path: String, configuration base: Configuration) {
        var configuration = base
        configuration.readonly = true
        configuration.label = "ZeroTrip.reader"
        self.path = path
        self.configuration = configuration
    }

    /// Starts the threads; called with `condition` held.
    private func startThreads() {
        started = true
        for index in 0..<Self.threadCount {
            let thread = Thread { [self] in
                nameCurrentThread("zt-read-\(index)")
                do {
                    serve(try DatabaseQueue(path: path, configuration: configuration))
                } catch {
                    failAll(ZeroTripError(.storageFailure, "the database cannot be opened for reading"))
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// A reader that could not open its connection fails what is queued, and later reads, until stopped.
    private func failAll(_ error: ZeroTripError) {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            let jobs = queue
            queue.removeAll()
            let done = stopped && jobs.isEmpty
            condition.unlock()
            for job in jobs { job.fail(error) }
            if done { return }
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
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                run: { db in continuation.resume(with: Result { try body(SQLTransaction(sqlite: db)) }) },
                fail: { error in continuation.resume(throwing: error) })
            condition.lock()
            guard !stopped else {
                condition.unlock()
                job.fail(ZeroTripError(.storageFailure, "the database is closed"))
                return
            }
            if !started { startThreads() }
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
                let failure =
                    (error as? DatabaseError).map {
                        AppDatabase.isBusy($0) ? AppDatabase.busyError : ZeroTripError(.storageFailure, "reading the database failed")
                    }
                    ?? ZeroTripError(.storageFailure, "reading the database failed")
                for job in batch[next...] { job.fail(failure) }
            }
        }
    }
}

/// Copies the write-ahead log into the database file on a connection and thread of its own, four times a second.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages: under steady audit writes
/// every few seconds one commit (and every request waiting on that group commit) also waited for a few megabytes
/// to be copied and synced, the p99 spikes of the audited routes. With the automatic checkpoint off on the writer,
/// a passive checkpoint here never blocks the writer or the readers.
///
/// A passive checkpoint alone never lets the WAL start again under steady load: SQLite rewinds the log only when no
/// reader is still reading frames of it, and with requests arriving all the time some reader always is. The WAL then
/// grew by every commit — 50 MB a second under 7,500 audited verifications a second, without end — and each new block
/// of it cost the kernel a zeroed page. So once the log is longer than ``restartFrames`` the checkpoint here is a
/// RESTART: it holds the writer lock while it copies what the passive checkpoint left and waits for the readers of
/// older frames to finish (milliseconds: new readers then read the database file), after which the next commit
/// writes from the log's beginning again, over blocks already allocated. It waits for readers at most
/// ``restartPatience`` and, when readers make it give up, tries again after ``firstRestartBackoff``, then after twice
/// as long each time it gives up in a row, at most ``restartBackoff``: a long reader (a backup, a scoring page) costs
/// the writer a few waits of ``restartPatience`` at its start and then one every ``restartBackoff``, while a give-up
/// under merely busy short readers costs a tenth of a second of log growth, not half a second (tens of megabytes
/// under steady commits). `journal_size_limit` (set on every connection) trims what a burst left behind.
final class WALCheckpointer: @unchecked Sendable {
    /// WAL length (frames of one page) beyond which a checkpoint also rewinds the log: 16 MiB of 4 KiB pages.
    static let restartFrames = 4096
    /// Longest a RESTART waits for readers (and so holds writers off) before it gives up.
    static let restartPatience: TimeInterval = 0.05
    /// Pause after a RESTART that gave up, before the next one: the first time in a row.
    static let firstRestartBackoff: TimeInterval = 0.1
    /// Longest pause after RESTARTs that gave up in a row.
    static let restartBackoff: TimeInterval = 0.5
    private let condition = NSCondition()
    // Guarded by `condition` (the reason for @unchecked Sendable).
    private var stopped = false

    /// Stops the thread when released.
    final class Lifetime: Sendable {
        let checkpointer: WALCheckpointer
        init(_ checkpointer: WALCheckpointer) { self.checkpointer = checkpointer }
        deinit { checkpointer.stop() }
    }

    init(pool: DatabasePool, interval: TimeInterval = 0.1) throws {
        var configuration = pool.configuration
        configuration.label = "ZeroTrip.checkpoint"
        let tries = Int(Self.restartPatience / 0.0002)
        configuration.busyMode = .callback { attempt in
            usleep(200)
            return attempt < tries
        }
        let connection = try DatabaseQueue(path: pool.path, configuration: configuration)
        let thread = Thread { [self] in
            nameCurrentThread("zt-checkpoint")
            var nextRestart = Date.distantPast
            var backoff = Self.firstRestartBackoff
            var pause = interval / 4
            while true {
                condition.lock()
                if !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: pause)) }
                let done = stopped
                condition.unlock()
                if done { return }
                // A failed or partial checkpoint is tried again at the next tick; readers never wait for it.
                let frames = try? connection.writeWithoutTransaction { db in
                    try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)").map { $0[1] as Int } ?? 0
                }
                if let frames, frames > Self.restartFrames, Date() >= nextRestart {
                    let rewound = (try? connection.writeWithoutTransaction { db in try db.checkpoint(.restart) }) != nil
                    if rewound {
                        backoff = Self.firstRestartBackoff
                    } else {
                        nextRestart = Date().addingTimeInterval(backoff)
                        backoff = min(backoff * 2, Self.restartBackoff)
                    }
                }
                // Under a steady stream of commits the next look comes sooner: on a disk that syncs in a fraction of
                // a millisecond, a tenth of a second of commits is already megabytes of log (the file keeps the
                // length it once reached, up to `journal_size_limit`). The first look comes soon too.
                pause = (frames ?? 0) > Self.restartFrames / 4 ? interval / 4 : interval
            }
        }
        thread.start()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }
}

/// The daemon's background checkpoints as a service of its ServiceGroup: started with the daemon, stopped (the
/// writer checkpointing automatically again) at graceful shutdown.
public struct CheckpointService: Service {
    let database: AppDatabase

    /// Checkpoints of `database`.
    public init(database: AppDatabase) {
        self.database = database
    }

    public func run() async throws {
        try await database.startBackgroundCheckpoints()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        }
        try await database.stopBackgroundCheckpoints()
    }
}
