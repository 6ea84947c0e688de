import ArgumentParser
import ZeroTrip
import ZeroTripCrypto

/// `zerotrip departments`: manage departments and their seal keys.
struct DepartmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "departments",
        abstract: "Create and list departments; each gets a seal key and a certificate issued by the district root.",
        subcommands: [Add.self, List.self, Show.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create a department with its seal key (Keys/CODE-kid.key.pem, or in the seal token) and certificate (Certificates/departments/).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Department code: 2–16 upper-case letters or digits, e.g. RSJ.")
        var code: String
        @Option(name: .long, help: "Full name, e.g. 区人力资源和社会保障局.")
        var name: String
        @Option(
            name: .long,
            help:
                "Seal key algorithm: P-256 (the default and the only one that can seal documents: PAdES and COSE ES256; SM2 is refused with seal_algorithm_unsupported)."
        )
        var algorithm: String = "P-256"

        func run() async throws {
            try await reportingErrors {
                let algorithm = try Validation.algorithm(algorithm)
                let department = try await location.services().administration.addDepartment(
                    code: code, name: name, algorithm: algorithm, actor: cliActor)
                print("Department \(department.code) \(department.name) created; seal kid \(department.activeKid ?? "-")")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List departments: code, active seal key, created, name (--json for scripts).")
        @OptionGroup var location: LocationOptions
        @Flag(name: .long, help: "JSON, one object per department.") var json = false
        func run() async throws {
            try await reportingErrors {
                let departments = try await location.services().administration.departments()
                if json { return try printJSON(departments) }
                print(
                    formatTable(
                        ["CODE", "ACTIVE KID", "CREATED", "NAME"],
                        departments.map {
                            [$0.code, $0.activeKid ?? "(none: keys create)", String(AuditEvent.timestamp($0.createdAt).prefix(10)), $0.name]
                        }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one department and its keys (with certificates) as JSON.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Department code.") var code: String
        func run() async throws {
            try await reportingErrors {
                let administration = try location.services().administration
                guard let department = try await administration.department(code: code) else {
                    throw ZeroTripError(.unknownDepartment, "no department \(code.prefix(16))")
                }
                print("\(department.code) \(department.name)")
                for key in try await administration.keys(department: department.code) {
                    print("kid \(key.kid) \(key.algorithm) \(key.status) \(key.notBefore) – \(key.notAfter)")
                    print(key.certificatePEM)
                }
            }
        }
    }
}
