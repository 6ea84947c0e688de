import Foundation
public import ServiceLifecycle
public import Logging
import Synchronization

/// Audit for anonymous, repetitive traffic: public verification page views, requests without a valid credential or
/// session, rate-limited attempts.
///
/// Recording one row per anonymous hit would let anyone grow the audit log without bound (150 hits → 150 rows).
/// Instead each distinct event (actor, action, target, outcome, details) is counted in memory and written once per
/// window (a minute by default) as one audit event with `count`, `window_start` and `window_end` in its details.
/// Memory is bounded: past ``capacity`` distinct keys in one window, further hits are counted under a single
/// `audit.overflow` event, so a flood of made-up numbers costs one row per window. Department and applicant
/// verifications are not aggregated; they stay audited one by one.
public final class AuditAggregator: Sendable {
    /// Distinct events kept per window.
    public static let capacity = 10_000

    private struct Key: Hashable, Sendable {
        var actor: String
        var action: String
        var target: String
        var outcome: String
        var details: [String: String]
    }

    private struct Window: Sendable {
        var start: Date?
        var counts: [Key: Int] = [:]
        var overflow = 0
    }

    private let window = Mutex(Window())
    private let clock: ZeroTripClock

    /// An aggregator whose windows are timed by `clock`.
    public init(clock: ZeroTripClock) {
        self.clock = clock
    }

    /// Counts one occurrence of `entry` (no I/O: safe on any hot path).
    public func record(_ entry: AuditEntry) {
        let now = clock.now()
        let key = Key(
            actor: String(entry.actor.prefix(80)), action: entry.action.rawValue, target: String(entry.target.prefix(120)),
            outcome: entry.outcome, details: entry.details)
        window.withLock { window in
            if window.start == nil { window.start = now }
            if let count = window.counts[key] {
                window.counts[key] = count + 1
            } else if window.counts.count < Self.capacity {
                window.counts[key] = 1
            } else {
                window.overflow += 1
            }
        }
    }

    /// Distinct events waiting for the next flush.
    public var pending: Int { window.withLock { $0.counts.count + ($0.overflow > 0 ? 1 : 0) } }

    /// Writes one audit event per distinct event counted since the last flush, all in one transaction, and starts
    /// a new window. Returns how many events were written.
    @discardableResult
    public func flush(to database: AppDatabase) async throws -> Int {
        let now = clock.now()
        let taken = window.withLock { window -> Window in
            let taken = window
            window = Window()
            return taken
        }
        guard let start = taken.start else { return 0 }
        let span = ["window_start": AuditEvent.timestamp(start), "window_end": AuditEvent.timestamp(now)]
        var entries = taken.counts.sorted { ($0.key.action, $0.key.target, $0.key.actor) < ($1.key.action, $1.key.target, $1.key.actor) }.map {
            key, count in
            AuditEntry(
                actor: key.actor, action: AuditAction(rawValue: key.action), target: key.target, outcome: key.outcome,
                details: key.details.merging(span) { a, _ in a }.merging(["count": String(count)]) { _, b in b })
        }
        if taken.overflow > 0 {
            entries.append(
                AuditEntry(
                    actor: "anonymous", action: .auditOverflow, target: "audit", outcome: "denied",
                    details: span.merging(["count": String(taken.overflow), "distinct_limit": String(Self.capacity)]) { a, _ in a }))
        }
        let batch = entries
        do {
            try await database.write { db in
                for entry in batch { try AuditLog.append(entry, at: now, in: db) }
            }
        } catch {
            // Not lost: the counts go back into the current window and are written with the next flush.
            window.withLock { window in
                window.start = min(window.start ?? start, start)
                // Still bounded while writes keep failing: what does not fit is counted as overflow.
                for (key, count) in taken.counts {
                    if window.counts[key] != nil || window.counts.count < Self.capacity {
                        window.counts[key, default: 0] += count
                    } else {
                        window.overflow += count
                    }
                }
                window.overflow += taken.overflow
            }
            throw error
        }
        return batch.count
    }
}

/// Flushes the anonymous-traffic aggregates every `interval` and once more at graceful shutdown (one Service in the
/// daemon's ServiceGroup).
public struct AuditAggregationService: Service {
    let aggregator: AuditAggregator
    let database: AppDatabase
    let interval: Duration
    let logger: Logger

    /// A flusher of `aggregator` into `database`.
    public init(aggregator: AuditAggregator, database: AppDatabase, interval: Duration = .seconds(60), logger: Logger) {
        self.aggregator = aggregator
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    /// Flushes until graceful shutdown, then once more so the last window is not lost.
    public func run() async throws {
        try await PeriodicTimer.run(every: interval, name: "audit aggregation", logger: logger) {
            try await aggregator.flush(to: database)
        }
        do { try await aggregator.flush(to: database) } catch {
            logger.error("audit aggregation failed at shutdown", metadata: ["error": "\(error)"])
        }
    }
}
