import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
@testable import ZeroTrip
import ZeroTripDocuments
import ZeroTripDomainTestSupport
import ZeroTripTestSupport

/// Two `zerotrip serve` processes on one PostgreSQL database, as behind a load balancer.
@Suite(
    "Two daemons, one PostgreSQL database", .tags(.process), .notInFastLoop, .serialized,
    .enabled(if: TestDatabase.isPostgres && ZeroTripExecutable.binary != nil, "needs ZEROTRIP_TEST_DATABASE_URL and the built zerotrip executable"))
struct SharedDatabaseTests {
    final class Shared: Sendable {
        let issued = Mutex<[(id: String, token: String, through: String)]>([])
        let revoked = Mutex<Set<String>>([])
        /// Revocations sent whose answer never came (the daemon was killed): they may have committed or not.
        let revokeUnanswered = Mutex<Set<String>>([])
        let serverErrors = Mutex<[String]>([])
        /// Why a client stopped before the end (the daemon it talked to was killed, or a request timed out).
        let clientEnds = Mutex<[String]>([])
        /// Answers other than 201 to issuance, by daemon and status.
        let refusals = Mutex<[String: Int]>([:])
        let stop = Atomic(false)
    }

    @Test(
        "Issue, revoke, verify and rotate through both daemons, one SIGKILLed mid-load: every acknowledged document answers through the other; audit chain, log and key counters agree"
    )
    func twoDaemons() async throws {
        try await LoadTests.bounded(seconds: 180, "two daemons") { try await self.body() }
    }

