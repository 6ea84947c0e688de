import Foundation
import ZeroTripDocuments
import ZeroTripCrypto

/// Daemon settings, merged from defaults, a JSON file, the environment and flags (later wins).
///
/// File keys and environment variables:
///
/// | key | environment | default |
/// |---|---|---|
/// | `host` | `ZEROTRIP_HOST` | `127.0.0.1` |
/// | `port` | `ZEROTRIP_PORT` | `8080` |
/// | `databasePath` (or `database`) | `ZEROTRIP_DATABASE` (or `ZEROTRIP_DATABASE_URL`) | `var/zerotrip.sqlite`; a `postgres://` URL selects PostgreSQL |
/// | `keysDirectory` | `ZEROTRIP_KEYS_DIR` | `Keys` |
/// | `certificatesDirectory` | `ZEROTRIP_CERTIFICATES_DIR` | `Certificates` |
/// | `maxBodyBytes` | `ZEROTRIP_MAX_BODY_BYTES` | `1048576` |
/// | `tlsCertificatePath` | `ZEROTRIP_TLS_CERT` | none (plain HTTP) |
/// | `tlsKeyPath` | `ZEROTRIP_TLS_KEY` | none |
/// | `logLevel` | `ZEROTRIP_LOG_LEVEL` | `info` |
/// | `verificationBaseURL` | `ZEROTRIP_VERIFICATION_BASE_URL` | `http(s)://HOST:PORT` of the listener |
/// | `fontPath` | `ZEROTRIP_FONT` | `/usr/share/fonts/truetype/arphic/uming.ttc` |
/// | `fallbackFontPaths` | `ZEROTRIP_FALLBACK_FONTS` (colon-separated) | fonts-hanazono's `HanaMinA.ttf` and `HanaMinB.ttf` (characters the main font lacks) |
/// | `applicantRequestsPerMinute` | `ZEROTRIP_APPLICANT_RATE` | `30` (per client address, bursts of 10) |
/// | `treeHeadIntervalSeconds` | `ZEROTRIP_TREE_HEAD_INTERVAL` | `10` (sign a log tree head when the log grew) |
/// | `obligationSweepIntervalSeconds` | `ZEROTRIP_OBLIGATION_SWEEP_INTERVAL` | `60` (overdue obligations, reminders, supervisor flags) |
/// | `publicRequestsPerMinute` | `ZEROTRIP_PUBLIC_RATE` | `120` (public verification pages per client address, bursts of 30) |
/// | `idleTimeoutSeconds` | `ZEROTRIP_IDLE_TIMEOUT` | `30` (a connection that sends nothing for this long is closed) |
/// | `maxConnections` | `ZEROTRIP_MAX_CONNECTIONS` | `0` = the open-file limit less 512 (above it, the longest-idle connections are closed) |
/// | `trustedProxies` | `ZEROTRIP_TRUSTED_PROXIES` (comma-separated) | none: proxies whose `X-Forwarded-For` names the client |
/// | `sealToken` | `ZEROTRIP_SEAL_TOKEN` | none: seal keys in encrypted files; a `pkcs11:` URI with `module-path` makes new seal keys in that token (PIN from `ZEROTRIP_SEAL_TOKEN_PIN` or the URI's `pin-source` file) |
/// | `smsGatewayURL` | `ZEROTRIP_SMS_GATEWAY_URL` | none: messages stay in the outbox; set, they are delivered to the operator (token from `ZEROTRIP_SMS_GATEWAY_TOKEN` or `Keys/sms-gateway-token`) |
public struct DaemonConfiguration: Sendable, Codable, Equatable {
    /// Listen address.
    public var host: String = "127.0.0.1"
    /// Listen port (0 picks a free one).
    public var port: Int = 8080
    /// The SQLite database's path, or a `postgres://` URL (``PostgresLocation``) for a shared PostgreSQL database.
    public var databasePath: String = "var/zerotrip.sqlite"

