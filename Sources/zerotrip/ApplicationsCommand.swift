import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripDocuments

/// `zerotrip applications`: windows' and supervisors' work on applications and obligations.
struct ApplicationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "applications", abstract: "Applications with 容缺 / 容缓: submit, commit, accept, review, approve, issue, fulfil, sweep.",
        subcommands: [
            Submit.self, List.self, Show.self, Commit.self, Step.self, Reject.self, Issue.self, Fulfil.self, Sweep.self, Notifications.self,
        ])

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit an application (materials handed in are listed with --provided).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Matter code.") var matter: String
        @Option(name: .long, help: "Applicant's citizen ID number.") var idNumber: String
        @Option(name: .long, help: "Applicant's name.") var name: String
        @Option(name: .long, help: "standard, trust (容缺) or deferral (容缓).") var mode: String = "standard"
        @Option(name: .long, help: "Comma-separated material codes handed in.") var provided: String = ""
        func run() async throws {
            try await reportingErrors {
                guard let mode = ApplicationMode(rawValue: mode) else {
                    throw ZeroTripError(.invalidInput, "--mode must be standard, trust or deferral")
                }
                let codes = provided.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                try await printJSON(
                    try location.services().applications.submit(
                        NewApplication(matterCode: matter, idNumber: idNumber, name: name, mode: mode, provided: codes),
                        department: nil, actor: cliActor))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List applications, newest first (a table, applicant's name masked; --json for scripts, with materials and obligations).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Only this department.") var department: String?
        @Flag(name: .long, help: "Only applications flagged for supervisors.") var flagged = false
        @Flag(name: .long, help: "JSON: every application in full.") var json = false
        func run() async throws {
            try await reportingErrors {
                let applications = try await location.services().applications.applications(department: department, flaggedOnly: flagged)
                if json { return try printJSON(applications) }
                print(
                    formatTable(
                        ["ID", "DEPARTMENT", "MATTER", "APPLICANT", "MODE", "STATE", "SUBMITTED (UTC+8)", "DUE (UTC+8)", "FLAGS"],
                        applications.map {
                            [
                                $0.id, $0.department, $0.matterCode, PersonalDataMask.name($0.applicantName), $0.mode.rawValue, $0.state.rawValue,
                                ChinaTime($0.submittedAt).minuteText, $0.timeLimitDue.map { ChinaTime($0).minuteText } ?? "",
                                $0.flags.joined(separator: ","),
                            ]
                        }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one application with materials, commitment, obligation and flags.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Application id.") var id: String
        func run() async throws { try await reportingErrors { try await printJSON(try location.services().applications.application(id)) } }
    }

    struct Commit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the applicant's 容缺 commitment signed at the window, backed by their identity check (tier ≥ 2, ≤ 30 minutes old).")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Application id.") var id: String
        @Option(name: .long, help: "Assurance record id of the applicant's window or video check.") var assurance: Int64
        func run() async throws {
            try await reportingErrors {
                try await printJSON(try location.services().applications.commit(id, assuranceID: assurance, department: nil, actor: cliActor))
            }
        }
    }

    struct Step: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "step", abstract: "Move an application: accept, review or approve.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "accept | review | approve") var step: String
        @Argument(help: "Application id.") var id: String
        func run() async throws {
            try await reportingErrors {
                let applications = try location.services().applications
                switch step {
                case "accept": try await printJSON(try applications.accept(id, department: nil, actor: cliActor))
                case "review": try await printJSON(try applications.startReview(id, department: nil, actor: cliActor))
                case "approve": try await printJSON(try applications.approve(id, department: nil, actor: cliActor))
                default: throw ZeroTripError(.invalidInput, "step must be accept, review or approve")
                }
            }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject an application before its result exists.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Application id.") var id: String
        @Option(name: .long, help: "Reason.") var reason: String
        func run() async throws {
            try await reportingErrors {
                try await printJSON(try location.services().applications.reject(id, reason: reason, department: nil, actor: cliActor))
            }
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue the approved application's result document from the matter's template.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Application id.") var id: String
        @Option(name: .long, help: "LABEL=VALUE for each template field (repeat).") var field: [String] = []
        @Option(name: .long, help: "Directory for the PDF and QR PNG.") var out: String = "."
        func run() async throws {
            try await reportingErrors {
                var values: [String: String] = [:]
                for item in field {
                    guard let eq = item.firstIndex(of: "=") else { throw ZeroTripError(.invalidInput, "--field must be LABEL=VALUE") }
                    values[String(item[..<eq])] = String(item[item.index(after: eq)...])
                }
                let (record, issued) = try await location.services().applications.issueResult(id, values: values, department: nil, actor: cliActor)
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                let pdf = URL(fileURLWithPath: out).appendingPathComponent("\(issued.record.id).pdf")
                let png = URL(fileURLWithPath: out).appendingPathComponent("\(issued.record.id)-qr.png")
                // Personal files (the PDF carries the holder's full ID number): new files, readable by their owner only.
                try ExclusiveFile.create(path: pdf.path, displayName: pdf.lastPathComponent, bytes: issued.pdf, permissions: 0o600)
                try ExclusiveFile.create(path: png.path, displayName: png.lastPathComponent, bytes: issued.qr.pngRepresentation(), permissions: 0o600)
                try printJSON([
                    "application": AnyEncodable(record), "document": AnyEncodable(issued.record.id), "pdf": AnyEncodable(pdf.path),
                    "qrImage": AnyEncodable(png.path), "token": AnyEncodable(issued.record.token),
                ])
            }
        }
    }

    struct Fulfil: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record materials handed in at pickup; the obligation is fulfilled when all are in.")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Application id.") var id: String
        @Option(name: .long, help: "Comma-separated material codes.") var materials: String
        func run() async throws {
            try await reportingErrors {
                let codes = materials.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                try await printJSON(try location.services().applications.fulfil(id, materials: codes, department: nil, actor: cliActor))
            }
        }
    }

    struct Sweep: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the obligation sweep once now (the daemon runs it every obligationSweepIntervalSeconds).")
        @OptionGroup var location: LocationOptions
        func run() async throws { try await reportingErrors { try await printJSON(try location.services().applications.sweep()) } }
    }

    struct Notifications: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The newest applicant notifications (reminders, rectification, breach): a table, --json for scripts.")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "How many.") var last: Int = 20
        @Flag(name: .long, help: "JSON, one object per notification.") var json = false
        func run() async throws {
            try await reportingErrors {
                let notifications = try await location.services().applications.notifications(limit: last)
                if json { return try printJSON(notifications) }
                print(
                    formatTable(
                        ["AT (UTC+8)", "SUBJECT", "KIND", "REFERENCE", "MESSAGE"],
                        notifications.map { [ChinaTime($0.createdAt).minuteText, $0.subject, $0.kind, $0.reference, $0.message] }))
            }
        }
    }
}
