import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripCrypto

extension BenchCommand {
    /// `zerotrip bench identity`: registry lookups and device-key logins.
    struct Identity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Registry lookups/s and device-key challenge–response logins/s in a fresh temporary district.",
            discussion: """
                Imports a synthetic registry of --persons people from CSV, then looks up --count random ID numbers \
                (GB 11643 validation + keyed hash + indexed SQLite read), then binds --devices P-256 device keys (after tier-3 \
                window checks) and runs --count logins: each issues a single-use challenge, and the server verifies the ECDSA \
                signature, consumes the challenge, and commits a session row and an audit event (SQLite WAL, synchronous=FULL). \
                The clients' signing happens before the timed phase (it runs on the phone). Targets on 2 cores: ≥ 5,000 lookups/s, \
                ≥ 2,000 logins/s. --check exits 1 when one is missed.
                """)

        @Option(name: .long, help: "Persons in the registry.") var persons: Int = 100_000
        @Option(name: .long, help: "Lookups and logins to time.") var count: Int = 20_000
        @Option(name: .long, help: "Bound devices.") var devices: Int = 200
        @Option(name: .long, help: "Concurrent tasks (default: 2 × cores).") var concurrency: Int?
        @Flag(name: .long, help: "Exit 1 if a target is missed.") var check = false

        func run() async throws {
            guard persons >= devices, devices >= 1, count >= 1 else { throw ValidationError("need persons ≥ devices ≥ 1 and count ≥ 1") }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let home = ZeroTripHome(
                keysDirectory: directory.appendingPathComponent("Keys"), certificatesDirectory: directory.appendingPathComponent("Certificates"),
                databasePath: directory.appendingPathComponent("zerotrip.sqlite").path)
            let services = try ZeroTripServices.open(home: home, passphrase: "bench-passphrase-not-secret")
            let identity = services.identity
            let workers = concurrency ?? 2 * ProcessInfo.processInfo.activeProcessorCount

            // Registry.
            var generator = SplitMix(seed: 2026)
            let (numbers, csv) = Documents.syntheticRegistry(count: persons, generator: &generator)
            BenchCommand.phase("importing \(persons) synthetic persons")
            let importStart = ContinuousClock.now
            let report = try await identity.registry.importCSV(Array(csv.utf8), actor: "bench")
            let importElapsed = ContinuousClock.now - importStart
            guard report.inserted == persons else { print("ERROR: import rejected \(report.rejected.count) rows"); throw ExitCode(2) }

            let probes = (0..<count).map { _ in numbers[Int(generator.next() % UInt64(numbers.count))] }
            _ = try await identity.registry.subject(idNumber: probes[0])
            BenchCommand.phase("measuring registry lookups and device logins")
            let lookupStart = ContinuousClock.now
            let lookups = try await Documents.parallel(probes, workers: workers) { number in
                let start = ContinuousClock.now
                guard try await identity.registry.subject(idNumber: number) != nil else { throw ExitCode(2) }
                return ContinuousClock.now - start
            }
            let lookupElapsed = ContinuousClock.now - lookupStart

            // Devices: tier-3 window check → hand-off session → bind a P-256 key.
            var names: [String: String] = [:]
            for number in numbers.prefix(devices) {
                names[number] = try await identity.registry.personalData(subject: try await identity.registry.subject(idNumber: number)!)!.name
            }
            var bound: [(id: String, key: PrivateKey)] = []
            for number in numbers.prefix(devices) {
                let check = try await identity.windowCheck(
                    card: CardRead(idNumber: number, name: names[number]!, validFrom: "2020-01-01", validUntil: "long-term"),
                    faceMatched: true, clerk: ClerkIdentity(id: "BENCH-1", name: "测试员"), station: "bench", actor: "bench")
                let session = try await identity.claimSession(
                    verificationId: check.handoff.verificationId, secret: check.handoff.secret, client: "bench")!
                let key = try PrivateKey(generating: .p256)
                await bound.append(
                    (try identity.registerDevice(session: session.session, publicKey: key.publicKey.pemRepresentation, label: "bench").deviceId, key))
            }

            // Logins, in rounds so challenges stay fresh: challenges (timed), client signatures (untimed), logins (timed).
            var loginDurations: [Duration] = []
            var challengeElapsed = Duration.zero, loginElapsed = Duration.zero
            let round = 5_000
            var done = 0
            while done < count {
                let n = min(round, count - done)
                let devicesForRound = (0..<n).map { bound[(done + $0) % bound.count] }
                let challengeStart = ContinuousClock.now
                let challenges = try await Documents.parallel(devicesForRound.map(\.id), workers: workers) {
                    try await identity.challenge(deviceID: $0)
                }
                challengeElapsed += ContinuousClock.now - challengeStart
                let signed = try zip(challenges, devicesForRound).map { challenge, device in
                    (challenge.challengeId, Base64.encodeURLSafe(try device.key.signature(for: challenge.signedMessage).derRepresentation))
                }
                let loginStart = ContinuousClock.now
                loginDurations += try await Documents.parallel(signed, workers: workers) { item in
                    let start = ContinuousClock.now
                    _ = try await identity.login(challengeID: item.0, signature: item.1, client: "bench")
                    return ContinuousClock.now - start
                }
                loginElapsed += ContinuousClock.now - loginStart
                done += n
            }

            print(
                "ZeroTrip identity benchmark: \(persons) persons, \(count) lookups and logins, \(devices) devices, \(workers) tasks, \(ProcessInfo.processInfo.activeProcessorCount) cores"
            )
            print(
                String(
                    format: "registry import: %.0f rows/s (%.1f s for %d rows, keyed hash + AES-GCM per row, one transaction)",
                    Double(persons) / importElapsed.seconds, importElapsed.seconds, persons))
            print("operation                         rate/s   p50 ms   p99 ms   target/s")
            var missed = false
            for (name, durations, elapsed, target) in [
                ("registry lookup", lookups, lookupElapsed, 5000.0),
                ("device login (challenge+verify)", loginDurations, loginElapsed + challengeElapsed, 2000.0),
            ] {
                let rate = Double(durations.count) / elapsed.seconds
                if rate < target { missed = true }
                let sorted = durations.map(\.seconds).sorted()
                print(
                    [
                        name.padding(toLength: 31, withPad: " ", startingAt: 0), String(format: "%10.0f", rate),
                        String(format: "%8.3f", sorted[sorted.count / 2] * 1000),
                        String(format: "%8.3f", sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1000),
                        String(format: "%10.0f", target),
                    ].joined(separator: " "))
            }
            print(missed ? "RESULT: below target" : "RESULT: targets met")
            if check && missed { throw ExitCode(1) }
        }
    }
}
