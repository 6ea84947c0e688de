import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripCrypto

/// `zerotrip migrate-to`: moves a district from SQLite to PostgreSQL.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-to",
        abstract: "Copy the district's SQLite database into an empty PostgreSQL database and compare them.",
        discussion: """
            Stop the daemon first. Every row is copied as it is (hashes, audit chain, transparency-log nodes, PDFs) in \
            one PostgreSQL transaction from one snapshot of the SQLite file: the target gets all of it or nothing, and \
            a target that already holds a district is refused (already_initialized). Afterwards both sides are \
            compared: rows per table, the audit chain and its head, the log's size and root; the command exits 1 if \
            anything differs. Keys/ and Certificates/ stay where they are. Then start the daemon with \
            --database (or ZEROTRIP_DATABASE_URL) set to the URL.

            Example: zerotrip migrate-to postgres://zerotrip@db.example:5432/district?sslmode=require
            """)

    @OptionGroup var location: LocationOptions
    @Argument(
        help: "The PostgreSQL database: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&schema=…] (the password may come from PGPASSWORD)."
    )
    var target: String

    func run() async throws {
        try await reportingErrors {
            let configuration = try location.configuration()
            guard !PostgresLocation.isPostgresURL(configuration.databasePath) else {
                throw ZeroTripError(
                    .invalidInput, "the district is already on PostgreSQL (\(configuration.databaseForDisplay)); migrate-to copies an SQLite file")
            }
            let progress = ProgressLine()
            let summary = try await DatabaseMigration.migrate(sqlitePath: configuration.databasePath, to: target) { step, rows in
                progress.report(rows > 0 ? "\(step): \(rows) rows…" : "\(step)…")
            }
            print("copied \(configuration.databasePath) → \(PostgresLocation.redacted(target))")
            for row in summary.rows where row.source > 0 || row.target > 0 {
                print(
                    "  \(row.table.padding(toLength: 24, withPad: " ", startingAt: 0)) \(row.source) → \(row.target)\(row.source == row.target && row.sameContent ? "" : "  DIFFERENT")"
                )
            }
            print("  audit chain: \(describe(summary.sourceAudit)) → \(describe(summary.targetAudit))")
            print(
                "  log: \(summary.sourceLog.size) leaves, root \(Hex.encode(summary.sourceLog.root)) → \(summary.targetLog.size) leaves, root \(Hex.encode(summary.targetLog.root))"
            )
            guard summary.identical else {
                print("the copy differs from the source: do not switch the daemon to it")
                throw ExitCode(1)
            }
            print("identical: start the daemon with --database (or ZEROTRIP_DATABASE_URL) set to the PostgreSQL URL")
        }
    }

    private func describe(_ verification: AuditVerification) -> String {
        switch verification {
        case .intact(let count, let head): "intact, \(count) events, head \(Hex.encode(head).prefix(16))…"
        case .broken(let seq, let reason): "BROKEN at \(seq): \(reason)"
        }
    }
}
