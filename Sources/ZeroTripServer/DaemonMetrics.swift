import Prometheus
import Synchronization

/// The daemon's Prometheus metrics, served at `GET /metrics` (scope `audit:read`): requests by route pattern, method
/// and status with their latency, verification answers by method and result, and documents issued. Route patterns
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
    private static var issued: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "zerotrip", subsystem: "documents", metricName: "issued", unitName: "total",
            helpText: "Result documents issued over HTTP")
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

    /// Counts one issued document.
    func documentIssued() {
        registry.makeCounter(descriptor: Self.issued).increment()
    }

    /// The Prometheus text exposition (format 0.0.4).
    func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