    /// `databasePath` as it may appear in logs: a PostgreSQL URL without its password.
    public var databaseForDisplay: String {
        PostgresLocation.redacted(databasePath)
    }
    /// Directory of private keys.
    public var keysDirectory: String = "Keys"
    /// Directory of certificates.
    public var certificatesDirectory: String = "Certificates"
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes: Int = 1 << 20
    /// PEM certificate chain for TLS; TLS is on when this and ``tlsKeyPath`` are set.
    public var tlsCertificatePath: String?
    /// PEM private key for TLS.
    public var tlsKeyPath: String?
    /// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
    public var logLevel: String = "info"
    /// Public base URL of the verification page, printed on documents and carried by QR codes.
    public var verificationBaseURL: String = "http://127.0.0.1:8080"
    /// The TrueType CJK font embedded in documents (Debian's fonts-arphic-uming by default).
    public var fontPath: String = "/usr/share/fonts/truetype/arphic/uming.ttc"
    /// TrueType fonts tried in order for a character the main font lacks (CJK Extensions B–F in rare names);
    /// files that are missing are skipped, and documents then refuse only the characters they alone had.
    public var fallbackFontPaths: [String] = CJKFont.defaultFallbackPaths
    /// Unauthenticated applicant requests (start verification, submit code, device challenge/login) per client address per minute.
    public var applicantRequestsPerMinute: Int = 30
    /// Seconds between signed tree heads of the transparency log (also how often pending keys are promoted).
    public var treeHeadIntervalSeconds: Int = 10
    /// Seconds between obligation sweeps (overdue obligations, reminders, supervisor flags).
    public var obligationSweepIntervalSeconds: Int = 60
    /// The SMS operator's HTTP endpoint (``SMSDelivery``); nil keeps messages in the outbox only.
    public var smsGatewayURL: String?
    /// Public verification page requests (`/V/?…`, `/v/{id}`) per client address per minute (bursts of a quarter of it).
    public var publicRequestsPerMinute: Int = 120
    /// Seconds a connection may stay silent (no request, or between requests) before it is closed.
    public var idleTimeoutSeconds: Int = 30
    /// Open connections at most; when a new one would pass it, the connections idle the longest are closed (0: the
    /// open-file limit less 512, so the listener never runs out of descriptors).
    public var maxConnections: Int = 0
    /// Reverse proxies (addresses or CIDR networks) whose `X-Forwarded-For` names the client. Empty: the TCP peer
    /// is the client. Behind nginx every request comes from the proxy, so without this one client's rate limit
    /// would be everyone's.
    public var trustedProxies: [String] = []
    /// The `pkcs11:` URI (RFC 7512, with `module-path`) of the token new seal keys are made in; nil keeps them in
    /// encrypted key files.
    public var sealToken: String?

    /// The defaults.
    public init() {}

    /// Largest configuration file accepted.
    static let maximumFileBytes = 64 * 1024

