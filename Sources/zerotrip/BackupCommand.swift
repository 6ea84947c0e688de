import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripCrypto

/// `zerotrip backup`: an online copy of the SQLite database.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database to a new file while the daemon keeps serving (SQLite online backup).",
        discussion: """
            The copy is one consistent snapshot, checked with SQLite's integrity check, synced to disk, mode 0600, and \
            appears under FILE only when complete; FILE must not exist. The backup is recorded in the audit log. \
            Keys/ and Certificates/ are not in the database: back them up separately (the key files are encrypted; \
            keep the passphrases apart from them).

            To restore, stop the daemon and put the copy in place of the database file (no -wal or -shm file beside \
            it), or point --database at it; then `zerotrip audit verify` and `zerotrip log audit` check it.

            Example: zerotrip backup --to /srv/backup/zerotrip-$(date +%F).sqlite
            """)

    @OptionGroup var location: LocationOptions
    @Option(name: .long, help: "The new file (must not exist).") var to: String

    func run() async throws {
        try await reportingErrors {
            let services = try location.services()
            let summary = try await services.database.backup(to: to, actor: "cli", at: services.clock.now())
            print("backup written: \(summary.path)")
            print("  \(summary.bytes) bytes, sha256 \(Hex.encode(summary.sha256))")
            print("  \(summary.documents) documents, \(summary.auditEvents) audit events, \(summary.logLeaves) transparency-log leaves")
            print("  Keys/ and Certificates/ are not in it: back them up separately.")
        }
    }
}
