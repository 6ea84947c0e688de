import Foundation
import Testing
import ZeroTripDomainTestSupport
import ZeroTripTestSupport

/// Every `Example: zerotrip …` in the CLI's help, read from the executable itself (`--experimental-dump-help`), runs
/// in a demo district and exits 0. What an example cannot know (the installation's key ids, a PostgreSQL server, a
/// backup directory) and the sizes of the benchmarks are adapted by a table below; each adaptation must still find
/// its text in the example, so an example that changes is run again as printed or the table is brought up to date.
@Suite("Help examples", .tags(.process), .notInFastLoop, .serialized, .enabled(if: ZeroTripExecutable.binary != nil, "needs the built zerotrip"))
struct HelpExampleTests {
    /// How an example is adapted before it runs: `replace` pairs (the first must occur in the example) and
    /// arguments appended; `postgres` examples run only when a test cluster is given (the PostgreSQL pass of CI).
    struct Adaptation {
        var replace: [(String, String)] = []
        var append = ""
        var postgres = false
    }

    /// The examples by command, in the order they run (the points run needs the policy; explain needs the run).
    static func adaptations(kid: String, backups: String, postgres: String?) -> [String: Adaptation] {
        let url = postgres ?? "postgres-not-available"
        return [
            // A real key of the demo district: WJJ's seal, not one the issue example uses.
            "keys revoke": Adaptation(replace: [("0123456789abcdef", kid)]),
            "backup": Adaptation(replace: [("/srv/backup", backups)]),
            "migrate-to": Adaptation(replace: [("postgres://zerotrip@db.example:5432/district?sslmode=require", "'\(url)'")], postgres: true),
            // The benchmarks at a size that runs in seconds in a debug build: the same flags, less work.
            "bench documents": Adaptation(
                replace: [("--count 500", "--count 40"), ("'postgres://zt@127.0.0.1:5432/zerotrip?sslmode=disable'", "'\(url)'")], postgres: true),
            "bench http": Adaptation(
                replace: [("--seconds 5", "--seconds 1"), ("'postgres://zt@127.0.0.1:5432/zerotrip?sslmode=disable'", "'\(url)'")],
                postgres: true),
            "bench points": Adaptation(replace: [("--persons 1000000", "--persons 300")], append: "--documents 200 --claims 20 --replays 20"),
            "bench statistics": Adaptation(replace: [("--applications 100000 --audit-events 1000000", "--applications 2000 --audit-events 5000")]),
        ]
    }

    /// `(command path, example)` for every example in the help, from the executable's own dump of its commands.
    static func examples(in dir: URL) throws -> [(command: String, example: String)] {
        let dump = try CommandLineTests().run(["--experimental-dump-help"], in: dir)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.output.utf8)) as? [String: Any])
        var found: [(String, String)] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            let discussion = command["discussion"] as? String ?? ""
            for match in discussion.matches(of: /Example: (zerotrip [^\n]+?)(?:\.\s|\.$|\n|$)/) {
                found.append((path.joined(separator: " "), String(match.1)))
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, path + [sub["commandName"] as? String ?? "?"]) }
        }
        walk(try #require(root["command"] as? [String: Any]), [])
        return found
    }

    @Test("Every help example runs and exits 0 in a demo district (adapted only where the table says)")
    func everyExampleRuns() throws {
        let cli = CommandLineTests()
        let dir = try cli.demoDistrict()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Examples name files of the repository (demo/points-policy.yaml) as a checkout's root would.
        try FileManager.default.createSymbolicLink(
            at: dir.appendingPathComponent("demo"), withDestinationURL: ExternalTool.repositoryRoot.appendingPathComponent("demo"))
        let keys = try #require(
            try JSONSerialization.jsonObject(with: Data(cli.run(["keys", "list", "--json"], in: dir).output.utf8)) as? [[String: Any]])
        let kid = try #require(
            keys.first { $0["departmentCode"] as? String == "WJJ" && $0["status"] as? String == "active" }?["kid"] as? String, "\(keys.count) keys")
        let backups = dir.appendingPathComponent("backups")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let postgres = TestDatabase.postgresURL.map { TestDatabase.newSchema("help_", on: $0).url }

        let examples = try Self.examples(in: dir)
        #expect(examples.count >= 13, "\(examples)")
        let adaptations = Self.adaptations(kid: kid, backups: backups.path, postgres: postgres)
        #expect(Set(adaptations.keys).isSubset(of: Set(examples.map(\.command))), "an adaptation names a command without an example")
        let binary = try #require(ZeroTripExecutable.binary).deletingLastPathComponent().path
        var ran = 0
        for (command, example) in examples {
            var line = example
            let adaptation = adaptations[command] ?? Adaptation()
            for (old, new) in adaptation.replace {
                #expect(line.contains(old), "the example of \(command) changed: \(example); update HelpExampleTests.adaptations")
                line = line.replacingOccurrences(of: old, with: new)
            }
            if !adaptation.append.isEmpty { line += " " + adaptation.append }
            if adaptation.postgres && postgres == nil { continue }
            // As a shell runs it from the README, with this build's zerotrip first on PATH and no ZEROTRIP_ settings.
            let unset = ProcessInfo.processInfo.environment.keys.filter { $0.hasPrefix("ZEROTRIP_") }.flatMap { ["-u", $0] }
            let path = binary + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            let result = try ExternalTool.run(["env"] + unset + ["PATH=\(path)", "bash", "-c", line], in: dir)
            #expect(result.status == 0, "\(command): \(line)\n\(result.stdout.suffix(1000))\n\(result.stderr.suffix(1000))")
            if command == "bench http" {
                // Verify's ceiling is measured, not only computed: the bare POST with the one P-256 check, every answer 200.
                let row = result.stdout.split(separator: "\n").first { $0.hasPrefix("POST, bare + one P-256 check") }
                #expect(row.map { $0.split(separator: " ").suffix(3).first == "0" } == true, "\(result.stdout.suffix(2000))")
                #expect(result.stdout.contains("measured: the bare POST with that one check added reached"), "\(result.stdout.suffix(2000))")
            }
            ran += 1
        }
        // All of them; on SQLite alone, all but the three that need a PostgreSQL server.
        #expect(ran == examples.count - (postgres == nil ? adaptations.values.filter(\.postgres).count : 0))
    }
}
