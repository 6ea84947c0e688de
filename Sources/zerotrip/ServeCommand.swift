import ArgumentParser
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Logging
import ZeroTrip
import ZeroTripServer

/// `zerotrip serve`: the HTTP daemon.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP daemon (Hummingbird 2): /healthz, /readyz and the /v1 API.",
        discussion: """
            Settings merge defaults ← --config FILE ← ZEROTRIP_* environment ← flags. Refuses to start when \
            a file in Keys/ is accessible by group or others. SIGTERM or SIGINT shut down gracefully: \
            in-flight requests finish first. Logs are JSON lines on standard error.
            """)

    @OptionGroup var location: LocationOptions
    @Option(name: .long, help: "Listen address (default 127.0.0.1).") var host: String?
    @Option(name: .long, help: "Listen port (default 8080).") var port: Int?
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body (default 1 MiB).") var maxBodyBytes: Int?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain; enables TLS with --tls-key.") var tlsCertificate: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key for TLS.") var tlsKey: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String?

    func run() async throws {
        defer { JSONLogHandler.flush() }
        #if canImport(Glibc)
            // glibc gives each thread that allocates its own arena (up to 8 per core): with NIO, the cooperative pool,
            // readers and the writer that held tens of megabytes of freed memory. Two arenas for two busy cores.
            // (mallopt is not in Swift's Glibc module; M_ARENA_MAX is -8 in malloc.h.)
            if let mallopt = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
                _ = unsafeBitCast(mallopt, to: (@convention(c) (Int32, Int32) -> Int32).self)(-8, 2)
            }
        #endif
        // A benchmark's daemon ends with the benchmark, even when that is killed (no orphan keeps the port): once the
        // parent is gone the daemon sends itself SIGTERM and shuts down gracefully.
        if ProcessInfo.processInfo.environment["ZEROTRIP_EXIT_WITH_PARENT"] == "1" {
            let parent = getppid()
            Task.detached {
                while getppid() == parent { try? await Task.sleep(for: .seconds(1)) }
                kill(getpid(), SIGTERM)
            }
        }
        try await reportingErrors {
            var flags = DaemonConfiguration.Overrides()
            flags.host = host
            flags.port = port
            flags.maxBodyBytes = maxBodyBytes
            flags.tlsCertificatePath = tlsCertificate
            flags.tlsKeyPath = tlsKey
            flags.logLevel = logLevel
            let configuration = try location.configuration(adding: flags)
            let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "zerotrip")
            let services = try ZeroTripServices.open(configuration: configuration, passphrase: location.passphrase)
            // Refuse to start on unsafe key files; a missing district only makes /readyz fail.
            try configuration.home.keyFiles.checkAllPermissions()
            // Advisory: the daemon still serves, but its answers would promise what the server may not keep.
            do {
                let gaps = try await services.database.postgresDurabilityGaps()
                if !gaps.isEmpty {
                    logger.warning(
                        "PostgreSQL acknowledges commits it has not made durable: a crash of PostgreSQL or its machine can lose documents and audit events already answered for, and with fsync or full_page_writes off corrupt the database; turn these settings on (docs/deployment.md)",
                        metadata: ["settings": "\(gaps.joined(separator: ","))"])
                }
            } catch {
                logger.notice("could not read PostgreSQL's durability settings (fsync, synchronous_commit, full_page_writes); check them by hand")
            }
            if try await services.administration.district() != nil {
                try await services.administration.checkKeyFiles()
                if (try? await services.administration.rootSharesSealPassphrase()) == true {
                    logger.warning(
                        "the root key file opens with the seals' passphrase: whoever holds that passphrase and Keys/ holds the root; run `zerotrip root separate-passphrase` (docs/keys.md)"
                    )
                }
                let signing = try await services.administration.listSigning()
                if let online = signing.onlineKid {
                    logger.info(
                        "an online key signs lists and tree heads",
                        metadata: [
                            "online_kid": "\(online)", "root": "\(signing.rootConnected ? "online" : "offline until the next ceremony")",
                        ])
                }
            } else {
                logger.warning("district not initialised; run `zerotrip init --district NAME`")
            }
            logger.info(
                "starting",
                metadata: [
                    "address": "\(configuration.host):\(configuration.port)",
                    "tls": "\(configuration.tlsCertificatePath != nil)",
                    "database": "\(configuration.databaseForDisplay)",
                ])
            try await runDaemon(configuration: configuration, services: services, logger: logger)
            logger.info("stopped")
        }
    }
}
