import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
import ZeroTrip
import ZeroTripTestSupport

/// The real daemon (`zerotrip serve`, a separate process, so a hang shows as timeouts here rather than hanging the
/// test run) under concurrent load on loopback, bounded in time and count.
@Suite(
    "The daemon under load", .tags(.process), .notInFastLoop, .serialized,
    .enabled(if: ZeroTripExecutable.binary != nil, "the zerotrip executable is built by `swift build` first"))
struct LoadTests {
    /// A demo district served on a free port, with what the load needs: a department credential, a document (token and
    /// PDF), an applicant session.
    struct Daemon {
        var dir: URL
        var server: Process
        var port: Int
        var rsj: String
        var token: String
        var pdf: ByteBuffer
        var applicant: String
        /// A window-station session cookie of RSJ.
        var window: String
        /// GAJ's credential (documents:reuse), to which 张三丰 granted his results for 居住登记.
        var gaj: String
        /// ZSJ's credential (admin, audit:read, statistics:read).
        var zsj: String
        /// The number of the document `token` stands for.
        var documentID: String

        /// Kills the daemon if it still runs and removes its district: every test's clean-up, however it ended.
        func discard() {
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(at: dir)
        }
    }

    static func json(_ buffer: ByteBuffer?) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.map { Array($0.readableBytesView) } ?? []))) as? [String: Any] ?? [:]
    }

    static func headers(_ token: String?, contentType: String = "application/json") -> HTTPFields {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        headers[.contentType] = contentType
        return headers
    }

    static let issueBody =
        #"{"matterCode":"QZDJ","matterName":"求职登记证明","holderName":"张三丰","holderIdNumber":"440104199001010010","fields":[{"label":"求职意向","value":"电子商务"}]}"#

    func start(environment: [String: String] = [:]) async throws -> Daemon {
        let cli = CommandLineTests()
        let dir = try cli.demoDistrict()
        let rsj = try CommandLineTests.demoToken("RSJ", in: dir)
        let (server, port) = try await Self.serve(in: dir, environment: environment)
        return try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: Self.client) { client in
            let issued = try await client.post("/v1/documents", headers: Self.headers(rsj), body: ByteBuffer(string: Self.issueBody))
            #expect(issued.status == .created)
            let body = Self.json(issued.body)
            let token = try #require(body["token"] as? String), path = try #require(body["pdf"] as? String)
            let documentID = try #require((body["document"] as? [String: Any])?["id"] as? String)
            let pdf = try #require(try await client.get(path, headers: Self.headers(rsj)).body)
            let started = Self.json(
                try await client.post(
                    "/v1/applicant/verifications", headers: Self.headers(nil),
                    body: ByteBuffer(string: #"{"method":"sms","idNumber":"440104199001010010","name":"张三丰"}"#)
                ).body)
            let outbox = try cli.run(["identity", "outbox", "--last", "1"], in: dir).output
            let code = try #require(outbox.firstMatch(of: /验证码为(\d{6})/)?.1)
            let id = try #require(started["verificationId"] as? String), secret = try #require(started["secret"] as? String)
            let session = Self.json(
                try await client.post(
                    "/v1/applicant/verifications/\(id)/code", headers: Self.headers(nil),
                    body: ByteBuffer(string: #"{"secret":"\#(secret)","code":"\#(code)"}"#)
                ).body)
            let applicant = try #require(session["token"] as? String)
            // 张三丰 lets GAJ use his 个人参保证明 (issued by the demo) for 居住登记: the reuse family pulls it.
            let granted = try await client.post(
                "/v1/applicant/consents", headers: Self.headers(applicant), body: ByteBuffer(string: #"{"matter":"JZDJ"}"#))
            #expect(granted.status == .created, "\(String(buffer: granted.body ?? ByteBuffer()))")
            let gaj = try CommandLineTests.demoToken("GAJ", in: dir)
            // A clerk signed in at a window station of RSJ (the page form: pre-login cookie and its token).
            let login = try await client.get("/window/login")
            let pre = try #require(
                login.headers[values: .setCookie].first { $0.hasPrefix("zt_wpre=") }?.prefix { $0 != ";" }.dropFirst("zt_wpre=".count))
            var form = HTTPFields()
            form[.contentType] = "application/x-www-form-urlencoded"
            form[.cookie] = "zt_wpre=\(pre)"
            let signedIn = try await client.post(
                "/window/login", headers: form,
                body: ByteBuffer(string: "csrf=\(pre)&credential=\(rsj)&clerkId=RS-0007&clerkName=%E5%88%98%E6%B4%8B&station=1"))
            let window = try #require(
                signedIn.headers[values: .setCookie].first { $0.hasPrefix("zt_window=") }?.prefix { $0 != ";" }.dropFirst("zt_window=".count))
            return Daemon(
                dir: dir, server: server, port: port, rsj: rsj, token: token, pdf: pdf, applicant: applicant, window: String(window), gaj: gaj,
                zsj: try CommandLineTests.demoToken("ZSJ", in: dir), documentID: documentID)
        }
    }

    /// What the clients saw, per route family.
    struct Tally: Sendable {
        var answers: [String: [Int: Int]] = [:]
        var failures: [String] = []
        var healthWorst: Duration = .zero
        func count(_ family: String, _ status: Int) -> Int { answers[family]?[status] ?? 0 }
        var serverErrors: Int { answers.values.reduce(0) { $0 + $1.filter { $0.key >= 500 }.values.reduce(0, +) } }
    }

    /// Shared between the client tasks.
    final class Shared: Sendable {
        let tally = Mutex(Tally())
        let stop = Atomic(false)
        /// Set at SIGTERM: connections refused or closed from then on are expected, not failures.
        let draining = Atomic(false)
        let issued = Mutex<[(id: String, token: String)]>([])
        var stopped: Bool { stop.load(ordering: .relaxed) }
    }

    /// One request of each family.
    static func request(family: String, daemon: Daemon, index: Int) -> TestClient.Request {
        switch family {
        case "verify":
            return .init("/v1/verify", method: .post, headers: headers(daemon.rsj), body: ByteBuffer(string: #"{"token":"\#(daemon.token)"}"#))
        case "verify-pdf":
            return .init("/v1/verify/pdf", method: .post, headers: headers(daemon.rsj, contentType: "application/pdf"), body: daemon.pdf)
        case "credit":
            return .init("/v1/credit/440604197803150419?matter=QZDJ", method: .get, headers: headers(daemon.rsj))
        case "applicant":
            return .init("/v1/applicant/documents", method: .get, headers: headers(daemon.applicant))
        case "pages":
            // The applicant's pages: the signed-in list of results (session cookie, HTML).
            var fields = HTTPFields()
            fields[.cookie] = "zt_session=\(daemon.applicant)"
            return .init("/my/", method: .get, headers: fields)
        case "reuse":
            return .init(
                "/v1/reuse/documents", method: .post, headers: headers(daemon.gaj),
                body: ByteBuffer(string: #"{"idNumber":"440104199001010010","matter":"JZDJ"}"#))
        case "ratings":
            // By client: the applicant's invitations to rate finished services (好差评); a window recording a service
            // without an application (the first call per clerk invites, the others find that day's invitation); the
            // applicant's complaints; the department's complaint queue.
            switch index % 4 {
            case 0: return .init("/v1/applicant/ratings", method: .get, headers: headers(daemon.applicant))
            case 1:
                return .init(
                    "/v1/window-services", method: .post, headers: headers(daemon.gaj),
                    body: ByteBuffer(string: #"{"idNumber":"440104199001010010","service":"consultation","clerk":"GA-\#(index)"}"#))
            case 2: return .init("/v1/applicant/complaints", method: .get, headers: headers(daemon.applicant))
            default: return .init("/v1/complaints", method: .get, headers: headers(daemon.gaj))
            }
        case "points":
            // The person's points (先赋分 by the demo's run): the API and the 积分 page, alternately by client.
            if index % 2 == 0 { return .init("/v1/applicant/points", method: .get, headers: headers(daemon.applicant)) }
            var fields = HTTPFields()
            fields[.cookie] = "zt_session=\(daemon.applicant)"
            return .init("/my/points", method: .get, headers: fields)
        case "window":
            // The window station: the department's list of applications (session cookie, HTML).
            var fields = HTTPFields()
            fields[.cookie] = "zt_window=\(daemon.window)"
            return .init("/window/applications", method: .get, headers: fields)
        default:
            return .init("/v1/documents", method: .post, headers: headers(daemon.rsj), body: ByteBuffer(string: issueBody))
        }
    }

    /// `/healthz`'s status on a connection of its own, which must answer within a second.
    static func health(_ port: Int) async throws -> HTTPResponse.Status {
        try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(1))) {
            try await $0.get("/healthz").status
        }
    }

    /// Every request these tests make directly is bounded: a hung daemon fails the test, it does not hang it.
    static let client = TestClient.Configuration(timeout: .seconds(10))

    /// The daemons started by the running test (the suite is serialized); those still running are killed when it
    /// overruns its bound. Kept as processes, not pids, so an exited daemon's reused pid is never signalled.
    static let started = Mutex<[Process]>([])

    /// Starts `zerotrip serve` in `dir`, remembered in ``started`` so a test that overruns its bound can kill it.
    static func serve(in dir: URL, environment: [String: String] = [:]) async throws -> (Process, Int) {
        let (server, port) = try await CommandLineTests().startServer(in: dir, environment: environment)
        started.withLock { $0.append(server) }
        return (server, port)
    }

    /// Runs `body` with a time bound: a hung daemon (or a client that waits on it forever) fails the test with a
    /// message and its daemons are killed, instead of the whole test run hanging. Not `.timeLimit`: that waits for a
    /// body that ignores cancellation, and a client blocked on a silent daemon only returns once the daemon is gone.
    static func bounded(seconds: Int, _ name: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
        final class Once: Sendable {
            let done = Atomic<Bool>(false)
            func claim() -> Bool { !done.exchange(true, ordering: .sequentiallyConsistent) }
        }
        started.withLock { $0.removeAll() }
        let once = Once()
        let outcome: Result<Void, any Error>? = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Void, any Error>?, Never>) in
            let timer = Task { @Sendable in
                // Cancelled once the body has finished: no late timeout.
                guard (try? await Task.sleep(for: .seconds(seconds))) != nil else { return }
                if once.claim() { continuation.resume(returning: nil) }
            }
            Task { @Sendable in
                let result: Result<Void, any Error>
                do { try await body(); result = .success(()) } catch { result = .failure(error) }
                if once.claim() { continuation.resume(returning: result) }
                timer.cancel()
            }
        }
        guard let outcome else {
            Issue.record("\(name) did not finish within \(seconds) s: the daemon (or a client) hung")
            for server in started.withLock({ $0 }) where server.isRunning { kill(server.processIdentifier, SIGKILL) }
            return
        }
        try outcome.get()
    }

    static let families: [(name: String, clients: Int)] = [
        ("verify", 10), ("verify-pdf", 8), ("credit", 12), ("applicant", 8), ("pages", 3), ("window", 3), ("reuse", 4), ("ratings", 4), ("points", 2),
        ("issue", 10),
    ]

    /// Runs every family's clients at once until `stop` is set; each client keeps one connection open. `request` is
    /// given the client's index in its family and its turn (how many requests it has sent before); `answered` sees
    /// every answer after it is tallied.
    static func drive(
        _ daemon: Daemon, shared: Shared, families: [(name: String, clients: Int)] = families,
        request: @escaping @Sendable (_ family: String, _ daemon: Daemon, _ index: Int, _ turn: Int) -> TestClient.Request = {
            family, daemon, index, _ in request(family: family, daemon: daemon, index: index)
        },
        answered: @escaping @Sendable (_ family: String, _ response: TestClient.Response) -> Void = { _, _ in }
    ) async {
        await withTaskGroup(of: Void.self) { group in
            for (family, clients) in families {
                for index in 0..<clients {
                    group.addTask {
                        do {
                            try await TestClient.withClient(host: "127.0.0.1", port: daemon.port, configuration: Self.client) { client in
                                var turn = 0
                                while !shared.stopped {
                                    let response = try await client.execute(request(family, daemon, index, turn))
                                    turn += 1
                                    shared.tally.withLock { $0.answers[family, default: [:]][Int(response.status.code), default: 0] += 1 }
                                    answered(family, response)
                                }
                            }
                        } catch {
                            if !shared.draining.load(ordering: .relaxed) { shared.tally.withLock { $0.failures.append("\(family): \(error)") } }
                        }
                    }
                }
            }
            // /healthz with a 1 s limit, four times a second, from its own connection each time.
            group.addTask {
                while !shared.stopped {
                    let start = ContinuousClock.now
                    do {
                        let status = try await Self.health(daemon.port)
                        let elapsed = ContinuousClock.now - start
                        shared.tally.withLock { $0.healthWorst = max($0.healthWorst, elapsed) }
                        if status != .ok || elapsed > .seconds(1) {
                            shared.tally.withLock { $0.failures.append("healthz: \(status) after \(elapsed)") }
                        }
                    } catch {
                        if !shared.draining.load(ordering: .relaxed) { shared.tally.withLock { $0.failures.append("healthz: \(error)") } }
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
        }
    }

    func auditCounts(_ dir: URL) async throws -> [String: Int] {
        let queue = try AppDatabase.open(path: dir.appendingPathComponent("var/zerotrip.sqlite").path)
        return try await queue.read { db in
            Dictionary(
                uniqueKeysWithValues: try db.fetchAll(sql: "SELECT action, COUNT(*) AS n FROM audit_events GROUP BY action").map {
                    ($0["action"] as String, $0["n"] as Int)
                })
        }
    }

    @Test(
        """
        64 clients on token and PDF verification, credit reads, applicant listing, the applicant pages, the window station, points and issuance at once: no 5xx, no dropped \
        connection, /healthz within 1 s during and after; SIGTERM under that load exits 0 within 10 s; the audit chain is \
        intact with one event per audited answer
        """)
    func soak() async throws {
        try await Self.bounded(seconds: 150, "soak") { try await self.soakBody() }
    }

    func soakBody() async throws {
        let daemon = try await start()
        defer { daemon.discard() }
        let before = try await auditCounts(daemon.dir)
        let shared = Shared()
        let load = Task { await Self.drive(daemon, shared: shared) }
        try await Task.sleep(for: .seconds(5))
        let during = shared.tally.withLock { $0 }
        // Still answering after five seconds of load.
        let health = try await Self.health(daemon.port)
        #expect(health == .ok)

        // SIGTERM while the 64 clients are still sending: the process must end by itself, with 0, within 10 s.
        shared.draining.store(true, ordering: .relaxed)
        let signalled = ContinuousClock.now
        kill(daemon.server.processIdentifier, SIGTERM)
        while daemon.server.isRunning, ContinuousClock.now - signalled < .seconds(10) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!daemon.server.isRunning, "still running 10 s after SIGTERM")
        if !daemon.server.isRunning { #expect(daemon.server.terminationStatus == 0) }
        shared.stop.store(true, ordering: .relaxed)
        await load.value

        let seen = shared.tally.withLock { $0 }
        print("soak answers by family and status: \(seen.answers.sorted { $0.key < $1.key }); worst /healthz \(seen.healthWorst)")
        #expect(during.failures.isEmpty, "\(during.failures.prefix(5))")
        #expect(seen.serverErrors == 0, "\(seen.answers)")
        #expect(seen.healthWorst < .seconds(1))
        for (family, _) in Self.families {
            #expect((during.answers[family]?.values.reduce(0, +) ?? 0) > 0, "no answers for \(family)")
        }
        for (family, answers) in seen.answers {
            #expect(answers.keys.allSatisfy { [200, 201].contains($0) }, "\(family): \(answers)")
        }

        // Offline, after the process ended: the chain is intact and every audited answer left exactly one event.
        let audit = try CommandLineTests().run(["audit", "verify"], in: daemon.dir)
        #expect(audit.status == 0, "\(audit.output)")
        let after = try await auditCounts(daemon.dir)
        func added(_ action: String) -> Int { (after[action] ?? 0) - (before[action] ?? 0) }
        #expect(added("document.verified") == seen.count("verify", 200) + seen.count("verify-pdf", 200))
        #expect(added("credit.read") == seen.count("credit", 200))
        // Each pull gives 张三丰's one 个人参保证明 from the demo, each use audited.
        #expect(added("document.reused") == seen.count("reuse", 200))
        #expect(added("document.issued") == seen.count("issue", 201))
        // One invitation per window clerk and day, however often the service is recorded.
        #expect(
            added("rating.invited") == seen.count("ratings", 201)
                && seen.count("ratings", 201) <= Self.families.first { $0.name == "ratings" }!.clients)
    }

    /// The route families the soak above leaves out, with the statuses each may answer under this load: the public
    /// page and the SMS start are rate-limited per client, and every client here comes from loopback; complaints are
    /// limited per person.
    static let otherFamilies: [(name: String, clients: Int, statuses: Set<Int>)] = [
        ("trust", 8, [200]), ("log", 6, [200]), ("public-pages", 4, [200, 429]), ("admin", 6, [200]), ("statistics", 6, [200]),
        ("department", 8, [200]), ("applications", 6, [201]), ("credit-events", 4, [201]), ("applicant-api", 6, [200]),
        ("applicant-pages", 4, [200]), ("window-pages", 2, [200]), ("identity", 2, [200, 201, 429]),
        // A person may have 5 complaints waiting for an answer; the sixth is refused with 409 too_many_open_complaints.
        ("applicant-writes", 2, [201, 409]),
    ]

    /// One request of each of ``otherFamilies``, rotating through the family's routes by client and turn.
    static func otherRequest(family: String, daemon: Daemon, index: Int, turn: Int) -> TestClient.Request {
        func get(_ paths: [String], _ token: String? = nil) -> TestClient.Request {
            .init(paths[(index + turn) % paths.count], method: .get, headers: token.map { headers($0) } ?? HTTPFields())
        }
        func page(_ paths: [String]) -> TestClient.Request {
            var fields = HTTPFields()
            fields[.cookie] = "zt_session=\(daemon.applicant)"
            return .init(paths[(index + turn) % paths.count], method: .get, headers: fields)
        }
        switch family {
        case "trust":
            return get([
                "/v1/trust-list", "/v1/trust-list.sig", "/v1/status-list", "/v1/status-list.sig", "/v1/crl", "/v1/trust/root.pem", "/v1/roots",
                "/openapi.json", "/readyz",
            ])
        case "log":
            return get([
                "/v1/log/sth", "/v1/log/documents/\(daemon.documentID)", "/v1/log/entries?start=0&end=4",
                "/v1/log/proof/consistency?first=2&second=8",
            ])
        case "public-pages":
            // The scanned address: Base45's space and percent sign percent-encoded, as a phone's browser sends them.
            let scanned = daemon.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ":-.$*+/")))!
            return get(["/v/\(daemon.documentID)", "/V/?\(scanned)", "/figures", "/static/verify.css"])
        case "admin":
            return get(
                [
                    "/v1/departments", "/v1/keys", "/v1/credentials", "/v1/staff", "/v1/audit/events?limit=5", "/metrics", "/v1/points/runs",
                    "/v1/audit/verify",
                ],
                daemon.zsj)
        case "statistics":
            return get(
                ["/v1/statistics/volumes", "/v1/statistics/complaints", "/v1/statistics/reviews", "/v1/statistics/needs", "/v1/ratings/figures"],
                daemon.zsj)
        case "department":
            return get(
                [
                    "/v1/catalogue", "/v1/credit-policy", "/v1/applications", "/v1/complaints", "/v1/points/claims", "/v1/points/disputes",
                    "/v1/whoami",
                ],
                daemon.gaj)
        case "applications":
            return .init(
                "/v1/applications", method: .post, headers: headers(daemon.rsj),
                body: ByteBuffer(string: #"{"matterCode":"GRCBZM","idNumber":"440104199001010010","name":"张三丰","provided":["ID_CARD"]}"#))
        case "credit-events":
            return .init(
                "/v1/credit-events", method: .post, headers: headers(daemon.zsj),
                body: ByteBuffer(
                    string: #"{"subject":"440604198506120023","type":"administrative_penalty_minor","reference":"禅罚〔load〕\#(index)-\#(turn)号"}"#))
        case "applicant-api":
            return get(
                [
                    "/v1/applicant/me", "/v1/applicant/needs", "/v1/applicant/consents", "/v1/applicant/assurance", "/v1/applicant/applications",
                    "/v1/applicant/devices",
                ],
                daemon.applicant)
        case "applicant-pages":
            return page(["/my/credit", "/my/access", "/my/consents", "/my/messages", "/my/needs", "/my/ratings", "/my/handoff"])
        case "applicant-writes":
            // The applicant grants GAJ the use of their results for 居住登记, and files a complaint, by turns.
            if turn % 2 == 0 {
                return .init(
                    "/v1/applicant/consents", method: .post, headers: headers(daemon.applicant), body: ByteBuffer(string: #"{"matter":"JZDJ"}"#))
            }
            return .init(
                "/v1/applicant/complaints", method: .post, headers: headers(daemon.applicant),
                body: ByteBuffer(string: #"{"cause":"waiting","department":"RSJ","text":"窗口等候超过一小时，无人引导取号"}"#))
        case "window-pages":
            var fields = HTTPFields()
            fields[.cookie] = "zt_window=\(daemon.window)"
            // (Its statistics and points pages are for supervisors and points reviewers, which this clerk is not.)
            let paths = ["/window", "/window/complaints", "/window/obligations"]
            return .init(paths[(index + turn) % paths.count], method: .get, headers: fields)
        default:
            // Through the demo registry's persons, so some starts pass the per-person limit and send a code.
            let person = demoPersons[(index + turn * 4) % demoPersons.count]
            return .init(
                "/v1/applicant/verifications", method: .post, headers: headers(nil),
                body: ByteBuffer(string: #"{"method":"sms","idNumber":"\#(person.idNumber)","name":"\#(person.name)"}"#))
        }
    }

    /// The demo registry's persons (ID number, name).
    static let demoPersons: [(idNumber: String, name: String)] = {
        let text = (try? String(contentsOfFile: CommandLineTests.demoPersons, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").dropFirst().map { line in
            let columns = line.split(separator: ",")
            return (String(columns[0]), String(columns[1]))
        }
    }()

    @Test(
        """
        64 clients on every other route family at once (trust list and log, public pages, admin and statistics, department \
        reads, applications and credit events written, the applicant's API, pages, consents and complaints, the window station's \
        pages, the SMS start): no 5xx, no dropped connection, only each family's expected statuses, /healthz within 1 s; every \
        201 is stored once and the audit chain is intact
        """)
    func otherFamiliesUnderLoad() async throws {
        try await Self.bounded(seconds: 150, "other families") { try await self.otherFamiliesBody() }
    }

    func otherFamiliesBody() async throws {
        let daemon = try await start()
        defer { daemon.discard() }
        func count(_ sql: String) async throws -> Int {
            let database = try AppDatabase.open(path: daemon.dir.appendingPathComponent("var/zerotrip.sqlite").path)
            return try await database.read { db in try db.fetchValue(Int.self, sql: sql) }
        }
        let applicationsBefore = try await count("SELECT COUNT(*) FROM applications")
        let shared = Shared()
        // By each client's turn, writes carry distinct references and reads rotate through their family's routes.
        let load = Task {
            await Self.drive(daemon, shared: shared, families: Self.otherFamilies.map { ($0.name, $0.clients) }) { family, daemon, index, turn in
                Self.otherRequest(family: family, daemon: daemon, index: index, turn: turn)
            }
        }
        try await Task.sleep(for: .seconds(5))
        shared.stop.store(true, ordering: .relaxed)
        await load.value
        let health = try await Self.health(daemon.port)
        #expect(health == .ok)
        kill(daemon.server.processIdentifier, SIGTERM)
        daemon.server.waitUntilExit()
        #expect(daemon.server.terminationStatus == 0)

        let seen = shared.tally.withLock { $0 }
        print("other families: answers by family and status: \(seen.answers.sorted { $0.key < $1.key }); worst /healthz \(seen.healthWorst)")
        #expect(seen.failures.isEmpty, "\(seen.failures.prefix(5))")
        #expect(seen.serverErrors == 0, "\(seen.answers)")
        #expect(seen.healthWorst < .seconds(1))
        for (family, _, statuses) in Self.otherFamilies {
            let answers = seen.answers[family] ?? [:]
            #expect(answers.values.reduce(0, +) > 0, "no answers for \(family)")
            #expect(Set(answers.keys).isSubset(of: statuses), "\(family): \(answers)")
        }
        // The limited families were served, not only refused.
        #expect(seen.count("public-pages", 200) > 0 && seen.count("identity", 429) < (seen.answers["identity"]?.values.reduce(0, +) ?? 0))
        // Every write answered 201 is stored, once.
        #expect(try await count("SELECT COUNT(*) FROM applications") - applicationsBefore == seen.count("applications", 201))
        #expect(try await count("SELECT COUNT(*) FROM credit_events WHERE reference LIKE '禅罚〔load〕%'") == seen.count("credit-events", 201))
        let audit = try CommandLineTests().run(["audit", "verify"], in: daemon.dir)
        #expect(audit.status == 0, "\(audit.output)")
    }

    @Test(
        """
        Seal keys rotated again and again while 48 clients issue and verify: every rotation and issuance answers 201, every \
        verification stays valid, /healthz answers within 1 s; afterwards every document verifies, signed by several keys
        """)
    func rotationUnderLoad() async throws {
        try await Self.bounded(seconds: 150, "rotation") { try await self.rotationBody() }
    }

    func rotationBody() async throws {
        let daemon = try await start()
        defer { daemon.discard() }
        /// What the answers carried: the documents issued and any verification that was not `valid`.
        final class Seen: Sendable {
            /// Document number → the seal key that signed it and its token.
            let issued = Mutex<[String: (kid: String, token: String)]>([:])
            let notValid = Mutex<[String]>([])
        }
        let shared = Shared(), seen = Seen()
        // 24 clients issue with RSJ and 24 verify (the soak's requests); the admin rotates RSJ's and GAJ's seal keys in
        // turn, one after another, for the whole run.
        let load = Task {
            await Self.drive(
                daemon, shared: shared, families: [("issue", 24), ("verify", 24), ("rotate", 1)],
                request: { family, daemon, index, turn in
                    guard family == "rotate" else { return Self.request(family: family, daemon: daemon, index: index) }
                    return .init(
                        "/v1/departments/\(turn % 2 == 0 ? "RSJ" : "GAJ")/keys/rotate", method: .post, headers: Self.headers(daemon.zsj),
                        body: ByteBuffer(string: "{}"))
                },
                answered: { family, response in
                    let body = Self.json(response.body)
                    if family == "issue", let document = body["document"] as? [String: Any], let id = document["id"] as? String,
                        let kid = document["kid"] as? String, let token = body["token"] as? String
                    {
                        seen.issued.withLock { $0[id] = (kid, token) }
                    }
                    if family == "verify", body["result"] as? String != "valid" {
                        seen.notValid.withLock { $0.append(body["result"] as? String ?? "none") }
                    }
                })
        }
        try await Task.sleep(for: .seconds(5))
        shared.stop.store(true, ordering: .relaxed)
        await load.value
        let tally = shared.tally.withLock { $0 }, issued = seen.issued.withLock { $0 }, notValid = seen.notValid.withLock { $0 }
        print(
            "rotation under load: \(tally.answers.sorted { $0.key < $1.key }), \(Set(issued.values.map(\.kid)).count) seal keys, worst /healthz \(tally.healthWorst)"
        )
        #expect(tally.failures.isEmpty, "\(tally.failures.prefix(5))")
        #expect(tally.answers["issue"].map { Array($0.keys) } == [201], "\(tally.answers)")
        #expect(tally.answers["verify"].map { Array($0.keys) } == [200], "\(tally.answers)")
        #expect(tally.answers["rotate"].map { Array($0.keys) } == [201], "\(tally.answers)")
        #expect(tally.count("rotate", 201) >= 4, "\(tally.answers)")
        #expect(notValid.isEmpty, "\(notValid.prefix(5))")
        #expect(tally.healthWorst < .seconds(1))
        // Issued under several keys, and each document still verifies once the rotations are over.
        #expect(Set(issued.values.map(\.kid)).count >= 2)
        try await TestClient.withClient(host: "127.0.0.1", port: daemon.port, configuration: Self.client) { client in
            for (id, (kid, token)) in issued {
                let record = Self.json(try await client.get("/v1/documents/\(id)", headers: Self.headers(daemon.rsj)).body)
                #expect(record["kid"] as? String == kid, "document \(id) was answered 201: \(record)")
                let report = Self.json(
                    try await client.post("/v1/verify", headers: Self.headers(daemon.rsj), body: ByteBuffer(string: #"{"token":"\#(token)"}"#)).body)
                #expect(report["result"] as? String == "valid", "\(id): \(report)")
            }
        }
        kill(daemon.server.processIdentifier, SIGTERM)
        daemon.server.waitUntilExit()
        #expect(daemon.server.terminationStatus == 0)
        let cli = CommandLineTests()
        let audit = try cli.run(["audit", "verify"], in: daemon.dir)
        #expect(audit.status == 0, "\(audit.output)")
        let log = try cli.run(["log", "audit"], in: daemon.dir)
        #expect(log.status == 0, "\(log.output)")
    }

    @Test(
        "SIGKILL under issuing load: after a restart every document whose 201 arrived is registered and verifies; audit chain and transparency log intact"
    )
    func crash() async throws {
        try await Self.bounded(seconds: 150, "crash") { try await self.crashBody() }
    }

    func crashBody() async throws {
        var daemon = try await start()
        defer { daemon.discard() }
        let shared = Shared(), running = daemon
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try? await TestClient.withClient(host: "127.0.0.1", port: running.port, configuration: Self.client) { client in
                            while !shared.stopped {
                                let response = try await client.post(
                                    "/v1/documents", headers: Self.headers(running.rsj), body: ByteBuffer(string: Self.issueBody))
                                let body = Self.json(response.body)
                                if response.status == .created, let token = body["token"] as? String,
                                    let id = (body["document"] as? [String: Any])?["id"] as? String
                                {
                                    shared.issued.withLock { $0.append((id, token)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        try await Task.sleep(for: .seconds(3))
        kill(daemon.server.processIdentifier, SIGKILL)
        daemon.server.waitUntilExit()
        shared.stop.store(true, ordering: .relaxed)
        await load.value
        let documents = shared.issued.withLock { $0 }
        #expect(documents.count > 0)

        let cli = CommandLineTests()
        let audit = try cli.run(["audit", "verify"], in: daemon.dir)
        #expect(audit.status == 0, "\(audit.output)")
        // Every leaf recomputed from the register and every signed tree head checked.
        let log = try cli.run(["log", "audit"], in: daemon.dir)
        #expect(log.status == 0, "\(log.output)")
        (daemon.server, daemon.port) = try await Self.serve(in: daemon.dir)
        let restarted = daemon
        try await TestClient.withClient(host: "127.0.0.1", port: restarted.port, configuration: Self.client) { client in
            for document in documents {
                let record = try await client.get("/v1/documents/\(document.id)", headers: Self.headers(restarted.rsj))
                #expect(record.status == .ok, "document \(document.id) was answered 201 but is missing")
                let report = Self.json(
                    try await client.post(
                        "/v1/verify", headers: Self.headers(restarted.rsj),
                        body: ByteBuffer(string: #"{"token":"\#(document.token)"}"#)
                    ).body)
                #expect(report["result"] as? String == "valid", "\(document.id): \(report)")
            }
        }
    }

    /// Sends `bytes` on a new connection and returns the status of the first answer (0 if the connection closed first).
    static func raw(port: Int, _ bytes: [UInt8]) -> Int {
        let fd = RawSocket.connect(port: port)
        guard fd >= 0 else { return -1 }
        defer { close(fd) }
        RawSocket.send(fd, bytes)
        let answer = RawSocket.receive(fd)
        guard answer.hasPrefix("HTTP/1.1 ") else { return 0 }
        return Int(answer.dropFirst(9).prefix(3)) ?? 0
    }

    @Test(
        """
        HTTP-level mistakes answer 4xx: a body over a route's own limit is 413 (plain or chunked), a chunked body over 1 MiB \
        is 413, a malformed chunk size is 400; six parallel revocations of one document give one 200 and five 409; a \
        silent connection is closed after the idle timeout; 150 page views of made-up numbers add one audit event
        """)
    func badInput() async throws {
        try await Self.bounded(seconds: 150, "badInput") { try await self.badInputBody() }
    }

    func badInputBody() async throws {
        let daemon = try await start(environment: ["ZEROTRIP_IDLE_TIMEOUT": "2", "ZEROTRIP_PUBLIC_RATE": "100000"])
        defer { daemon.discard() }
        let port = daemon.port
        func request(_ head: String, _ body: [UInt8] = []) -> [UInt8] { Array((head + "\r\n\r\n").utf8) + body }
        // 9 KB to a public route whose own limit is below it, declared or chunked.
        let big = Array(repeating: UInt8(ascii: " "), count: 9000) + Array(#"{"method":"sms"}"#.utf8)
        #expect(
            Self.raw(
                port: port,
                request("POST /v1/applicant/verifications HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: \(big.count)", big)
            ) == 413)
        func chunked(_ body: [UInt8], size: Int) -> [UInt8] {
            var out: [UInt8] = []
            var offset = 0
            while offset < body.count {
                let piece = body[offset..<min(offset + size, body.count)]
                out += Array((String(piece.count, radix: 16) + "\r\n").utf8) + piece + Array("\r\n".utf8)
                offset += size
            }
            return out + Array("0\r\n\r\n".utf8)
        }
        #expect(
            Self.raw(
                port: port,
                request(
                    "POST /v1/applicant/verifications HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
                    chunked(big, size: 1000))) == 413)
        let huge = Array(repeating: UInt8(ascii: " "), count: (1 << 20) + 4096)
        #expect(
            Self.raw(
                port: port,
                request(
                    "POST /v1/documents HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(daemon.rsj)\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
                    chunked(huge, size: 65536))) == 413)
        #expect(
            Self.raw(
                port: port,
                request(
                    "POST /v1/verify HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(daemon.rsj)\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
                    Array("ZZZ\r\n{}\r\n0\r\n\r\n".utf8))) == 400)

        // Six revocations of one document at once: exactly one succeeds, the others are conflicts.
        let issued = try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: Self.client) { client in
            Self.json(try await client.post("/v1/documents", headers: Self.headers(daemon.rsj), body: ByteBuffer(string: Self.issueBody)).body)
        }
        let id = try #require((issued["document"] as? [String: Any])?["id"] as? String)
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    (try? await TestClient.withClient(host: "127.0.0.1", port: port, configuration: Self.client) { client in
                        Int(
                            try await client.post(
                                "/v1/documents/\(id)/revoke", headers: Self.headers(daemon.rsj),
                                body: ByteBuffer(string: #"{"reason":"issued_in_error"}"#)
                            ).status.code)
                    }) ?? -1
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.sorted() == [200, 409, 409, 409, 409, 409], "\(statuses)")

        // A connection that sends nothing is closed by the daemon after the idle timeout (2 s here).
        let silent = RawSocket.connect(port: port)
        #expect(silent >= 0)
        let opened = ContinuousClock.now
        #expect(RawSocket.receive(silent, timeoutSeconds: 10).isEmpty)
        #expect(ContinuousClock.now - opened < .seconds(8))
        close(silent)

        // Made-up document numbers on the public page: answered, and counted under one event at shutdown.
        let before = try await auditCounts(daemon.dir)
        try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: Self.client) { client in
            for _ in 0..<150 {
                let page = try await client.get("/v/\((0..<32).map { _ in String("0123456789abcdef".randomElement()!) }.joined())")
                #expect(page.status == .ok)
            }
        }
        // The original PDF through its scanned code, 8 clients at once: every answer the PDF, one counted event.
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "$*-.:/")
        let scanned = "/P/?" + (daemon.token.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        let pdfStatuses = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (try? await TestClient.withClient(host: "127.0.0.1", port: port, configuration: Self.client) { client in
                        var statuses: [Int] = []
                        for _ in 0..<10 {
                            let response = try await client.get(scanned)
                            statuses.append(
                                response.headers[.contentType] == "application/pdf" ? Int(response.status.code) : -Int(response.status.code))
                        }
                        return statuses
                    }) ?? [-1]
                }
            }
            return await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(pdfStatuses.count == 80 && pdfStatuses.allSatisfy { $0 == 200 }, "\(Set(pdfStatuses))")
        kill(daemon.server.processIdentifier, SIGTERM)
        daemon.server.waitUntilExit()
        let after = try await auditCounts(daemon.dir)
        #expect((after["document.verified"] ?? 0) - (before["document.verified"] ?? 0) == 1)
        #expect((after["document.pdf_shared"] ?? 0) - (before["document.pdf_shared"] ?? 0) == 1, "anonymous downloads are one counted event")
    }

    @Test(
        """
        500 silent connections against a limit of 64: the daemon closes the longest-idle ones to make room, and a \
        client arriving after them is served at once, with no idle timeout needed
        """)
    func connectionLimit() async throws {
        try await Self.bounded(seconds: 90, "connectionLimit") { try await self.connectionLimitBody() }
    }

    func connectionLimitBody() async throws {
        let daemon = try await start(environment: ["ZEROTRIP_MAX_CONNECTIONS": "64", "ZEROTRIP_IDLE_TIMEOUT": "600"])
        defer { daemon.discard() }
        let silent = (0..<500).map { _ in RawSocket.connect(port: daemon.port) }
        defer { for fd in silent where fd >= 0 { close(fd) } }
        #expect(silent.allSatisfy { $0 >= 0 })
        let asked = ContinuousClock.now
        let status = Self.raw(port: daemon.port, Array("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n".utf8))
        #expect(status == 200)
        #expect(ContinuousClock.now - asked < .seconds(2))
        // The oldest silent sockets were closed by the daemon (read returns end-of-stream at once); the newest stay.
        try await Task.sleep(for: .milliseconds(300))
        let closedByDaemon = silent.filter(RawSocket.isClosed).count
        #expect(closedByDaemon >= 500 - 64, "\(closedByDaemon) of 500 closed")
        #expect(closedByDaemon < 500)
    }
}

/// Blocking loopback sockets for the tests that must send what no HTTP client would.
enum RawSocket {
    static func connect(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 { close(fd); return -1 }
        return fd
    }

    /// Writes as much as the peer takes (it may answer and close before the body is complete).
    static func send(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let sent = Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return }
                offset += sent
            }
        }
    }

    /// Whether the peer has closed the connection (a non-blocking read sees end-of-stream).
    static func isClosed(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// Reads until the peer closes, the answer's head is complete, or `timeoutSeconds` pass.
    static func receive(_ fd: Int32, timeoutSeconds: Int = 10) -> String {
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data += buffer[0..<count]
            if let text = String(bytes: data, encoding: .utf8), text.contains("\r\n\r\n") { break }
        }
        return String(decoding: data, as: UTF8.self)
    }
}
