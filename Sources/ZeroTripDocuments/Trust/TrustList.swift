public import Foundation
public import ZeroTripCrypto

/// The district's signed trust list (format `zerotrip-trust-list-v1`, docs/trust-list.md): every department
/// key with its certificate and status, signed by the root key (or by an online signing key the root certified). A verifier pins the root certificate, never
/// department keys; it refreshes the list before `nextUpdate` and stops trusting it after `nextUpdate + graceSeconds`.
public struct TrustList: Sendable, Codable, Hashable {
    /// One department key.
    public struct Key: Sendable, Codable, Hashable {
        /// First 8 bytes of SHA-256 of the certificate, hex.
        public var kid: String
        /// Department code.
        public var department: String
        /// `P-256` or `SM2`.
        public var algorithm: String
        /// `pending` (published, not yet signing), `active`, `retired` (verify only) or `revoked`.
        public var status: String
        /// The seal certificate, base64 DER.
        public var certificate: String
        /// Certificate validity.
        public var notBefore: Date
        /// Certificate validity.
        public var notAfter: Date
        /// When it signs from (pending and active keys).
        public var activateAt: Date?
        /// When it stopped signing.
        public var retiredAt: Date?
        /// When it was revoked.
        public var revokedAt: Date?
        /// Documents issued after this time verify as revoked.
        public var revokedNotAfter: Date?
        /// Why.
        public var revocationReason: String?

        /// Creates a key entry.
        public init(
            kid: String, department: String, algorithm: String, status: String, certificate: String, notBefore: Date, notAfter: Date,
            activateAt: Date?, retiredAt: Date?, revokedAt: Date?, revokedNotAfter: Date?, revocationReason: String?
        ) {
            self.kid = kid; self.department = department; self.algorithm = algorithm; self.status = status; self.certificate = certificate
            self.notBefore = notBefore; self.notAfter = notAfter; self.activateAt = activateAt; self.retiredAt = retiredAt
            self.revokedAt = revokedAt; self.revokedNotAfter = revokedNotAfter; self.revocationReason = revocationReason
        }
    }

    /// One root of the district: the current one signs the list; previous ones still anchor the seals they issued.
    public struct Root: Sendable, Codable, Hashable {
        /// First 8 bytes of SHA-256 of the certificate, hex.
        public var kid: String
        /// `current` (signs lists, CRLs, tree heads and new seal certificates) or `previous`.
        public var status: String
        /// The self-signed root certificate, base64 DER.
        public var certificate: String
        /// Certificate validity.
        public var notBefore: Date
        /// Certificate validity.
        public var notAfter: Date

        /// Creates a root entry.
        public init(kid: String, status: String, certificate: String, notBefore: Date, notAfter: Date) {
            self.kid = kid; self.status = status; self.certificate = certificate; self.notBefore = notBefore; self.notAfter = notAfter
        }
    }

    /// One online signing key of the district (docs/keys.md, "The root offline"): certified by a root, it signs
    /// lists and tree heads so that the root key can stay offline between ceremonies.
    public struct OnlineKey: Sendable, Codable, Hashable {
        /// First 8 bytes of SHA-256 of the certificate, hex.
        public var kid: String
        /// The root that certified it.
        public var rootKid: String
        /// `current` (signs now) or `previous` (replaced; its earlier tree heads still verify).
        public var status: String
        /// Its certificate, base64 DER (extended key usage ``CertificateAuthority/onlineSigningPurpose``).
        public var certificate: String

        /// Creates an entry.
        public init(kid: String, rootKid: String, status: String, certificate: String) {
            self.kid = kid; self.rootKid = rootKid; self.status = status; self.certificate = certificate
        }
    }

    /// `zerotrip-trust-list-v1`.
    public var format: String
    /// District name.
    public var district: String
    /// Increases with every change of the key set.
    public var sequence: Int64
    /// When this list was made.
    public var issuedAt: Date
    /// Fetch a new list before this time.
    public var nextUpdate: Date
    /// After `nextUpdate`, the list may still be used this long; then verification answers "unknown".
    public var graceSeconds: Int
    /// The root certificate's kid (the list is signed by it).
    public var rootKid: String
    /// The keys.
    public var keys: [Key]
    /// The newest signed tree head of the transparency log, if any.
    public var treeHead: SignedTreeHeadView?
    /// Every root of the district (absent in lists from before the first renewal: then `rootKid` is the only one).
    public var roots: [Root]?
    /// Link certificates between the roots, base64 DER: each root's key certified by the other (docs/trust-list.md).
    public var links: [String]?
    /// The district's online signing keys (absent in lists of a district whose root signs everything itself).
    public var onlineKeys: [OnlineKey]?
    /// The online key that signed this list, certified by root `rootKid`; absent when that root signed it.
    public var signerKid: String?

