import ArgumentParser
import Foundation
import Glibc
import ZeroTrip
import ZeroTripCrypto

/// `zerotrip bench`: speed figures.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Print speed figures next to reference implementations.",
        subcommands: [Crypto.self, Documents.self, Identity.self, Log.self, Credit.self, Reuse.self, Points.self, Statistics.self, HTTP.self])

    struct Crypto: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign/verify per second for P-256 and SM2 (one core), next to `openssl speed` on this machine.",
            discussion:
                "Targets: ≥ 80 % of OpenSSL's rate for P-256 sign and verify, ≥ 70 % for SM2. Exit status 1 when a target is missed with --check.")

        @Option(name: .long, help: "Seconds per measurement.") var seconds: Double = 3
        @Flag(name: .long, help: "Exit 1 if a target is missed.") var check = false

        func run() async throws {
            let message = Self.message
            var rows: [(String, Double, Double?, Double)] = []
            let reference = Self.openSSLSpeed(seconds: max(1, Int(seconds.rounded())))
            for algorithm in KeyAlgorithm.allCases {
                let key = try PrivateKey(generating: algorithm)
                let publicKey = key.publicKey
                let signature = try key.signature(for: message)
                let signRate = try Self.rate(seconds: seconds) { _ = try key.signature(for: message) }
                let verifyRate = try Self.verifyRate(publicKey, signature, seconds: seconds)
                let target = algorithm == .p256 ? 0.80 : 0.70
                let ref = reference[algorithm]
                rows.append(("\(algorithm) sign", signRate, ref?.sign, target))
                rows.append(("\(algorithm) verify", verifyRate, ref?.verify, target))
            }
            print("ZeroTrip crypto benchmark (\(OpenSSLLibrary.versionText), 64-byte message, hash included, one thread)")
            print("operation          zerotrip/s   openssl/s   ratio   target")
            var missed = false
            for (name, ours, theirs, target) in rows {
                let ratio = theirs.map { ours / $0 }
                if let ratio, ratio < target { missed = true }
                let columns = [
                    name.padding(toLength: 16, withPad: " ", startingAt: 0),
                    String(format: "%12.1f", ours),
                    theirs.map { String(format: "%11.1f", $0) } ?? "        n/a",
                    ratio.map { String(format: "%6.0f%%", $0 * 100) } ?? "    n/a",
                    String(format: "%7.0f%%", target * 100),
                ]
                print(columns.joined(separator: " "))
            }
            print(missed ? "RESULT: below target" : "RESULT: targets met")
            if check && missed { throw ExitCode(1) }
        }

        /// The message every measurement signs and checks.
        static let message = [UInt8](repeating: 0x5a, count: 64)

        /// Checks of `signature` over ``message`` per second, over about `seconds` on one thread.
        static func verifyRate(_ publicKey: PublicKey, _ signature: Signature, seconds: Double) throws -> Double {
            try rate(seconds: seconds) {
                guard publicKey.isValidSignature(signature, for: message) else { throw ExitCode(2) }
            }
        }

        /// Operations per second of `body` over about `seconds`.
        static func rate(seconds: Double, _ body: () throws -> Void) throws -> Double {
            for _ in 0..<50 { try body() }  // warm up pools and caches
            let clock = ContinuousClock()
            let start = clock.now
            let deadline = start.advanced(by: .milliseconds(Int64(seconds * 1000)))
            var count = 0
            while clock.now < deadline {
                for _ in 0..<50 { try body() }
                count += 50
            }
            let elapsed = clock.now - start
            return Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }

        /// Parses `openssl speed ecdsap256 sm2` (sign/s and verify/s columns).
        static func openSSLSpeed(seconds: Int) -> [KeyAlgorithm: (sign: Double, verify: Double)] {
            guard let output = runWithDefaultSignals(["openssl", "speed", "-seconds", "\(seconds)", "ecdsap256", "sm2"]) else { return [:] }
            var result: [KeyAlgorithm: (sign: Double, verify: Double)] = [:]
            for line in output.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count >= 2, let verify = Double(fields[fields.count - 1]), let sign = Double(fields[fields.count - 2]) else { continue }
                if line.contains("nistp256") { result[.p256] = (sign, verify) }
                if line.contains("SM2") { result[.sm2] = (sign, verify) }
            }
            return result
        }

        /// Runs a command with an empty signal mask and default handlers and returns its standard output.
        ///
        /// `openssl speed -seconds` stops each test with SIGALRM; threads of a Swift process block
        /// some signals, and a plain spawn would hand that mask to the child, which then never stops.
        static func runWithDefaultSignals(_ arguments: [String]) -> String? {
            var pipe: [Int32] = [0, 0]
            guard Glibc.pipe(&pipe) == 0 else { return nil }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addclose(&actions, pipe[0])
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var empty = sigset_t()
            sigemptyset(&empty)
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigmask(&attributes, &empty)
            posix_spawnattr_setsigdefault(&attributes, &all)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var pid: pid_t = 0
            let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, &argv, environ)
            close(pipe[1])
            guard spawned == 0 else { close(pipe[0]); return nil }
            var output: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(pipe[0], &buffer, buffer.count)
                if n <= 0 { break }
                output += buffer[0..<n]
            }
            close(pipe[0])
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            return String(decoding: output, as: UTF8.self)
        }
    }
}

extension BenchCommand {
    /// The passphrase of every bench district's keys (throw-away districts only).
    static let benchPassphrase = "bench-passphrase-not-secret"

    /// Says on standard error which phase a long benchmark is in (standard output stays its figures).
    static func phase(_ text: String) {
        FileHandle.standardError.write(Data("[\(AuditEvent.timestamp(Date()).prefix(19))] \(text)…\n".utf8))
    }

    /// What a PostgreSQL comparison must say when the server's acknowledged commits are not durable
    /// (``AppDatabase/postgresDurabilityGaps()``): SQLite's figures include a sync per commit, PostgreSQL's then do
    /// not, and the ratio flatters PostgreSQL. Nil when there is no such setting.
    static func durabilityNote(_ gaps: [String]) -> String? {
        guard !gaps.isEmpty else { return nil }
        return "  note: this PostgreSQL server runs with \(gaps.joined(separator: ", ")): its acknowledged commits are not safe from a crash, "
            + "SQLite's are, and these ratios flatter PostgreSQL; turn those settings on to compare (scripts/pg-cluster.sh start DIR --durable)"
    }

    /// A throw-away district on SQLite in a new temporary directory, initialised with `departments`; the caller
    /// removes `directory` when done.
    static func temporaryDistrict(
        departments: [(code: String, name: String)] = [("RSJ", "测试区人力资源和社会保障局")], sealToken: String? = nil
    ) async throws
        -> (directory: URL, home: ZeroTripHome, services: ZeroTripServices)
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-bench-\(UUID().uuidString)")
        var home = ZeroTripHome(
            keysDirectory: directory.appendingPathComponent("Keys"), certificatesDirectory: directory.appendingPathComponent("Certificates"),
            databasePath: directory.appendingPathComponent("zerotrip.sqlite").path)
        home.sealToken = sealToken
        let services = try ZeroTripServices.open(home: home, passphrase: benchPassphrase)
        _ = try await services.administration.initialize(district: "测试区", actor: "bench")
        for department in departments {
            _ = try await services.administration.addDepartment(code: department.code, name: department.name, actor: "bench")
        }
        return (directory, home, services)
    }
}
