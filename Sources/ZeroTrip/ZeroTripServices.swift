import Foundation
import ZeroTripCrypto

/// Everything the daemon and the CLI need, built once from a file layout.
public struct ZeroTripServices: Sendable {
    /// The database.
    public let database: AppDatabase
    /// Files on disk.
    public let home: ZeroTripHome
    /// The time source.
    public let clock: ZeroTripClock
    /// District PKI and departments.
    public let administration: DistrictAdministration
    /// Department credentials.
    public let credentials: CredentialService
    /// Result documents: issuing, register, verification.
    public let documents: DocumentService
    /// Applicant identity: registry, verification paths, devices, sessions.
    public let identity: IdentityService
    /// The transparency log over issuances, revocations and key events.
    public var log: TransparencyLog { documents.log }
    /// The signed trust list and CRL.
    public let trustList: TrustListService
    /// Credit: catalogue, policy, events, levels.
    public var credit: CreditService { applications.credit }
    /// Consent grants and the reuse of results under them.
    public var consent: ConsentService { applications.consent }
    /// Ratings of finished services (好差评) and their figures.
    public var ratings: RatingService { applications.ratings }
    /// Complaints and the follow-up of poor ratings.
    public var complaints: ComplaintService { applications.complaints }
    /// Staff directory, stalled-review notices and review times (督办).
    public var supervision: SupervisionService { applications.supervision }
    /// Applications with trust-based approval and deferral, commitments and obligations.
    public let applications: ApplicationService
    /// Clerks signed in at window stations.
    public let windows: WindowSessions
    /// Counted audit of anonymous traffic (public page views, unauthenticated and rate-limited requests).
    public let anonymousAudit: AuditAggregator
    /// 量化积分: scoring runs, claims, disputes, certificates.
    public let points: PointsService

    /// Wires the services over `database` and `home`.
    public init(
        database: AppDatabase, home: ZeroTripHome, passphrase: PassphraseSource, clock: ZeroTripClock = .system,
        verificationBaseURL: String = DaemonConfiguration().verificationBaseURL, fontPath: String = DaemonConfiguration().fontPath,
        fallbackFontPaths: [String] = DaemonConfiguration().fallbackFontPaths, identityPolicy: IdentityPolicy = IdentityPolicy(),
        deliverSMS: Bool = false
    ) {
        self.database = database
        self.home = home
        self.clock = clock
        self.administration = DistrictAdministration(database: database, home: home, passphrase: passphrase, clock: clock)
        self.credentials = CredentialService(database: database, clock: clock)
        self.windows = WindowSessions(database: database, credentials: credentials, clock: clock)
        self.identity = IdentityService(database: database, keys: home.keyFiles, clock: clock, policy: identityPolicy, deliverSMS: deliverSMS)
        self.documents = DocumentService(
            database: database, administration: administration, registry: identity.registry, clock: clock,
            verificationBaseURL: verificationBaseURL, fontPath: fontPath, fallbackFontPaths: fallbackFontPaths)
        self.trustList = TrustListService(database: database, administration: administration, log: documents.log, clock: clock)
        self.anonymousAudit = AuditAggregator(clock: clock)
        self.applications = ApplicationService(
            database: database, clock: clock,
            credit: CreditService(database: database, clock: clock, registry: identity.registry),
            documents: documents, identity: identity)
        self.points = PointsService(
            database: database, clock: clock, registry: identity.registry, documents: documents, identityPolicy: identity.policy)
    }

    /// Opens the SQLite database of `home` and wires the services.
    public static func open(home: ZeroTripHome, passphrase explicit: String? = nil, clock: ZeroTripClock = .system) throws -> ZeroTripServices {
        var configuration = DaemonConfiguration()
        configuration.databasePath = home.databasePath
        return try open(configuration: configuration, home: home, passphrase: explicit, clock: clock)
    }

    /// Opens the database (an SQLite file, or PostgreSQL for a `postgres://` location) and wires the services with
    /// the document settings of `configuration`.
    public static func open(
        configuration: DaemonConfiguration, home: ZeroTripHome? = nil, passphrase explicit: String? = nil, clock: ZeroTripClock = .system
    ) throws -> ZeroTripServices {
        let home = home ?? configuration.home
        let database = try AppDatabase.open(location: home.databasePath)
        return ZeroTripServices(
            database: database, home: home, passphrase: PassphraseSource(explicit: explicit, keys: home.keyFiles), clock: clock,
            verificationBaseURL: configuration.verificationBaseURL, fontPath: configuration.fontPath,
            fallbackFontPaths: configuration.fallbackFontPaths, deliverSMS: configuration.smsGatewayURL != nil)
    }

    /// Records an audit event in its own transaction at the clock's time.
    public func audit(_ entry: AuditEntry) async throws {
        try await AuditLog.append(entry, at: clock.now(), to: database)
    }

    /// Readiness: the database answers, the district exists, and every key file is present and private.
    @discardableResult
    public func checkReadiness() async throws -> ListSigning {
        guard try await administration.district() != nil else { throw ZeroTripError(.notInitialized, "the district is not initialised") }
        try await administration.checkKeyFiles()
        return try await administration.listSigning()
    }
}
