import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripDocuments

/// `zerotrip root`: the district root CA and its renewal.
struct RootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "root",
        abstract:
            "District root CA: list the roots, renew the root (new key, link certificates both ways), give it its own passphrase, certify an online signing key.",
        subcommands: [List.self, Renew.self, SeparatePassphrase.self, CertifyOnlineKey.self, OnlineKeys.self])

    struct CertifyOnlineKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "certify-online-key",
            abstract: "Certify a new online signing key with the root, so the root key can stay offline between ceremonies.",
            discussion: """
                The online key signs trust lists, document status lists and tree heads from now on; the daemon then needs the \
                root key only for new seal certificates (a new department, a rotation), a root renewal and the root's CRL, and \
                runs with the root disconnected otherwise (/readyz says "root": "offline"). The root's CRL signed here lasts 90 \
                days and is served while the root is away: hold a ceremony before then, and after revoking a seal key. A renewal \
                certifies the current online key again under the new root. The key is made in the token --token names (PIN \
                from ZEROTRIP_SEAL_TOKEN_PIN), else in the seal token, else in Keys/online-<kid>.key.pem under the seals' \
                passphrase (docs/keys.md, "The root offline").
                Example: zerotrip root certify-online-key
                """)
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Make the key in this PKCS#11 token (pkcs11:token=…?module-path=…; PIN from ZEROTRIP_SEAL_TOKEN_PIN).")
        var token: String?
        func run() async throws {
            try await reportingErrors {
                let services = try location.services()
                let key = try await services.administration.certifyOnlineKey(inToken: token, actor: cliActor)
                print(
                    "online signing key \(key.kid) certified by root \(key.rootKid) (valid until \(AuditEvent.timestamp(key.notAfter)); \(key.inToken ? "in its token" : "key file in Keys/"))"
                )
                let signed = try await services.trustList.publish(to: services.home.certificatesDirectory)
                print("published trust list sequence \(signed.list.sequence), signed by the online key, and the root's CRL for the coming 90 days")
            }
        }
    }

    struct OnlineKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "online-keys",
            abstract: "List the online signing keys, newest first (a table; --json for scripts, with the certificates).")
        @OptionGroup var location: LocationOptions
        @Flag(name: .long, help: "JSON, one object per key, certificate PEM included.") var json = false
        func run() async throws {
            try await reportingErrors {
                let keys = try await location.services().administration.onlineKeys()
                if json { return try printJSON(keys) }
                print(
                    formatTable(
                        ["KID", "STATUS", "ROOT", "HELD IN", "VALID FROM (UTC)", "VALID UNTIL (UTC)"],
                        keys.map {
                            [
                                $0.kid, $0.status.rawValue, $0.rootKid, $0.inToken ? "token" : "file", AuditEvent.timestamp($0.notBefore),
                                AuditEvent.timestamp($0.notAfter),
                            ]
                        }))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every root, current first (a table; --json for scripts, with the certificates).")
        @OptionGroup var location: LocationOptions
        @Flag(name: .long, help: "JSON, one object per root, certificate PEM included.") var json = false
        func run() async throws {
            try await reportingErrors {
                let roots = try await location.services().administration.roots()
                if json { return try printJSON(roots) }
                print(
                    formatTable(
                        ["KID", "STATUS", "ALGORITHM", "VALID FROM (UTC)", "VALID UNTIL (UTC)"],
                        roots.map {
                            [$0.kid, $0.status.rawValue, $0.algorithm, AuditEvent.timestamp($0.notBefore), AuditEvent.timestamp($0.notAfter)]
                        }))
            }
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Renew the root: a new root key and certificate (same name), certified by the current root and certifying it back.",
            discussion: """
                The new root signs trust lists, CRLs, tree heads and new seal certificates from now on (with an online key, it \
                certifies that key again, which goes on signing lists and tree heads); the previous root keeps \
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

    struct SeparatePassphrase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "separate-passphrase",
            abstract: "Encrypt root key files that still use the seals' passphrase under the root's own passphrase.",
            discussion: """
                Districts initialised before the root had a passphrase of its own encrypted the root key with the seals' \
                passphrase (ZEROTRIP_KEY_PASSPHRASE or Keys/passphrase), which every daemon holds. This writes each such root \
                key file again under the root's passphrase: ZEROTRIP_ROOT_PASSPHRASE, or else a random one generated into \
                Keys/root-passphrase (mode 0600). The two passphrases must differ. The key, its certificate and kid stay the \
                same; the register names the new file (audit event root.passphrase_separated) and the old file is removed. \
                Root keys in a token and root files that already have their own passphrase are left alone. Restart running \
                daemons with the root's passphrase in their environment (or Keys/root-passphrase beside them).
                Example: zerotrip root separate-passphrase
                """)
        @OptionGroup var location: LocationOptions
        func run() async throws {
            try await reportingErrors {
                let result = try await location.services().administration.separateRootPassphrase(actor: cliActor)
                if result.kids.isEmpty {
                    print("every root key file already has the root's own passphrase (or the root is in a token); nothing changed")
                    return
                }
                for kid in result.kids { print("root key \(kid): encrypted again under the root's own passphrase") }
                if result.generated {
                    print(
                        "Generated a random root key passphrase in Keys/\(PassphraseSource.Purpose.root.fileName) (mode 0600); keep a copy offline.")
                }
            }
        }
    }
}
