import Prometheus
import ZeroTrip
import Synchronization

/// The daemon's Prometheus metrics, served at `GET /metrics` (scope `audit:read`): requests by route pattern, method
/// and status with their latency, verification answers by method and result, documents issued, audit batch sizes and
/// database waits. Route patterns
/// (`/v1/credit/{subject}`), never paths: a path can carry an ID number or a token. One registry per daemon (not the
/// global MetricsSystem), so every application built in a test process has its own.
final class DaemonMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(10),
    ]

    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "zerotrip", subsystem: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests answered, by method, route pattern and status")
    }
    private static var latency: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "zerotrip", subsystem: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "Time to answer, by method and route pattern")
    }
    private static var verifications: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "zerotrip", metricName: "verifications", unitName: "total",
            helpText: "Verification answers given over HTTP, by method and result")
    }

    /// One request series: its counter and latency histogram.
    private struct RequestSeries: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    /// The collectors of each series seen, so a request costs one dictionary lookup instead of the registry's
    /// name-and-label matching (which builds the labels and the descriptor's strings every time).
    private let series = Mutex<[RequestSeries: (counter: Counter, latency: DurationHistogram)]>([:])

    /// Counts one answered request and its duration.
    func request(method: String, route: String, status: Int, duration: Duration) {
        let key = RequestSeries(method: method, route: route, status: status)
        let collectors =
            series.withLock { $0[key] }
            ?? {
                let made = (
                    counter: registry.makeCounter(
                        descriptor: Self.requests, labels: [("method", method), ("route", route), ("status", String(status))]),
                    latency: registry.makeDurationHistogram(
                        descriptor: Self.latency, labels: [("method", method), ("route", route)],
                        buckets: Self.latencyBuckets)
                )
                series.withLock { $0[key] = made }
                return made
            }()
        collectors.counter.increment()
        collectors.latency.record(duration)
    }

    /// Counts one verification answer (`token`, `pdf` or `id`; `valid`, `invalid`, `revoked`, `expired`, `unknown`).
    func verification(method: String, result: String) {
        let key = [method, result]
        let counter =
            verificationCounters.withLock { $0[key] }
            ?? {
                let made = registry.makeCounter(descriptor: Self.verifications, labels: [("method", method), ("result", result)])
                verificationCounters.withLock { $0[key] = made }
                return made
            }()
        counter.increment()
    }

    /// The verification counters seen, by method and result (as ``series`` for requests).
    private let verificationCounters = Mutex<[[String]: Counter]>([:])

    /// The Prometheus text exposition (format 0.0.4): the collectors above, then what the storage layer counted
    /// itself, read at scrape time: audit group-commit batch sizes and database waits (how long transactions waited
    /// to begin).
    func exposition(database: AppDatabase? = nil, documentsIssued: Int? = nil) -> [UInt8] {
        var text = registry.emitToBuffer()
        var lines: [String] = []
        if let documentsIssued {
            lines.append("# HELP zerotrip_documents_issued_total Result documents this daemon issued (every route)")
            lines.append("# TYPE zerotrip_documents_issued_total counter")
            lines.append("zerotrip_documents_issued_total \(documentsIssued)")
        }
        guard let database else {
            text.append(contentsOf: Array(lines.map { $0 + "\n" }.joined().utf8))
            return text
        }
        let audit = database.audit.statistics
        lines.append("# HELP zerotrip_audit_batch_events Audit events per group-commit transaction")
        lines.append("# TYPE zerotrip_audit_batch_events histogram")
        var cumulative = 0
        for (bound, count) in zip(AuditBatcher.Statistics.batchSizeBounds, audit.batchSizes) {
            cumulative += count
            lines.append("zerotrip_audit_batch_events_bucket{le=\"\(bound)\"} \(cumulative)")
        }
        lines.append("zerotrip_audit_batch_events_bucket{le=\"+Inf\"} \(audit.batches)")
        lines.append("zerotrip_audit_batch_events_sum \(audit.events)")
        lines.append("zerotrip_audit_batch_events_count \(audit.batches)")
        lines.append("# HELP zerotrip_audit_refused_total Audited requests refused (503 overloaded) because the queue was full")
        lines.append("# TYPE zerotrip_audit_refused_total counter")
        lines.append("zerotrip_audit_refused_total \(audit.refused)")
        lines.append("# HELP zerotrip_audit_gathered_total Group-commit transactions that first waited for verifications on their way")
        lines.append("# TYPE zerotrip_audit_gathered_total counter")
        lines.append("zerotrip_audit_gathered_total \(audit.gathered)")
        lines.append("# HELP zerotrip_database_wait_seconds Time a read or write transaction waited to begin")
        lines.append("# TYPE zerotrip_database_wait_seconds histogram")
        let waits = database.waits.snapshot
        for kind in DatabaseWaits.Kind.allCases {
            let histogram = waits[kind] ?? DatabaseWaits.Histogram()
            var cumulative = 0
            for (bound, count) in zip(DatabaseWaits.bounds, histogram.counts) {
                cumulative += count
                lines.append("zerotrip_database_wait_seconds_bucket{kind=\"\(kind.rawValue)\",le=\"\(bound)\"} \(cumulative)")
            }
            lines.append("zerotrip_database_wait_seconds_bucket{kind=\"\(kind.rawValue)\",le=\"+Inf\"} \(histogram.count)")
            lines.append("zerotrip_database_wait_seconds_sum{kind=\"\(kind.rawValue)\"} \(histogram.sum)")
            lines.append("zerotrip_database_wait_seconds_count{kind=\"\(kind.rawValue)\"} \(histogram.count)")
        }
        text.append(contentsOf: Array((lines.joined(separator: "\n") + "\n").utf8))
        return text
    }
}
