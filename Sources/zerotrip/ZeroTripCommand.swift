import ArgumentParser

/// `zerotrip`: the ZeroTrip daemon and its administration commands.
@main
struct ZeroTripCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerotrip",
        abstract: "ZeroTrip: signed electronic results for district zero-errand (零跑腿) government services.",
        discussion: """
            Files live beside each other: Keys/ (private keys, mode 0600, encrypted with the key passphrase), \
            Certificates/ (root.pem and department seal certificates) and var/zerotrip.sqlite. \
            The key passphrase comes from --passphrase, ZEROTRIP_KEY_PASSPHRASE or Keys/passphrase, in that order.
            """,
        subcommands: [
            InitCommand.self, ServeCommand.self, DistrictCommand.self, DepartmentsCommand.self, CredentialsCommand.self,
            AuditCommand.self, IssueCommand.self, VerifyCommand.self, DocumentsCommand.self, PersonsCommand.self, IdentityCommand.self,
            KeysCommand.self, RootCommand.self, TrustListCommand.self, LogCommand.self, CatalogueCommand.self, CreditCommand.self, ApplicationsCommand.self,
            StaffCommand.self, BackupCommand.self, MigrateCommand.self, BenchCommand.self, DemoCommand.self,
        ])
}
