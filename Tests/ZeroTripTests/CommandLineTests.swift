import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Testing
import ZeroTrip
import ZeroTripTestSupport

/// Runs the real `zerotrip` executable built next to the test bundle.
/// Where `swift build` put the executable, beside the test bundle.
enum ZeroTripExecutable {
    static let binary: URL? = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("zerotrip")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()
}

@Suite(
    "zerotrip command line, end to end", .tags(.process), .notInFastLoop,
    .enabled(if: ZeroTripExecutable.binary != nil, "the zerotrip executable is built by `swift build` first"))
struct CommandLineTests {

    struct Result { var status: Int32; var output: String }

    func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = ZeroTripExecutable.binary!
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ZEROTRIP_") }.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static let demoPersons = ExternalTool.repositoryRoot.appendingPathComponent("demo/persons.csv").path

    /// The credential `demo setup` in `dir` made for department `code` (from Keys/demo-tokens-*.json).
    static func demoToken(_ code: String, in dir: URL) throws -> String {
        let keys = dir.appendingPathComponent("Keys")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: keys.path).first { $0.hasPrefix("demo-tokens-") })
        let text = try String(contentsOf: keys.appendingPathComponent(file), encoding: .utf8)
        return try #require(
            text.split(separator: "\"").map(String.init).first { $0.hasPrefix("zt_") && text.contains("\"\(code)\" : \"\($0)") },
            "no demo credential for \(code)")
    }

    func curl(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Bounded: a daemon that accepts and never answers fails the test instead of hanging it.
        process.arguments = ["curl", "-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}"] + arguments
        process.standardOutput = Pipe()
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now: random below Linux's ephemeral range (32768 and up,
    /// where the kernel places client sockets and the test PostgreSQL cluster), and checked by binding it.
    static func freePort() -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 20_000..<32_000)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0 { return port }
        }
        return Int.random(in: 20_000..<32_000)
    }

    /// Starts `zerotrip serve` in `dir` on a free port and waits until /healthz answers.
    func startServer(in dir: URL, log: Pipe? = nil, environment: [String: String] = [:]) async throws -> (Process, Int) {
        let port = Self.freePort()
        let server = Process()
        server.executableURL = ZeroTripExecutable.binary!
        server.arguments = ["serve", "--port", "\(port)"]
        server.currentDirectoryURL = dir
        server.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ZEROTRIP_") }.merging(environment) { $1 }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = log ?? FileHandle.nullDevice
        try server.run()
        var up = false
        for _ in 0..<100 where !up {
            let probe = try curl(["http://127.0.0.1:\(port)/healthz"])
            probe.waitUntilExit()
            up = String(decoding: (probe.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "200"
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(up)
        return (server, port)
    }

    @Test("README applicant walk-through: tier-1 SMS verification, own result downloaded, another person's refused with 403 and audited")
    func applicantWalkThrough() async throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let setup = try run(["demo", "setup", "--persons", Self.demoPersons], in: dir)
        #expect(setup.status == 0, "\(setup.output)")
        #expect(setup.output.contains("11 persons imported"))
        let (server, port) = try await startServer(in: dir)
        defer { if server.isRunning { server.terminate() } }
        let script = Process()
        script.executableURL = ExternalTool.repositoryRoot.appendingPathComponent("scripts/applicant-demo.sh")
        script.currentDirectoryURL = dir
        script.environment = ProcessInfo.processInfo.environment.merging([
            "ZEROTRIP_URL": "http://127.0.0.1:\(port)", "ZEROTRIP_BIN": ZeroTripExecutable.binary!.path,
        ]) { $1 }
        let pipe = Pipe()
        script.standardOutput = pipe
        script.standardError = pipe
        try script.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        script.waitUntilExit()
        #expect(script.terminationStatus == 0, "\(output)")
        #expect(output.contains("tier 1, method sms"))
        #expect(output.contains("%PDF-1.7"))
        #expect(output.contains("→ 403"))
        #expect(output.contains("auth.denied") && output.contains("other_person"))
    }

    /// `zerotrip init` for 禅城区, `departments add` RSJ and `persons import` of the demo registry in `dir`.
    func initDistrict(in dir: URL) throws {
        #expect(try run(["init", "--district", "禅城区"], in: dir).status == 0)
        #expect(try run(["departments", "add", "--code", "RSJ", "--name", "禅城区人力资源和社会保障局"], in: dir).status == 0)
        #expect(try run(["persons", "import", Self.demoPersons], in: dir).status == 0)
    }

    /// What `zerotrip issue` prints.
    struct IssueOutput: Decodable { var id: String; var pdf: String; var token: String }

    /// Issues a 个人参保证明 for 张三丰 by RSJ into `out/`.
    func issueCertificate(in dir: URL) throws -> IssueOutput {
        let issued = try run(
            [
                "issue", "--department", "RSJ", "--matter-code", "GRCBZM", "--matter-name", "个人参保证明", "--holder-name", "张三丰",
                "--holder-id", "440104199001010010", "--field", "参保险种=企业职工基本养老保险", "--out", "out",
            ], in: dir)
        return try JSONDecoder().decode(IssueOutput.self, from: Data(issued.output.utf8))
    }

    func tempDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A new temporary directory holding the demo district (`demo setup` with the demo registry); the caller removes it.
    func demoDistrict() throws -> URL {
        let dir = try tempDirectory()
        let setup = try run(["demo", "setup", "--persons", Self.demoPersons], in: dir)
        #expect(setup.status == 0, "\(setup.output)")
        return dir
    }

    @Test("Lists print an aligned table with a header, and --json for scripts; personal data masked in both")
    func listsAsTablesAndJSON() throws {
        let dir = try demoDistrict()
        defer { try? FileManager.default.removeItem(at: dir) }
        let headers = [
            (["documents", "list"], "ID"), (["audit", "tail"], "SEQ"), (["applications", "list"], "ID"), (["root", "list"], "KID"),
            (["catalogue", "versions"], "VERSION"), (["staff", "list"], "DEPARTMENT"), (["keys", "list"], "KID"),
            (["departments", "list"], "CODE"), (["points", "runs"], "RUN"), (["applications", "notifications"], "AT"),
            (["identity", "outbox"], "SENT"),
        ]
        for (command, first) in headers {
            let table = try run(command, in: dir)
            #expect(table.status == 0 && table.output.hasPrefix(first + " "), "\(command): \(table.output.prefix(300))")
            let json = try run(command + ["--json"], in: dir)
            #expect(json.status == 0, "\(command) --json: \(json.output.prefix(300))")
            #expect((try? JSONSerialization.jsonObject(with: Data(json.output.utf8))) is [Any], "\(command) --json: \(json.output.prefix(300))")
        }
        // The demo's three results: the holder's name masked in the table and in the JSON alike.
        struct Document: Decodable { var id: String; var holder: String; var status: String }
        let documents = try JSONDecoder().decode([Document].self, from: Data(try run(["documents", "list", "--json"], in: dir).output.utf8))
        #expect(documents.count == 3 && documents.allSatisfy { $0.holder.contains("*") && $0.status == "valid" }, "\(documents)")
        #expect(!(try run(["documents", "list"], in: dir).output.contains("张三丰")))
        struct Staff: Decodable { var phone: String }
        let staff = try JSONDecoder().decode([Staff].self, from: Data(try run(["staff", "list", "--json"], in: dir).output.utf8))
        #expect(!staff.isEmpty && staff.allSatisfy { $0.phone.contains("*") }, "\(staff)")
    }

    @Test("root certify-online-key: the key is listed, signs the next tree head and the exported list, and log audit accepts its heads")
    func onlineKeyCeremony() throws {
        let dir = try demoDistrict()
        defer { try? FileManager.default.removeItem(at: dir) }
        let certified = try run(["root", "certify-online-key"], in: dir)
        #expect(certified.status == 0 && certified.output.contains("online signing key "), "\(certified.output)")
        let table = try run(["root", "online-keys"], in: dir)
        #expect(table.status == 0 && table.output.hasPrefix("KID "), "\(table.output)")
        struct Key: Decodable { var kid: String; var status: String; var inToken: Bool }
        let keys = try JSONDecoder().decode([Key].self, from: Data(try run(["root", "online-keys", "--json"], in: dir).output.utf8))
        #expect(keys.count == 1 && keys[0].status == "current" && !keys[0].inToken, "\(keys)")
        let head = try run(["log", "sth"], in: dir)
        #expect(head.status == 0 && head.output.contains(keys[0].kid), "\(head.output)")
        let audit = try run(["log", "audit"], in: dir)
        #expect(audit.status == 0 && audit.output.contains("log intact"), "\(audit.output)")
        let list = try String(contentsOf: dir.appendingPathComponent("Certificates/trust-list.json"), encoding: .utf8)
        #expect(list.contains("\"signerKid\":\"\(keys[0].kid)\""), "\(list.prefix(300))")
    }

    @Test("applications: submit, accept, review, approve, issue: the result's PDF and QR PNG are new files readable by their owner only")
    func applicationIssueWritesPrivateFiles() throws {
        let dir = try demoDistrict()
        defer { try? FileManager.default.removeItem(at: dir) }
        struct Created: Decodable { var id: String }
        let submitted = try run(
            ["applications", "submit", "--matter", "GRCBZM", "--id-number", "440104199001010010", "--name", "张三丰", "--provided", "ID_CARD"],
            in: dir)
        #expect(submitted.status == 0, "\(submitted.output)")
        let id = try JSONDecoder().decode(Created.self, from: Data(submitted.output.utf8)).id
        for step in ["accept", "review", "approve"] {
            let moved = try run(["applications", "step", step, id], in: dir)
            #expect(moved.status == 0, "\(step): \(moved.output)")
        }
        let issued = try run(
            [
                "applications", "issue", id, "--field", "参保险种=企业职工基本养老保险", "--field", "参保状态=正常参保", "--field",
                "缴费起止=2015-01 至 2026-11", "--field", "累计缴费月数=143", "--out", "results",
            ], in: dir)
        #expect(issued.status == 0, "\(issued.output)")
        struct Output: Decodable { var pdf: String; var qrImage: String }
        let output = try JSONDecoder().decode(Output.self, from: Data(issued.output.utf8))
        for file in [output.pdf, output.qrImage] {
            let path = file.hasPrefix("/") ? file : dir.appendingPathComponent(file).path
            #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        let pdfPath = output.pdf.hasPrefix("/") ? output.pdf : dir.appendingPathComponent(output.pdf).path
        let pngPath = output.qrImage.hasPrefix("/") ? output.qrImage : dir.appendingPathComponent(output.qrImage).path
        #expect(try Data(contentsOf: URL(fileURLWithPath: pngPath)).starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(try run(["verify", pdfPath], in: dir).status == 0)
    }

    @Test("issue writes a PDF and a QR PNG; verify answers valid (exit 0) online and offline, invalid (exit 2) for a changed byte")
    func issueAndVerify() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try initDistrict(in: dir)
        let issued = try run(
            [
                "issue", "--department", "RSJ", "--matter-code", "GRCBZM", "--matter-name", "个人参保证明", "--holder-name", "张三丰",
                "--holder-id", "440104199001010010", "--field", "参保险种=企业职工基本养老保险", "--out", "out",
            ], in: dir)
        #expect(issued.status == 0, "\(issued.output)")
        struct Output: Decodable { var id: String; var pdf: String; var qrImage: String; var token: String }
        let output = try JSONDecoder().decode(Output.self, from: Data(issued.output.utf8))
        let png = try Data(contentsOf: URL(fileURLWithPath: output.qrImage))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // The PDF carries the full ID number: both files are readable by their owner only.
        for file in [output.pdf, output.qrImage] {
            let path = file.hasPrefix("/") ? file : dir.appendingPathComponent(file).path
            #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        #expect(try run(["verify", output.pdf], in: dir).status == 0)
        let offline = try run(["verify", "--offline", "--token", output.token], in: dir)
        #expect(offline.status == 0, "\(offline.output)")
        #expect(offline.output.contains("\"registerChecked\" : false"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: output.pdf))
        bytes[300] ^= 0x01
        try bytes.write(to: dir.appendingPathComponent("tampered.pdf"))
        let tampered = try run(["verify", "tampered.pdf"], in: dir)
        #expect(tampered.status == 2)
        #expect(tampered.output.contains("\"invalid\""))
        let revoked = try run(["documents", "revoke", output.id, "--reason", "issued_in_error"], in: dir)
        #expect(revoked.status == 0, "\(revoked.output)")
        #expect(!revoked.output.contains("440104199001010010"))
        #expect(try run(["verify", "--token", output.token], in: dir).output.contains("\"revoked\""))
        let bad = try run(
            [
                "issue", "--department", "RSJ", "--matter-code", "X", "--matter-name", "证明", "--holder-name", "张三",
                "--holder-id", "123", "--field", "a=b",
            ], in: dir)
        #expect(bad.status == 1)
        #expect(bad.output.contains("error [invalid_id_number]"))
    }

    @Test("keys rotate/revoke, trust-list export and offline verification from it, log sth and log audit catching an altered leaf")
    func trustInfrastructure() async throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try initDistrict(in: dir)
        let first = try issueCertificate(in: dir)
        #expect(try run(["log", "sth"], in: dir).status == 0)
        try await Task.sleep(for: .milliseconds(1100))
        let notAfter = Date()
        try await Task.sleep(for: .milliseconds(1100))
        let second = try issueCertificate(in: dir)
        struct Key: Decodable { var kid: String; var status: String }
        let oldKid = try JSONDecoder().decode(
            [Key].self, from: Data(try run(["keys", "list", "--department", "RSJ", "--json"], in: dir).output.utf8)
        ).first!.kid
        #expect(try run(["keys", "rotate", "--department", "RSJ"], in: dir).status == 0)
        let future = try run(["keys", "revoke", "--kid", oldKid, "--not-after", "2099-01-01T00:00+08:00", "--reason", "key-compromise"], in: dir)
        #expect(future.status == 1 && future.output.contains("invalid_input"))
        #expect(
            try run(["keys", "revoke", "--kid", "00000000deadbeef", "--not-after", "2026-01-01T00:00+08:00", "--reason", "key-compromise"], in: dir)
                .output.contains("unknown_key"))
        let stamp = notAfter.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
        let revoke = try run(["keys", "revoke", "--kid", oldKid, "--not-after", stamp, "--reason", "key-compromise"], in: dir)
        #expect(revoke.status == 0, "\(revoke.output)")
        // The operator's table: one line per key, no PEM, the revocation in words.
        let table = try run(["keys", "list", "--department", "RSJ"], in: dir).output
        #expect(table.hasPrefix("KID") && !table.contains("BEGIN CERTIFICATE") && table.split(separator: "\n").count == 3, "\(table)")
        #expect(table.contains("\(oldKid)  RSJ   seal  P-256  revoked") && table.contains("revoked (key_compromise) for documents after"), "\(table)")
        #expect(try run(["verify", "--token", first.token], in: dir).status == 0)
        #expect(try run(["verify", "--token", second.token], in: dir).output.contains("key_revoked"))
        #expect(try run(["trust-list", "export", "--out", "published"], in: dir).status == 0)
        let offline = ["verify", "--offline", "--trust-list", "published/trust-list.json"]
        #expect(try run(offline + ["--token", first.token], in: dir).status == 0)
        let revokedOffline = try run(offline + [second.pdf], in: dir)
        #expect(revokedOffline.status == 2 && revokedOffline.output.contains("\"revoked\""), "\(revokedOffline.output)")
        #expect(try run(offline + [first.pdf], in: dir).status == 0)
        // The trust list verifies with openssl against the root certificate.
        _ = try ExternalTool.run(["openssl", "x509", "-in", "Certificates/root.pem", "-pubkey", "-noout", "-out", "root.pub"], in: dir)
        #expect(
            try ExternalTool.run(
                ["openssl", "dgst", "-sha256", "-verify", "root.pub", "-signature", "published/trust-list.json.sig", "published/trust-list.json"],
                in: dir
            ).status == 0)
        // The log audits clean, then an altered leaf is caught.
        #expect(try run(["log", "sth"], in: dir).status == 0)
        let clean = try run(["log", "audit"], in: dir)
        #expect(clean.status == 0 && clean.output.contains("log intact"), "\(clean.output)")
        let queue = try AppDatabase.open(path: dir.appendingPathComponent("var/zerotrip.sqlite").path)
        try await queue.write { db in
            try db.execute(sql: "DROP TRIGGER log_leaves_append_only")
            try db.execute(
                sql: "UPDATE log_leaves SET entry = CAST(replace(CAST(entry AS TEXT), 'GRCBZM', 'GRCBZX') AS BLOB) WHERE kind = 'document.issued'")
        }
        let broken = try run(["log", "audit"], in: dir)
        #expect(broken.status == 1 && broken.output.contains("BROKEN"), "\(broken.output)")
    }

    @Test(
        "Offline verification reads the document status list: a revoked document answers revoked from its token and from its PDF, a valid one stays valid, the list's age is printed, and openssl verifies its signature"
    )
    func documentStatusOffline() async throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try initDistrict(in: dir)
        let kept = try issueCertificate(in: dir), revoked = try issueCertificate(in: dir)
        #expect(try run(["documents", "revoke", revoked.id, "--reason", "fraud"], in: dir).status == 0)
        #expect(try run(["trust-list", "export", "--out", "published"], in: dir).status == 0)
        let offline = ["verify", "--offline", "--trust-list", "published/trust-list.json"]
        for input in [["--token", revoked.token], [revoked.pdf]] {
            let answer = try run(offline + input, in: dir)
            #expect(answer.status == 2 && answer.output.contains("\"revoked\""), "\(answer.output)")
            #expect(answer.output.contains("document status as of"), "\(answer.output)")
        }
        for input in [["--token", kept.token], [kept.pdf]] { #expect(try run(offline + input, in: dir).status == 0) }
        // Without the status list next to the trust list, revocation of documents is not known offline (as documented).
        try FileManager.default.removeItem(at: dir.appendingPathComponent("published/status-list.json"))
        #expect(try run(offline + ["--token", revoked.token], in: dir).status == 0)
        let missing = try run(offline + ["--status-list", "published/status-list.json", "--token", revoked.token], in: dir)
        #expect(
            missing.status == 1 && missing.output.contains("invalid_input"), "an explicitly named list that is missing is an error: \(missing.output)"
        )
        _ = try ExternalTool.run(["openssl", "x509", "-in", "Certificates/root.pem", "-pubkey", "-noout", "-out", "root.pub"], in: dir)
        let exported = try run(["trust-list", "export", "--out", "published"], in: dir)
        #expect(exported.status == 0, "\(exported.output)")
        #expect(
            try ExternalTool.run(
                ["openssl", "dgst", "-sha256", "-verify", "root.pub", "-signature", "published/status-list.json.sig", "published/status-list.json"],
                in: dir
            ).status == 0)
        let listed = try String(contentsOf: dir.appendingPathComponent("published/status-list.json"), encoding: .utf8)
        #expect(listed.contains("zerotrip-status-list-v1") && !listed.contains(revoked.id), "entries are hashes, not document numbers")
    }

    @Test("root renew --rotate-departments: offline verifiers pinned to the old root accept documents under both roots; log audit follows the link")
    func rootRenewal() async throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try initDistrict(in: dir)
        let first = try issueCertificate(in: dir)
        #expect(try run(["log", "sth"], in: dir).status == 0)
        try FileManager.default.copyItem(
            at: dir.appendingPathComponent("Certificates/root.pem"), to: dir.appendingPathComponent("pinned-old-root.pem"))
        let renew = try run(["root", "renew", "--rotate-departments"], in: dir)
        #expect(renew.status == 0 && renew.output.contains("new root") && renew.output.contains("RSJ: new seal key"), "\(renew.output)")
        struct Root: Decodable { var kid: String; var status: String }
        let roots = try JSONDecoder().decode([Root].self, from: Data(try run(["root", "list", "--json"], in: dir).output.utf8))
        #expect(roots.map(\.status) == ["current", "previous"])
        let second = try issueCertificate(in: dir)
        #expect(try run(["log", "sth"], in: dir).status == 0)
        #expect(try run(["trust-list", "export"], in: dir).status == 0)
        let offline = ["verify", "--offline", "--trust-list", "Certificates/trust-list.json", "--root", "pinned-old-root.pem"]
        for document in [first, second] {
            let token = try run(offline + ["--token", document.token], in: dir)
            #expect(token.status == 0 && token.output.contains("\"valid\""), "\(token.output)")
            #expect(try run(offline + [document.pdf], in: dir).status == 0)
            #expect(try run(["verify", "--offline", "--token", document.token], in: dir).status == 0, "Certificates/ alone")
        }
        let audit = try run(["log", "audit", "--root", "pinned-old-root.pem"], in: dir)
        #expect(audit.status == 0 && audit.output.contains("log intact"), "\(audit.output)")
        // openssl: the new root's link certificate verifies under the pinned old root.
        let link = "Certificates/roots/link-\(roots[0].kid)-by-\(roots[1].kid).pem"
        #expect(try ExternalTool.run(["openssl", "verify", "-CAfile", "pinned-old-root.pem", link], in: dir).status == 0)
    }

    @Test("init, departments add, credentials create; openssl verifies the seal; duplicates and unknowns are refused with codes")
    func administration() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let initResult = try run(["init", "--district", "禅城区"], in: dir)
        #expect(initResult.status == 0, "\(initResult.output)")
        #expect(initResult.output.contains("root key passphrase in Keys/root-passphrase"), "\(initResult.output)")
        #expect(try run(["init", "--district", "禅城区"], in: dir).output.contains("error [already_initialized]"))
        // The root's passphrase is its own: the seals' does not open the root key file.
        #expect(try run(["root", "separate-passphrase"], in: dir).output.contains("nothing changed"))
        let add = try run(["departments", "add", "--code", "RSJ", "--name", "区人力资源和社会保障局"], in: dir)
        #expect(add.status == 0, "\(add.output)")
        let duplicate = try run(["departments", "add", "--code", "RSJ", "--name", "又一个"], in: dir)
        #expect(duplicate.status == 1)
        #expect(duplicate.output.contains("error [duplicate_department]"))
        let unknown = try run(["credentials", "create", "--department", "XYZ", "--scopes", "documents:issue"], in: dir)
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("error [unknown_department]"))
        let created = try run(["credentials", "create", "--department", "RSJ", "--scopes", "documents:issue,documents:verify,credit:read"], in: dir)
        #expect(created.status == 0)
        #expect(created.output.contains("zt_"))
        let listed = try run(["credentials", "list"], in: dir)
        let token = created.output.split(separator: "\n").first { $0.hasPrefix("zt_") }.map(String.init) ?? "missing"
        // The secret is everything after the second underscore (it may itself contain underscores).
        let secret = String(token.split(separator: "_", maxSplits: 2).last ?? "missing")
        #expect(secret.count == 43 && !listed.output.contains(secret))
        // A table for people, the objects for scripts; neither holds a secret.
        #expect(listed.output.hasPrefix("ID") && listed.output.contains("RSJ   active"), "\(listed.output)")
        let json = try run(["credentials", "list", "--json"], in: dir).output
        struct Listed: Decodable { var id: String; var departmentCode: String; var scopes: [String] }
        #expect(
            try JSONDecoder().decode([Listed].self, from: Data(json.utf8)).contains {
                $0.departmentCode == "RSJ" && $0.scopes.contains("credit:read")
            })
        #expect(!json.contains(secret))
        #expect(try run(["departments", "list"], in: dir).output.contains("RSJ   "))

        let certificates = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("Certificates/departments").path)
        let seal = try #require(certificates.first { $0.hasPrefix("RSJ-") })
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "verify", "-x509_strict", "-CAfile", "Certificates/root.pem", "Certificates/departments/\(seal)"]
        openssl.currentDirectoryURL = dir
        openssl.standardOutput = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)

        let wrong = try run(
            ["departments", "add", "--code", "GAJ", "--name", "区公安分局"], in: dir, environment: ["ZEROTRIP_ROOT_PASSPHRASE": "wrong wrong wrong"])
        #expect(wrong.output.contains("error [wrong_passphrase]"))
        #expect(!wrong.output.contains("wrong wrong wrong"))
    }

    @Test("serve refuses to start when a key file is readable by others")
    func refuseInsecureKeys() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try run(["init", "--district", "禅城区"], in: dir).status == 0)
        let keyFile = try #require(
            FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("Keys").path).first { $0.hasPrefix("root-") })
        chmod(dir.appendingPathComponent("Keys/\(keyFile)").path, 0o644)
        let serve = try run(["serve", "--port", "0"], in: dir)
        #expect(serve.status == 1)
        #expect(serve.output.contains("error [insecure_key_file]"))
        #expect(serve.output.contains(keyFile))
    }

    @Test(
        "backup --to writes a private copy that audit verify and log audit accept; a second backup to the same file and one without a database are refused"
    )
    func backup() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try run(["backup", "--to", "copy.sqlite"], in: dir).output.contains("error [not_initialized]"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("var/zerotrip.sqlite").path))
        #expect(try run(["init", "--district", "禅城区"], in: dir).status == 0)
        #expect(try run(["departments", "add", "--code", "RSJ", "--name", "区人力资源和社会保障局"], in: dir).status == 0)
        let made = try run(["backup", "--to", "copy.sqlite"], in: dir)
        #expect(made.status == 0 && made.output.contains("backup written") && made.output.contains("2 audit events"), "\(made.output)")
        let copy = dir.appendingPathComponent("copy.sqlite").path
        #expect((try FileManager.default.attributesOfItem(atPath: copy)[.posixPermissions] as? Int) == 0o600)
        let audit = try run(["audit", "verify", "--database", copy], in: dir)
        #expect(audit.status == 0 && audit.output.contains("intact: 2 events"), "\(audit.output)")
        #expect(try run(["log", "audit", "--database", copy], in: dir).status == 0)
        let again = try run(["backup", "--to", "copy.sqlite"], in: dir)
        #expect(again.status == 1 && again.output.contains("error [file_exists]"))
        // The live database recorded the backup; the copy ends before it.
        #expect(try run(["audit", "verify"], in: dir).output.contains("intact: 3 events"))
    }

    @Test("persons import reports progress on standard error for long files, and at most 20 rejected lines by number")
    func personsImportOutput() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try initDistrict(in: dir)
        var csv = "id_number,name,phone,card_valid_from,card_valid_until\n"
        for index in 0..<1_200 {
            let body = "440604" + String(1950 + index / 336) + String(format: "%02d%02d%03d", 1 + index / 28 % 12, 1 + index % 28, 100 + index % 7)
            csv += "\(body)\(CitizenIDNumber.checkCharacter(for: body)!),测试,139\(String(format: "%08d", index)),2020-01-01,长期\n"
        }
        // 17 characters: always refused (length).
        for index in 0..<30 { csv += "44060419900101\(String(format: "%03d", index)),坏行,13900000000,2020-01-01,长期\n" }
        try csv.write(to: dir.appendingPathComponent("many.csv"), atomically: true, encoding: .utf8)
        let result = try run(["persons", "import", "many.csv"], in: dir)
        #expect(result.status == 2)
        #expect(result.output.contains("imported 500 of"), "progress for a file over one chunk: \(result.output.prefix(300))")
        #expect(result.output.contains("rejected 30") && result.output.contains("… and 10 more rejected lines"))
        #expect(result.output.components(separatedBy: "\n  line ").count == 21)
    }

    @Test(
        "Outside a district, commands that need one refuse with not_initialized and create nothing",
        arguments: [
            ["audit", "verify"], ["documents", "list"], ["keys", "list"], ["departments", "list"], ["persons", "show", "440104199001010010"],
            ["log", "sth"],
        ])
    func outsideADistrict(arguments: [String]) throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try run(arguments, in: dir)
        #expect(result.status == 1 && result.output.contains("error [not_initialized]: no district here"), "\(arguments): \(result.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "\(arguments) created files")
    }

    @Test("audit verify passes, then fails naming the first bad event after a row is edited or deleted", arguments: ["edit", "delete"])
    func auditVerify(mode: String) async throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try run(["init", "--district", "禅城区"], in: dir).status == 0)
        for code in ["RSJ", "GAJ", "WJJ"] {
            #expect(try run(["departments", "add", "--code", code, "--name", "局\(code)"], in: dir).status == 0)
        }
        let good = try run(["audit", "verify"], in: dir)
        #expect(good.status == 0)
        #expect(good.output.contains("intact: 4 events"))

        let queue = try AppDatabase.open(path: dir.appendingPathComponent("var/zerotrip.sqlite").path)
        try await queue.write { db in
            try db.executeScript("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete")
            if mode == "edit" {
                try db.execute(sql: "UPDATE audit_events SET target = 'department:XXX' WHERE seq = 3")
            } else {
                try db.execute(sql: "DELETE FROM audit_events WHERE seq = 3")
            }
        }
        let bad = try run(["audit", "verify"], in: dir)
        #expect(bad.status == 1)
        #expect(bad.output.contains("BROKEN at event 3"), "\(bad.output)")
    }

    @Test("SIGTERM shuts serve down gracefully: a request still uploading its body gets its answer, then the process exits 0")
    func gracefulShutdown() async throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try run(["demo", "setup", "--persons", Self.demoPersons], in: dir).status == 0)
        let admin = try Self.demoToken("ZSJ", in: dir)

        let log = Pipe()
        let (server, port) = try await startServer(in: dir, log: log)
        defer { if server.isRunning { server.terminate() } }

        // About 3 s of upload at 1 KiB/s; SIGTERM arrives after 1 s.
        let body = #"{"department": "RSJ", "scopes": ["credit:read"], "label": "slow"}"# + String(repeating: " ", count: 3000)
        let slow = try curl([
            "--limit-rate", "1K", "-H", "Authorization: Bearer \(admin)", "-H", "Content-Type: application/json",
            "--data-binary", body, "http://127.0.0.1:\(port)/v1/credentials",
        ])
        try await Task.sleep(for: .seconds(1))
        kill(server.processIdentifier, SIGTERM)
        slow.waitUntilExit()
        let status = String(decoding: (slow.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(status == "201")
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(output.contains("\"msg\":\"stopped\""))
    }

    @Test("With --tls-cert and --tls-key, serve answers HTTPS with that certificate and refuses plain HTTP")
    func tls() async throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try run(["init", "--district", "禅城区"], in: dir).status == 0)
        let made = try ExternalCommand.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "tls.key", "-out", "tls.crt", "-subj", "/CN=localhost", "-days", "1",
            ], in: dir)
        #expect(made.status == 0)
        chmod(dir.appendingPathComponent("tls.key").path, 0o600)
        // Below the ephemeral range and checked free: a random port up there can be a client socket's of the
        // suites running beside this one, and the daemon then exits at once (seen in CI on PostgreSQL).
        let port = Self.freePort()
        let server = Process()
        server.executableURL = ZeroTripExecutable.binary!
        server.arguments = ["serve", "--port", "\(port)", "--tls-cert", "tls.crt", "--tls-key", "tls.key"]
        server.currentDirectoryURL = dir
        server.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ZEROTRIP_") }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        var status = ""
        for _ in 0..<100 where status != "200" {
            status = try ExternalCommand.run(
                [
                    "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", "tls.crt",
                    "https://localhost:\(port)/healthz",
                ], in: dir
            ).output
            if status != "200" { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(status == "200")
        let plain = try ExternalCommand.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://localhost:\(port)/healthz"], in: dir)
        #expect(plain.output != "200")
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }
}

/// Runs tools nobody here wrote (openssl, curl) for the end-to-end tests.
enum ExternalCommand {
    /// `withErrors` adds the tool's standard error to the output (for failure messages).
    static func run(_ arguments: [String], in directory: URL, withErrors: Bool = false) throws -> CommandLineTests.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = withErrors ? pipe : FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .init(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
