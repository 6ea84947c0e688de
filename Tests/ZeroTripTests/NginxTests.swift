import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport
import ZeroTripTestSupport

/// Where nginx is installed, if it is.
enum NginxBinary {
    static let path: String? = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// docs/deployment.md's nginx configuration, taken from the document itself, in front of two daemons on one
/// PostgreSQL database: the example an operator copies is the one tested.
@Suite(
    "Two daemons behind the documented nginx configuration", .tags(.externalTool, .process), .notInFastLoop, .serialized,
    .enabled(
        if: TestDatabase.isPostgres && ZeroTripExecutable.binary != nil && NginxBinary.path != nil,
        "needs ZEROTRIP_TEST_DATABASE_URL, the built zerotrip executable and nginx (apt-get install nginx-light)"))
struct NginxTests {
    /// The ```nginx block of docs/deployment.md.
    static func documentedConfiguration() throws -> String {
        let text = try String(contentsOf: ExternalTool.repositoryRoot.appendingPathComponent("docs/deployment.md"), encoding: .utf8)
        let start = try #require(text.range(of: "```nginx\n"))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        return String(text[start.upperBound..<end.lowerBound])
    }

    @Test(
        "The documented nginx file passes nginx -t and serves TLS and HTTP/2 in front of two daemons: requests reach both, and with one daemon SIGKILLed issuance and verification carry on through the other without a 5xx"
    )
    func behindNginx() async throws {
        try await LoadTests.bounded(seconds: 180, "nginx") { try await self.body() }
    }

    func body() async throws {
        let nginx = try #require(NginxBinary.path)
        let base = try #require(TestDatabase.postgresURL)
        let location = TestDatabase.newSchema("nginx_", on: base).url
        let cli = CommandLineTests()
        let dir = try cli.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let publicPort = CommandLineTests.freePort()
        let publicURL = "https://zw.example.gov.cn:\(publicPort)"
        // Every daemon prints the balancer's address on documents, and believes nginx (on this host) about the client.
        let environment = ["ZEROTRIP_DATABASE_URL": location, "ZEROTRIP_VERIFICATION_BASE_URL": publicURL, "ZEROTRIP_TRUSTED_PROXIES": "127.0.0.1"]
        let setup = try cli.run(["demo", "setup", "--persons", CommandLineTests.demoPersons], in: dir, environment: environment)
        #expect(setup.status == 0, "\(setup.output)")
        let rsj = try CommandLineTests.demoToken("RSJ", in: dir)

        let (a, portA) = try await LoadTests.serve(in: dir, environment: environment)
        let (b, portB) = try await LoadTests.serve(in: dir, environment: environment)
        defer { for server in [a, b] where server.isRunning { kill(server.processIdentifier, SIGKILL) } }

        // A certificate for the example's server name, and the example with this machine's addresses.
        let web = dir.appendingPathComponent("nginx")
        try FileManager.default.createDirectory(at: web, withIntermediateDirectories: true)
        let certificate = web.appendingPathComponent("fullchain.pem").path, key = web.appendingPathComponent("privkey.pem").path
        let made = try ExternalTool.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=zw.example.gov.cn", "-addext", "subjectAltName=DNS:zw.example.gov.cn",
            "-keyout", key, "-out", certificate,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        var site = try Self.documentedConfiguration()
        for (documented, here) in [
            ("10.0.0.11:8080", "127.0.0.1:\(portA)"), ("10.0.0.12:8080", "127.0.0.1:\(portB)"),
            ("listen 443 ssl http2;", "listen 127.0.0.1:\(publicPort) ssl http2;"),
            ("/etc/ssl/zerotrip/fullchain.pem", certificate), ("/etc/ssl/zerotrip/privkey.pem", key),
        ] {
            #expect(site.contains(documented), "docs/deployment.md no longer says \(documented)")
            site = site.replacingOccurrences(of: documented, with: here)
        }
        let prefix = web.path
        let configuration = """
            daemon off;
            worker_processes 1;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/error.log warn;
            events { worker_connections 512; }
            http {
                log_format upstream '$request_method $uri $status $upstream_addr';
                access_log \(prefix)/access.log upstream;
                client_body_temp_path \(prefix)/body; proxy_temp_path \(prefix)/proxy;
                fastcgi_temp_path \(prefix)/fastcgi; uwsgi_temp_path \(prefix)/uwsgi; scgi_temp_path \(prefix)/scgi;
            \(site)
            }
            """
        let file = web.appendingPathComponent("nginx.conf").path
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        let check = try ExternalTool.run([nginx, "-t", "-p", prefix, "-c", file])
        #expect(check.status == 0, "nginx -t: \(check.stderr)")

        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: nginx)
        proxy.arguments = ["-p", prefix, "-c", file]
        proxy.standardOutput = FileHandle.nullDevice
        proxy.standardError = FileHandle.nullDevice
        try proxy.run()
        defer { if proxy.isRunning { proxy.terminate(); proxy.waitUntilExit() } }

