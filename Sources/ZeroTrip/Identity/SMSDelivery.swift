public import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
public import Logging
public import ServiceLifecycle

/// The district's SMS operator as ZeroTrip calls it: an HTTP endpoint taking
/// `POST {"to": "13900000001", "message": "…", "reference": "zt-sms-42"}` with `Authorization: Bearer <token>`, and
/// answering 2xx when it has accepted the message. Operators with another protocol sit behind a small adapter at
/// that address (docs/deployment.md).
public struct SMSOperator: Sendable {
    /// The endpoint.
    public var url: URL
    /// The bearer token (from `ZEROTRIP_SMS_GATEWAY_TOKEN` or `Keys/sms-gateway-token`); never logged.
    public var token: String

    /// An operator at `url` with `token`.
    public init(url: URL, token: String) {
        self.url = url
        self.token = token
    }
}

/// What one delivery pass did.
public struct SMSDeliveryReport: Sendable, Hashable {
    /// Messages the operator accepted.
    public var delivered = 0
    /// Messages to be tried again later.
    public var retrying = 0
    /// Messages given up (refused for good, or too many attempts); their numbers are wiped.
    public var abandoned = 0
}

/// Sends the outbox's due messages to the operator: each is leased (so two daemons never send it twice at once),
/// sent, and marked delivered — its number wiped — or tried again after 30 s, 1, 2, 4… minutes (at most an hour
/// apart), and given up after ``maximumAttempts`` or a refusal that will not change (4xx other than 408 and 429).
public final class SMSDelivery: Sendable {
    /// Attempts before a message is given up.
    public static let maximumAttempts = 8
    /// How long a leased message is left to its sender before another may take it.
    static let leaseSeconds: TimeInterval = 120

    private let database: AppDatabase
    private let keySource: IdentityKeySource
    private let clock: ZeroTripClock
    private let destination: SMSOperator
    private let session: URLSession

    init(database: AppDatabase, keySource: IdentityKeySource, clock: ZeroTripClock, operator destination: SMSOperator) {
        self.database = database
        self.keySource = keySource
        self.clock = clock
        self.destination = destination
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        configuration.timeoutIntervalForResource = 15
        self.session = URLSession(configuration: configuration)
    }

    /// Sends up to `limit` due messages, one at a time, and records each outcome.
    @discardableResult
    public func deliverDue(limit: Int = 100) async throws -> SMSDeliveryReport {
        let now = clock.now()
        let due = try await database.write { db in
            try OutboxSMSGateway.takeDue(at: now, limit: limit, leaseUntil: now.addingTimeInterval(Self.leaseSeconds), in: db)
        }
        var report = SMSDeliveryReport()
        guard !due.isEmpty else { return report }
        let keys = try keySource.keys()
        for message in due {
            let phone: String
            do {
                phone = try keys.openValue(message.phoneSealed, context: OutboxSMSGateway.context(message.subject))
            } catch {
                try await record(message, failure: "the number does not decrypt with the identity key", retry: false, report: &report)
                continue
            }
            let outcome = await send(to: phone, message.message, reference: "zt-sms-\(message.id)")
            switch outcome {
            case .accepted:
                let at = clock.now()
                try await database.write { db in try OutboxSMSGateway.delivered(message.id, at: at, in: db) }
                report.delivered += 1
            case .refused(let failure, let retry):
                try await record(message, failure: failure, retry: retry, report: &report)
            }
        }
        return report
    }

    private func record(_ message: OutboxSMSGateway.Due, failure: String, retry: Bool, report: inout SMSDeliveryReport) async throws {
        let attempts = message.attempts + 1
        let retryAt = retry && attempts < Self.maximumAttempts ? clock.now().addingTimeInterval(Self.backoff(attempts: attempts)) : nil
        try await database.write { db in try OutboxSMSGateway.failed(message.id, failure: failure, retryAt: retryAt, in: db) }
        if retryAt == nil { report.abandoned += 1 } else { report.retrying += 1 }
    }

    /// Seconds before attempt `attempts + 1`: 30 s doubling, at most an hour.
    static func backoff(attempts: Int) -> TimeInterval {
        min(3600, 30 * pow(2, Double(max(0, attempts - 1))))
    }

    enum Outcome { case accepted, refused(String, retry: Bool) }

    private func send(to phone: String, _ text: String, reference: String) async -> Outcome {
        var request = URLRequest(url: destination.url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(destination.token)", forHTTPHeaderField: "Authorization")
        request.httpBody = try? JSONSerialization.data(
            withJSONObject: ["to": phone, "message": text, "reference": reference], options: [.sortedKeys])
        do {
            let (_, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if (200..<300).contains(status) { return .accepted }
            return .refused("the operator answered HTTP \(status)", retry: status >= 500 || status == 408 || status == 429 || status == 0)
        } catch {
            return .refused("the operator could not be reached (\((error as? URLError)?.code.rawValue ?? -1))", retry: true)
        }
    }
}

/// The daemon's SMS timer (one Service in the ServiceGroup): delivers the outbox's due messages every `interval`.
public struct SMSDeliveryService: Service {
    let delivery: SMSDelivery
    let interval: Duration
    let logger: Logger

    /// A timer delivering every `interval`.
    public init(delivery: SMSDelivery, interval: Duration = .seconds(2), logger: Logger) {
        self.delivery = delivery
        self.interval = interval
        self.logger = logger
    }

    /// Delivers until graceful shutdown.
    public func run() async throws {
        let (delivery, logger) = (delivery, logger)
        try await PeriodicTimer.run(every: interval, name: "sms delivery", logger: logger) {
            let report = try await delivery.deliverDue()
            if report.retrying + report.abandoned > 0 {
                logger.warning(
                    "sms delivery: the operator refused or was unreachable",
                    metadata: ["delivered": "\(report.delivered)", "retrying": "\(report.retrying)", "abandoned": "\(report.abandoned)"])
            }
        }
    }
}
