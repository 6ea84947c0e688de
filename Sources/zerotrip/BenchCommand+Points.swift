import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripDocuments

extension BenchCommand {
    /// `zerotrip bench points`: a whole scoring run (先赋分) over a synthetic population.
    struct Points: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A scoring run over --persons registered people with a 10-indicator scheme, from stored data; target < 60 s for 1,000,000.",
            discussion: """
                In a fresh temporary district: imports --persons synthetic people, issues --documents real signed results to some of \
                them (居住登记凭证, 个人参保证明 with a months field, lease registrations, employment registrations, volunteer \
                certificates), records credit events for 5 % and approved proof claims for --claims of them, loads a scheme of 10 \
                indicators (age, years of residence, 租购同分 housing, insurance months, employment, volunteer occurrences, credit, \
                and three reviewed proofs), then times one run scoring everyone and replays --replays stored scores to check they \
                match. Prints the set-up and run times and persons/s. --check exits 1 when the run takes 60 s or more (for \
                1,000,000 persons; the target scales with --persons) or a replay differs. \
                Example: zerotrip bench points --persons 1000000
                """)

        @Option(name: .long, help: "Persons in the registry.") var persons: Int = 1_000_000
        @Option(name: .long, help: "Signed result documents to issue among them.") var documents: Int = 20_000
        @Option(name: .long, help: "Approved proof claims.") var claims: Int = 1_000
        @Option(name: .long, help: "Stored scores to replay after the run.") var replays: Int = 200
        @Flag(name: .long, help: "Exit 1 if the target is missed or a replay differs.") var check = false

        static let scheme = """
            name: 基准测试积分
            certificate: { department: RSJ }
            indicators:
              - { code: age, name: 年龄, source: age, rule: { bands: [ { from: 18, to: 35, points: 20 }, { from: 36, to: 45, points: 15 }, { from: 46, to: 60, points: 5 } ] } }
              - { code: residence, name: 居住年限, source: documents, matters: [JZDJ], rule: { perYear: 5 }, cap: 50 }
              - { code: housing, name: 住所（租购同分）, source: documents, matters: [ZLHTBA, BDCQZ], rule: { present: 20 } }
              - { code: insurance, name: 社会保险, source: documents, matters: [GRCBZM], field: 累计缴费月数, rule: { per: 12, points: 3 }, cap: 45 }
              - { code: employment, name: 就业登记, source: documents, matters: [JYSYDJ], rule: { present: 10 } }
              - { code: volunteering, name: 志愿服务证明, source: documents, matters: [ZYFW], rule: { perOccurrence: 2 }, cap: 10 }
              - { code: credit, name: 信用等级, source: credit, rule: { levels: { A: 10, B: 5, M: 5, C: 0, D: -30 } } }
              - { code: education, name: 学历, source: proof, department: RSJ, rule: { options: { 研究生: 40, 本科: 30, 大专: 20 } } }
              - { code: skills, name: 技能等级, source: proof, department: RSJ, rule: { options: { 技师: 25, 高级工: 15 } } }
              - { code: honours, name: 表彰奖励, source: proof, department: RSJ, rule: { options: { 市级以上: 10 } } }
            """

        static let results: [(matter: String, name: String, fields: @Sendable (Int) -> [ResultField])] = [
            ("JZDJ", "居住登记凭证", { _ in [ResultField(label: "居住地址", value: "佛山市禅城区祖庙街道建新路12号")] }),
            ("GRCBZM", "个人参保证明", { index in [ResultField(label: "累计缴费月数", value: "\(12 + index % 180)个月")] }),
            ("ZLHTBA", "房屋租赁登记备案证明", { _ in [ResultField(label: "房屋坐落", value: "佛山市禅城区汾江中路1号")] }),
            ("JYSYDJ", "就业失业登记证明", { _ in [ResultField(label: "登记类型", value: "就业登记")] }),
            ("ZYFW", "志愿服务证明", { index in [ResultField(label: "服务时长", value: "\(10 + index % 90)小时")] }),
        ]

        func run() async throws {
            guard persons >= 10, documents >= 0, claims >= 0, replays >= 1 else {
                throw ValidationError("persons ≥ 10, documents ≥ 0, claims ≥ 0, replays ≥ 1")
            }
            let (directory, _, services) = try await BenchCommand.temporaryDistrict()
            defer { try? FileManager.default.removeItem(at: directory) }
            let workers = 2 * ProcessInfo.processInfo.activeProcessorCount
            let setUp = ContinuousClock.now

            var generator = SplitMix(seed: 11)
            let (numbers, csv) = BenchCommand.Documents.syntheticRegistry(count: persons, generator: &generator)
            BenchCommand.phase("importing \(persons) synthetic persons")
            let importStart = ContinuousClock.now
            let importProgress = ProgressLine()
            _ = try await services.identity.registry.importCSV(Array(csv.utf8), actor: "bench") { written, total in
                if written < total { importProgress.report("imported \(written) of \(total) rows…") }
            }
            let importTime = ContinuousClock.now - importStart
            _ = try await services.credit.loadPolicy(Array(BenchCommand.Credit.policy.utf8), actor: "bench")
            var events = "subject,type,effective_date,reference\n"
            for (index, number) in numbers.enumerated() where index % 20 == 0 {
                events +=
                    "\(number),\(index % 40 == 0 ? "administrative_penalty" : "administrative_penalty_minor"),2026-0\(1 + index % 9)-15,P\(index)\n"
            }
            _ = try await services.credit.importEvents(Array(events.utf8), source: "bench", actor: "bench")

            // Real signed results for some of the persons, several for a few (a holder's documents are read together).
            let requests = (0..<documents).map { index -> IssueDocumentRequest in
                let kind = Self.results[index % Self.results.count]
                let holder = numbers[(index * 7919) % numbers.count]
                return IssueDocumentRequest(
                    departmentCode: "RSJ", matterCode: kind.matter, matterName: kind.name, holderName: "测试",
                    holderIDNumber: holder, fields: kind.fields(index), validDays: 365, pickupMode: .qrSelfPrint)
            }
            let names = Dictionary(
                zip(numbers, csv.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[1]) }), uniquingKeysWith: { a, _ in a })
            BenchCommand.phase("issuing \(documents) signed results")
            let issueStart = ContinuousClock.now
            let documentsService = services.documents
            _ = try await BenchCommand.Documents.parallel(requests, workers: workers) { request in
                var named = request
                named.holderName = names[request.holderIDNumber] ?? "测试"
                let start = ContinuousClock.now
                _ = try await documentsService.issue(named, actor: "bench")
                return ContinuousClock.now - start
            }
            let issueTime = ContinuousClock.now - issueStart

            _ = try await services.points.loadPolicy(Array(Self.scheme.utf8), actor: "bench")
            _ = try await services.supervision.putStaff(
                department: "RSJ", clerk: "RS-1", name: "孙丽", phone: "13900000031", role: .reviewer, actor: "bench")
            var subjects: [SubjectID] = []
            for index in 0..<min(claims, numbers.count) {
                guard let id = try await services.identity.registry.subject(idNumber: numbers[(index * 104_729) % numbers.count]) else { continue }
                let subject = SubjectID.person(id)
                subjects.append(subject)
                let indicator = ["education", "skills", "honours"][index % 3], option = ["本科", "技师", "市级以上"][index % 3]
                guard
                    let claim = try? await services.points.claim(
                        subject: subject, indicator: indicator, option: option, statement: "", evidence: nil,
                        actor: "bench")
                else { continue }
                _ = try await services.points.decide(
                    claim: claim.id, department: "RSJ", clerk: "RS-1", approve: true, reason: "核验原件", actor: "credential:bench")
            }
            let setUpTime = ContinuousClock.now - setUp

            BenchCommand.phase("computing every person's points")
            let runStart = ContinuousClock.now
            let report = try await services.points.run(actor: "bench")
            let runTime = ContinuousClock.now - runStart

            for index in 0..<min(replays, numbers.count) {
                if let id = try await services.identity.registry.subject(idNumber: numbers[(index * 15_485_863) % numbers.count]) {
                    subjects.append(SubjectID.person(id))
                }
            }
            var mismatches = 0, replayed = 0
            BenchCommand.phase("replaying \(subjects.suffix(replays).count) stored scores")
            let replayStart = ContinuousClock.now
            for subject in subjects.suffix(replays) {
                replayed += 1
                if try await !services.points.replay(subject: subject, run: report.run.id).matches { mismatches += 1 }
            }
            let replayTime = ContinuousClock.now - replayStart

            let target = 60.0 * Double(persons) / 1_000_000
            print(
                "ZeroTrip points benchmark: \(persons) persons, \(documents) signed results, \(claims) approved claims, 10 indicators, "
                    + "\(ProcessInfo.processInfo.activeProcessorCount) cores")
            print(
                String(
                    format: "set-up: %.1f s (registry import %.1f s, issuing %d results %.1f s)", setUpTime.seconds, importTime.seconds, documents,
                    issueTime.seconds))
            print(
                String(
                    format: "scoring run: %d persons in %.1f s (%.0f persons/s); target < %.1f s", report.run.persons, runTime.seconds,
                    Double(report.run.persons) / max(runTime.seconds, 1e-9), target))
            print(String(format: "replay: %d stored scores computed again in %.2f s, %d differ", replayed, replayTime.seconds, mismatches))
            let missed = runTime.seconds >= target || mismatches > 0 || report.run.persons != persons
            print(missed ? "RESULT: below target" : "RESULT: targets met")
            if check && missed { throw ExitCode(1) }
        }
    }
}
