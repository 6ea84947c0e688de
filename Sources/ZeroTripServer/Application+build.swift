import Foundation
public import Hummingbird
import HummingbirdTLS
import HummingbirdCore
import ServiceLifecycle
import UnixSignals
import NIOSSL
public import Logging
public import ZeroTrip

/// Builds the daemon exactly as production runs it; tests call this too.
///
/// - Parameters:
///   - configuration: listen address, body limit, optional TLS.
///   - services: the domain services.
///   - logger: the server logger.
public func buildApplication(configuration: DaemonConfiguration, services: ZeroTripServices, logger: Logger) throws -> some ApplicationProtocol {
    // HEAD is answered for every GET route as RFC 9110 asks (the GET handler runs; the body is dropped): link checkers and
    // monitors probe the verification pages and /healthz that way.
    let router = Router(context: ZeroTripRequestContext.self, options: .autoGenerateHeadEndpoints)
    let metrics = DaemonMetrics()
    router.middlewares.add(RequestLogMiddleware(level: .info, metrics: metrics))
    router.middlewares.add(JSONErrorMiddleware())
    router.middlewares.add(BodyLimitMiddleware(limit: configuration.maxBodyBytes))
    ZeroTripAPI(
        services: services, bodyLimit: configuration.maxBodyBytes, applicantRequestsPerMinute: configuration.applicantRequestsPerMinute,
        publicRequestsPerMinute: configuration.publicRequestsPerMinute, trustedProxies: configuration.trustedProxies,
        metrics: metrics, tls: configuration.tlsCertificatePath != nil
    ).register(on: router)
    // A connection that sends nothing (no request, or nothing between keep-alive requests) is closed after the idle
    // timeout, so sockets opened and left silent cannot pile up until the process runs out of file descriptors.
    // Above the connection limit the longest-idle connections are closed (ConnectionGovernor).
    let governor = ConnectionGovernor(limit: ConnectionGovernor.limit(configured: configuration.maxConnections), logger: logger)
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [governor.handler()],
        idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))

    // Handlers run on Swift's cooperative pool, the sockets on the event loops. Handling a connection on its own loop
    // saved CPU but doubled the p99 under overload (README, "bench http").
    let server: HTTPServerBuilder
    if let certificatePath = configuration.tlsCertificatePath, let keyPath = configuration.tlsKeyPath {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            tls.minimumTLSVersion = TLSVersion.tlsv12
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        } catch {
            throw ZeroTripError(.invalidConfiguration, "TLS certificate or key cannot be loaded")
        }
    } else {
        server = .http1(configuration: http1)
    }
    return Application(
        router: router,
        server: server,
        // No `Server` header: it would tell every client which software to probe for, and cost a field per answer.
        configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
        logger: logger)
}

/// Runs the daemon until SIGTERM or SIGINT, then shuts down gracefully (in-flight requests finish).
/// All long-running work runs as services of the application's one ServiceGroup.
public func runDaemon(configuration: DaemonConfiguration, services: ZeroTripServices, logger: Logger) async throws {
    // Raised first: the connection limit is derived from it.
    FileDescriptorLimit.raise(logger: logger)
    let app = try buildApplication(configuration: configuration, services: services, logger: logger)
    let maintenance = TrustMaintenanceService(services: services, interval: .seconds(configuration.treeHeadIntervalSeconds), logger: logger)
    let sweep = ObligationSweepService(
        applications: services.applications, interval: .seconds(configuration.obligationSweepIntervalSeconds), logger: logger)
    let scoring = PointsScheduleService(points: services.points, interval: .seconds(600), logger: logger)
    let aggregation = AuditAggregationService(aggregator: services.anonymousAudit, database: services.database, logger: logger)
    // The HTTP server stops first (in-flight requests finish, new connections are refused); the timers and the
    // anonymous-audit flush stop after it, so the last minute's counts are written.
    var timers: [ServiceGroupConfiguration.ServiceConfiguration] = [
        .init(service: CheckpointService(database: services.database)), .init(service: aggregation),
        .init(service: maintenance), .init(service: sweep), .init(service: scoring),
        .init(service: MemoryTrimService(logger: logger)),
    ]
    if let destination = try smsOperator(configuration: configuration, keys: services.home.keyFiles) {
        timers.append(.init(service: SMSDeliveryService(delivery: services.identity.smsDelivery(to: destination), logger: logger)))
        logger.info("sms delivery on", metadata: ["operator": "\(destination.url.host ?? "")"])
    }
    let group = ServiceGroup(
        configuration: .init(
            services: timers + [.init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}

/// The SMS operator of `configuration` (nil when `smsGatewayURL` is not set), its token from
/// `ZEROTRIP_SMS_GATEWAY_TOKEN` or the key file `sms-gateway-token` (mode 0600); the daemon refuses to start without one.
func smsOperator(
    configuration: DaemonConfiguration, keys: KeyFileStore,
    environment: [String: String] = ProcessInfo.processInfo.environment
) throws -> SMSOperator? {
    guard let text = configuration.smsGatewayURL else { return nil }
    guard let url = URL(string: text) else { throw ZeroTripError(.invalidConfiguration, "smsGatewayURL must be an http(s) URL") }
    let token: String
    if let fromEnvironment = environment["ZEROTRIP_SMS_GATEWAY_TOKEN"], !fromEnvironment.isEmpty {
        token = fromEnvironment
    } else if keys.exists("sms-gateway-token") {
        token = try keys.read("sms-gateway-token").trimmingCharacters(in: .whitespacesAndNewlines)
    } else {
        throw ZeroTripError(
            .invalidConfiguration, "smsGatewayURL is set but no token: set ZEROTRIP_SMS_GATEWAY_TOKEN or write Keys/sms-gateway-token (mode 0600)")
    }
    guard !token.isEmpty, token.utf8.count <= 4096, !token.contains(where: { $0.isNewline }) else {
        throw ZeroTripError(.invalidConfiguration, "the SMS gateway token must be one line of at most 4096 bytes")
    }
    return SMSOperator(url: url, token: token)
}
