public import Foundation
public import ZeroTripDocuments
public import ZeroTripCrypto

/// Trust material read from a Certificates/ directory: `root.pem` and `departments/*.pem`, for offline verification.
public enum OfflineTrust {
    /// Builds a verifier from the certificate files under `certificatesDirectory`: `root.pem` is pinned; after a
    /// root renewal `roots/root-*.pem` are trusted only as far as `roots/link-*.pem` certificates reach them from it.
    public static func load(certificatesDirectory: URL) throws -> DocumentVerifier {
        let rootURL = certificatesDirectory.appendingPathComponent("root.pem")
        guard let rootPEM = try? String(contentsOf: rootURL, encoding: .utf8) else {
            throw ZeroTripError(.notInitialized, "no \(rootURL.path); offline verification needs the district root certificate")
        }
        let root = try withCrypto("reading root.pem") { () throws(CryptoError) in try Certificate(pemRepresentation: rootPEM) }
        let directory = certificatesDirectory.appendingPathComponent("departments")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var seals: [Certificate] = []
        for file in files.sorted() where file.hasSuffix(".pem") {
            guard let pem = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8), pem.utf8.count <= 64 * 1024 else {
                continue
            }
            if let certificate = try? Certificate(pemRepresentation: pem) { seals.append(certificate) }
        }
        let rootsDirectory = certificatesDirectory.appendingPathComponent("roots")
        var candidates: [Certificate] = [], links: [Certificate] = []
        for file in ((try? FileManager.default.contentsOfDirectory(atPath: rootsDirectory.path)) ?? []).sorted().prefix(4 * RootSet.maximumCandidates)
        where file.hasSuffix(".pem") {
            guard let pem = try? String(contentsOf: rootsDirectory.appendingPathComponent(file), encoding: .utf8), pem.utf8.count <= 64 * 1024,
                let certificate = try? Certificate(pemRepresentation: pem)
            else { continue }
            if file.hasPrefix("link-") { links.append(certificate) } else if file.hasPrefix("root-") { candidates.append(certificate) }
        }
        return DocumentVerifier(roots: RootSet(pinned: [root], candidates: candidates, links: links).roots, sealCertificates: seals)
    }

    /// A trust list usable offline with its pinned root, or why not.
    public enum TrustListOutcome: Sendable {
        /// Signed by the pinned root, well-formed and fresh.
        case usable(TrustList, Certificate)
        /// Verification must answer "unknown".
        case unusable(VerificationReason)
    }

    /// Reads a trust list, its signature file and the pinned root certificate; checks signature and freshness at `now`.
    public static func loadTrustList(_ list: URL, signature: URL, root: URL, now: Date) throws -> TrustListOutcome {
        guard let rootPEM = try? String(contentsOf: root, encoding: .utf8), rootPEM.utf8.count <= 64 * 1024 else {
            throw ZeroTripError(.notInitialized, "cannot read the pinned root certificate \(root.path)")
        }
        let rootCertificate = try withCrypto("reading the root certificate") { () throws(CryptoError) in try Certificate(pemRepresentation: rootPEM) }
        guard let json = FileManager.default.contents(atPath: list.path), json.count <= 4 << 20 else {
            throw ZeroTripError(.invalidInput, "cannot read the trust list \(list.lastPathComponent)")
        }
        guard let der = FileManager.default.contents(atPath: signature.path), der.count <= 1024 else {
            throw ZeroTripError(.invalidInput, "cannot read the trust list signature \(signature.lastPathComponent)")
        }
        switch TrustList.open(Array(json), signature: Array(der), root: rootCertificate, now: now) {
        case .usable(let trustList): return .usable(trustList, rootCertificate)
        case .unusable(let reason): return .unusable(reason)
        }
    }

    /// Reads a document status list and its signature file; checks that the trust list's current root (reached from
    /// the pinned one) signed it, and its freshness at `now`.
    public static func loadStatusList(_ list: URL, signature: URL, trustList: TrustList, root: Certificate, now: Date) throws
        -> DocumentStatusList.Outcome
    {
        guard let json = FileManager.default.contents(atPath: list.path), json.count <= 32 << 20 else {
            throw ZeroTripError(.invalidInput, "cannot read the status list \(list.lastPathComponent)")
        }
        guard let der = FileManager.default.contents(atPath: signature.path), der.count <= 1024 else {
            throw ZeroTripError(.invalidInput, "cannot read the status list signature \(signature.lastPathComponent)")
        }
        // Only the trust list's current root, or an online key it certified that was not replaced, signs status lists:
        // a root that was replaced signs no new ones.
        let trusted = trustList.trustedRoots(pinned: root)
        let current = trusted.signers.filter { $0.kidHex == trustList.rootKid }
        let online = trusted.onlineSigners(certifiedBy: trustList.rootKid).filter { $0.notValidBefore <= now && now <= $0.notValidAfter }
        return DocumentStatusList.open(Array(json), signature: Array(der), signers: current + online, now: now)
    }

    /// Applies the status list to an offline `report` of document `documentID` (hex): a genuine document the list
    /// names becomes `revoked`, with the reason and time of the change; anything else is left as it was.
    public static func apply(_ list: DocumentStatusList, to report: inout VerificationReport, documentID: String) {
        guard report.result == .valid || report.result == .expired, let id = Hex.decode(documentID), let entry = list.entry(documentID: id) else {
            return
        }
        let superseded = entry.status == DocumentStatus.superseded.rawValue
        report.result = .revoked
        report.reasons = [
            VerificationReason(
                superseded ? .superseded : .revoked,
                superseded
                    ? "the document was re-issued (status list of \(AuditEvent.timestamp(list.issuedAt)))"
                    : "the issuing department revoked the document (status list of \(AuditEvent.timestamp(list.issuedAt)))")
        ]
        report.document?.status = superseded ? .superseded : .revoked
        report.document?.statusChangedAt = entry.changedAt
        report.document?.statusReason = entry.reason
    }

    /// The document id of a PDF whose signature verified: our renderer writes it into the XMP metadata
    /// (`<xmpMM:DocumentID>uuid:…</xmpMM:DocumentID>`), which lies inside the signed bytes. 32 hex digits, or nil.
    public static func documentID(inSignedPDF bytes: [UInt8]) -> String? {
        let marker = Array("<xmpMM:DocumentID>uuid:".utf8)
        guard bytes.count >= marker.count + 36,
            let start = (0...(bytes.count - marker.count - 36)).first(where: { bytes[$0..<($0 + marker.count)].elementsEqual(marker) })
        else {
            return nil
        }
        let uuid = bytes[(start + marker.count)..<(start + marker.count + 36)].filter { $0 != UInt8(ascii: "-") }
        let hex = String(decoding: uuid, as: UTF8.self).lowercased()
        return hex.utf8.count == 32 && Hex.decode(hex) != nil ? hex : nil
    }
}
