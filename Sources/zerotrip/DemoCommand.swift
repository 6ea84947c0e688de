import ArgumentParser
import Foundation
import ZeroTrip

/// `zerotrip demo`: a ready demo district.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Set up a demo district (idempotent): root CA, departments and one credential each.",
        subcommands: [Setup.self])

    struct Setup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Initialise 禅城区 with 人社局, 公安分局, 卫健局 and a district office holding the admin scope; write tokens to Keys/demo-tokens.json (mode 0600).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "District name.") var district: String = "禅城区"

        static let departments: [(code: String, name: String, scopes: String)] = [
            ("ZSJ", "区政务服务数据管理局", "admin,audit:read,documents:verify"),
            ("RSJ", "区人力资源和社会保障局", "documents:issue,documents:verify,credit:read"),
            ("GAJ", "区公安分局", "documents:issue,documents:verify,identity:read,identity:attest"),
            ("WJJ", "区卫生健康局", "documents:issue,documents:verify,credit:read"),
        ]

        func run() async throws {
            try await reportingErrors {
                let home = try location.configuration().home
                let source = PassphraseSource(explicit: location.passphrase, keys: home.keyFiles)
                let services = try ZeroTripServices.open(home: home, passphrase: location.passphrase)
                if try await services.administration.district() == nil {
                    if !source.isConfigured { _ = try source.generateFile() }
                    let info = try await services.administration.initialize(district: district, actor: "demo")
                    print("District \(info.name) initialised (root kid \(info.rootKid)).")
                }
                var tokens: [String: String] = [:]
                for entry in Self.departments {
                    if try await services.administration.department(code: entry.code) == nil {
                        let department = try await services.administration.addDepartment(code: entry.code, name: entry.name, actor: "demo")
                        print("Department \(department.code) \(department.name) (seal kid \(department.activeKid ?? "-")).")
                    }
                    if try services.credentials.list(department: entry.code).allSatisfy({ $0.revokedAt != nil }) {
                        let issued = try services.credentials.create(department: entry.code, scopes: try Scope.parse(entry.scopes), label: "demo", actor: "demo")
                        tokens[entry.code] = issued.token
                    }
                }
                if !tokens.isEmpty {
                    let file = "demo-tokens-\(Int(Date().timeIntervalSince1970)).json"
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    try home.keyFiles.create(file, contents: String(decoding: try encoder.encode(tokens), as: UTF8.self) + "\n")
                    print("Demo tokens written to \(home.keysDirectory.lastPathComponent)/\(file) (mode 0600).")
                    for (code, token) in tokens.sorted(by: { $0.key < $1.key }) { print("  \(code): \(token)") }
                } else {
                    print("Demo district ready; tokens were written to Keys/demo-tokens-*.json when first created.")
                }
            }
        }
    }
}
