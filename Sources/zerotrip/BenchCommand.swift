import ArgumentParser
import Foundation
import ZeroTripCrypto

/// `zerotrip bench`: speed figures.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Print speed figures next to reference implementations.",
        subcommands: [Crypto.self])

    struct Crypto: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign/verify per second for P-256 and SM2 (one core), next to `openssl speed` on this machine.",
            discussion: "Targets: ≥ 80 % of OpenSSL's rate for P-256 sign and verify, ≥ 70 % for SM2. Exit status 1 when a target is missed with --check.")

        @Option(name: .long, help: "Seconds per measurement.") var seconds: Double = 3
        @Flag(name: .long, help: "Exit 1 if a target is missed.") var check = false

        func run() async throws {
            let message = Array(repeating: UInt8(0x5a), count: 64)
            var rows: [(String, Double, Double?, Double)] = []
            let reference = Self.openSSLSpeed(seconds: max(1, Int(seconds.rounded())))
            for algorithm in KeyAlgorithm.allCases {
                let key = try PrivateKey(generating: algorithm)
                let publicKey = key.publicKey
                let signature = try key.signature(for: message)
                let signRate = try Self.rate(seconds: seconds) { _ = try key.signature(for: message) }
                let verifyRate = try Self.rate(seconds: seconds) {
                    guard publicKey.isValidSignature(signature, for: message) else { throw ExitCode(2) }
                }
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
                print(String(format: "%-16s %12.1f %11@ %7@ %7.0f%%", (name as NSString).utf8String!, ours,
                             theirs.map { String(format: "%.1f", $0) } ?? "n/a",
                             ratio.map { String(format: "%.0f%%", $0 * 100) } ?? "n/a", target * 100))
            }
            print(missed ? "RESULT: below target" : "RESULT: targets met")
            if check && missed { throw ExitCode(1) }
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
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl", "speed", "-seconds", "\(seconds)", "ecdsap256", "sm2"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return [:] }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            var result: [KeyAlgorithm: (sign: Double, verify: Double)] = [:]
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count >= 2, let verify = Double(fields[fields.count - 1]), let sign = Double(fields[fields.count - 2]) else { continue }
                if line.contains("nistp256") { result[.p256] = (sign, verify) }
                if line.contains("SM2") { result[.sm2] = (sign, verify) }
            }
            return result
        }
    }
}
