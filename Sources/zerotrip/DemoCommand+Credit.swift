import ArgumentParser
import Foundation
import Synchronization
import ZeroTrip
import ZeroTripDocuments

extension DemoCommand {
    /// `zerotrip demo credit-scenario`: the 容缺 story from application to revocation, in a throw-away district whose clock moves.
    struct CreditScenario: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "credit-scenario",
            abstract: "Play the trust-based approval scenario in a temporary district with a simulated clock and print each step.",
            discussion: """
                陈建国 (level B) applies for 居住登记 with his employment proof missing, signs the commitment after a window card \
                check, and gets his 居住登记凭证 at once. He does not hand the proof in: the clock moves past the deadline \
                (rectification notice), then past the rectification period; the sweep revokes the result, whose QR then verifies \
                as revoked, records the credit event, and his level drops to C. 黄丽华 (level C) is refused 容缺 with the reason; \
                张三丰 (level A) is refused because a primary material is missing. Nothing touches the real database: the \
                district lives in a temporary directory, because only there may the clock be moved.
                """)
        @Option(name: .long, help: "Directory with persons.csv, catalogue.yaml, credit-policy.yaml and credit-events.csv.") var demo: String = "demo"
        @Option(name: .long, help: "Keep the temporary district here instead of deleting it.") var keep: String?

        func run() async throws {
            try await reportingErrors {
                let directory =
                    keep.map { URL(fileURLWithPath: $0) }
                    ?? FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-scenario-\(UUID().uuidString)")
                defer { if keep == nil { try? FileManager.default.removeItem(at: directory) } }
                let home = ZeroTripHome(root: directory)
                let offset = Mutex<TimeInterval>(0)
                let clock = ZeroTripClock { Date().addingTimeInterval(offset.withLock { $0 }) }
                var configuration = DaemonConfiguration()
                configuration.databasePath = home.databasePath
                let database = try AppDatabase.open(location: home.databasePath)
                let services = ZeroTripServices(
                    database: database, home: home, passphrase: PassphraseSource(explicit: "scenario-passphrase-not-secret", keys: home.keyFiles),
                    clock: clock, verificationBaseURL: configuration.verificationBaseURL, fontPath: configuration.fontPath,
                    fallbackFontPaths: configuration.fallbackFontPaths)
                func read(_ name: String) throws -> [UInt8] {
                    try readInputFile(URL(fileURLWithPath: demo).appendingPathComponent(name).path, hint: "; pass --demo DIR")
                }
                func step(_ text: String) { print("[\(AuditEvent.timestamp(clock.now()))] \(text)") }
                func move(to date: Date, _ why: String) {
                    let delta = date.timeIntervalSince(clock.now())
                    offset.withLock { $0 += delta }
                    step("⏩ the clock moves to \(AuditEvent.timestamp(date)) (\(why))")
                }

                _ = try await services.administration.initialize(district: "禅城区", actor: "demo")
                for (code, name) in [("GAJ", "禅城区公安分局"), ("RSJ", "禅城区人力资源和社会保障局"), ("ZJJ", "禅城区住房城乡建设和水利局"), ("WJJ", "禅城区卫生健康局")] {
                    _ = try await services.administration.addDepartment(code: code, name: name, actor: "demo")
                }
                _ = try await services.identity.registry.importCSV(try read("persons.csv"), actor: "demo")
                _ = try await services.credit.loadPolicy(try read("credit-policy.yaml"), actor: "demo")
                _ = try await services.credit.loadCatalogue(try read("catalogue.yaml"), actor: "demo")
                _ = try await services.credit.importEvents(try read("credit-events.csv"), source: "demo-credit-records", actor: "demo")
                let window = "credential:demo-GAJ-window"
                let chen = (id: "440604197803150419", name: "陈建国")
                let check = try await services.credit.windowCheck(subject: chen.id, matter: "JZDJ", department: "GAJ", actor: window)
                step(
                    "GAJ window reads 陈建国's credit for 居住登记: level \(check.level.rawValue), 容缺 \(check.trustApproval.available ? "available" : "refused")"
                )
                let submitted = try await services.applications.submit(
                    NewApplication(
                        matterCode: "JZDJ", idNumber: chen.id, name: chen.name, mode: .trust,
                        provided: ["ID_CARD", "RESIDENCE_PROOF", "PHOTO"]), department: "GAJ", actor: window)
                step(
                    "application \(submitted.id) submitted under 容缺; missing: \(submitted.materials.filter { !$0.provided }.map(\.name).joined(separator: ", "))"
                )
                let card = try await services.identity.windowCheck(
                    card: CardRead(idNumber: chen.id, name: chen.name, validFrom: "2018-04-15", validUntil: "2038-04-15"),
                    faceMatched: true, clerk: ClerkIdentity(id: "GA-0042", name: "赵文静"), station: "window-2", actor: window)
                let committed = try await services.applications.commit(submitted.id, assuranceID: card.assurance.id, department: "GAJ", actor: window)
                step("commitment signed at the window (tier \(committed.commitment!.tier)): \(committed.commitment!.consequences)")
                _ = try await services.applications.accept(submitted.id, department: "GAJ", actor: window)
                _ = try await services.applications.startReview(submitted.id, department: "GAJ", actor: window)
                let approved = try await services.applications.approve(submitted.id, department: "GAJ", actor: window)
                let (_, issued) = try await services.applications.issueResult(
                    approved.id, values: ["居住地址": "佛山市禅城区祖庙街道建新路12号", "居住事由": "务工"],
                    department: "GAJ", actor: window)
                let obligation = approved.obligation!
                step(
                    "accepted, reviewed, approved; 居住登记凭证 \(issued.record.id) issued at once; obligation due \(AuditEvent.timestamp(obligation.deadline))"
                )
                step("QR verifies: \(try await services.documents.verifyToken(issued.qrContent, actor: "demo", audit: false).result.rawValue)")
                move(to: obligation.remindAt!.addingTimeInterval(60), "reminder day")
                step(
                    "sweep: \(try await Self.describe(services.applications.sweep())); notice: \(try await services.applications.notifications(limit: 1).last?.message ?? "-")"
                )
                move(to: obligation.deadline.addingTimeInterval(60), "the deadline passed without the employment proof")
                step(
                    "sweep: \(try await Self.describe(services.applications.sweep())); notice: \(try await services.applications.notifications(limit: 1).last?.message ?? "-")"
                )
                let rectification = try await services.applications.application(submitted.id).obligation!.rectificationDeadline!
                move(to: rectification.addingTimeInterval(60), "the rectification period ended")
                step("sweep: \(try await Self.describe(services.applications.sweep()))")
                let verification = try await services.documents.verifyToken(issued.qrContent, actor: "demo", audit: false)
                step(
                    "QR verifies: \(verification.result.rawValue) (\(verification.reasons.first?.code.rawValue ?? "-")); application \(try await services.applications.application(submitted.id).state.rawValue)"
                )
                let after = try await services.credit.assessment(of: try services.credit.subject(chen.id))
                step(
                    "陈建国: level \(after.level.rawValue), score \(after.score); on the day he applied it was \(try await services.credit.assessment(of: try await services.credit.subject(chen.id), at: approved.acceptedAt!).level.rawValue)"
                )
                for (person, provided, why) in [
                    ((id: "440604198807220626", name: "黄丽华"), ["ID_CARD", "RESIDENCE_PROOF", "PHOTO"], "level C"),
                    ((id: "440104199001010010", name: "张三丰"), ["ID_CARD", "EMPLOYMENT_PROOF", "PHOTO"], "level A, primary material missing"),
                ] {
                    do {
                        _ = try await services.applications.submit(
                            NewApplication(matterCode: "JZDJ", idNumber: person.id, name: person.name, mode: .trust, provided: provided),
                            department: "GAJ", actor: window)
                        step("\(person.name) (\(why)): accepted — unexpected")
                        throw ExitCode(1)
                    } catch let error as ZeroTripError {
                        step("\(person.name) (\(why)): refused [\(error.code)] \(error.message)")
                    }
                }
                if let keep { print("The district is kept in \(keep).") }
            }
        }

        static func describe(_ report: SweepReport) -> String {
            "\(report.reminders) reminder(s), \(report.rectification) into rectification, \(report.revoked) revoked, \(report.terminated) terminated, \(report.flagged) flagged"
        }
    }
}