    func body() async throws {
        let base = try #require(TestDatabase.postgresURL)
        let location = TestDatabase.newSchema("two_", on: base).url
        let environment = ["ZEROTRIP_DATABASE_URL": location]
        let cli = CommandLineTests()
        let dir = try cli.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let setup = try cli.run(["demo", "setup", "--persons", CommandLineTests.demoPersons], in: dir, environment: environment)
        #expect(setup.status == 0, "\(setup.output)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("var/zerotrip.sqlite").path), "the demo went to SQLite")
        let rsj = try CommandLineTests.demoToken("RSJ", in: dir)

        var (a, portA) = try await LoadTests.serve(in: dir, environment: environment)
        let (b, portB) = try await LoadTests.serve(in: dir, environment: environment)
        defer {
            for server in [a, b] where server.isRunning { kill(server.processIdentifier, SIGKILL) }
        }
        let shared = Shared()
        let ports = [(portA, "A"), (portB, "B")]
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    let (port, name) = ports[index % 2]
                    group.addTask {
                        // 30 s per request: in a full run the other suites load the two cores, and a write can wait its
                        // turn behind both daemons' writers for seconds; a daemon that never answers still fails the bound.
                        do {
                            try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30))) { client in
                                var round = 0
                                while !shared.stop.load(ordering: .relaxed) {
                                    round += 1
                                    let response = try await client.post(
                                        "/v1/documents", headers: LoadTests.headers(rsj), body: ByteBuffer(string: LoadTests.issueBody))
                                    if response.status.code >= 500 {
                                        shared.serverErrors.withLock { $0.append("\(name) issue \(response.status.code)") }
                                    }
                                    if response.status != .created {
                                        shared.refusals.withLock { $0["\(name) \(response.status.code)", default: 0] += 1 }
                                    }
                                    let body = LoadTests.json(response.body)
                                    guard response.status == .created, let token = body["token"] as? String,
                                        let id = (body["document"] as? [String: Any])?["id"] as? String
                                    else { continue }
                                    shared.issued.withLock { $0.append((id, token, name)) }
                                    let verify = try await client.post(
                                        "/v1/verify", headers: LoadTests.headers(rsj), body: ByteBuffer(string: #"{"token":"\#(token)"}"#))
                                    if verify.status.code >= 500 {
                                        shared.serverErrors.withLock { $0.append("\(name) verify \(verify.status.code)") }
                                    }
                                    if round % 3 == 1 {
                                        shared.revokeUnanswered.withLock { _ = $0.insert(id) }
                                        let revoke = try await client.post(
                                            "/v1/documents/\(id)/revoke", headers: LoadTests.headers(rsj),
                                            body: ByteBuffer(string: #"{"reason":"issued_in_error"}"#))
                                        shared.revokeUnanswered.withLock { _ = $0.remove(id) }
                                        if revoke.status == .ok { shared.revoked.withLock { _ = $0.insert(id) } }
                                        if revoke.status.code >= 500 {
                                            shared.serverErrors.withLock { $0.append("\(name) revoke \(revoke.status.code)") }
                                        }
                                    }
                                }
                            }
                        } catch {
                            shared.clientEnds.withLock { $0.append("\(name): \(error)") }
                        }
                    }
                }
            }
        }
        try await Task.sleep(for: .seconds(2))
        // A key rotation by a third process (the CLI) while both daemons issue: the old key stops signing at once.
        let rotation = try cli.run(["keys", "rotate", "--department", "RSJ", "--overlap-seconds", "0"], in: dir, environment: environment)
        #expect(rotation.status == 0, "\(rotation.output)")
        // A is killed mid-load once both daemons have acknowledged documents and a few were issued after the
        // rotation (on a machine loaded by the other suites a cold daemon's first issuance can take seconds).
        let deadline = ContinuousClock.now + .seconds(60)
        let before = shared.issued.withLock { $0.count }
        func loadUnderWay() -> Bool {
            shared.issued.withLock { issued in
                issued.count > before + 4 && ["A", "B"].allSatisfy { name in issued.contains { $0.through == name } }
            }
        }
        while ContinuousClock.now < deadline && !loadUnderWay() {
            try await Task.sleep(for: .milliseconds(200))
        }
        try await Task.sleep(for: .seconds(1))
        kill(a.processIdentifier, SIGKILL)
        a.waitUntilExit()
        try await Task.sleep(for: .seconds(1))
        shared.stop.store(true, ordering: .relaxed)
        await load.value

        let documents = shared.issued.withLock { $0 }
        let revoked = shared.revoked.withLock { $0 }
        let unanswered = shared.revokeUnanswered.withLock { $0 }
        #expect(shared.serverErrors.withLock { $0 }.filter { !$0.hasPrefix("A") }.isEmpty, "\(shared.serverErrors.withLock { $0 })")
        #expect(
            documents.contains { $0.through == "A" } && documents.contains { $0.through == "B" },
            "refusals \(shared.refusals.withLock { $0 }), clients ended early: \(shared.clientEnds.withLock { $0 })")
        #expect(!revoked.isEmpty)
        #expect(
            documents.filter { unanswered.contains($0.id) }.allSatisfy { $0.through == "A" },
            "a revocation sent to the daemon that stayed up was never answered; clients ended early: \(shared.clientEnds.withLock { $0 })")

        try await TestClient.withClient(host: "127.0.0.1", port: portB, configuration: LoadTests.client) { client in
            for document in documents {
                let record = try await client.get("/v1/documents/\(document.id)", headers: LoadTests.headers(rsj))
                #expect(record.status == .ok, "document \(document.id) (through \(document.through)) was answered 201 but is missing")
                let report = LoadTests.json(
                    try await client.post(
                        "/v1/verify", headers: LoadTests.headers(rsj),
                        body: ByteBuffer(string: #"{"token":"\#(document.token)"}"#)
                    ).body)
                // A revocation acknowledged with 200 must hold; one whose answer was lost with the killed daemon may
                // have committed or not; a document never sent for revocation must be valid.
                let result = report["result"] as? String
                if revoked.contains(document.id) {
                    #expect(result == "revoked", "\(document.id): \(report)")
                } else if unanswered.contains(document.id) {
                    #expect(result == "revoked" || result == "valid", "\(document.id): \(report)")
                } else {
                    #expect(result == "valid", "\(document.id) through \(document.through): \(report)")
                }
            }
        }
        let audit = try cli.run(["audit", "verify"], in: dir, environment: environment)
        #expect(audit.status == 0, "\(audit.output)")
        let log = try cli.run(["log", "audit"], in: dir, environment: environment)
        #expect(log.status == 0, "\(log.output)")
        // The daemon that was killed starts again on the same database and answers.
        (a, portA) = try await LoadTests.serve(in: dir, environment: environment)
        let health = try await TestClient.withClient(host: "127.0.0.1", port: portA, configuration: LoadTests.client) { client in
            try await client.get("/readyz", headers: LoadTests.headers(nil))
        }
        #expect(health.status == .ok)

        let database = try AppDatabase.open(location: location)
        let counters = try await database.read { db in
            try db.fetchAll(
                sql: """
                    SELECT k.kid, k.usage_count, (SELECT COUNT(*) FROM documents d WHERE d.kid = k.kid) AS registered
                    FROM signing_keys k WHERE k.role = 'seal'
                    """
            ).map { (kid: $0["kid"] as String, used: $0["usage_count"] as Int, registered: $0["registered"] as Int) }
        }
        #expect(counters.filter { $0.registered > 0 }.count >= 2, "the rotation's new key signed nothing: \(counters)")
        for counter in counters {
            #expect(counter.used == counter.registered, "key \(counter.kid): usage counter \(counter.used), register \(counter.registered)")
        }
    }
}

