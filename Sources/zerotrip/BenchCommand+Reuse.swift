import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripDocuments

extension BenchCommand {
    /// `zerotrip bench reuse`: a department pulling one result of a person with 20 under their consent.
    struct Reuse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Consent check + pull of one result for a person with 20 results, audited, per second (library).",
            discussion: """
                In a fresh temporary district: --persons synthetic people with 20 results each from RSJ (one of the type GAJ's \
                matter accepts, 19 others), each person's grant to GAJ; then --pulls pulls through the library as the daemon \
                makes them (matter and business-scope check, registry read, live grant, the holder's valid results of the \
                granted types, the register's verification answer, one audit event per result given, group-committed). \
                Target on 2 cores: ≥ 3,000 pulls/s. --check exits 1 when it is missed.
                """)

        @Option(name: .long, help: "Persons, each with 20 results and a grant.") var persons: Int = 100
        @Option(name: .long, help: "Pulls to time.") var pulls: Int = 20_000
        @Flag(name: .long, help: "Exit 1 if the target is missed.") var check = false

        static let catalogue = """
            matters:
              - code: REUSE
                name: 基准调用事项
                department: GAJ
                timeLimitDays: 5
                materials:
                  - { code: ID_CARD, name: 居民身份证, kind: primary }
                  - { code: PROOF, name: 证明材料, kind: secondary, acceptedResults: [PROOF_RESULT] }
                result: { title: 基准调用结果, validDays: 30, fields: [结果] }
              - code: PROOF_RESULT
                name: 基准证明开具
                department: RSJ
                timeLimitDays: 1
                materials: [{ code: ID_CARD, name: 居民身份证, kind: primary }]
                result: { title: 基准证明, validDays: 90, fields: [结果] }
            """

        func run() async throws {
            guard persons >= 1, pulls >= 1 else { throw ValidationError("persons and pulls ≥ 1") }
            let (directory, _, services) = try await BenchCommand.temporaryDistrict(departments: [("RSJ", "测试区人力资源和社会保障局"), ("GAJ", "测试区公安分局")])
            defer { try? FileManager.default.removeItem(at: directory) }
            _ = try await services.credit.loadPolicy(Array(Credit.policy.utf8), actor: "bench")
            _ = try await services.credit.loadCatalogue(Array(Self.catalogue.utf8), actor: "bench")
            let workers = 2 * ProcessInfo.processInfo.activeProcessorCount

            var generator = SplitMix(seed: 17)
            let (numbers, csv) = Documents.syntheticRegistry(count: persons, generator: &generator)
            BenchCommand.phase("importing \(persons) synthetic persons, issuing their results and consents")
            _ = try await services.identity.registry.importCSV(Array(csv.utf8), actor: "bench")
            let names = Dictionary(
                uniqueKeysWithValues: csv.split(separator: "\n").dropFirst().map { line in
                    let columns = line.split(separator: ",")
                    return (String(columns[0]), String(columns[1]))
                })
            // 20 results per person: one of the accepted type, 19 of another matter, issued as departments issue them.
            let requests = numbers.flatMap { number in
                (0..<20).map { index in
                    IssueDocumentRequest(
                        departmentCode: "RSJ", matterCode: index == 7 ? "PROOF_RESULT" : "OTHER\(index % 5)",
                        matterName: index == 7 ? "基准证明" : "其他证明", holderName: names[number]!, holderIDNumber: number,
                        fields: [ResultField(label: "结果", value: "第\(index)份")], validDays: 90, pickupMode: .qrSelfPrint)
                }
            }
            let issueStart = ContinuousClock.now
            _ = try await Documents.parallel(requests, workers: workers) { request in try await services.documents.issue(request, actor: "bench") }
            let issueTime = ContinuousClock.now - issueStart
            for number in numbers {
                guard let subject = try await services.identity.registry.subject(idNumber: number) else { continue }
                _ = try await services.consent.grant(
                    subject: .person(subject), department: "GAJ", matter: "REUSE", resultTypes: nil, days: nil,
                    channel: .app, actor: "applicant:\(subject)", assuranceTier: 1)
            }
            let consent = services.consent
            let probes = (0..<pulls).map { _ in numbers[Int(generator.next() % UInt64(numbers.count))] }
            let first = try await consent.reuse(idNumber: probes[0], matter: "REUSE", department: "GAJ", includePDF: false, actor: "bench")
            guard first.documents.count == 1 else { throw ValidationError("expected one result per pull, got \(first.documents.count)") }
            BenchCommand.phase("measuring reuse pulls")
            let start = ContinuousClock.now
            let durations = try await Documents.parallel(probes, workers: 4 * workers) { number in
                let began = ContinuousClock.now
                let result = try await consent.reuse(idNumber: number, matter: "REUSE", department: "GAJ", includePDF: false, actor: "bench")
                precondition(result.documents.count == 1)
                return ContinuousClock.now - began
            }
            let elapsed = ContinuousClock.now - start
            let rate = Double(durations.count) / elapsed.seconds
            let sorted = durations.map(\.seconds).sorted()
            let reused = try await AuditLog.events(in: services.database, limit: 5).filter { $0.action == "document.reused" }.count
            print(
                "ZeroTrip reuse benchmark: \(persons) persons × 20 results (\(requests.count) issued in \(String(format: "%.1f", issueTime.seconds)) s), \(4 * workers) tasks, \(ProcessInfo.processInfo.activeProcessorCount) cores"
            )
            print("operation                                        rate/s   p50 ms   p99 ms   target/s")
            print(
                [
                    "consent check + pull of one result (audited)".padding(toLength: 46, withPad: " ", startingAt: 0), String(format: "%8.0f", rate),
                    String(format: "%8.3f", sorted[sorted.count / 2] * 1000),
                    String(format: "%8.3f", sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1000),
                    "     3000",
                ].joined(separator: " "))
            print("audit: one document.reused event per result given (\(reused) among the newest 5 events)")
            let missed = rate < 3_000
            print(missed ? "RESULT: below target" : "RESULT: targets met")
            if check && missed { throw ExitCode(1) }
        }
    }
}
