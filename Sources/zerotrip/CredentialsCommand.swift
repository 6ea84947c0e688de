import ArgumentParser
import ZeroTrip

/// `zerotrip credentials`: department API credentials.
struct CredentialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials",
        abstract: "Create, list and revoke department API credentials (bearer tokens with scopes).",
        discussion: "Scopes: \(Scope.all.map(\.rawValue).joined(separator: ", ")). The token is shown once; only a hash of its secret is stored.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a credential and print its token once.")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Department code.") var department: String
        @Option(name: .long, help: "Comma-separated scopes, e.g. documents:issue,documents:verify,credit:read.") var scopes: String
        @Option(name: .long, help: "A label to recognise it by.") var label: String = ""

        func run() async throws {
            try await reportingErrors {
                let scopes = try Scope.parse(scopes)
                let issued = try await location.services().credentials.create(department: department, scopes: scopes, label: label, actor: cliActor)
                print("Credential \(issued.info.id) for \(issued.info.departmentCode) with scopes \(issued.info.scopes.joined(separator: ","))")
                print("Token (shown once, keep it secret):")
                print(issued.token)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List credentials, never their secrets: id, department, status, label, scopes (--json for scripts).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Only this department.") var department: String?
        @Flag(name: .long, help: "JSON, one object per credential.") var json = false
        func run() async throws {
            try await reportingErrors {
                let credentials = try await location.services().credentials.list(department: department)
                if json { return try printJSON(credentials) }
                print(
                    formatTable(
                        ["ID", "DEPT", "STATUS", "LABEL", "SCOPES"],
                        credentials.map {
                            [
                                $0.id, $0.departmentCode, $0.revokedAt.map { "revoked \(AuditEvent.timestamp($0).prefix(10))" } ?? "active",
                                $0.label.isEmpty ? "-" : $0.label,
                                $0.scopes.joined(separator: ","),
                            ]
                        }))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a credential by id.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Credential id.") var id: String
        func run() async throws {
            try await reportingErrors {
                let info = try await location.services().credentials.revoke(id: id, actor: cliActor)
                print("Credential \(info.id) revoked")
            }
        }
    }
}
