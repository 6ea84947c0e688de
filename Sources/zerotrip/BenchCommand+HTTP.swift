import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ZeroTrip
import ZeroTripCrypto
import ZeroTripServer
#if canImport(Glibc)
    import Glibc
#endif

extension BenchCommand {
    /// Starts this executable as `zerotrip serve` on a bench district (127.0.0.1:`port`, warnings only), as the
    /// HTTP benchmarks measure it; the caller waits for `/healthz` and terminates it.
    static func startDaemon(home: ZeroTripHome, passphrase: String, port: Int, environment extra: [String: String] = [:]) throws -> Process {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        server.arguments = [
            "serve", "--database", home.databasePath, "--keys-dir", home.keysDirectory.path,
            "--certificates-dir", home.certificatesDirectory.path, "--host", "127.0.0.1", "--port", "\(port)", "--log-level", "warning",
        ]
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["ZEROTRIP_KEY_PASSPHRASE"] = passphrase
        environment["ZEROTRIP_EXIT_WITH_PARENT"] = "1"
        server.environment = environment
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        return server
    }

    /// `zerotrip bench http`: the daemon's audited routes against a bare Hummingbird router, with wrk, in one run.
    struct HTTP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Requests/s, p50 and p99 of the daemon's routes next to a bare Hummingbird router, driven by wrk.",
            discussion: """
                Builds a throw-away district (a registry, credit records, --tokens issued documents), starts `zerotrip serve` \
                on it as a child process and, in this process, a bare Hummingbird router with one GET and one POST route \
                answering JSON of the same sizes. wrk (apt-get install wrk) drives each for --seconds at --connections: \
                GET and POST on the bare router, /healthz, POST /v1/verify rotating through the issued tokens (so no cache \
                hides the signature check), POST /v1/verify/pdf rotating through 20 PDFs, GET /v1/credit/{id}?matter=, \
                GET /v1/applicant/documents, and POST /v1/documents at 16 connections. Then /v1/verify and /healthz at 512 \
                connections, /healthz while --idle connections are held open without sending anything, and the daemon's \
                resident memory; and, with verify, what one P-256 check costs here and the ceiling that puts on the verify \
                ratio, computed and measured (the bare POST with that one check added, driven by verify's script). \
                Only ratios measured in the same run mean anything (wrk shares the cores). Targets on 2 cores: verify \
                ≥ 35 % of the bare POST with p99 ≤ 15 ms; credit ≥ 50 % of the bare GET with p99 ≤ 15 ms; /healthz \
                ≥ 85 % of the bare GET; issuance ≥ 450/s; no 5xx or socket error; RSS ≤ 150 MB. --check exits 1 \
                when one is missed.

                With --database postgres://…, a second district is built on that PostgreSQL database (a new schema, \
                dropped afterwards) and the audited verification, the credit read and issuance run again against one \
                daemon on it and then against two daemons sharing it (wrk drives both at once, half the connections \
                each); the run prints each figure beside SQLite's, and names the server's fsync, synchronous_commit or \
                full_page_writes if off (they flatter it). Targets there: issuance ≥ 60 % and verification \
                ≥ 70 % of SQLite's with one daemon.
                Example: zerotrip bench http --seconds 5 --only verify,credit,issue \
                --database 'postgres://zt@127.0.0.1:5432/zerotrip?sslmode=disable'
                """)

        @Option(name: .long, help: "Seconds of wrk load per route.") var seconds: Int = 10
        @Option(name: .long, help: "Connections for the main runs.") var connections: Int = 64
        @Option(name: .long, help: "Distinct tokens for POST /v1/verify.") var tokens: Int = 1000
        @Option(name: .long, help: "Idle connections held open during the last run (0 skips it).") var idle: Int = 0
        @Option(name: .long, help: "Port of the daemon (the bare router listens on the next one).") var port: Int = 18_090
        @Option(
            name: .long,
            help: "Only these routes after the bare ones, comma-separated: healthz, verify, pdf, credit, applicant, issue, 512 (all by default).")
        var only: String?
        @Flag(name: .long, help: "Exit 1 if a target is missed.") var check = false
        @Option(name: .long, help: "Also measure daemons on this PostgreSQL database (postgres://…): one, then two sharing it.")
        var database: String?
        /// Helper mode: hold --hold-count idle connections to this port until standard input closes.
        @Option(name: .long, help: .hidden) var holdPort: Int?
        @Option(name: .long, help: .hidden) var holdCount: Int = 0

        struct Measured {
            var name: String
            var connections: Int
            var rate: Double
            var p50: Double
            var p99: Double
            var non2xx: Int
            var socketErrors: Int
            /// Driven by a Lua function per request (rotating bodies or paths) rather than wrk's static request.
            var scripted = false
            /// CPU time the serving process spent per answered request (user + system), in microseconds: steadier than
            /// req/s on a machine whose cores wrk and other tenants share.
            var cpuMicroseconds: Double?
        }

        func run() async throws {
            if let holdPort {
                raiseOpenFileLimit()
                let sockets = Self.openIdleConnections(port: holdPort, count: holdCount)
                let line = Array("\(sockets.count)\n".utf8)
                _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
                var byte: UInt8 = 0
                while read(0, &byte, 1) > 0 {}
                return
            }
            guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw ValidationError("wrk is not installed (apt-get install wrk)")
            }
            if let database, !PostgresLocation.isPostgresURL(database) { throw ValidationError("--database takes a postgres:// URL") }
            guard seconds >= 1, connections >= 1, tokens >= 1, idle >= 0 else {
                throw ValidationError("seconds, connections and tokens ≥ 1, idle ≥ 0")
            }
            let routes: Set = ["healthz", "verify", "pdf", "credit", "applicant", "issue", "512"]
            if let only,
                let unknown = only.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: { !routes.contains($0) })
            {
                throw ValidationError("unknown route '\(unknown)' in --only; known: \(routes.sorted().joined(separator: ", "))")
            }
            raiseOpenFileLimit()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-bench-http-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            BenchCommand.phase("building the bench district (a registry, credit records, \(tokens) issued documents)")
            let district = try await Self.district(in: directory, tokens: tokens)
            print("district ready: \(district.tokens.count) documents issued, applicant with \(district.applicantDocuments) results")

            // The daemon, as production runs it.
            let server = try BenchCommand.startDaemon(
                home: district.home, passphrase: Self.passphrase, port: port,
                environment: ["ZEROTRIP_PUBLIC_RATE": "1000000"])
            defer { if server.isRunning { server.terminate(); server.waitUntilExit() } }
            guard try await Self.waitForHealth(port: port) else { throw ValidationError("the daemon did not start on port \(port)") }

            // The bare router in this process, answering JSON of the sizes the daemon answers.
            let daemon = "http://127.0.0.1:\(port)"
            let creditSize = Credit.run([
                "/usr/bin/curl", "-s", "-H", "Authorization: Bearer \(district.credential)",
                "\(daemon)/v1/credit/\(district.creditSubject)?matter=BENCH",
            ]).output.utf8.count
            let verifySize = Credit.run([
                "/usr/bin/curl", "-s", "-H", "Authorization: Bearer \(district.credential)", "-H", "Content-Type: application/json",
                "-d", "{\"token\":\"\(district.tokens[0])\"}", "\(daemon)/v1/verify",
            ]).output.utf8.count
            let bare = Task { try await Self.bareRouter(port: port + 1, getSize: creditSize, postSize: verifySize) }
            defer { bare.cancel() }
            guard try await Self.waitForHealth(port: port + 1, path: "/bare") else { throw ValidationError("the bare router did not start") }

            let scriptFiles = try Self.writeScripts(for: district, in: directory.appendingPathComponent("lua"))
            func measure(_ name: String, _ url: String, script: String?, connections: Int) async -> Measured {
                BenchCommand.phase("\(name): wrk at \(connections) connections for \(seconds) s")
                var arguments = [wrk, "-t2", "-c\(connections)", "-d\(seconds)s", "--timeout", "5s", "--latency"]
                if let script { arguments += ["-s", script] }
                // The bare router runs in this process, the daemon in its own.
                let servingPID = url.contains(":\(port + 1)") ? getpid() : server.processIdentifier
                let cpuBefore = Self.cpuSeconds(pid: servingPID)
                let output = await Credit.runDetached(arguments + [url]).output
                let cpuAfter = Self.cpuSeconds(pid: servingPID)
                var measured = Self.parse(output, name: name, connections: connections)
                if let cpuBefore, let cpuAfter, measured.rate > 0 {
                    measured.cpuMicroseconds = (cpuAfter - cpuBefore) / (measured.rate * Double(seconds)) * 1e6
                }
                measured.scripted =
                    script.map { (try? String(contentsOfFile: $0, encoding: .utf8))?.contains("request = function") ?? false } ?? false
                return measured
            }
            let bareURL = "http://127.0.0.1:\(port + 1)/bare"
            // Two seconds of load on each server first, not counted: the first run of a cold process is slower.
            for url in [bareURL, "\(daemon)/healthz"] { _ = await Credit.runDetached([wrk, "-t2", "-c\(connections)", "-d2s", url]) }
            let c = connections
            var results: [Measured] = []
            results.append(await measure("bare GET (Hummingbird)", bareURL, script: nil, connections: c))
            results.append(await measure("bare POST, JSON decode (Hummingbird)", bareURL, script: scriptFiles["bare-post"], connections: c))
            // The same two routes driven by the daemon's own verify and credit scripts (a Lua function per request,
            // rotating tokens and subjects, the same headers): wrk then spends as much of the shared cores per
            // request on the bare router as on the daemon, so the ratios compare the servers alone.
            let bareRoot = "http://127.0.0.1:\(port + 1)"
            results.append(await measure("bare GET, credit's wrk script", bareRoot, script: scriptFiles["credit"], connections: c))
            results.append(await measure("bare POST, verify's wrk script", bareRoot, script: scriptFiles["verify"], connections: c))
            let selected = only.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
            func wanted(_ route: String) -> Bool { selected?.contains(route) ?? true }
            if wanted("healthz") { results.append(await measure("GET /healthz", "\(daemon)/healthz", script: nil, connections: c)) }
            if wanted("verify") {
                results.append(await measure(Self.bareCheckRow, bareRoot, script: scriptFiles["bare-p256"], connections: c))
                results.append(await measure("POST /v1/verify (distinct tokens, audited)", daemon, script: scriptFiles["verify"], connections: c))
            }
            if wanted("pdf") {
                results.append(await measure("POST /v1/verify/pdf (audited)", daemon, script: scriptFiles["verify-pdf"], connections: c))
            }
            if wanted("credit") {
                results.append(await measure("GET /v1/credit/{id}?matter= (audited)", daemon, script: scriptFiles["credit"], connections: c))
            }
            if wanted("applicant") {
                results.append(
                    await measure("GET /v1/applicant/documents", "\(daemon)/v1/applicant/documents", script: scriptFiles["applicant"], connections: c)
                )
            }
            if wanted("issue") {
                results.append(
                    await measure("POST /v1/documents (issuance)", "\(daemon)/v1/documents", script: scriptFiles["issue"], connections: 16))
            }
            if wanted("512") {
                results.append(await measure("POST /v1/verify at 512 connections", daemon, script: scriptFiles["verify"], connections: 512))
                results.append(await measure("GET /healthz at 512 connections", "\(daemon)/healthz", script: nil, connections: 512))
            }
            // Resident memory after the load runs, before any idle connections (their buffers are another figure).
            let rss = Self.residentMegabytes(pid: server.processIdentifier)
            var held = 0
            var rssWithIdle: Double?
            if idle > 0 {
                // Held by helper processes of 10,000 connections each: one process's descriptors cannot reach 20,000
                // on hosts whose hard limit is 20,000.
                let helpers = Self.holdIdleConnections(port: port, count: idle)
                held = helpers.reduce(0) { $0 + $1.held }
                results.append(await measure("GET /healthz with \(held) idle connections held", "\(daemon)/healthz", script: nil, connections: c))
                rssWithIdle = Self.residentMegabytes(pid: server.processIdentifier)
                for helper in helpers {
                    close(helper.input)
                    var status: Int32 = 0
                    while waitpid(helper.pid, &status, 0) < 0 && errno == EINTR {}
                }
            }
            let healthy = try await Self.waitForHealth(port: port, attempts: 10)

            let bareGet = results[0].rate, barePost = results[1].rate
            let scriptedGet = results[2].rate, scriptedPost = results[3].rate
            // Verify's ceiling, measured (with verify only): the bare POST with one P-256 check, as a share of the bare POST.
            let measuredCeiling = results.first { $0.name == Self.bareCheckRow }.map {
                (rate: $0.rate, percent: 100 * $0.rate / max(scriptedPost, 1))
            }
            #if DEBUG
                let build = "DEBUG build: figures mean little, use swift run -c release"
            #else
                let build = "release build"
            #endif
            print("\nZeroTrip HTTP benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores, wrk -t2 -d\(seconds)s, \(build)")
            print(
                "route                                              conns    req/s   p50 ms   p99 ms  of bare  of static  non-2xx  sock err  CPU µs/req"
            )
            for (index, result) in results.enumerated() {
                let post = index == 1 || index == 3 || result.name.hasPrefix("POST")
                // "of bare": against the bare route driven the same way (same script, or both static); "of static":
                // against wrk's static request, the cheaper client.
                let base = result.scripted ? (post ? scriptedPost : scriptedGet) : (post ? barePost : bareGet)
                let ratio = index < 4 ? "      -" : String(format: "%6.0f%%", 100 * result.rate / max(base, 1))
                let ofStatic = index < 4 ? "        -" : String(format: "%8.0f%%", 100 * result.rate / max(post ? barePost : bareGet, 1))
                print(
                    [
                        result.name.padding(toLength: 50, withPad: " ", startingAt: 0), String(format: "%5d", result.connections),
                        String(format: "%8.0f", result.rate), String(format: "%8.2f", result.p50), String(format: "%8.2f", result.p99), ratio,
                        ofStatic,
                        String(format: "%8d", result.non2xx), String(format: "%9d", result.socketErrors),
                        result.cpuMicroseconds.map { String(format: "%11.0f", $0) } ?? "          -",
                    ].joined(separator: " "))
            }
            print("(of bare: against the bare router driven by the same wrk script; of static: against wrk's static request;")
            print(" CPU µs/req: user + system time of the serving process per answer, the bare router's process including this bench)")
            print(
                String(
                    format: "daemon resident memory after the load runs: %.0f MB%@; /healthz after the runs: %@", rss,
                    rssWithIdle.map { String(format: " (%.0f MB while %d idle connections were held)", $0, held) } ?? "",
                    healthy ? "answering" : "NOT ANSWERING"))
            if results.contains(where: { $0.name.hasPrefix("POST /v1/verify (") }) {
                // The verify target against what this machine allows: a verification is at least the bare POST plus one
                // P-256 check, both on the same cores as wrk.
                let check = try Self.p256VerifyMicroseconds()
                let barePerAnswer = 1e6 * Double(ProcessInfo.processInfo.activeProcessorCount) / max(scriptedPost, 1)
                print(
                    String(
                        format:
                            "verify's ceiling here: one P-256 check takes %.0f µs of a core and the bare POST %.0f µs of the machine per answer (wrk included), so a verification that added nothing but that check would reach %.0f %% of the bare POST",
                        check, barePerAnswer, 100 * barePerAnswer / (barePerAnswer + check)))
                if let measuredCeiling {
                    print(
                        String(
                            format: "measured: the bare POST with that one check added reached %.0f %% of the bare POST (%.0f/s)",
                            measuredCeiling.percent, measuredCeiling.rate))
                }
            }

            var missed: [String] = []
            if let database {
                missed += try await postgresRuns(database, sqlite: results, directory: directory, wrk: wrk, wanted: wanted)
            }
            let named = Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            func need(_ ok: Bool, _ what: String) { if !ok { missed.append(what) } }
            if let verify = named["POST /v1/verify (distinct tokens, audited)"] {
                // Beside the target, what the bare POST with only the check reached in this run.
                let ceiling = measuredCeiling.map { String(format: " (the bare POST with one P-256 check: %.0f %%)", $0.percent) }
                need(verify.rate >= 0.35 * scriptedPost, "verify ≥ 35 % of the bare POST" + (ceiling ?? ""))
                need(verify.p99 <= 15, "verify p99 ≤ 15 ms")
            }
            if let credit = named["GET /v1/credit/{id}?matter= (audited)"] {
                need(credit.rate >= 0.5 * scriptedGet, "credit ≥ 50 % of the bare GET")
                need(credit.p99 <= 15, "credit p99 ≤ 15 ms")
            }
            if let health = named["GET /healthz"] { need(health.rate >= 0.85 * bareGet, "/healthz ≥ 85 % of the bare GET") }
            if let issue = named["POST /v1/documents (issuance)"] { need(issue.rate >= 450, "issuance ≥ 450/s") }
            need(results.allSatisfy { $0.non2xx == 0 && $0.socketErrors == 0 }, "no non-2xx answer and no socket error")
            need(healthy, "/healthz answers after the runs")
            need(rss <= 150, "RSS ≤ 150 MB")
            // A partial run (--only) says so: the routes it skipped were not measured against their targets.
            let scope = only.map { " (only the routes measured: \($0))" } ?? ""
            print(missed.isEmpty ? "RESULT: targets met\(scope)" : "RESULT: below target\(scope): \(missed.joined(separator: "; "))")
            if check && !missed.isEmpty { throw ExitCode(1) }
        }

        static let passphrase = "bench-passphrase-not-secret"

        /// The bare router's POST with one P-256 check added, driven by verify's script: verify's ceiling, measured.
        static let bareCheckRow = "POST, bare + one P-256 check, verify's script"

        /// The wrk scripts for `district`'s routes, written to `directory`: name → path.
        static func writeScripts(for district: District, in directory: URL) throws -> [String: String] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let auth = "[\"Authorization\"] = \"Bearer \(district.credential)\""
            func script(_ name: String, _ body: String) throws -> String {
                let url = directory.appendingPathComponent("\(name).lua")
                try body.write(to: url, atomically: true, encoding: .utf8)
                return url.path
            }
            let tokenList = district.tokens.map { "\"\($0)\"" }.joined(separator: ",")
            let pdfList = district.pdfs.map { "\"\($0)\"" }.joined(separator: ",")
            // Verify's requests: the issued tokens in turn, as `{"token": …}` to `path`.
            func tokens(posting path: String) -> String {
                """
                local tokens = {\(tokenList)}
                local i = 0
                request = function()
                  i = i + 1
                  return wrk.format("POST", "\(path)", {\(auth), ["Content-Type"] = "application/json"}, '{"token":"' .. tokens[(i % #tokens) + 1] .. '"}')
                end
                """
            }
            return [
                "bare-post": try script(
                    "bare-post",
                    """
                    wrk.method = "POST"; wrk.headers["Content-Type"] = "application/json"; wrk.body = '{"token":"\(district.tokens[0])"}'
                    """),
                "verify": try script("verify", tokens(posting: "/v1/verify")),
                // The same requests to the bare router's route with the check (verify's ceiling, measured).
                "bare-p256": try script("bare-p256", tokens(posting: "/bare/p256")),
                "verify-pdf": try script(
                    "verify-pdf",
                    """
                    local files = {\(pdfList)}
                    local bodies = {}
                    for k, path in ipairs(files) do local f = io.open(path, "rb"); bodies[k] = f:read("*all"); f:close() end
                    local i = 0
                    request = function()
                      i = i + 1
                      return wrk.format("POST", "/v1/verify/pdf", {\(auth), ["Content-Type"] = "application/pdf"}, bodies[(i % #bodies) + 1])
                    end
                    """),
                "credit": try script(
                    "credit",
                    """
                    local ids = {\(district.creditSubjects.map { "\"\($0)\"" }.joined(separator: ","))}
                    local i = 0
                    request = function()
                      i = i + 1
                      return wrk.format("GET", "/v1/credit/" .. ids[(i % #ids) + 1] .. "?matter=BENCH", {\(auth)})
                    end
                    """),
                "applicant": try script(
                    "applicant",
                    """
                    wrk.headers["Authorization"] = "Bearer \(district.applicantSession)"
                    """),
                "issue": try script(
                    "issue",
                    """
                    wrk.method = "POST"; wrk.headers["Content-Type"] = "application/json"; wrk.headers["Authorization"] = "Bearer \(district.credential)"
                    wrk.body = '\(Self.issueBody(holder: district.applicant))'
                    """),
            ]
        }

        /// The audited routes and issuance on PostgreSQL: a district in a new schema of `url`, one daemon, then two
        /// daemons on it driven at once; prints them beside the SQLite figures and returns the targets missed.
        func postgresRuns(
            _ url: String, sqlite: [Measured], directory: URL, wrk: String,
            wanted: (String) -> Bool
        ) async throws -> [String] {
            let schema = "bench_http_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            let location = url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"
            let pgDirectory = directory.appendingPathComponent("postgres")
            // One connection at the end: the server's unsafe settings beside the table (after a complete run), then the
            // schema dropped.
            let finish = { (noteSettings: Bool) in
                guard let database = try? AppDatabase.open(location: location) else { return }
                if noteSettings, let note = BenchCommand.durabilityNote((try? await database.postgresDurabilityGaps()) ?? []) {
                    print(note)
                }
                try? await database.dropSchema(schema)
            }
            do {
                let missed = try await measurePostgres(location, sqlite: sqlite, directory: pgDirectory, wrk: wrk, wanted: wanted)
                await finish(true)
                return missed
            } catch {
                await finish(false)
                throw error
            }
        }

        private func measurePostgres(
            _ location: String, sqlite: [Measured], directory pgDirectory: URL, wrk: String,
            wanted: (String) -> Bool
        ) async throws -> [String] {
            let district = try await Self.district(in: pgDirectory, tokens: tokens, database: location)
            // The same scripts, with this district's credential, tokens and credit subjects.
            let files = try Self.writeScripts(for: district, in: pgDirectory.appendingPathComponent("lua"))
            let ports = [port + 2, port + 3]
            var daemons: [Process] = []
            defer { for daemon in daemons where daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
            let routes: [(key: String, name: String, path: String, connections: Int)] = [
                ("verify", "POST /v1/verify (distinct tokens, audited)", "", connections),
                ("credit", "GET /v1/credit/{id}?matter= (audited)", "", connections),
                ("issue", "POST /v1/documents (issuance)", "/v1/documents", 16),
            ].filter { wanted($0.key) }
            /// Runs wrk against every daemon in `ports` at once (the connections split between them); rates add up.
            func measure(_ route: (key: String, name: String, path: String, connections: Int), on ports: [Int]) async -> Measured {
                BenchCommand.phase("\(route.name) on PostgreSQL, \(ports.count) daemon(s): wrk at \(route.connections) connections")
                let share = max(1, route.connections / ports.count)
                let commands = ports.map { port in
                    [
                        wrk, "-t\(ports.count == 1 ? 2 : 1)", "-c\(share)", "-d\(seconds)s", "--timeout", "5s", "--latency",
                        "-s", files[route.key]!, "http://127.0.0.1:\(port)\(route.path)",
                    ]
                }
                let outputs = await withTaskGroup(of: String.self) { group in
                    for command in commands {
                        group.addTask { await Credit.runDetached(command).output }
                    }
                    return await group.reduce(into: [String]()) { $0.append($1) }
                }
                let parts = outputs.map { Self.parse($0, name: route.name, connections: share) }
                return Measured(
                    name: route.name, connections: share * ports.count, rate: parts.reduce(0) { $0 + $1.rate },
                    p50: parts.map(\.p50).max() ?? 0, p99: parts.map(\.p99).max() ?? 0,
                    non2xx: parts.reduce(0) { $0 + $1.non2xx }, socketErrors: parts.reduce(0) { $0 + $1.socketErrors })
            }
            var one: [Measured] = [], two: [Measured] = []
            for (index, port) in ports.enumerated() {
                daemons.append(
                    try BenchCommand.startDaemon(
                        home: district.home, passphrase: Self.passphrase, port: port,
                        environment: ["ZEROTRIP_PUBLIC_RATE": "1000000"]))
                guard try await Self.waitForHealth(port: port) else {
                    throw ValidationError("the daemon on PostgreSQL did not start on port \(port)")
                }
                _ = await Credit.runDetached([wrk, "-t2", "-c\(connections)", "-d2s", "http://127.0.0.1:\(port)/healthz"])
                for route in routes {
                    let measured = await measure(route, on: Array(ports.prefix(index + 1)))
                    if index == 0 { one.append(measured) } else { two.append(measured) }
                }
            }
            print("\nsame routes on PostgreSQL (\(PostgresLocation.redacted(location))):")
            print(
                "route                                              SQLite/s  1 daemon/s  of SQLite   p99 ms  2 daemons/s  of SQLite   p99 ms  non-2xx"
            )
            var missed: [String] = []
            for (first, second) in zip(one, two) {
                let base = sqlite.first { $0.name == first.name }?.rate ?? 0
                print(
                    [
                        first.name.padding(toLength: 50, withPad: " ", startingAt: 0), String(format: "%8.0f", base),
                        String(format: "%11.0f", first.rate), String(format: "%9.0f%%", 100 * first.rate / max(base, 1)),
                        String(format: "%8.2f", first.p99),
                        String(format: "%12.0f", second.rate), String(format: "%9.0f%%", 100 * second.rate / max(base, 1)),
                        String(format: "%8.2f", second.p99),
                        String(format: "%8d", first.non2xx + first.socketErrors + second.non2xx + second.socketErrors),
                    ].joined(separator: " "))
                if first.name.hasPrefix("POST /v1/documents") && first.rate < 0.6 * base { missed.append("PostgreSQL issuance ≥ 60 % of SQLite's") }
                if first.name.hasPrefix("POST /v1/verify") && first.rate < 0.7 * base { missed.append("PostgreSQL verification ≥ 70 % of SQLite's") }
                if first.non2xx + first.socketErrors + second.non2xx + second.socketErrors > 0 { missed.append("no non-2xx answer on PostgreSQL") }
            }
            return missed
        }

        /// Microseconds of one core per P-256 signature check (SHA-256 of a 64-byte message included), as a verification
        /// makes one.
        static func p256VerifyMicroseconds() throws -> Double {
            let key = try PrivateKey(generating: .p256)
            return 1e6 / (try BenchCommand.Crypto.verifyRate(key.publicKey, try key.signature(for: BenchCommand.Crypto.message), seconds: 1))
        }

        static func issueBody(holder: (id: String, name: String)) -> String {
            #"{"matterCode":"BENCH","matterName":"基准测试结果","holderName":"\#(holder.name)","holderIdNumber":"\#(holder.id)","fields":[{"label":"结果","value":"通过"}]}"#
        }

        struct District {
            var home: ZeroTripHome
            var credential: String
            var tokens: [String]
            var pdfs: [String]
            var creditSubject: String
            var creditSubjects: [String]
            var applicant: (id: String, name: String)
            var applicantSession: String
            var applicantDocuments: Int
        }

        /// A district with a registry of 2,000 synthetic persons, credit records for a quarter, `tokens` documents
        /// (five of them the applicant's), 20 PDFs on disk and a tier-1 applicant session.
        static func district(in directory: URL, tokens count: Int, database: String? = nil) async throws -> District {
            let home = ZeroTripHome(
                keysDirectory: directory.appendingPathComponent("Keys"), certificatesDirectory: directory.appendingPathComponent("Certificates"),
                databasePath: database ?? directory.appendingPathComponent("zerotrip.sqlite").path)
            let services = try ZeroTripServices.open(home: home, passphrase: passphrase)
            _ = try await services.administration.initialize(district: "测试区", actor: "bench")
            _ = try await services.administration.addDepartment(code: "RSJ", name: "测试区人力资源和社会保障局", actor: "bench")
            _ = try await services.credit.loadPolicy(Array(Credit.policy.utf8), actor: "bench")
            _ = try await services.credit.loadCatalogue(Array(Credit.catalogue.utf8), actor: "bench")
            var generator = SplitMix(seed: 11)
            let (numbers, csv) = Documents.syntheticRegistry(count: 2000, generator: &generator)
            _ = try await services.identity.registry.importCSV(Array(csv.utf8), actor: "bench")
            var events = "subject,type,effective_date,reference\n"
            for (index, number) in numbers.enumerated() where index % 4 == 0 {
                events += "\(number),administrative_penalty_minor,2026-03-15,R\(index)\n"
            }
            _ = try await services.credit.importEvents(Array(events.utf8), source: "bench", actor: "bench")
            let credential = try await services.credentials.create(
                department: "RSJ", scopes: [.documentsIssue, .documentsVerify, .creditRead], label: "bench", actor: "bench"
            ).token

            // Every document goes to a registered person (the first five to the applicant), under the registry's name.
            let persons = csv.split(separator: "\n").dropFirst().map { line in
                let fields = line.split(separator: ",")
                return (id: String(fields[0]), name: String(fields[1]))
            }
            let applicant = persons[0]
            let requests = (0..<count).map { index -> IssueDocumentRequest in
                var request = Documents.request(index)
                let holder = index < 5 ? applicant : persons[5 + index % (persons.count - 5)]
                request.holderName = holder.name
                request.holderIDNumber = holder.id
                return request
            }
            let documents = services.documents
            let issued = try await Documents.parallel(requests, workers: 4) { request in
                let document = try await documents.issue(request, actor: "bench")
                return (document.record.token, document.pdf)
            }
            let pdfDirectory = directory.appendingPathComponent("pdf")
            try FileManager.default.createDirectory(at: pdfDirectory, withIntermediateDirectories: true)
            var pdfs: [String] = []
            for (index, item) in issued.prefix(20).enumerated() {
                let url = pdfDirectory.appendingPathComponent("\(index).pdf")
                try Data(item.1).write(to: url)
                pdfs.append(url.path)
            }
            let start = try await services.identity.start(method: .sms, idNumber: applicant.id, name: applicant.name, client: "bench")
            let message = try await services.identity.outbox(limit: 1).last?.message ?? ""
            let code = String(message.unicodeScalars.filter { $0.isASCII && $0.properties.numericType != nil }.prefix(6).map(Character.init))
            let session = try await services.identity.submitCode(
                verificationId: start.verificationId, secret: start.secret, code: code, client: "bench")
            try await services.database.checkpoint()
            return District(
                home: home, credential: credential, tokens: issued.map(\.0), pdfs: pdfs, creditSubject: numbers[0],
                creditSubjects: Array(numbers.prefix(1000)), applicant: applicant, applicantSession: session.token,
                applicantDocuments: min(5, count))
        }

        static func waitForHealth(port: Int, path: String = "/healthz", attempts: Int = 100) async throws -> Bool {
            for _ in 0..<attempts {
                if await Credit.runDetached(["/usr/bin/curl", "-sf", "-m", "1", "http://127.0.0.1:\(port)\(path)"]).status == 0 { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }

        /// User + system CPU seconds `pid` has used so far (`/proc/PID/stat`), or nil where there is no procfs.
        static func cpuSeconds(pid: pid_t) -> Double? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
            return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }

        /// One GET and one POST route answering JSON of the given sizes; the POST decodes its JSON body first.
        static func bareRouter(port: Int, getSize: Int, postSize: Int) async throws {
            struct Body: Decodable { var token: String }
            func json(size: Int) -> ByteBuffer {
                let filler = max(0, size - 12)
                return ByteBuffer(string: "{\"pad\":\"\(String(repeating: "x", count: filler))\"}")
            }
            let getBody = json(size: getSize), postBody = json(size: postSize)
            let router = Router()
            // `/bare` for wrk's static requests; the daemon's paths for the runs that replay the daemon's own scripts.
            for path in ["/bare", "/v1/credit/:subject"] {
                router.get(RouterPath(path)) { _, _ in
                    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: getBody))
                }
            }
            for path in ["/bare", "/v1/verify"] {
                router.post(RouterPath(path)) { request, context in
                    _ = try await request.decode(as: Body.self, context: context)
                    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: postBody))
                }
            }
            // The bare POST plus one P-256 check, the one piece of work no verification can skip: what a verification
            // could reach on this machine if it did nothing else (no authentication, token decoding, register, audit).
            let key = try PrivateKey(generating: .p256)
            let signature = try key.signature(for: BenchCommand.Crypto.message)
            // One public key, its verification contexts reused, as the daemon's trust state holds each seal's key.
            let publicKey = key.publicKey
            router.post("/bare/p256") { request, context in
                _ = try await request.decode(as: Body.self, context: context)
                guard publicKey.isValidSignature(signature, for: BenchCommand.Crypto.message) else {
                    throw HTTPError(.internalServerError, message: "the bench's P-256 signature did not verify")
                }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: postBody))
            }
            // Quiet: the bench stops it by cancelling its task, which Hummingbird reports as shutdown errors.
            var logger = Logger(label: "zerotrip.bench.bare")
            logger.logLevel = .critical
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
            try await app.runService(gracefulShutdownSignals: [])
        }

        /// Opens up to `count` TCP connections to the daemon that never send a byte.
        /// Starts helper processes (this executable, `bench http --hold-port`) that each open up to 10,000 idle
        /// connections; they hold them until their standard input is closed.
        static func holdIdleConnections(port: Int, count: Int) -> [(pid: pid_t, input: Int32, held: Int)] {
            var helpers: [(pid: pid_t, input: Int32, held: Int)] = []
            var remaining = count
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            while remaining > 0 {
                let share = min(remaining, 10_000)
                remaining -= share
                var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
                guard pipe(&input) == 0, pipe(&output) == 0 else { break }
                for fd in input + output { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                posix_spawn_file_actions_adddup2(&actions, input[0], 0)
                posix_spawn_file_actions_adddup2(&actions, output[1], 1)
                let arguments = [executable, "bench", "http", "--hold-port", "\(port)", "--hold-count", "\(share)"]
                let argv = arguments.map { strdup($0) } + [nil]
                var pid: pid_t = 0
                let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
                posix_spawn_file_actions_destroy(&actions)
                for pointer in argv { free(pointer) }
                close(input[0])
                close(output[1])
                guard spawned == 0 else {
                    close(input[1])
                    close(output[0])
                    break
                }
                // The helper prints how many it holds once they are all open.
                var line: [UInt8] = []
                var byte: UInt8 = 0
                while read(output[0], &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
                close(output[0])
                helpers.append((pid, input[1], Int(String(decoding: line, as: UTF8.self)) ?? 0))
            }
            return helpers
        }

        static func openIdleConnections(port: Int, count: Int) -> [Int32] {
            var sockets: [Int32] = []
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            for _ in 0..<count {
                // Close-on-exec: wrk, started while these are held, must not inherit twenty thousand sockets.
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { break }
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else { close(fd); break }
                sockets.append(fd)
            }
            return sockets
        }

        static func residentMegabytes(pid: Int32) -> Double {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
            else { return -1 }
            return kilobytes / 1024
        }

        /// Reads wrk's summary: Requests/sec, the 50 % and 99 % latencies, non-2xx answers and socket errors.
        static func parse(_ output: String, name: String, connections: Int) -> Measured {
            let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            func milliseconds(_ text: Substring) -> Double {
                let value = Double(text.filter { $0.isNumber || $0 == "." }) ?? -1
                if text.hasSuffix("us") { return value / 1000 }
                if text.hasSuffix("ms") { return value }
                if text.hasSuffix("s") { return value * 1000 }
                return value
            }
            func latency(_ prefix: String) -> Double {
                lines.first { $0.hasPrefix(prefix) }.map { milliseconds($0.split(separator: " ", omittingEmptySubsequences: true).last ?? "") } ?? -1
            }
            let rate =
                lines.first { $0.hasPrefix("Requests/sec:") }.flatMap {
                    Double($0.dropFirst("Requests/sec:".count).trimmingCharacters(in: .whitespaces))
                } ?? 0
            let non2xx =
                lines.first { $0.hasPrefix("Non-2xx or 3xx responses:") }.flatMap {
                    Int($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces))
                } ?? 0
            var socketErrors = 0
            if let line = lines.first(where: { $0.hasPrefix("Socket errors:") }) {
                socketErrors = line.split(separator: ",").compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
            }
            return Measured(
                name: name, connections: connections, rate: rate, p50: latency("50%"), p99: latency("99%"), non2xx: non2xx, socketErrors: socketErrors
            )
        }
    }
}
