import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripDocuments

/// `zerotrip points`: the points scheme (量化积分) — policy versions, scoring runs, and any score explained again.
struct PointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "points",
        abstract: "Points (量化积分, 先赋分后申请): load the scheme, run the scoring, explain a person's score.",
        discussion: """
            The daemon scores everyone once a month by itself (the month's first day, 00:00 China time); `points run` scores \
            now or for a past date. Residents see their points on the phone (积分 tab) and claim the items that need a proof there.
            """,
        subcommands: [Policy.self, Run.self, Runs.self, Explain.self])

    /// The start (00:00 China time) of the `--date` given, nil when none was.
    static func dayStart(_ text: String?) throws(ZeroTripError) -> Date? {
        guard let text else { return nil }
        guard let day = CivilDay(text) else { throw ZeroTripError(.invalidInput, "--date must be YYYY-MM-DD") }
        return day.start
    }

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The points policy: load FILE as a new version, show the one in force, or list the versions.",
            discussion: "Example: zerotrip points policy load demo/points-policy.yaml")
        @OptionGroup var location: LocationOptions
        @Argument(help: "load FILE | show | versions") var action: String
        @Argument(help: "Policy file (YAML or JSON) for load.") var file: String?
        func run() async throws {
            try await reportingErrors {
                let points = try location.services().points
                switch action {
                case "load":
                    guard let file else { throw ZeroTripError(.invalidInput, "load needs a file") }
                    try await printJSON(try points.loadPolicy(try readInputFile(file), actor: cliActor))
                case "show":
                    let (version, policy) = try await points.policy(at: Date())
                    try printJSON(["version": AnyEncodable(version), "policy": AnyEncodable(policy)])
                case "versions": try await printJSON(try points.versions())
                default: throw ZeroTripError(.invalidInput, "action must be load, show or versions")
                }
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score every registered person now (or at the start of --date) with the policy then in force.",
            discussion: """
                Example: zerotrip points run. With --date YYYY-MM-DD it scores as of that day's start instead, with the policy \
                in force then: a day before the first policy was loaded has none (no_points_policy).
                """)
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Score as of this day's 00:00 China time (YYYY-MM-DD); default: now.") var date: String?
        func run() async throws {
            try await reportingErrors {
                let asOf = try PointsCommand.dayStart(date)
                let started = ContinuousClock.now
                let report = try await location.services().points.run(asOf: asOf, actor: cliActor)
                let seconds = (ContinuousClock.now - started) / .seconds(1)
                print(
                    "run \(report.run.id): \(report.run.persons) persons scored as of \(ChinaTime(report.run.asOf).minuteText) with policy version "
                        + "\(report.run.policyVersion) in \(String(format: "%.1f", seconds)) s")
                if report.skipped > 0 {
                    print(
                        "\(report.skipped) persons left out: their registry records do not decrypt with the identity key (audited points.person.skipped)"
                    )
                }
            }
        }
    }

    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the newest scoring runs (a table; --json for scripts).")
        @OptionGroup var location: LocationOptions
        @Flag(name: .long, help: "JSON, one object per run.") var json = false
        func run() async throws {
            try await reportingErrors {
                let runs = try await location.services().points.runs()
                if json { return try printJSON(runs) }
                print(
                    formatTable(
                        ["RUN", "PERIOD", "AS OF", "VERSION", "PERSONS", "FINISHED", "BY"],
                        runs.map {
                            [
                                "\($0.id)", $0.period ?? "-", ChinaTime($0.asOf).minuteText, "\($0.policyVersion)", "\($0.persons)",
                                $0.finishedAt.map { ChinaTime($0).minuteText } ?? "running", $0.startedBy,
                            ]
                        }))
            }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compute a person's score again from the data as they were and compare it with the stored one.",
            discussion: """
                With --run N: that run's date and policy version, compared with the score stored then (exit 1 when they differ). \
                With --date: as of that day, with the policy then in force or --version. \
                Example: zerotrip points explain 440104199001010010 --run 1
                """)
        @OptionGroup var location: LocationOptions
        @Argument(help: "The person's citizen ID number.") var idNumber: String
        @Option(name: .long, help: "Scoring run to replay.") var run: Int64?
        @Option(name: .long, help: "Day to score as of (YYYY-MM-DD, 00:00 China time).") var date: String?
        @Option(name: .long, help: "Policy version to score with (with --date).") var version: Int?
        func run() async throws {
            try await reportingErrors {
                let services = try location.services()
                guard let subject = try await services.identity.registry.subject(idNumber: idNumber) else {
                    throw ZeroTripError(.unknownSubject, "no person with that ID number in the registry")
                }
                let day = try PointsCommand.dayStart(date)
                let replay = try await services.points.replay(subject: SubjectID.person(subject), run: run, at: day, version: version)
                try printJSON(replay)
                if !replay.matches { throw ExitCode(1) }
            }
        }
    }
}
