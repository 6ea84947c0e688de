import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import ZeroTrip
import ZeroTripDocuments
import ZeroTripServer
import ZeroTripDomainTestSupport

/// A district with departments and credentials, served by `buildApplication` exactly as in production.
final class ServerFixture: @unchecked Sendable {
    let root: URL
    let services: ZeroTripServices
    var configuration: DaemonConfiguration
    /// Token per scope: each credential carries exactly one scope.
    var tokens: [Scope: String] = [:]
    /// Token with every scope except `admin`.
    var noAdminToken = ""

    /// `clock`: the services' time source (a test that needs time to pass gives its own).
    /// `sealToken`: the `pkcs11:` URI seal keys are made in (``ZeroTripHome/sealToken``); `rootToken`: the one the root
    /// key is made in (PIN from `ZEROTRIP_ROOT_TOKEN_PIN`).
    init(initialize: Bool = true, clock: ZeroTripClock = .system, sealToken: String? = nil, rootToken: String? = nil) async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var home = ZeroTripHome(root: root)
        home.keyEncryption = .testing
        home.sealToken = sealToken
        services = ZeroTripServices(
            database: try TestDatabase.make(), home: home,
            passphrase: PassphraseSource(explicit: "server test passphrase", environment: [:], keys: home.keyFiles), clock: clock)
        var configuration = DaemonConfiguration()
        configuration.maxBodyBytes = 4096
        configuration.port = 0
        self.configuration = configuration
        guard initialize else { return }
        _ = try await services.administration.initialize(district: "禅城区", province: "广东省", city: "佛山市", rootToken: rootToken, actor: "test")
        _ = try await services.administration.addDepartment(code: "ZSJ", name: "区政务服务数据管理局", actor: "test")
        _ = try await services.administration.addDepartment(code: "RSJ", name: "区人力资源和社会保障局", actor: "test")
        for scope in Scope.all {
            tokens[scope] = try await services.credentials.create(department: "RSJ", scopes: [scope], label: scope.rawValue, actor: "test").token
        }
        noAdminToken = try await services.credentials.create(department: "RSJ", scopes: Set(Scope.all.filter { $0 != .admin }), actor: "test").token
        try await IdentityFixtures.importDemoRegistry(services)
    }

    private var cachedApplicant: IssuedSession?
    /// A tier-3 session (window check) of 李晓梅, the holder of ``issueDocument(department:)``'s documents.
    func applicant() async throws -> IssuedSession {
        if let cachedApplicant { return cachedApplicant }
        let session = try await IdentityFixtures.windowSession(services, person: IdentityFixtures.li)
        cachedApplicant = session
        return session
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func application() throws -> some ApplicationProtocol {
        try buildApplication(
            configuration: configuration, services: services,
            logger: {
                var logger = Logger(label: "test"); logger.logLevel = .warning; return logger
            }())
    }

    /// Raises the request body limit (PDF uploads need more than the fixture's 4 KiB).
    func configurationMaxBody(_ bytes: Int) { configuration.maxBodyBytes = bytes }

    /// Adds a department with a credential holding `scopes`, returning its token.
    func addDepartmentCredential(code: String, scopes: Set<Scope>) async throws -> String {
        _ = try await services.administration.addDepartment(code: code, name: "测试\(code)", actor: "test")
        return try await services.credentials.create(department: code, scopes: scopes, label: code, actor: "test").token
    }

    /// Issues a document for RSJ (the department of every fixture credential).
    func issueDocument(department: String = "RSJ") async throws -> IssuedDocument {
        try await services.documents.issue(
            IssueDocumentRequest(
                departmentCode: department, matterCode: "QZDJ", matterName: "求职登记证明", holderName: "李晓梅", holderIDNumber: "440604198506120023",
                fields: [ResultField(label: "求职意向", value: "电子商务")], validDays: 90, pickupMode: .kioskPrint), actor: "test")
    }

    /// Adds the demo catalogue's departments and loads the demo policy, catalogue and credit records.
    func loadCredit() async throws {
        for (code, name) in CreditFixtures.departments where try await services.administration.department(code: code) == nil {
            _ = try await services.administration.addDepartment(code: code, name: name, actor: "test")
        }
        try await CreditFixtures.load(services)
    }

    /// A submitted application of 李晓梅 for 求职登记 (RSJ, the fixture credentials' department).
    func submitApplication(mode: ApplicationMode = .standard, provided: [String] = ["ID_CARD", "RESUME", "DIPLOMA"]) async throws -> ApplicationRecord
    {
        try await loadCredit()
        return try await services.applications.submit(
            NewApplication(matterCode: "QZDJ", idNumber: IdentityFixtures.li.id, name: IdentityFixtures.li.name, mode: mode, provided: provided),
            department: "RSJ", actor: "test")
    }

    /// A 容缺 application of 李晓梅 with the diploma missing, committed at the window and accepted.
    func acceptedTrustApplication() async throws -> ApplicationRecord {
        let record = try await submitApplication(mode: .trust, provided: ["ID_CARD", "RESUME"])
        let assurance = try await services.identity.windowCheck(
            card: CardRead(idNumber: IdentityFixtures.li.id, name: IdentityFixtures.li.name, validFrom: "2018-02-15", validUntil: "2038-02-15"),
            faceMatched: true, clerk: IdentityFixtures.clerk, station: "w1", actor: "test"
        ).assurance
        _ = try await services.applications.commit(record.id, assuranceID: assurance.id, department: "RSJ", actor: "test")
        return try await services.applications.accept(record.id, department: "RSJ", actor: "test")
    }

    /// How many `action` events the audit log accounts for: the anonymous-traffic counts are flushed first, and an
    /// aggregated event counts as its `count`.
    func auditCount(action: String) async throws -> Int {
        try await services.anonymousAudit.flush(to: services.database)
        return try await AuditLog.events(in: services.database, limit: 1000).filter { $0.action == action }.reduce(0) { $0 + Self.count(of: $1) }
    }

    /// The `count` of an aggregated audit event, 1 for an event recorded on its own.
    static func count(of event: AuditEvent) -> Int {
        guard let object = try? JSONSerialization.jsonObject(with: Data(event.details.utf8)) as? [String: String],
            let count = object["count"].flatMap(Int.init)
        else { return 1 }
        return count
    }
}

/// The JSON error body.
struct ErrorBody: Decodable {
    struct Detail: Decodable { var code: String; var message: String; var detail: String }
    var error: Detail
}
