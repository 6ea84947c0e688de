import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

/// `zerotrip keys`: seal key lifecycle.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Seal key lifecycle: list, rotate with overlap, revoke \"not after\" a time, limits.",
        subcommands: [List.self, Rotate.self, Create.self, Revoke.self, Limits.self, Migrate.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List keys: status, uses against their limit, validity and warnings (a table; --json for scripts, with the certificates).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Only this department.") var department: String?
        @Flag(name: .long, help: "JSON, one object per key, certificates included.") var json = false
        func run() async throws {
            try await reportingErrors {
                let administration = try location.services().administration
                let keys: [SigningKeyInfo]
                if let department { keys = try await administration.keys(department: department) } else { keys = try await administration.allKeys() }
                if json { try printJSON(keys) } else { print(Self.table(keys)) }
            }
        }

        /// One line per key, aligned; what an operator on call reads (the PEM stays in --json).
        static func table(_ keys: [SigningKeyInfo]) -> String {
            let rows = keys.map { key -> [String] in
                let uses = key.maxUses.map { "\(key.usageCount)/\($0)" } ?? "\(key.usageCount)"
                var note = key.warning ?? ""
                if let notAfter = key.revokedNotAfter {
                    note = "revoked (\(key.revocationReason ?? "unspecified")) for documents after \(AuditEvent.timestamp(notAfter))"
                } else if key.status == .pending, let at = key.activateAt {
                    note = "takes over \(AuditEvent.timestamp(at))"
                }
                return [
                    key.kid, key.departmentCode ?? "-", key.role.rawValue, key.algorithm, key.status.rawValue, uses,
                    String(AuditEvent.timestamp(key.notAfter).prefix(10)), note,
                ]
            }
            return formatTable(["KID", "DEPT", "ROLE", "ALG", "STATUS", "USES", "NOT AFTER", "NOTE"], rows)
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the next seal key and certificate, publish it, and switch signing to it after the overlap.",
            discussion:
                "The new key is in the trust list (status pending) at once; after --overlap-seconds it becomes active and the old key retired (verify only). The daemon promotes it on time; so does any issuance."
        )
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Department code.") var department: String
        @Option(name: .long, help: "Seconds between publication and first use (0: switch now).") var overlapSeconds: Int = 0
        func run() async throws {
            try await reportingErrors {
                let key = try await location.services().administration.rotate(
                    department: department, overlap: TimeInterval(overlapSeconds), actor: cliActor)
                print(
                    "new key \(key.kid) for \(department.uppercased()): \(key.status)\(key.status == .pending ? " until \(AuditEvent.timestamp(key.activateAt!))" : "")"
                )
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an active key for a department that has none (after its key was revoked).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Department code.") var department: String
        func run() async throws {
            try await reportingErrors {
                let key = try await location.services().administration.createKey(department: department, actor: cliActor)
                print("new active key \(key.kid) for \(department.uppercased())")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a seal key from a time on: documents logged before --not-after stay valid, later ones verify as revoked.",
            discussion:
                "Example: zerotrip keys revoke --kid 0123456789abcdef --not-after 2026-11-20T10:00+08:00 --reason key-compromise. Reasons: key-compromise, superseded, cessation-of-operation, affiliation-changed. Rotate first if the key is still active."
        )
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "The key id (16 hex digits).") var kid: String
        @Option(name: .long, help: "ISO 8601 time with offset, not in the future.") var notAfter: String
        @Option(name: .long, help: "Reason.") var reason: String
        func run() async throws {
            try await reportingErrors {
                guard let time = ISOTime.parse(notAfter) else {
                    throw ZeroTripError(.invalidInput, "--not-after must be an ISO 8601 time with offset, e.g. 2026-11-20T10:00+08:00")
                }
                guard let reason = KeyRevocationReason(parsing: reason) else {
                    throw ZeroTripError(
                        .invalidInput, "--reason must be one of key-compromise, superseded, cessation-of-operation, affiliation-changed")
                }
                let key = try await location.services().administration.revokeKey(kid: kid, notAfter: time, reason: reason, actor: cliActor)
                print("key \(key.kid) revoked (\(reason.rawValue)) for documents after \(AuditEvent.timestamp(time))")
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a seal key from its encrypted file into a PKCS#11 token, for districts that start with files.",
            discussion: """
                The key is imported into the token --to names (a pkcs11: URI with module-path; default: the configured sealToken, \
                ZEROTRIP_SEAL_TOKEN) as a sensitive, non-extractable object, checked against its certificate, recorded (audit \
                event key.migrated) and its file is removed; its kid, certificate and history do not change. The PIN comes from \
                ZEROTRIP_SEAL_TOKEN_PIN or the URI's pin-source file. Restart the daemon afterwards: it keeps signing with the copy \
                it unlocked. Backups of Keys/ still hold the file: destroy them. See docs/keys.md.
                """)
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "The key id (16 hex digits).") var kid: String
        @Option(name: .long, help: "The token: pkcs11:token=…?module-path=… (default: sealToken, ZEROTRIP_SEAL_TOKEN).") var to: String?
        func run() async throws {
            try await reportingErrors {
                let key = try await location.services(sealToken: to).administration.migrateKey(kid: kid, actor: cliActor)
                print("key \(key.kid) of \(key.departmentCode ?? "-") is now held in the token; its file is removed")
            }
        }
    }

    struct Limits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set optional limits on a key: documents signed and age (warning at 90 %, refusal at 100 %).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "The key id.") var kid: String
        @Option(name: .long, help: "Maximum documents signed.") var maxUses: Int?
        @Option(name: .long, help: "Maximum age in days.") var maxAgeDays: Int?
        func run() async throws {
            try await reportingErrors {
                try printJSON(
                    try await location.services().administration.setLimits(kid: kid, maxUses: maxUses, maxAgeDays: maxAgeDays, actor: cliActor))
            }
        }
    }
}

/// `zerotrip trust-list`: publish the signed trust list and CRL as files.
struct TrustListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust-list",
        abstract: "Export the signed trust list (trust-list.json + trust-list.json.sig) and the root CRL (root.crl) for offline verifiers.",
        subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write trust-list.json, trust-list.json.sig and root.crl (plus root-<kid>.crl per previous root) into a directory (default Certificates/).",
            discussion:
                "Check with: openssl x509 -in Certificates/root.pem -pubkey -noout > root.pub && openssl dgst -sha256 -verify root.pub -signature trust-list.json.sig trust-list.json"
        )
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Output directory.") var out: String?
        func run() async throws {
            try await reportingErrors {
                let services = try location.services()
                let directory = out.map { URL(fileURLWithPath: $0) } ?? services.home.certificatesDirectory
                let signed = try await services.trustList.publish(to: directory)
                print(
                    "trust list sequence \(signed.list.sequence), \(signed.list.keys.count) keys, next update \(AuditEvent.timestamp(signed.list.nextUpdate)) → \(directory.path)"
                )
            }
        }
    }
}
