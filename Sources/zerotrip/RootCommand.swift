import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripDocuments

/// `zerotrip root`: the district root CA and its renewal.
struct RootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "root",
        abstract: "District root CA: list the roots, renew the root (new key, link certificates both ways).",
        subcommands: [List.self, Renew.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every root (current first) as JSON.")
        @OptionGroup var location: LocationOptions
        func run() async throws {
            try await reportingErrors { try printJSON(try await location.services().administration.roots()) }
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Renew the root: a new root key and certificate (same name), certified by the current root and certifying it back.",
            discussion: """
                The new root signs trust lists, CRLs, tree heads and new seal certificates from now on; the previous root keeps \
                anchoring the seals it issued. Verifiers pinned to the previous root follow through the link certificate in the \
                trust list and Certificates/roots/. With --rotate-departments every department's seal key is rotated at once, so \
                new documents are sealed under the new root; otherwise that happens at each department's next rotation. \
                Tell verifiers the new root's fingerprint through a channel that does not depend on the old key (docs/trust-list.md). \
                With --to pkcs11:…?module-path=… the new root key is made in that PKCS#11 token (PIN from ZEROTRIP_ROOT_TOKEN_PIN): \
                how a district moves its root from a file into a token (docs/keys.md).
                """)
        @OptionGroup var location: LocationOptions
        @Flag(name: .long, help: "Rotate every department's active seal key afterwards (certificates under the new root).") var rotateDepartments =
            false
        @Option(name: .long, help: "With --rotate-departments: seconds between publishing the new seal keys and their first use.") var overlapSeconds:
            Int = 0
        @Option(name: .long, help: "Make the new root key in this PKCS#11 token (pkcs11:token=…?module-path=…; PIN from ZEROTRIP_ROOT_TOKEN_PIN).")
        var to: String?
        func run() async throws {
            try await reportingErrors {
                let services = try location.services()
                let renewal = try await services.administration.renewRoot(actor: cliActor, intoToken: to)
                print(
                    "new root \(renewal.root.kid) (valid until \(AuditEvent.timestamp(renewal.root.notAfter))); previous root \(renewal.previousKid) now anchors its seals only"
                )
                if let warning = renewal.warning { print("warning: \(warning)") }
                if rotateDepartments {
                    for department in try await services.administration.departments() where department.activeKid != nil {
                        let key = try await services.administration.rotate(
                            department: department.code, overlap: TimeInterval(overlapSeconds), actor: cliActor)
                        print("  \(department.code): new seal key \(key.kid) under the new root (\(key.status))")
                    }
                }
                let signed = try await services.trustList.publish(to: services.home.certificatesDirectory)
                print("published Certificates/root.pem, Certificates/roots/ and trust list sequence \(signed.list.sequence)")
            }
        }
    }
}
