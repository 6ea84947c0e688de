public import Foundation
public import ZeroTripCrypto

/// The district's signed trust list (format `zerotrip-trust-list-v1`, docs/trust-list.md): every department
/// key with its certificate and status, signed by the root key. A verifier pins the root certificate, never
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
        public init(kid: String, department: String, algorithm: String, status: String, certificate: String, notBefore: Date, notAfter: Date,
                    activateAt: Date?, retiredAt: Date?, revokedAt: Date?, revokedNotAfter: Date?, revocationReason: String?) {
            self.kid = kid; self.department = department; self.algorithm = algorithm; self.status = status; self.certificate = certificate
            self.notBefore = notBefore; self.notAfter = notAfter; self.activateAt = activateAt; self.retiredAt = retiredAt
            self.revokedAt = revokedAt; self.revokedNotAfter = revokedNotAfter; self.revocationReason = revocationReason
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

        /// Creates the view.
        public init(treeSize: UInt64, timestamp: UInt64, rootHash: String, signature: String) {
            self.treeSize = treeSize; self.timestamp = timestamp; self.rootHash = rootHash; self.signature = signature
        }
    }

    /// Creates a list.
    public init(district: String, sequence: Int64, issuedAt: Date, nextUpdate: Date, graceSeconds: Int, rootKid: String, keys: [Key], treeHead: SignedTreeHeadView?) {
        format = "zerotrip-trust-list-v1"
        self.district = district; self.sequence = sequence; self.issuedAt = issuedAt; self.nextUpdate = nextUpdate
        self.graceSeconds = graceSeconds; self.rootKid = rootKid; self.keys = keys; self.treeHead = treeHead
    }

    /// The JSON encoder of the served bytes (sorted keys, ISO 8601 dates).
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Why a trust list cannot be used.
    public enum Problem: String, Sendable, Hashable {
        /// The signature does not verify under the pinned root.
        case signatureInvalid = "trust_list_signature_invalid"
        /// The bytes are not a trust list.
        case malformed = "trust_list_malformed"
        /// Signed by another root.
        case wrongRoot = "trust_list_wrong_root"
        /// Past `nextUpdate + graceSeconds`.
        case stale = "trust_list_stale"
    }

    /// A list that can be used, or why not.
    public enum Outcome: Sendable {
        /// Signed by the pinned root, well-formed and fresh.
        case usable(TrustList)
        /// Why verification must answer "unknown".
        case unusable(VerificationReason)
    }

    /// Checks the signature over the exact `bytes` with the pinned `root`, parses, and checks freshness at `now`.
    public static func open(_ bytes: [UInt8], signature: [UInt8], root: Certificate, now: Date) -> Outcome {
        guard bytes.count <= 4 << 20, let parsedSignature = try? Signature(derRepresentation: signature, algorithm: root.publicKey.algorithm),
              root.publicKey.isValidSignature(parsedSignature, for: bytes) else {
            return .unusable(VerificationReason(Problem.signatureInvalid.rawValue, "the trust list's signature does not verify under the district root"))
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let list = try? decoder.decode(TrustList.self, from: Data(bytes)), list.format == "zerotrip-trust-list-v1" else {
            return .unusable(VerificationReason(Problem.malformed.rawValue, "not a zerotrip-trust-list-v1 document"))
        }
        guard list.rootKid == root.kidHex else { return .unusable(VerificationReason(Problem.wrongRoot.rawValue, "the trust list names another root")) }
        guard now <= list.nextUpdate.addingTimeInterval(TimeInterval(list.graceSeconds)) else {
            return .unusable(VerificationReason(Problem.stale.rawValue, "the trust list expired (nextUpdate \(ChinaTime(list.nextUpdate).minuteText) plus grace); fetch a new one"))
        }
        return .usable(list)
    }

    /// A verifier over the list's keys and revocations.
    public func verifier(root: Certificate) -> DocumentVerifier {
        var certificates: [Certificate] = []
        var revocations: [[UInt8]: Date] = [:]
        for key in keys {
            guard let der = Base64.decodeStandard(key.certificate), let certificate = try? Certificate(derRepresentation: der),
                  certificate.kidHex == key.kid else { continue }
            certificates.append(certificate)
            if key.status == "revoked" { revocations[certificate.kid] = key.revokedNotAfter ?? Date(timeIntervalSince1970: 0) }
        }
        return DocumentVerifier(root: root, sealCertificates: certificates, revocations: revocations)
    }
}