    /// A signed tree head inside the trust list.
    public struct SignedTreeHeadView: Sendable, Codable, Hashable {
        /// Leaves.
        public var treeSize: UInt64
        /// Milliseconds since 1970.
        public var timestamp: UInt64
        /// Base64 root hash.
        public var rootHash: String
        /// Base64 DER signature.
        public var signature: String
        /// The kid of the root that signed it (absent in lists from before root renewal existed).
        public var kid: String?

        /// Creates the view.
        public init(treeSize: UInt64, timestamp: UInt64, rootHash: String, signature: String, kid: String? = nil) {
            self.treeSize = treeSize; self.timestamp = timestamp; self.rootHash = rootHash; self.signature = signature; self.kid = kid
        }
    }

    /// Creates a list.
    public init(
        district: String, sequence: Int64, issuedAt: Date, nextUpdate: Date, graceSeconds: Int, rootKid: String, keys: [Key],
        treeHead: SignedTreeHeadView?,
        roots: [Root]? = nil, links: [String]? = nil, onlineKeys: [OnlineKey]? = nil, signerKid: String? = nil
    ) {
        format = "zerotrip-trust-list-v1"
        self.district = district; self.sequence = sequence; self.issuedAt = issuedAt; self.nextUpdate = nextUpdate
        self.graceSeconds = graceSeconds; self.rootKid = rootKid; self.keys = keys; self.treeHead = treeHead
        self.roots = roots; self.links = links; self.onlineKeys = onlineKeys; self.signerKid = signerKid
    }

    /// The JSON encoder of the served bytes (sorted keys, ISO 8601 dates).
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Why a trust list cannot be used.
    public enum Problem: String, Sendable, CaseIterable, Hashable {
        /// The signature does not verify under the pinned root.
        case signatureInvalid = "trust_list_signature_invalid"
        /// The bytes are not a trust list.
        case malformed = "trust_list_malformed"
        /// Signed by another root.
        case wrongRoot = "trust_list_wrong_root"
        /// Past `nextUpdate + graceSeconds`.
        case stale = "trust_list_stale"

        /// The verification reason code a verifier answers with.
        public var code: VerificationReason.Code { VerificationReason.Code(rawValue: rawValue) }
    }

    /// A list that can be used, or why not.
    public enum Outcome: Sendable {
        /// Signed by the pinned root, well-formed and fresh.
        case usable(TrustList)
        /// Why verification must answer "unknown".
        case unusable(VerificationReason)
    }

