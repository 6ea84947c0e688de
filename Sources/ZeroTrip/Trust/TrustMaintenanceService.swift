public import ServiceLifecycle
public import Logging
import Foundation

/// The daemon's background timer (one Service in the application's ServiceGroup): promotes pending keys when
/// their overlap ends and signs a tree head when the log grew (or hourly), so "logged before T" is provable.
public struct TrustMaintenanceService: Service {
    let services: ZeroTripServices
    let interval: Duration
    let logger: Logger

    /// A timer over `services` ticking every `interval`.
    public init(services: ZeroTripServices, interval: Duration, logger: Logger) {
        self.services = services
        self.interval = interval
        self.logger = logger
    }

    /// One round: due keys activated, keys that will never sign again destroyed in their token, a tree head signed
    /// when needed.
    public func tick() async throws {
        try await services.administration.activateDueKeys()
        do {
            try await services.administration.destroyFinishedTokenKeys()
        } catch {
            // A token that is away now is tried again next round; the tree head must not wait for it.
            logger.warning("destroying finished seal keys in their token failed", metadata: ["error": "\(error)"])
        }
        let size = try await services.log.size()
        let head = try await services.log.latestTreeHead()
        let now = services.clock.now()
        if head == nil || head!.treeSize < size || now.timeIntervalSince(head!.date) >= 3600 {
            try await services.administration.signTreeHead(services.log)
        }
    }

    /// Ticks until graceful shutdown.
    public func run() async throws {
        try await PeriodicTimer.run(every: interval, name: "trust maintenance", logger: logger) { try await tick() }
    }
}
