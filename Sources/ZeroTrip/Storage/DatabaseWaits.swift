import Synchronization

/// How long transactions waited before they began: from a caller's request to the moment its read or write started
/// to run on a connection (the reader threads' queue, SQLite's single writer, PostgreSQL's pool and its advisory write
/// lock). A histogram per kind, cumulative since start, for `/metrics`: waits that grow mean the database, not the
/// daemon, is what requests queue on.
public final class DatabaseWaits: Sendable {
    /// Read or write.
    public enum Kind: String, Sendable, CaseIterable {
        case read, write
    }

    /// Upper bounds of the histogram's buckets, in seconds (a last bucket, +Inf, takes the rest).
    public static let bounds: [Double] = [0.000_1, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5]

    /// One kind's histogram so far.
    public struct Histogram: Sendable, Hashable {
        /// Waits at or under each of ``DatabaseWaits/bounds`` (not cumulative), then the ones above the last.
        public var counts = [Int](repeating: 0, count: DatabaseWaits.bounds.count + 1)
        /// The sum of every wait, in seconds.
        public var sum: Double = 0
        /// How many waits.
        public var count: Int { counts.reduce(0, +) }

        /// No waits yet.
        public init() {}
    }

    /// True the first time ``take()`` is called, false after: a body run more than once records its wait once.
    final class FirstRun: Sendable {
        private let first = Atomic<Bool>(true)
        func take() -> Bool { first.exchange(false, ordering: .relaxed) }
    }

    private let histograms = Mutex<[Kind: Histogram]>([.read: Histogram(), .write: Histogram()])

    /// An empty record.
    public init() {}

    /// Records a wait of `kind` that began at `asked`.
    func record(_ kind: Kind, since asked: ContinuousClock.Instant) {
        let waited = asked.duration(to: .now)
        let seconds = Double(waited.components.seconds) + Double(waited.components.attoseconds) * 1e-18
        let bucket = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        histograms.withLock { histograms in
            histograms[kind, default: Histogram()].counts[bucket] += 1
            histograms[kind, default: Histogram()].sum += seconds
        }
    }

    /// The histograms so far.
    public var snapshot: [Kind: Histogram] { histograms.withLock { $0 } }
}