@Suite("SQLite → PostgreSQL migration", .tags(.process), .notInFastLoop, .enabled(if: TestDatabase.isPostgres, "needs ZEROTRIP_TEST_DATABASE_URL"))
struct MigrationTests {
    @Test(
        "migrate-to copies a busy district whole: every table's rows and contents, the audit head and the log root equal; the copy serves; a second run is refused"
    )
    func roundTrip() async throws {
        let district = try TestDistrict(fileDatabase: true)
        try await district.setUp(departments: CreditFixtures.departments)
        try await CreditFixtures.load(district.services)
        let services = district.services
        let first = try await services.documents.issue(DocumentIssuanceTests.request, actor: "test")
        let second = try await services.documents.issue(DocumentIssuanceTests.request, actor: "test")
        let replacement = try await services.documents.reissue(first.record.id, with: DocumentIssuanceTests.request, actor: "test")
        _ = try await services.documents.revoke(second.record.id, reason: .issuedInError, actor: "test")
        let application = try await ApplicationTests.approvedTrustApplication(district, IdentityFixtures.zhang)
        _ = try await IdentityFixtures.smsSession(services, person: IdentityFixtures.zhang)
        let zhang = try #require(try await services.identity.registry.subject(idNumber: IdentityFixtures.zhang.id))
        _ = try await services.consent.grant(
            subject: .person(zhang), department: nil, matter: "JZDJ", resultTypes: nil, days: nil, channel: .app,
            actor: "test", assuranceTier: 1)
        try await services.administration.signTreeHead(services.log)

        let base = try #require(TestDatabase.postgresURL)
        let target = TestDatabase.newSchema("mig_", on: base).url
        let summary = try await DatabaseMigration.migrate(sqlitePath: district.home.databasePath, to: target)
        #expect(summary.identical, "\(summary.rows.filter { $0.source != $0.target || !$0.sameContent })")
        for table in [
            "documents", "document_pdfs", "audit_events", "log_nodes", "credit_events", "applications", "obligations", "persons", "assurance_records",
        ] {
            #expect((summary.rows.first { $0.table == table }?.source ?? 0) > 0, "\(table) was empty: the round trip proves little")
        }
        // Every table is copied (but the two-minute device challenges), including ones added after the copy was written.
        let schema = try await services.database.read { db in try db.tableNames() }
        let left = Set(schema).subtracting(summary.rows.map(\.table)).subtracting(["device_challenges", "grdb_migrations", "sqlite_sequence"])
        #expect(left.isEmpty, "not copied: \(left.sorted())")

        // The copy serves: the same answers for the documents, and new writes continue the chain and the log.
        let copy = ZeroTripServices(
            database: try AppDatabase.open(location: target), home: district.home,
            passphrase: PassphraseSource(explicit: TestDistrict.passphrase, environment: [:], keys: district.home.keyFiles),
            clock: ZeroTripClock { district.clock.now })
        #expect(try await copy.documents.verifyToken(replacement.qrContent, actor: "test", audit: false).result == .valid)
        #expect(try await copy.documents.verifyToken(second.qrContent, actor: "test", audit: false).result == .revoked)
        #expect(try await copy.documents.pdf(id: replacement.record.id) == replacement.pdf)
        #expect(try await copy.applications.application(application.id).state == .approved)
        _ = try await copy.documents.issue(DocumentIssuanceTests.request, actor: "test")
        guard case .intact(let events, _) = try await AuditLog.verify(copy.database), case .intact(let before, _) = summary.sourceAudit else {
            Issue.record("the copy's audit chain broke after a new issuance"); return
        }
        #expect(events > before)

        let again = await #expect(throws: ZeroTripError.self) {
            try await DatabaseMigration.migrate(sqlitePath: district.home.databasePath, to: target)
        }
        #expect(again?.code == .alreadyInitialized)
    }
}

