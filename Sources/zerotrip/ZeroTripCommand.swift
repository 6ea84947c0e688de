import ArgumentParser
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// `zerotrip`: the ZeroTrip daemon and its administration commands.
@main
struct ZeroTripCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerotrip",
        abstract: "ZeroTrip: signed electronic results for district zero-errand (零跑腿) government services.",
        discussion: """
            Files live beside each other: Keys/ (private keys, mode 0600, encrypted with a passphrase), \
            Certificates/ (root.pem and department seal certificates) and var/zerotrip.sqlite. \
            The seal keys' passphrase comes from --passphrase, ZEROTRIP_KEY_PASSPHRASE or Keys/passphrase, in that order; \
            the root key's from ZEROTRIP_ROOT_PASSPHRASE or Keys/root-passphrase. A passphrase file beside the keys protects \
            nothing against whoever copies Keys/: in production give the passphrases from a secret store (docs/keys.md).
            """,
        subcommands: [
            InitCommand.self, ServeCommand.self, DistrictCommand.self, DepartmentsCommand.self, CredentialsCommand.self,
            AuditCommand.self, IssueCommand.self, VerifyCommand.self, DocumentsCommand.self, PersonsCommand.self, IdentityCommand.self,
            KeysCommand.self, RootCommand.self, TrustListCommand.self, LogCommand.self, CatalogueCommand.self, CreditCommand.self,
            ApplicationsCommand.self,
            StaffCommand.self, PointsCommand.self, BackupCommand.self, MigrateCommand.self, BenchCommand.self, DemoCommand.self,
        ])

    /// Runs the command as ArgumentParser's own `main` does (the same messages, help and exit codes), then ends the
    /// process at once with `_exit` after flushing standard output and error. `exit` would run the process's
    /// teardown (static destructors, atexit handlers) while the database's queues and the thread pools may still be
    /// finishing on other threads; that teardown crashed a command now and then (a double free, a corrupted heap)
    /// after its work was done and committed.
    static func main() async {
        let status: Int32
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            status = 0
        } catch {
            status = exitCode(for: error).rawValue
            let message = fullMessage(for: error)
            if !message.isEmpty {
                if status == 0 { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            }
        }
        fflush(nil)  // every output stream
        _exit(status)
    }
}
