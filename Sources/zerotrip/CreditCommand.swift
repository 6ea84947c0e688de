import ArgumentParser
import Foundation
import ZeroTrip

/// Reads a whole file for a command, with a clear error when it cannot.
func readInputFile(_ path: String, hint: String = "") throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw ZeroTripError(.invalidInput, "cannot read \(path)\(hint)") }
    return [UInt8](data)
}

/// A date or instant as typed: `YYYY-MM-DD` (00:00 China time) or ISO 8601 with a zone.
func parseInstant(_ text: String) throws -> Date {
    if let day = CivilDay(text) { return day.start }
    guard let date = ISOTime.parse(text) else { throw ZeroTripError(.invalidInput, "\(text.prefix(40)) is not YYYY-MM-DD nor ISO 8601 with a zone") }
    return date
}

/// `zerotrip catalogue`: the versioned matter catalogue.
struct CatalogueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalogue", abstract: "The matter catalogue (事项): load a YAML/JSON file as a new version, show, list versions.",
        subcommands: [Load.self, Show.self, Versions.self])

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load a catalogue file; errors name the line. Identical content stores nothing.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "YAML or JSON file (see demo/catalogue.yaml).") var file: String
        func run() async throws {
            try await reportingErrors { try await printJSON(try location.services().credit.loadCatalogue(try readInputFile(file), actor: cliActor)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a catalogue version (default: the newest) as JSON.")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Version number.") var version: Int?
        func run() async throws {
            try await reportingErrors {
                let credit = try location.services().credit
                if let version {
                    try printJSON(try await credit.catalogue(version: version))
                } else {
                    try printJSON(try await credit.currentCatalogue())
                }
            }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List catalogue versions (a table; --json for scripts).")
        @OptionGroup var location: LocationOptions
        @Flag(name: .long, help: "JSON, one object per version.") var json = false
        func run() async throws {
            try await reportingErrors {
                let versions = try await location.services().credit.versions(catalogue: true)
                if json { return try printJSON(versions) }
                print(
                    formatTable(
                        ["VERSION", "LOADED (UTC)", "BY", "SHA-256"],
                        versions.map { ["\($0.version)", AuditEvent.timestamp($0.createdAt), $0.createdBy, $0.sha256] }))
            }
        }
    }
}

/// `zerotrip credit`: levels, events, imports, policy and organisations.
struct CreditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit", abstract: "Credit levels (A/B/M/C/D): level on a date, history, events, repairs, imports, policy, organisations.",
        subcommands: [Level.self, Check.self, History.self, Record.self, Repair.self, Import.self, Policy.self, Organizations.self])

    struct Level: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The level of a subject now or on a past date (replaying only what was recorded by then, with the policy then in force).")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Citizen ID number, unified social credit code or subject id.") var subject: String
        @Option(name: .long, help: "YYYY-MM-DD or ISO 8601 instant.") var at: String?
        func run() async throws {
            try await reportingErrors {
                let credit = try location.services().credit
                try await printJSON(try credit.assessment(of: try credit.subject(subject), at: try at.map(parseInstant)))
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A window's check for a matter (audited): level and trust-based approval, no event details.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Citizen ID number or unified social credit code.") var subject: String
        @Option(name: .long, help: "Matter code.") var matter: String
        @Option(name: .long, help: "The checking department (must be the matter's).") var department: String
        func run() async throws {
            try await reportingErrors {
                try await printJSON(
                    try location.services().credit.windowCheck(subject: subject, matter: matter, department: department, actor: cliActor))
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every event of a subject with the current assessment.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Citizen ID number, unified social credit code or subject id.") var subject: String
        func run() async throws { try await reportingErrors { try await printJSON(try location.services().credit.history(subject: subject)) } }
    }

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record an event of a policy type for a subject.")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Citizen ID number, unified social credit code or subject id.") var subject: String
        @Option(name: .long, help: "Event type code from the policy.") var type: String
        @Option(name: .long, help: "Effective date (default now).") var effective: String?
        @Option(name: .long, help: "Reference (decision number).") var reference: String?
        func run() async throws {
            try await reportingErrors {
                let services = try location.services()
                try await printJSON(
                    try services.credit.recordEvent(
                        subject: subject, type: type, effectiveAt: try effective.map(parseInstant) ?? services.clock.now(),
                        reference: reference, actor: cliActor))
            }
        }
    }

    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a repair of an event (a new event; nothing is changed).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "The event id.") var event: Int64
        @Option(name: .long, help: "Effective date (default now).") var effective: String?
        @Option(name: .long, help: "Reference.") var reference: String?
        func run() async throws {
            try await reportingErrors {
                let services = try location.services()
                try await printJSON(
                    try services.credit.repair(
                        eventID: event, effectiveAt: try effective.map(parseInstant) ?? services.clock.now(), reference: reference, actor: cliActor))
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import external records from CSV subject,type,effective_date,reference: all rows or none; rows seen before are skipped.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "CSV file.") var file: String
        @Option(name: .long, help: "Source name (e.g. the publishing authority).") var source: String
        func run() async throws {
            try await reportingErrors {
                let progress = ProgressLine()
                try await printJSON(
                    try location.services().credit.importEvents(try readInputFile(file), source: source, actor: cliActor) { checked, total in
                        if checked < total { progress.report("checked \(checked) of \(total) rows…") }
                    })
            }
        }
    }

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The credit policy: load FILE as a new version, or show the one in force.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "load FILE | show | versions") var action: String
        @Argument(help: "Policy file (YAML or JSON) for load.") var file: String?
        func run() async throws {
            try await reportingErrors {
                let credit = try location.services().credit
                switch action {
                case "load":
                    guard let file else { throw ZeroTripError(.invalidInput, "load needs a file") }
                    try await printJSON(try credit.loadPolicy(try readInputFile(file), actor: cliActor))
                case "show":
                    let (version, policy) = try await credit.currentPolicy()
                    try printJSON(["version": AnyEncodable(version), "policy": AnyEncodable(policy)])
                case "versions": try await printJSON(try credit.versions(catalogue: false))
                default: throw ZeroTripError(.invalidInput, "action must be load, show or versions")
                }
            }
        }
    }

    struct Organizations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a legal person by unified social credit code.")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Unified social credit code.") var code: String
        @Option(name: .long, help: "Name.") var name: String
        @Option(name: .long, help: "Established on (YYYY-MM-DD).") var established: String
        @Flag(name: .long, help: "Its data are incomplete (starts at the policy's lower score).") var incomplete = false
        @Option(
            name: .customLong("legal-representative"),
            help: "ID number of its legal representative (in the registry), who consents to reuse of its results.")
        var legalRepresentative: String?
        func run() async throws {
            try await reportingErrors {
                guard let day = CivilDay(established) else { throw ZeroTripError(.invalidInput, "--established must be YYYY-MM-DD") }
                try await printJSON(
                    try location.services().credit.registerOrganization(
                        code: code, name: name, establishedOn: day, dataComplete: !incomplete,
                        legalRepresentative: legalRepresentative, actor: cliActor))
            }
        }
    }
}

/// Wraps any encodable for mixed JSON objects.
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
