import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripDocuments

/// `zerotrip demo`: a ready demo district.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Set up a demo district (idempotent): root CA, departments and one credential each.",
        subcommands: [Setup.self, CreditScenario.self])

    struct Setup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Initialise 禅城区 with 人社局, 公安分局, 卫健局, 住建水利局 and the district data office (admin scope), one credential each; import the synthetic registry, issue three sample results, load the credit demo and the points scheme (scoring everyone once). Tokens are written once to Keys/demo-tokens-<time>.json (mode 0600)."
        )
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "District name.") var district: String = "禅城区"
        @Option(name: .long, help: "Province above the district.") var province: String = "广东省"
        @Option(name: .long, help: "City above the district.") var city: String = "佛山市"
        @Option(name: .long, help: "Synthetic population registry to import (CSV).") var persons: String = "demo/persons.csv"

        /// Synthetic sample results (no real people: made-up names, ID numbers with valid check characters).
        static let samples: [IssueDocumentRequest] = [
            IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: "张三丰", holderIDNumber: "440104199001010010",
                fields: [
                    ResultField(label: "参保险种", value: "企业职工基本养老保险"), ResultField(label: "参保状态", value: "正常参保"),
                    ResultField(label: "缴费起止", value: "2015年07月至2026年10月"), ResultField(label: "累计缴费月数", value: "136个月"),
                ],
                validDays: 90, pickupMode: .qrSelfPrint),
            IssueDocumentRequest(
                departmentCode: "GAJ", matterCode: "JZDJ", matterName: "居住登记凭证", holderName: "李晓梅", holderIDNumber: "440604198506120023",
                fields: [
                    ResultField(label: "居住地址", value: "佛山市禅城区祖庙街道建新路12号"), ResultField(label: "登记日期", value: "2026年11月20日"),
                    ResultField(label: "居住事由", value: "务工"),
                ],
                validDays: 365, pickupMode: .kioskPrint),
            IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "JYSYDJ", matterName: "就业失业登记证明", holderName: "王志强", holderIDNumber: "44060419921130003X",
                fields: [
                    ResultField(label: "登记类型", value: "失业登记"), ResultField(label: "登记机构", value: "祖庙街道公共就业服务站"),
                    ResultField(label: "登记日期", value: "2026年11月02日"),
                ],
                validDays: 180, pickupMode: .delivery),
        ]

        /// Issues the sample documents once (into var/demo-documents/) and prints their verification URLs.
        func issueSamples(_ services: ZeroTripServices) async throws {
            let existing = try await services.documents.records(department: nil, limit: 10)
            let documents: [(id: String, url: String)]
            if existing.isEmpty {
                let directory = URL(fileURLWithPath: "var/demo-documents")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                var issued: [(String, String)] = []
                for request in Self.samples {
                    let document = try await services.documents.issue(request, actor: "demo")
                    let pdf = directory.appendingPathComponent("\(document.record.id).pdf"),
                        png = directory.appendingPathComponent("\(document.record.id)-qr.png")
                    try ExclusiveFile.create(path: pdf.path, displayName: pdf.lastPathComponent, bytes: document.pdf, permissions: 0o600)
                    try ExclusiveFile.create(
                        path: png.path, displayName: png.lastPathComponent, bytes: document.qr.pngRepresentation(), permissions: 0o600)
                    issued.append((document.record.id.rawValue, document.qrContent))
                }
                documents = issued
                print("Sample documents issued into var/demo-documents/ (PDF and QR image each):")
            } else {
                documents = existing.reversed().map {
                    ($0.id.rawValue, ResultToken.verificationURL(base: services.documents.verificationBaseURL, token: $0.token))
                }
                print("Sample documents already issued (var/demo-documents/):")
            }
            for document in documents {
                print("  \(document.id)")
                print("    verification page: \(document.url)")
                print("    by number:         \(services.documents.verificationBaseURL)/v/\(document.id)")
            }
        }

        /// Signs a log tree head over the samples and publishes the trust list and CRL in Certificates/.
        func publishTrust(_ services: ZeroTripServices) async throws {
            let head = try await services.administration.signTreeHead(services.log)
            try await services.trustList.publish(to: services.home.certificatesDirectory)
            print(
                "Transparency log: \(head.treeSize) entries, tree head signed; trust list and CRL published in Certificates/ (also GET /v1/trust-list, /v1/crl)."
            )
        }

        /// Loads the demo catalogue and credit policy (a new version only when changed), imports the demo credit
        /// records (skipped when imported before) and registers the demo enterprise.
        func setUpCredit(_ services: ZeroTripServices) async throws {
            let directory = URL(fileURLWithPath: persons).deletingLastPathComponent()
            func read(_ name: String) async throws -> [UInt8] { try readInputFile(directory.appendingPathComponent(name).path) }
            let policy = try await services.credit.loadPolicy(try read("credit-policy.yaml"), actor: "demo")
            let catalogue = try await services.credit.loadCatalogue(try read("catalogue.yaml"), actor: "demo")
            let events = try await services.credit.importEvents(try read("credit-events.csv"), source: "demo-credit-records", actor: "demo")
            if await (try? services.credit.subject("91440604MA51ABCD1X")) == nil {
                _ = try await services.credit.registerOrganization(
                    code: "91440604MA51ABCD1X", name: "佛山市禅城区示例科技有限公司", establishedOn: CivilDay("2026-05-01")!,
                    dataComplete: true, actor: "demo")
            }
            print(
                "Credit: policy version \(policy.version), catalogue version \(catalogue.version) (\(try await services.credit.currentCatalogue().matters.count) matters), "
                    + "\(events.recorded) credit records imported (\(events.duplicates) already there).")
            for (name, id) in [
                ("张三丰", "440104199001010010"), ("陈建国", "440604197803150419"), ("黄丽华", "440604198807220626"), ("周永安", "440606196504300358"),
            ] {
                let level = try await services.credit.assessment(of: try services.credit.subject(id))
                print(
                    "  \(name): level \(level.level.rawValue) (score \(level.score))\(level.trustApproval.available ? ", 容缺 available" : ", 容缺 refused: \(level.trustApproval.reasons.joined(separator: ", "))")"
                )
            }
        }

        /// Imports the synthetic registry (idempotent), so the applicant walk-through can verify the sample holders.
        func importPersons(_ services: ZeroTripServices) async throws {
            guard let data = FileManager.default.contents(atPath: persons) else {
                throw ZeroTripError(.invalidInput, "cannot read the demo registry \(persons); pass --persons FILE")
            }
            let report = try await services.identity.registry.importCSV(Array(data), actor: "demo")
            print("Population registry: \(report.inserted) persons imported, \(report.unchanged) unchanged (synthetic, from \(persons)).")
            print("Applicants verify with e.g. 张三丰 / 440104199001010010; SMS codes land in the outbox: zerotrip identity outbox")
        }

        static let departments: [(code: String, name: String, scopes: String)] = [
            ("ZSJ", "禅城区政务服务数据管理局", "admin,audit:read,documents:verify,statistics:read"),
            ("RSJ", "禅城区人力资源和社会保障局", "documents:issue,documents:verify,documents:reuse,credit:read,applications:process"),
            (
                "GAJ", "禅城区公安分局",
                "documents:issue,documents:verify,documents:reuse,identity:read,identity:attest,credit:read,applications:process,points:review"
            ),
            ("WJJ", "禅城区卫生健康局", "documents:issue,documents:verify,credit:read,applications:process"),
            ("ZJJ", "禅城区住房城乡建设和水利局", "documents:issue,documents:verify,credit:read,applications:process"),
        ]

        func run() async throws {
            try await reportingErrors {
                let home = try location.configuration().home
                let source = PassphraseSource(explicit: location.passphrase, keys: home.keyFiles)
                let services = try ZeroTripServices.open(configuration: try location.configuration(), passphrase: location.passphrase)
                if let existing = try await services.administration.district() {
                    // A demo district made before the full administrative name was recorded gets it now.
                    if existing.province.isEmpty && existing.city.isEmpty && !(province.isEmpty && city.isEmpty) {
                        _ = try await services.administration.setAdministrativeArea(province: province, city: city, actor: "demo")
                    }
                } else {
                    if !source.isConfigured { _ = try await source.generateFile() }
                    let info = try await services.administration.initialize(district: district, province: province, city: city, actor: "demo")
                    print("District \(info.administrativeName) initialised (root kid \(info.rootKid)).")
                }
                var tokens: [String: String] = [:]
                for entry in Self.departments {
                    if try await services.administration.department(code: entry.code) == nil {
                        let department = try await services.administration.addDepartment(code: entry.code, name: entry.name, actor: "demo")
                        print("Department \(department.code) \(department.name) (seal kid \(department.activeKid ?? "-")).")
                    }
                    if try await services.credentials.list(department: entry.code).allSatisfy({ $0.revokedAt != nil }) {
                        let issued = try await services.credentials.create(
                            department: entry.code, scopes: try Scope.parse(entry.scopes), label: "demo", actor: "demo")
                        tokens[entry.code] = issued.token
                    }
                }
                if !tokens.isEmpty {
                    let file = "demo-tokens-\(Int(Date().timeIntervalSince1970)).json"
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    try await home.keyFiles.create(file, contents: String(decoding: try encoder.encode(tokens), as: UTF8.self) + "\n")
                    print("Demo tokens written to \(home.keysDirectory.lastPathComponent)/\(file) (mode 0600).")
                    for (code, token) in tokens.sorted(by: { $0.key < $1.key }) { print("  \(code): \(token)") }
                } else {
                    print("Demo district ready; tokens were written to Keys/demo-tokens-*.json when first created.")
                }
                // The registry first: every document's holder must be a registered person.
                try await importPersons(services)
                try await issueSamples(services)
                try await setUpCredit(services)
                // 督办: the GAJ window clerk reviews, the section chief supervises (numbers of the demo's outbox).
                if try await services.supervision.staff(department: "GAJ").isEmpty {
                    _ = try await services.supervision.putStaff(
                        department: "GAJ", clerk: "GA-0042", name: "赵文静", phone: "13900000042", role: .reviewer, actor: "demo")
                    _ = try await services.supervision.putStaff(
                        department: "GAJ", clerk: "GA-0001", name: "周建华", phone: "13900000001", role: .supervisor, actor: "demo")
                    print("Staff: GAJ reviewer GA-0042 赵文静, supervisor GA-0001 周建华 (zerotrip staff list).")
                }
                try await setUpPoints(services)
                try await publishTrust(services)
            }
        }

        /// Loads the demo points scheme (a new version only when changed) and, when nobody was scored yet, scores
        /// everyone now (the daemon then scores everyone at each month's start).
        func setUpPoints(_ services: ZeroTripServices) async throws {
            let file = URL(fileURLWithPath: persons).deletingLastPathComponent().appendingPathComponent("points-policy.yaml").path
            let version = try await services.points.loadPolicy(try readInputFile(file), actor: "demo")
            let runs = try await services.points.runs(limit: 1)
            let run = runs.first?.finishedAt == nil ? try await services.points.run(actor: "demo").run : runs[0]
            let statement = try await services.points.statement(
                subject: SubjectID.person(try await services.identity.registry.subject(idNumber: "440104199001010010") ?? ""),
                disclosingCredit: true)
            print(
                "Points: scheme version \(version.version), run \(run.id) scored \(run.persons) persons; 张三丰 has \(statement.total ?? 0) points "
                    + "(zerotrip points explain 440104199001010010 --run \(run.id)).")
        }
    }
}
