import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

/// `zerotrip log`: the transparency log.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "The transparency log (RFC 9162): sign a tree head, audit the log locally or over HTTP.",
        subcommands: [TreeHead.self, Audit.self])

    struct TreeHead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sth", abstract: "Sign a tree head over the current log now and print it (the daemon does this on a timer).")
        @OptionGroup var location: LocationOptions
        func run() async throws {
            try await reportingErrors {
                let services = try location.services()
                try printJSON(try await services.administration.signTreeHead(services.log))
            }
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Audit the log. Locally: recompute every leaf and every signed tree head from the database. With --url: check the server's signed tree head, its consistency with an earlier one, and the inclusion of documents.",
            discussion: "Exit 0 when everything checks, 1 on any problem. --save FILE keeps the fetched tree head for the next --since.")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Base URL of a ZeroTrip daemon, e.g. http://127.0.0.1:8080.") var url: String?
        @Option(name: .long, help: "Pinned root certificate (default Certificates/root.pem).") var root: String?
        @Option(name: .long, help: "A tree head saved earlier (JSON): the current one must be consistent with it.") var since: String?
        @Option(name: .long, help: "Save the current tree head (JSON) to this file.") var save: String?
        @Option(name: .long, help: "Document ids whose issuance must be in the log.") var document: [String] = []

        func run() async throws {
            try await reportingErrors {
                let rootURL = try root.map { URL(fileURLWithPath: $0) } ?? location.configuration().home.rootCertificateURL
                guard let pem = try? String(contentsOf: rootURL, encoding: .utf8) else {
                    throw ZeroTripError(.notInitialized, "cannot read \(rootURL.path)")
                }
                let rootCertificate = try Certificate(pemRepresentation: pem)
                guard let url else {
                    // After a root renewal, older tree heads are signed by previous roots: trust those the pinned root links to.
                    let services = try location.services()
                    let roots = RootSet(
                        pinned: [rootCertificate], candidates: try await services.administration.rootCertificates(),
                        links: try await services.administration.rootLinks(), onlineKeys: try await services.administration.onlineKeyCertificates(),
                        maximumOnlineKeys: .max)
                    switch try await services.log.audit(trusting: roots) {
                    case .intact(let leaves, let heads): print("log intact: \(leaves) leaves, \(heads) signed tree heads recomputed")
                    case .broken(let problem): print("log BROKEN: \(problem)"); throw ExitCode(1)
                    }
                    return
                }
                try await remoteAudit(base: url, roots: try await trustedRoots(base: url, pinned: rootCertificate))
            }
        }

        func fetch<T: Decodable>(_ type: T.Type, _ url: String) async throws -> T {
            try JSONDecoder().decode(T.self, from: try await fetchBytes(url))
        }

        func fetchBytes(_ url: String) async throws -> Data {
            guard let address = URL(string: url) else { throw ZeroTripError(.invalidInput, "bad URL \(url.prefix(80))") }
            let (data, response) = try await URLSession.shared.data(from: address)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                throw ZeroTripError(
                    .invalidInput,
                    "\(address.path) answered \((response as? HTTPURLResponse)?.statusCode ?? 0): \(String(decoding: data.prefix(200), as: UTF8.self))"
                )
            }
            guard data.count <= 4 << 20 else { throw ZeroTripError(.payloadTooLarge, "\(address.path) answered more than 4 MiB") }
            return data
        }

        /// The pinned root plus the roots its link certificates reach, from the server's signed trust list.
        func trustedRoots(base: String, pinned: Certificate) async throws -> RootSet {
            let json = try await fetchBytes("\(base)/v1/trust-list"), signature = try await fetchBytes("\(base)/v1/trust-list.sig")
            switch TrustList.open(Array(json), signature: Array(signature), root: pinned, now: Date()) {
            case .usable(let list): return list.trustedRoots(pinned: pinned)
            case .unusable(let reason):
                throw ZeroTripError(.invalidInput, "the server's trust list cannot be used with the pinned root: \(reason.message)")
            }
        }

        func remoteAudit(base: String, roots: RootSet) async throws {
            var problems: [String] = []
            let head = try await fetch(SignedTreeHead.self, "\(base)/v1/log/sth")
            guard head.isValid(trusting: roots), let rootHash = Base64.decodeStandard(head.rootHash) else {
                print("tree head signature INVALID"); throw ExitCode(1)
            }
            print("tree head: \(head.treeSize) leaves at \(AuditEvent.timestamp(head.date)), signature valid")
            if let since {
                let previous = try JSONDecoder().decode(SignedTreeHead.self, from: try Data(contentsOf: URL(fileURLWithPath: since)))
                guard previous.isValid(trusting: roots), let previousRoot = Base64.decodeStandard(previous.rootHash) else {
                    throw ZeroTripError(.invalidInput, "the saved tree head's signature is invalid")
                }
                if previous.treeSize > head.treeSize {
                    problems.append("the log shrank from \(previous.treeSize) to \(head.treeSize) leaves")
                } else if previous.treeSize > 0 {
                    struct Consistency: Decodable { var proof: [String] }
                    let proof = try await fetch(
                        Consistency.self, "\(base)/v1/log/proof/consistency?first=\(previous.treeSize)&second=\(head.treeSize)")
                    let ok = MerkleTree.verifyConsistency(
                        oldSize: previous.treeSize, newSize: head.treeSize, oldRoot: previousRoot, newRoot: rootHash,
                        proof: proof.proof.compactMap(Base64.decodeStandard))
                    if ok {
                        print("consistent with the saved head of \(previous.treeSize) leaves")
                    } else {
                        problems.append("NOT consistent with the saved head of \(previous.treeSize) leaves: history was rewritten")
                    }
                }
            }
            struct Entries: Decodable { var entries: [LogEntry] }
            for id in document {
                struct Located: Decodable { var leafIndex: UInt64 }
                let located = try await fetch(Located.self, "\(base)/v1/log/documents/\(id.lowercased())")
                guard located.leafIndex < head.treeSize else {
                    problems.append("document \(id): issued after the current tree head; audit again later"); continue
                }
                let entry = try await fetch(Entries.self, "\(base)/v1/log/entries?start=\(located.leafIndex)&end=\(located.leafIndex + 1)").entries
                    .first
                guard let entry, let bytes = Base64.decodeStandard(entry.entry),
                    let fields = try? JSONDecoder().decode([String: String].self, from: Data(bytes)), fields["document"] == id.lowercased(),
                    fields["kind"] == LogEntryKind.documentIssued.rawValue
                else { problems.append("document \(id): the log entry does not describe its issuance"); continue }
                let proof = try await fetch(
                    InclusionProof.self, "\(base)/v1/log/proof/inclusion?index=\(located.leafIndex)&treeSize=\(head.treeSize)")
                if MerkleTree.verifyInclusion(
                    leafHash: MerkleTree.leafHash(bytes), index: located.leafIndex, size: head.treeSize,
                    proof: proof.proof.compactMap(Base64.decodeStandard), root: rootHash)
                {
                    print("document \(id): issuance leaf \(located.leafIndex) included (pdf_sha256 \(fields["pdf_sha256"] ?? "?"))")
                } else {
                    problems.append("document \(id): inclusion proof FAILS for leaf \(located.leafIndex): the stored leaf or the tree was altered")
                }
            }
            if let save {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                try encoder.encode(head).write(to: URL(fileURLWithPath: save), options: .atomic)
            }
            for problem in problems { print("PROBLEM: \(problem)") }
            if !problems.isEmpty { throw ExitCode(1) }
            print("audit passed")
        }
    }
}