    /// Merges defaults ← `file` (JSON) ← `environment` ← `overrides`, then validates.
    public static func load(file: String?, environment: [String: String], overrides: DaemonConfiguration.Overrides) throws(ZeroTripError)
        -> DaemonConfiguration
    {
        var configuration = DaemonConfiguration()
        var baseURLGiven = overrides.verificationBaseURL != nil || environment["ZEROTRIP_VERIFICATION_BASE_URL"] != nil
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ZeroTripError(.invalidConfiguration, "configuration file \(file) cannot be read")
            }
            guard data.count <= maximumFileBytes else { throw ZeroTripError(.invalidConfiguration, "configuration file is larger than 64 KiB") }
            do {
                let form = try JSONDecoder().decode(FileForm.self, from: data)
                baseURLGiven = baseURLGiven || form.values.verificationBaseURL != nil
                configuration = form.applied(to: configuration)
            } catch {
                throw ZeroTripError(.invalidConfiguration, "configuration file \(file) is not valid: \(error)")
            }
        }
        var fromEnvironment = Overrides()
        fromEnvironment.host = environment["ZEROTRIP_HOST"]
        fromEnvironment.port = try integer("ZEROTRIP_PORT", in: environment)
        fromEnvironment.databasePath = environment["ZEROTRIP_DATABASE_URL"] ?? environment["ZEROTRIP_DATABASE"]
        fromEnvironment.keysDirectory = environment["ZEROTRIP_KEYS_DIR"]
        fromEnvironment.certificatesDirectory = environment["ZEROTRIP_CERTIFICATES_DIR"]
        fromEnvironment.maxBodyBytes = try integer("ZEROTRIP_MAX_BODY_BYTES", in: environment)
        fromEnvironment.tlsCertificatePath = environment["ZEROTRIP_TLS_CERT"]
        fromEnvironment.tlsKeyPath = environment["ZEROTRIP_TLS_KEY"]
        fromEnvironment.logLevel = environment["ZEROTRIP_LOG_LEVEL"]
        fromEnvironment.verificationBaseURL = environment["ZEROTRIP_VERIFICATION_BASE_URL"]
        fromEnvironment.fontPath = environment["ZEROTRIP_FONT"]
        fromEnvironment.fallbackFontPaths = environment["ZEROTRIP_FALLBACK_FONTS"].map { $0.split(separator: ":").map(String.init) }
        fromEnvironment.applicantRequestsPerMinute = try integer("ZEROTRIP_APPLICANT_RATE", in: environment)
        fromEnvironment.treeHeadIntervalSeconds = try integer("ZEROTRIP_TREE_HEAD_INTERVAL", in: environment)
        fromEnvironment.obligationSweepIntervalSeconds = try integer("ZEROTRIP_OBLIGATION_SWEEP_INTERVAL", in: environment)
        fromEnvironment.smsGatewayURL = environment["ZEROTRIP_SMS_GATEWAY_URL"]
        fromEnvironment.publicRequestsPerMinute = try integer("ZEROTRIP_PUBLIC_RATE", in: environment)
        fromEnvironment.idleTimeoutSeconds = try integer("ZEROTRIP_IDLE_TIMEOUT", in: environment)
        fromEnvironment.maxConnections = try integer("ZEROTRIP_MAX_CONNECTIONS", in: environment)
        fromEnvironment.sealToken = environment["ZEROTRIP_SEAL_TOKEN"]
        fromEnvironment.trustedProxies = environment["ZEROTRIP_TRUSTED_PROXIES"].map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        configuration = fromEnvironment.applied(to: configuration)
        configuration = overrides.applied(to: configuration)
        // Unless given, the base URL printed on documents and in QR codes follows the address the daemon listens on, so
        // moving the port (ZEROTRIP_PORT, --port) does not leave every printed link on :8080. A public deployment sets
        // the real address (https://…) explicitly.
        if !baseURLGiven, configuration.port != 0 {
            let scheme = configuration.tlsCertificatePath == nil ? "http" : "https"
            let host = ["0.0.0.0", "::", "[::]"].contains(configuration.host) ? "127.0.0.1" : configuration.host
            configuration.verificationBaseURL = "\(scheme)://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host):\(configuration.port)"
        }
        try configuration.validate()
        return configuration
    }

    private static func integer(_ name: String, in environment: [String: String]) throws(ZeroTripError) -> Int? {
        guard let value = environment[name] else { return nil }
        guard let number = Int(value) else { throw ZeroTripError(.invalidConfiguration, "\(name) must be a number") }
        return number
    }

    /// Checks ranges and combinations.
    public func validate() throws(ZeroTripError) {
        guard (0...65_535).contains(port) else { throw ZeroTripError(.invalidConfiguration, "port must be 0–65535") }
        guard (1024...(64 << 20)).contains(maxBodyBytes) else { throw ZeroTripError(.invalidConfiguration, "maxBodyBytes must be 1 KiB–64 MiB") }
        guard (1...86_400).contains(treeHeadIntervalSeconds) else {
            throw ZeroTripError(.invalidConfiguration, "treeHeadIntervalSeconds must be 1–86400")
        }
        guard (1...86_400).contains(obligationSweepIntervalSeconds) else {
            throw ZeroTripError(.invalidConfiguration, "obligationSweepIntervalSeconds must be 1–86400")
        }
        if let smsGatewayURL {
            guard let url = URL(string: smsGatewayURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ZeroTripError(.invalidConfiguration, "smsGatewayURL must be an http(s) URL")
            }
        }
        guard (1...100_000).contains(applicantRequestsPerMinute) else {
            throw ZeroTripError(.invalidConfiguration, "applicantRequestsPerMinute must be 1–100000")
        }
        guard (1...1_000_000).contains(publicRequestsPerMinute) else {
            throw ZeroTripError(.invalidConfiguration, "publicRequestsPerMinute must be 1–1000000")
        }
        guard (1...3600).contains(idleTimeoutSeconds) else { throw ZeroTripError(.invalidConfiguration, "idleTimeoutSeconds must be 1–3600") }
        guard maxConnections == 0 || (16...10_000_000).contains(maxConnections) else {
            throw ZeroTripError(.invalidConfiguration, "maxConnections must be 0 (automatic) or 16–10000000")
        }
        guard trustedProxies.count <= 64 else { throw ZeroTripError(.invalidConfiguration, "trustedProxies holds at most 64 entries") }
        if let bad = trustedProxies.first(where: { AddressRange($0) == nil }) {
            throw ZeroTripError(
                .invalidConfiguration,
                "trustedProxies entry \"\(bad.prefix(50))\" is not an IP address or CIDR network (10.0.0.5, 10.0.0.0/24, fd00::/8)")
        }
        guard (tlsCertificatePath == nil) == (tlsKeyPath == nil) else {
            throw ZeroTripError(.invalidConfiguration, "TLS needs both tlsCertificatePath and tlsKeyPath")
        }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ZeroTripError(.invalidConfiguration, "unknown log level \(logLevel.prefix(16))")
        }
        guard !host.isEmpty, !databasePath.isEmpty, !keysDirectory.isEmpty, !certificatesDirectory.isEmpty, !fontPath.isEmpty else {
            throw ZeroTripError(.invalidConfiguration, "host and paths must not be empty")
        }
        if PostgresLocation.isPostgresURL(databasePath) { _ = try PostgresLocation(url: databasePath) }
        if let sealToken {
            let uri: PKCS11URI
            do { uri = try PKCS11URI(sealToken) } catch { throw ZeroTripError(.invalidConfiguration, "sealToken: \(error.message)") }
            guard uri.modulePath != nil else { throw ZeroTripError(.invalidConfiguration, "sealToken names no module-path") }
        }
        let base = verificationBaseURL
        guard base.utf8.count <= 80, base.hasPrefix("https://") || base.hasPrefix("http://"),
            !base.contains("?"), !base.contains("#"), !base.contains(" "), base.unicodeScalars.allSatisfy({ $0.isASCII })
        else {
            throw ZeroTripError(
                .invalidConfiguration, "verificationBaseURL must be an http(s) URL of at most 80 ASCII characters without query or fragment")
        }
    }

    /// The file layout these settings describe.
    public var home: ZeroTripHome {
        var home = ZeroTripHome(
            keysDirectory: URL(fileURLWithPath: keysDirectory), certificatesDirectory: URL(fileURLWithPath: certificatesDirectory),
            databasePath: databasePath)
        home.sealToken = sealToken
        return home
    }

    /// Optional values from one source; `nil` leaves the earlier source's value.
    public struct Overrides: Sendable, Equatable {
        /// Listen address.
        public var host: String?
        /// Listen port.
        public var port: Int?
        /// Database path.
        public var databasePath: String?
        /// Keys directory.
        public var keysDirectory: String?
        /// Certificates directory.
        public var certificatesDirectory: String?
        /// Body limit.
        public var maxBodyBytes: Int?
        /// TLS certificate path.
        public var tlsCertificatePath: String?
        /// TLS key path.
        public var tlsKeyPath: String?
        /// Log level.
        public var logLevel: String?
        /// Verification base URL.
        public var verificationBaseURL: String?
        /// Document font path.
        public var fontPath: String?
        /// Fallback font paths.
        public var fallbackFontPaths: [String]?
        /// Applicant request rate per client.
        public var applicantRequestsPerMinute: Int?
        /// Tree head interval.
        public var treeHeadIntervalSeconds: Int?
        /// Obligation sweep interval.
        public var obligationSweepIntervalSeconds: Int?
        /// The SMS operator's endpoint.
        public var smsGatewayURL: String?
        /// Public page request rate per client.
        public var publicRequestsPerMinute: Int?
        /// Idle connection timeout.
        public var idleTimeoutSeconds: Int?
        /// Connection limit.
        public var maxConnections: Int?
        /// Trusted reverse proxies.
        public var trustedProxies: [String]?
        /// The seal keys' token.
        public var sealToken: String?
        /// No overrides.
        public init() {}

        func applied(to base: DaemonConfiguration) -> DaemonConfiguration {
            var c = base
            if let host { c.host = host }
            if let port { c.port = port }
            if let databasePath { c.databasePath = databasePath }
            if let keysDirectory { c.keysDirectory = keysDirectory }
            if let certificatesDirectory { c.certificatesDirectory = certificatesDirectory }
            if let maxBodyBytes { c.maxBodyBytes = maxBodyBytes }
            if let tlsCertificatePath { c.tlsCertificatePath = tlsCertificatePath }
            if let tlsKeyPath { c.tlsKeyPath = tlsKeyPath }
            if let logLevel { c.logLevel = logLevel }
            if let verificationBaseURL { c.verificationBaseURL = verificationBaseURL }
            if let fontPath { c.fontPath = fontPath }
            if let fallbackFontPaths { c.fallbackFontPaths = fallbackFontPaths }
            if let applicantRequestsPerMinute { c.applicantRequestsPerMinute = applicantRequestsPerMinute }
            if let treeHeadIntervalSeconds { c.treeHeadIntervalSeconds = treeHeadIntervalSeconds }
            if let obligationSweepIntervalSeconds { c.obligationSweepIntervalSeconds = obligationSweepIntervalSeconds }
            if let smsGatewayURL { c.smsGatewayURL = smsGatewayURL }
            if let publicRequestsPerMinute { c.publicRequestsPerMinute = publicRequestsPerMinute }
            if let idleTimeoutSeconds { c.idleTimeoutSeconds = idleTimeoutSeconds }
            if let maxConnections { c.maxConnections = maxConnections }
            if let trustedProxies { c.trustedProxies = trustedProxies }
            if let sealToken { c.sealToken = sealToken }
            return c
        }
    }

    /// The JSON file form: every key optional, unknown keys rejected.
    struct FileForm: Decodable {
        var values = Overrides()
        enum Key: String, CodingKey, CaseIterable {
            case host, port, databasePath, database, keysDirectory, certificatesDirectory, maxBodyBytes, tlsCertificatePath, tlsKeyPath, logLevel
            case verificationBaseURL, fontPath, fallbackFontPaths, applicantRequestsPerMinute, treeHeadIntervalSeconds, obligationSweepIntervalSeconds
            case publicRequestsPerMinute, idleTimeoutSeconds, maxConnections, trustedProxies, smsGatewayURL, sealToken
        }
        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        init(from decoder: any Decoder) throws {
            let all = try decoder.container(keyedBy: AnyKey.self)
            for key in all.allKeys where Key(rawValue: key.stringValue) == nil {
                throw DecodingError.dataCorruptedError(forKey: key, in: all, debugDescription: "unknown setting \(key.stringValue)")
            }
            let c = try decoder.container(keyedBy: Key.self)
            values.host = try c.decodeIfPresent(String.self, forKey: .host)
            values.port = try c.decodeIfPresent(Int.self, forKey: .port)
            values.databasePath = try c.decodeIfPresent(String.self, forKey: .databasePath) ?? c.decodeIfPresent(String.self, forKey: .database)
            values.keysDirectory = try c.decodeIfPresent(String.self, forKey: .keysDirectory)
            values.certificatesDirectory = try c.decodeIfPresent(String.self, forKey: .certificatesDirectory)
            values.maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes)
            values.tlsCertificatePath = try c.decodeIfPresent(String.self, forKey: .tlsCertificatePath)
            values.tlsKeyPath = try c.decodeIfPresent(String.self, forKey: .tlsKeyPath)
            values.logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel)
            values.verificationBaseURL = try c.decodeIfPresent(String.self, forKey: .verificationBaseURL)
            values.fontPath = try c.decodeIfPresent(String.self, forKey: .fontPath)
            values.fallbackFontPaths = try c.decodeIfPresent([String].self, forKey: .fallbackFontPaths)
            values.applicantRequestsPerMinute = try c.decodeIfPresent(Int.self, forKey: .applicantRequestsPerMinute)
            values.treeHeadIntervalSeconds = try c.decodeIfPresent(Int.self, forKey: .treeHeadIntervalSeconds)
            values.obligationSweepIntervalSeconds = try c.decodeIfPresent(Int.self, forKey: .obligationSweepIntervalSeconds)
            values.publicRequestsPerMinute = try c.decodeIfPresent(Int.self, forKey: .publicRequestsPerMinute)
            values.idleTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .idleTimeoutSeconds)
            values.maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections)
            values.trustedProxies = try c.decodeIfPresent([String].self, forKey: .trustedProxies)
            values.smsGatewayURL = try c.decodeIfPresent(String.self, forKey: .smsGatewayURL)
            values.sealToken = try c.decodeIfPresent(String.self, forKey: .sealToken)
        }
        func applied(to base: DaemonConfiguration) -> DaemonConfiguration { values.applied(to: base) }
    }
}