/// docs/deployment.md's PostgreSQL backup path, with the server's own tools.
@Suite(
    "PostgreSQL: pg_dump and pg_restore", .tags(.process), .notInFastLoop, .serialized,
    .enabled(if: TestDatabase.isPostgres && ZeroTripExecutable.binary != nil, "needs ZEROTRIP_TEST_DATABASE_URL and the built zerotrip executable"))
struct PostgresRestoreTests {
    @Test(
        "A district dumped with pg_dump while it holds documents, revocations and tree heads restores into an empty database where audit verify and log audit pass with the same counts, and it serves"
    )
    func dumpAndRestore() async throws {
        let base = try #require(TestDatabase.postgresURL)
        let (schema, source) = TestDatabase.newSchema("dump_", on: base)
        let cli = CommandLineTests()
        let dir = try cli.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let environment = ["ZEROTRIP_DATABASE_URL": source]
        let setup = try cli.run(["demo", "setup", "--persons", CommandLineTests.demoPersons], in: dir, environment: environment)
        try #require(setup.status == 0, "\(setup.output)")
        // Some history worth restoring: a revocation and a signed tree head on top of the demo's documents.
        let services = try ZeroTripServices.open(
            home: ZeroTripHome(
                keysDirectory: dir.appendingPathComponent("Keys"),
                certificatesDirectory: dir.appendingPathComponent("Certificates"),
                databasePath: source))
        let first = try #require(try await services.documents.records(department: nil, limit: 10).first)
        _ = try await services.documents.revoke(first.id, reason: .issuedInError, actor: "test")
        try await services.administration.signTreeHead(services.log)
        let original = (
            audit: try cli.run(["audit", "verify"], in: dir, environment: environment),
            log: try cli.run(["log", "audit"], in: dir, environment: environment)
        )
        #expect(original.audit.status == 0 && original.log.status == 0, "\(original)")
        #expect(!original.audit.output.contains(" 0 events"), "the demo left no audit events: the comparison would prove little")

        // pg_dump of the district's schema; restore into a new, empty database.
        guard let url = URLComponents(string: base), let host = url.host, let port = url.port, let user = url.user else {
            Issue.record("cannot read host, port and user from \(base)"); return
        }
        let connection = ["-h", host, "-p", "\(port)", "-U", user]
        let dump = dir.appendingPathComponent("district.dump").path
        let dumped = try ExternalCommand.run(
            ["pg_dump"] + connection + ["--format=custom", "--schema=\(schema)", "--file=\(dump)", url.path.trimmingCharacters(in: ["/"])], in: dir,
            withErrors: true)
        try #require(dumped.status == 0, "\(dumped.output)")
        let restoredName = "restored_" + schema
        let created = try ExternalCommand.run(["createdb"] + connection + [restoredName], in: dir, withErrors: true)
        try #require(created.status == 0, "\(created.output)")
        defer { _ = try? ExternalCommand.run(["dropdb"] + connection + [restoredName], in: dir, withErrors: true) }
        let restored = try ExternalCommand.run(
            ["pg_restore"] + connection + ["--dbname=\(restoredName)", "--exit-on-error", dump], in: dir, withErrors: true)
        try #require(restored.status == 0, "\(restored.output)")

        var target = url
        target.path = "/\(restoredName)"
        target.queryItems = (url.queryItems ?? []) + [URLQueryItem(name: "schema", value: schema)]
        let copy = ["ZEROTRIP_DATABASE_URL": try #require(target.string)]
        let audit = try cli.run(["audit", "verify"], in: dir, environment: copy)
        let log = try cli.run(["log", "audit"], in: dir, environment: copy)
        #expect(audit.status == 0, "\(audit.output)")
        #expect(log.status == 0, "\(log.output)")
        #expect(audit.output == original.audit.output, "the restored chain differs:\n\(audit.output)\nvs\n\(original.audit.output)")
        #expect(log.output == original.log.output, "the restored log differs:\n\(log.output)\nvs\n\(original.log.output)")

        // The restored copy answers from the register: the revoked document is revoked there too.
        let shown = try cli.run(["documents", "show", first.id.rawValue], in: dir, environment: copy)
        #expect(shown.status == 0 && shown.output.contains("revoked"), "\(shown.output)")
    }
}
