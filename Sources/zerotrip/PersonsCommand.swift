import ArgumentParser
import Foundation
import ZeroTrip

/// `zerotrip persons`: the population registry.
struct PersonsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "persons",
        abstract: "The population registry (自然人库): import from CSV, look a person up.",
        subcommands: [Import.self, Show.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import persons from a UTF-8 CSV file (header id_number,name,phone,card_valid_from,card_valid_until).",
            discussion:
                "Idempotent: unchanged rows are counted, changed ones updated with history. Bad rows are listed with line and reason and skipped; good rows are stored in transactions of 500 rows, with progress on standard error for long files; an import stopped part-way is finished by running it again. Exit status 2 when any row was rejected."
        )
        @OptionGroup var location: LocationOptions
        @Argument(help: "The CSV file.") var file: String

        func run() async throws {
            try await reportingErrors {
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: file), let size = attributes[.size] as? Int else {
                    throw ZeroTripError(.invalidInput, "cannot read \(file)")
                }
                guard size <= RegistryCSV.maximumFileBytes else {
                    throw ZeroTripError(.payloadTooLarge, "\(file) exceeds \(RegistryCSV.maximumFileBytes >> 20) MiB")
                }
                guard let data = FileManager.default.contents(atPath: file) else { throw ZeroTripError(.invalidInput, "cannot read \(file)") }
                let progress = ProgressLine()
                let report = try await location.services().identity.registry.importCSV(Array(data), actor: cliActor) { written, total in
                    if written < total { progress.report("imported \(written) of \(total) rows…") }
                }
                print(
                    "accepted \(report.accepted) (inserted \(report.inserted), updated \(report.updated), unchanged \(report.unchanged)); rejected \(report.rejected.count)"
                )
                // The first 20 rejections name their line; a file rejected wholesale should not scroll thousands of lines.
                for rejection in report.rejected.prefix(20) { print("  line \(rejection.line): \(rejection.reason)") }
                if report.rejected.count > 20 { print("  … and \(report.rejected.count - 20) more rejected lines") }
                if !report.rejected.isEmpty { throw ExitCode(2) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a person (masked), their assurance records and devices as JSON.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Citizen ID number.") var idNumber: String

        func run() async throws {
            try await reportingErrors {
                let identity = try location.services().identity
                guard let subject = try await identity.registry.subject(idNumber: idNumber),
                    let person = try await identity.registry.summary(subject: subject)
                else {
                    throw ZeroTripError(.unknownPerson, "no person with that ID number in the registry")
                }
                struct View: Encodable { var person: PersonSummary; var assurance: [AssuranceRecord]; var devices: [DeviceKeyInfo] }
                try await printJSON(
                    View(person: person, assurance: try identity.assuranceRecords(subject: subject), devices: try identity.devices(subject: subject)))
            }
        }
    }
}

/// `zerotrip identity`: verification administration.
struct IdentityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Identity verification: SMS outbox, lockouts, tier checks.",
        subcommands: [Outbox.self, Unlock.self, Check.self])

    struct Outbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the newest messages of the SMS outbox (the default gateway: the demo reads codes here).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "How many messages.") var last: Int = 5
        @Flag(name: .long, help: "JSON, one object per message (the phone number masked as in the table).") var json = false

        func run() async throws {
            try await reportingErrors {
                let messages = try await location.services().identity.outbox(limit: last)
                if json {
                    struct Row: Encodable { var sentAt, phone, message: String }
                    return try printJSON(messages.map { Row(sentAt: AuditEvent.timestamp($0.createdAt), phone: $0.phoneMasked, message: $0.message) })
                }
                print(
                    formatTable(
                        ["SENT (UTC)", "PHONE", "MESSAGE"], messages.map { [AuditEvent.timestamp($0.createdAt), $0.phoneMasked, $0.message] }))
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear the failure counter and lockout of a person for one method (audited).")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Citizen ID number.") var idNumber: String
        @Option(name: .long, help: "sms, video or window_card.") var method: String = "sms"

        func run() async throws {
            try await reportingErrors {
                guard let method = AssuranceMethod(rawValue: method) else {
                    throw ZeroTripError(.invalidInput, "method must be sms, video or window_card")
                }
                try await location.services().identity.unlock(idNumber: idNumber, method: method, actor: cliActor)
                print("unlocked \(method.rawValue)")
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Is the person verified at tier ≥ N within the age limit? Prints yes or no (audited).",
            discussion: "Exit status 0 for yes, 3 for no (so a script can branch on it), 1 for an error.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Citizen ID number.") var idNumber: String
        @Option(name: .long, help: "Minimum tier 1–3.") var tier: Int = 1
        @Option(name: .long, help: "Maximum age of the verification in days.") var maxAgeDays: Int = 365

        func run() async throws {
            try await reportingErrors {
                guard (1...3650).contains(maxAgeDays) else { throw ZeroTripError(.invalidInput, "max-age-days must be 1–3650") }
                let check = try await location.services().identity.check(
                    idNumber: idNumber, minimumTier: tier, maxAge: TimeInterval(maxAgeDays) * 86400, actor: cliActor)
                print(check.meets ? "yes (verified \(AuditEvent.timestamp(check.verifiedAt!)))" : "no")
                if !check.meets { throw ExitCode(3) }
            }
        }
    }
}
