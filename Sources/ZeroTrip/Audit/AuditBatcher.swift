public import Foundation
import GRDB
import Synchronization

/// Group commit for audit events that are not part of a larger change (verifications, window credit reads,
/// denials, downloads).
///
/// With WAL and `synchronous = FULL` every commit waits for one fsync, which bounds one-event transactions to a
/// few thousand a second on this class of machine. Requests hand their event to ``append(_:at:)`` and suspend; one
/// drain task takes everything queued (up to ``maximumBatch``), appends it in one transaction (the hash chain is
/// sequential inside it, exactly as with single appends) and resumes every request with its stored event only
/// after the commit. When the daemon is idle a batch is one event, so latency does not grow; under load the batch
/// grows to what arrived during the previous commit.
public final class AuditBatcher: Sendable {
    /// Events written per transaction at most.
    public static let maximumBatch = 512

    /// What the batcher has done since start (for `/metrics` and `zerotrip bench http`).
    public struct Statistics: Sendable, Hashable, Codable {
        /// Transactions committed.
        public var batches = 0
        /// Events committed.
        public var events = 0
        /// The largest batch.
        public var largestBatch = 0
        /// Average events per transaction.
        public var averageBatch: Double { batches == 0 ? 0 : Double(events) / Double(batches) }
    }

    private struct Pending: Sendable {
        var entry: AuditEntry
        var date: Date
        var continuation: CheckedContinuation<AuditEvent, any Error>
    }

    private struct State: Sendable {
        var queue: [Pending] = []
        var draining = false
        var statistics = Statistics()
    }

    private let writer: any DatabaseWriter
    private let state = Mutex(State())

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// The counters so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Appends `entry` at `date` and returns once the transaction holding it has committed.
    @discardableResult
    public func append(_ entry: AuditEntry, at date: Date) async throws -> AuditEvent {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = state.withLock { state -> Bool in
                state.queue.append(Pending(entry: entry, date: date, continuation: continuation))
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startDrain { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                guard !state.queue.isEmpty else {
                    state.draining = false
                    return []
                }
                let count = min(state.queue.count, Self.maximumBatch)
                let batch = Array(state.queue.prefix(count))
                state.queue.removeFirst(count)
                return batch
            }
            if batch.isEmpty { return }
            let entries = batch.map { ($0.entry, $0.date) }
            do {
                let events = try await writer.write { db in try entries.map { try AuditLog.append($0.0, at: $0.1, in: db) } }
                record(events.count)
                for (pending, event) in zip(batch, events) { pending.continuation.resume(returning: event) }
            } catch {
                // A batch fails as a whole (say, the disk filled up); each request gets the error, as with its own transaction.
                let failure = (error as? DatabaseError).map { AppDatabase.isBusy($0) } == true ? AppDatabase.busyError : error
                for pending in batch { pending.continuation.resume(throwing: failure) }
            }
        }
    }

    private func record(_ count: Int) {
        state.withLock { state in
            state.statistics.batches += 1
            state.statistics.events += count
            state.statistics.largestBatch = max(state.statistics.largestBatch, count)
        }
    }
}
