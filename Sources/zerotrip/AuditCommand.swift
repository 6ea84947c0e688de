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
        static let configuration = CommandConfiguration(abstract: "Print the newest events.")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "How many events (1–1000).") var limit: Int = 20
        func run() async throws {
            try await reportingErrors {
                guard (1...1000).contains(limit) else { throw ZeroTripError(.invalidInput, "limit must be 1–1000") }
                for event in try await AuditLog.events(in: location.services().database, limit: limit) {
                    print("\(event.seq) \(event.occurredAt) \(event.actor) \(event.action) \(event.target) \(event.outcome) \(event.details)")
                }
            }
        }
    }
}
