import ArgumentParser
import ZeroTrip
import ZeroTripCrypto

/// `zerotrip audit`: the hash-chained audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check and read the append-only, hash-chained audit log.",
        subcommands: [Verify.self, Tail.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chain; exit 1 and name the first bad event if any row was altered or deleted.")
        @OptionGroup var location: LocationOptions
        func run() async throws {
            try await reportingErrors {
                switch try await AuditLog.verify(location.services().database) {
                case .intact(let count, let head):
                    print("audit log intact: \(count) events, head \(Hex.encode(head))")
                case .broken(let seq, let reason):
                    print("audit log BROKEN at event \(seq): \(reason)")
                    throw ExitCode(1)
                }
            }
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the newest events (a table, oldest first; --json for scripts).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "How many events (1–1000).") var limit: Int = 20
        @Flag(name: .long, help: "JSON, one object per event, with its hash and the previous one's.") var json = false
        func run() async throws {
            try await reportingErrors {
                guard (1...1000).contains(limit) else { throw ZeroTripError(.invalidInput, "limit must be 1–1000") }
                let events = try await AuditLog.events(in: location.services().database, limit: limit)
                if json {
                    struct Row: Encodable { var seq: Int64; var occurredAt, actor, action, target, outcome, details, hash, previousHash: String }
                    return try printJSON(
                        events.map {
                            Row(
                                seq: $0.seq, occurredAt: $0.occurredAt, actor: $0.actor, action: $0.action, target: $0.target, outcome: $0.outcome,
                                details: $0.details, hash: Hex.encode($0.hash), previousHash: Hex.encode($0.prevHash))
                        })
                }
                print(
                    formatTable(
                        ["SEQ", "AT (UTC)", "ACTOR", "ACTION", "TARGET", "OUTCOME", "DETAILS"],
                        events.map { ["\($0.seq)", $0.occurredAt, $0.actor, $0.action, $0.target, $0.outcome, $0.details] }))
            }
        }
    }
}