        /// curl through nginx over TLS, trusting the test certificate: status, HTTP version and body.
        func call(_ method: String, _ path: String, body: String? = nil, token: String? = rsj) throws -> (status: Int, version: String, body: String)
        {
            var arguments = [
                "curl", "-s", "-m", "10", "--http2", "--cacert", certificate, "--resolve", "zw.example.gov.cn:\(publicPort):127.0.0.1",
                "-X", method, "-w", "\n%{http_code} %{http_version}",
            ]
            if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
            if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
            let output = try ExternalTool.run(arguments + ["\(publicURL)\(path)"]).stdout
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
            let last = lines.last.map { $0.split(separator: " ") } ?? []
            return (Int(last.first ?? "") ?? 0, last.count > 1 ? String(last[1]) : "", lines.dropLast().joined(separator: "\n"))
        }
        var ready = false
        for _ in 0..<50 where !ready {
            ready = (try? call("GET", "/readyz", token: nil).status) == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready, "nginx did not answer: \((try? String(contentsOfFile: prefix + "/error.log", encoding: .utf8)) ?? "")")
        #expect(try call("GET", "/readyz", token: nil).version == "2", "HTTP/2 towards the clients, as the example says")

        func issueAndVerify(_ count: Int) throws -> [Int] {
            var statuses: [Int] = []
            for _ in 0..<count {
                let issued = try call("POST", "/v1/documents", body: LoadTests.issueBody)
                statuses.append(issued.status)
                let answer = try JSONSerialization.jsonObject(with: Data(issued.body.utf8)) as? [String: Any]
                guard issued.status == 201, let token = answer?["token"] as? String else { continue }
                #expect(
                    (answer?["verificationPage"] as? String)?.hasPrefix(publicURL.uppercased() + "/V/?") == true,
                    "the QR points at the balancer: \(answer?["verificationPage"] ?? "none")")
                let verified = try call("POST", "/v1/verify", body: #"{"token":"\#(token)"}"#)
                statuses.append(verified.status)
                #expect(verified.body.contains(#""result":"valid""#), "\(verified.body)")
            }
            return statuses
        }
        let before = try issueAndVerify(8)
        #expect(before.allSatisfy { $0 == 200 || $0 == 201 } && before.count == 16, "\(before)")
        let log = try String(contentsOfFile: prefix + "/access.log", encoding: .utf8).split(separator: "\n")
        let upstreams = { (route: String) in Set(log.filter { $0.contains(route) }.compactMap { $0.split(separator: " ").last.map(String.init) }) }
        // Round robin: issuance and verification alternate, so together they reach both daemons.
        #expect(
            upstreams("POST /v1/documents ").union(upstreams("POST /v1/verify ")) == ["127.0.0.1:\(portA)", "127.0.0.1:\(portB)"],
            "requests reach both daemons")

        // One daemon gone: nginx passes the requests it cannot connect to on to the other, and nothing answers 5xx.
        kill(a.processIdentifier, SIGKILL)
        a.waitUntilExit()
        let after = try issueAndVerify(8)
        #expect(after.allSatisfy { $0 == 200 || $0 == 201 } && after.count == 16, "with one daemon killed: \(after)")
    }
}