    /// Checks the signature over the exact `bytes` with the pinned `root`, parses, and checks freshness at `now`.
    ///
    /// A list signed by a renewed root is accepted when its `links` carry a certificate for that root issued by
    /// the pinned one (so a verifier pinned to the first root follows a renewal without being reconfigured).
    public static func open(_ bytes: [UInt8], signature: [UInt8], root: Certificate, now: Date) -> Outcome {
        let badSignature = Outcome.unusable(
            VerificationReason(Problem.signatureInvalid.code, "the trust list's signature does not verify under the district root"))
        guard bytes.count <= 4 << 20, signature.count <= 1024 else { return badSignature }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let signedByPinned = Self.verifies(bytes, signature: signature, under: root)
        guard let list = try? decoder.decode(TrustList.self, from: Data(bytes)), list.format == "zerotrip-trust-list-v1" else {
            return signedByPinned ? .unusable(VerificationReason(Problem.malformed.code, "not a zerotrip-trust-list-v1 document")) : badSignature
        }
        if let signerKid = list.signerKid, !signedByPinned {
            // Signed by an online key: one that the list's current root (reached forward from the pinned one)
            // certified, and that no newer online key replaced.
            let trusted = list.trustedRoots(pinned: root)
            guard let current = trusted.signers.first(where: { $0.kidHex == list.rootKid }) else {
                return .unusable(
                    VerificationReason(
                        Problem.wrongRoot.code, "the trust list names root \(list.rootKid), which no link certificate from the pinned root leads to"))
            }
            guard let signer = trusted.onlineSigners(certifiedBy: current.kidHex).first(where: { $0.kidHex == signerKid }) else {
                return .unusable(
                    VerificationReason(
                        Problem.wrongRoot.code,
                        "the trust list is signed by online key \(signerKid), which its current root did not certify or which was replaced"))
            }
            guard Self.verifies(bytes, signature: signature, under: signer) else { return badSignature }
            // Online keys are short-lived: an expired one (perhaps replaced, its key copied before it was destroyed) no
            // longer speaks for the district, whatever list it signs.
            guard signer.notValidBefore <= now, now <= signer.notValidAfter, signer.notValidBefore <= list.issuedAt.addingTimeInterval(300) else {
                return .unusable(
                    VerificationReason(
                        Problem.wrongRoot.code,
                        "the trust list is signed by online key \(signerKid), whose certificate is not valid now (until \(ChinaTime(signer.notValidAfter).minuteText)); fetch a new list"
                    ))
            }
        } else if !signedByPinned {
            guard list.rootKid != root.kidHex else { return badSignature }
            // Signed by another root: usable only if link certificates lead from the pinned root forward to it
            // (a previous root, reached backwards, anchors old seals but no longer signs lists).
            guard let signer = list.trustedRoots(pinned: root).signers.first(where: { $0.kidHex == list.rootKid }) else {
                return .unusable(
                    VerificationReason(
                        Problem.wrongRoot.code,
                        "the trust list is signed by root \(list.rootKid), which no link certificate from the pinned root leads to"))
            }
            guard Self.verifies(bytes, signature: signature, under: signer) else { return badSignature }
        } else if list.rootKid != root.kidHex || list.signerKid != nil {
            return .unusable(VerificationReason(Problem.wrongRoot.code, "the trust list names another signer"))
        }
        guard now <= list.nextUpdate.addingTimeInterval(TimeInterval(list.graceSeconds)) else {
            return .unusable(
                VerificationReason(
                    Problem.stale.code, "the trust list expired (nextUpdate \(ChinaTime(list.nextUpdate).minuteText) plus grace); fetch a new one"
                ))
        }
        return .usable(list)
    }

    private static func verifies(_ bytes: [UInt8], signature: [UInt8], under root: Certificate) -> Bool {
        guard let parsed = try? Signature(derRepresentation: signature, algorithm: root.publicKey.algorithm) else { return false }
        return root.publicKey.isValidSignature(parsed, for: bytes)
    }

    /// The roots a verifier that pinned `pinned` trusts through this list's root entries and link certificates.
    public func trustedRoots(pinned: Certificate) -> RootSet {
        func certificates(_ encoded: [String]) -> [Certificate] {
            encoded.compactMap { Base64.decodeStandard($0).flatMap { try? Certificate(derRepresentation: $0) } }
        }
        return RootSet(
            pinned: [pinned], candidates: certificates((roots ?? []).prefix(RootSet.maximumCandidates).map(\.certificate)),
            links: certificates(Array((links ?? []).prefix(RootSet.maximumCandidates))),
            onlineKeys: certificates((onlineKeys ?? []).prefix(RootSet.maximumOnlineKeys).map(\.certificate)))
    }

    /// A verifier over the list's keys and revocations, anchored at the pinned `root` and the roots it links to.
    public func verifier(root: Certificate) -> DocumentVerifier {
        var certificates: [Certificate] = []
        var revocations: [[UInt8]: Date] = [:]
        for key in keys {
            guard let der = Base64.decodeStandard(key.certificate), let certificate = try? Certificate(derRepresentation: der),
                certificate.kidHex == key.kid
            else { continue }
            certificates.append(certificate)
            if key.status == "revoked" { revocations[certificate.kid] = key.revokedNotAfter ?? Date(timeIntervalSince1970: 0) }
        }
        return DocumentVerifier(roots: trustedRoots(pinned: root).roots, sealCertificates: certificates, revocations: revocations)
    }
}
