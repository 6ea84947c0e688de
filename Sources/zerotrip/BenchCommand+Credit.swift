import ArgumentParser
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import ZeroTrip
import ZeroTripCrypto

extension BenchCommand {
    /// `zerotrip bench credit`: credit lookups (library, audited, HTTP) and the overdue sweep over many open obligations.
    struct Credit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Credit lookups/s (library, audited window checks, HTTP with wrk) and the overdue sweep over 1,000,000 open obligations.",
            discussion: """
                In a fresh temporary district: imports --persons synthetic people and credit records for a quarter of them, then \
                times --lookups level lookups through the library (ID number validated, keyed-hash registry read, events read, \
                replay with the policy), the same as audited window checks (one SQLite commit each), and — when wrk is installed \
                (apt-get install wrk) — GET /v1/credit/{subject} against a `zerotrip serve` child process on 127.0.0.1. Then fills \
                --obligations open obligations (--overdue-percent of them past their deadline) and times one sweep: each overdue \
                obligation is breached in its own savepoint with the application terminated, a credit event, an audit event and a \
                notification. Targets on 2 cores: ≥ 20,000 library lookups/s; sweep of 1,000,000 open obligations < 30 s. \
                --check exits 1 when one is missed.
                """)

        @Option(name: .long, help: "Persons in the registry.") var persons: Int = 100_000
        @Option(name: .long, help: "Lookups to time.") var lookups: Int = 50_000
        @Option(name: .long, help: "Open obligations for the sweep.") var obligations: Int = 1_000_000
        @Option(name: .long, help: "Share of them past their deadline (0–100).") var overduePercent: Double = 1
        @Option(name: .long, help: "Obligations per sweep transaction (the daemon uses 1000).") var batch: Int = 1000
        @Option(name: .long, help: "Port for the HTTP measurement.") var port: Int = 18_089
        @Option(name: .long, help: "Seconds of wrk load.") var seconds: Int = 10
        @Flag(name: .long, help: "Exit 1 if a target is missed.") var check = false

        static let catalogue = """
            matters:
              - code: BENCH
                name: 基准测试事项
                department: RSJ
                timeLimitDays: 5
                trustApproval: { deadlineDays: 10 }
                materials:
                  - { code: ID_CARD, name: 居民身份证, kind: primary }
                  - { code: EXTRA, name: 补充材料, kind: secondary, trustEligible: true }
                result: { title: 基准测试结果, validDays: 30, fields: [结果] }
            """

        func run() async throws {
            guard persons >= 10, lookups >= 1, obligations >= 1, (0...100).contains(overduePercent) else {
                throw ValidationError("persons ≥ 10, lookups ≥ 1, obligations ≥ 1, overdue 0–100")
            }
            let (directory, home, services) = try await BenchCommand.temporaryDistrict()
            defer { try? FileManager.default.removeItem(at: directory) }
            let passphrase = BenchCommand.benchPassphrase
            _ = try await services.credit.loadPolicy(Array(Self.policy.utf8), actor: "bench")
            _ = try await services.credit.loadCatalogue(Array(Self.catalogue.utf8), actor: "bench")
            let workers = 2 * ProcessInfo.processInfo.activeProcessorCount

            var generator = SplitMix(seed: 5)
            let (numbers, csv) = Documents.syntheticRegistry(count: persons, generator: &generator)
            BenchCommand.phase("importing \(persons) synthetic persons and their credit records")
            _ = try await services.identity.registry.importCSV(Array(csv.utf8), actor: "bench")
            var events = "subject,type,effective_date,reference\n"
            for (index, number) in numbers.enumerated() where index % 4 == 0 {
                events +=
                    "\(number),\(index % 8 == 0 ? "administrative_penalty" : "administrative_penalty_minor"),2026-0\(1 + index % 9)-15,R\(index)\n"
            }
            let imported = try await services.credit.importEvents(Array(events.utf8), source: "bench", actor: "bench")

            let credit = services.credit
            let probes = (0..<lookups).map { _ in numbers[Int(generator.next() % UInt64(numbers.count))] }
            _ = try await credit.assessment(of: probes[0])
            BenchCommand.phase("measuring credit reads, in the library and audited")
            let libraryStart = ContinuousClock.now
            let library = try await Documents.parallel(probes, workers: workers) { number in
                let start = ContinuousClock.now
                _ = try await credit.assessment(of: number)
                return ContinuousClock.now - start
            }
            let libraryElapsed = ContinuousClock.now - libraryStart
            let auditedProbes = Array(probes.prefix(max(1, lookups / 5)))
            let auditedStart = ContinuousClock.now
            let audited = try await Documents.parallel(auditedProbes, workers: workers) { number in
                let start = ContinuousClock.now
                _ = try await credit.windowCheck(subject: number, matter: "BENCH", department: "RSJ", actor: "bench")
                return ContinuousClock.now - start
            }
            let auditedElapsed = ContinuousClock.now - auditedStart
            let http = try await Self.httpRate(
                services: services, home: home, passphrase: passphrase, numbers: Array(numbers.prefix(2000)), port: port, seconds: seconds)

            print(
                "ZeroTrip credit benchmark: \(persons) persons, \(imported.recorded) credit records, \(workers) tasks, \(ProcessInfo.processInfo.activeProcessorCount) cores"
            )
            print("operation                                  rate/s   p50 ms   p99 ms   target/s")
            var missed = false
            for (name, durations, elapsed, target) in [
                ("level lookup (library)", library, libraryElapsed, 20_000.0),
                ("window check (library, audited commit)", audited, auditedElapsed, 0.0),
            ] {
                let rate = Double(durations.count) / elapsed.seconds
                if rate < target { missed = true }
                let sorted = durations.map(\.seconds).sorted()
                print(
                    [
                        name.padding(toLength: 40, withPad: " ", startingAt: 0), String(format: "%10.0f", rate),
                        String(format: "%8.3f", sorted[sorted.count / 2] * 1000),
                        String(format: "%8.3f", sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1000),
                        target > 0 ? String(format: "%10.0f", target) : "         -",
                    ].joined(separator: " "))
            }
            print(
                http.map { "GET /v1/credit/{subject} over HTTP (wrk, audited): \($0)" }
                    ?? "GET /v1/credit/{subject} over HTTP: wrk is not installed (apt-get install wrk)")

            let (fill, sweepTime, report, idle) = try await Self.sweep(
                services: services, subjects: Array(numbers.prefix(1000)), count: obligations, overduePercent: overduePercent, batch: batch)
            let processed = report.terminated + report.revoked + report.rectification
            print(
                String(
                    format: "sweep: %d open obligations (%.1f %% overdue), filled in %.1f s; %d per transaction", obligations, overduePercent,
                    fill.seconds, batch))
            print(
                String(
                    format:
                        "sweep: %d breached (terminated + credit event + audit + notification) in %.2f s (%.0f /s); idle sweep over the rest %.1f ms; target < 30 s",
                    processed, sweepTime.seconds, Double(processed) / max(sweepTime.seconds, 1e-9), idle.seconds * 1000))
            if sweepTime.seconds >= 30 { missed = true }
            print(missed ? "RESULT: below target" : "RESULT: targets met")
            if check && missed { throw ExitCode(1) }
        }

        static let policy = """
            levels: { minimumA: 90, minimumB: 70, minimumC: 40 }
            trustApproval: { qualifyingLevels: [A, B] }
            events:
              obligation_fulfilled: { points: 1, basis: 按期履行, validDays: 365 }
              obligation_overdue: { points: -10, basis: 逾期未履行, validDays: 730 }
              obligation_breached: { points: -20, serious: true, basis: 整改期满未履行, validDays: 730 }
              false_commitment: { directD: true, serious: true, basis: 虚假承诺, validDays: 730 }
              administrative_penalty_minor: { points: -5, basis: 一般行政处罚, validDays: 365 }
              administrative_penalty: { points: -25, basis: 较重行政处罚, validDays: 1095 }
            calendar: { coveredThroughYear: 2026, holidays: [2026-10-01, 2026-10-02], workingWeekends: [2026-10-10] }
            """

        /// Runs `zerotrip serve` on the bench district and loads it with wrk; nil when wrk is missing.
        static func httpRate(services: ZeroTripServices, home: ZeroTripHome, passphrase: String, numbers: [String], port: Int, seconds: Int)
            async throws -> String?
        {
            guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                return nil
            }
            let token = try await services.credentials.create(department: "RSJ", scopes: [.creditRead], label: "bench", actor: "bench").token
            let server = try BenchCommand.startDaemon(home: home, passphrase: passphrase, port: port)
            defer { if server.isRunning { server.terminate(); server.waitUntilExit() } }
            guard try await HTTP.waitForHealth(port: port) else { return "the daemon did not start on port \(port)" }
            let script = home.keysDirectory.deletingLastPathComponent().appendingPathComponent("credit.lua")
            let list = numbers.map { "\"\($0)\"" }.joined(separator: ",")
            try """
            local ids = {\(list)}
            local i = 0
            request = function()
              i = i + 1
              return wrk.format("GET", "/v1/credit/" .. ids[(i % #ids) + 1] .. "?matter=BENCH", {["Authorization"] = "Bearer \(token)"})
            end
            """.write(to: script, atomically: true, encoding: .utf8)
            let output = run([wrk, "-t2", "-c32", "-d\(seconds)s", "--latency", "-s", script.path, "http://127.0.0.1:\(port)"]).output
            let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let rate = lines.first { $0.hasPrefix("Requests/sec") } ?? "no rate reported"
            let p99 = lines.first { $0.hasPrefix("99%") }.map { "p99 \($0.dropFirst(3).trimmingCharacters(in: .whitespaces))" } ?? ""
            let errors = lines.first { $0.hasPrefix("Non-2xx") } ?? "all 2xx"
            return "\(rate), \(p99), \(errors) (2 threads, 32 connections, \(seconds) s)"
        }

        /// Runs `arguments` (an absolute executable path first) and returns its exit status and standard output.
        ///
        /// posix_spawn and waitpid rather than Foundation's Process: with thousands of descriptors open (bench http
        /// --idle) Process watches the child through select(), which cannot see descriptors above 1,023, and its
        /// waitUntilExit never returned.
        static func run(_ arguments: [String]) -> (status: Int32, output: String) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { return (-1, "") }
            // Only the child's standard output may stay open in it (another run's pipe must not leak into this child).
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            let argv = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
            close(fds[1])
            guard spawned == 0 else {
                close(fds[0])
                return (-1, "")
            }
            var output: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(fds[0], &buffer, buffer.count)
                if count > 0 { output += buffer[0..<count] } else if count < 0 && errno == EINTR { continue } else { break }
            }
            close(fds[0])
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let exited = status & 0x7f == 0
            return (exited ? (status >> 8) & 0xff : -1, String(decoding: output, as: UTF8.self))
        }

        /// ``run(_:)`` on a thread of its own, so the waiting does not hold a cooperative thread (the bare router of
        /// bench http answers on those).
        static func runDetached(_ arguments: [String]) async -> (status: Int32, output: String) {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: run(arguments)) }
            }
        }

        /// Fills `count` accepted 容缺 applications with open obligations and times one sweep.
        static func sweep(services: ZeroTripServices, subjects: [String], count: Int, overduePercent: Double, batch: Int) async throws -> (
            Duration, Duration, SweepReport, Duration
        ) {
            let now = services.clock.now()
            var persons: [String] = []
            for subject in subjects { persons.append(try await services.credit.subject(subject).id) }
            let subjectIDs = persons
            let overdue = Int((Double(count) * overduePercent / 100).rounded())
            let fillStart = ContinuousClock.now
            var done = 0
            var generator = SplitMix(seed: 9)
            while done < count {
                let batch = min(20_000, count - done)
                let first = done
                let ids = (0..<batch).map { _ in String(format: "%016llx%016llx", generator.next(), generator.next()) }
                // Through the store the service itself writes with, as approved 容缺 applications with an open obligation each.
                try await services.database.write { db in
                    for (offset, id) in ids.enumerated() {
                        let index = first + offset
                        let subject = subjectIDs[index % subjectIDs.count]
                        let deadline =
                            index < overdue
                            ? now.addingTimeInterval(-3600 - Double(index % 1000)) : now.addingTimeInterval(86_400 * Double(1 + index % 20))
                        try ApplicationStore.insert(
                            .init(
                                id: id, matterCode: "BENCH", catalogueVersion: 1, department: "RSJ", subject: subject, applicantName: "测试",
                                mode: .trust, state: .approved, submittedAt: now, acceptedAt: now,
                                timeLimitDue: now.addingTimeInterval(30 * 86_400), createdBy: "bench"),
                            materials: [], in: db)
                        try ApplicationStore.openObligation(
                            id: id, application: id, subject: subject, kind: .trust, items: ["EXTRA"], deadline: deadline,
                            remindAt: nil, at: now, in: db)
                    }
                }
                done += batch
            }
            let fill = ContinuousClock.now - fillStart
            let start = ContinuousClock.now
            let report = try await services.applications.sweep(now: now, batchSize: batch)
            let elapsed = ContinuousClock.now - start
            let idleStart = ContinuousClock.now
            _ = try await services.applications.sweep(now: now)
            return (fill, elapsed, report, ContinuousClock.now - idleStart)
        }
    }
}
