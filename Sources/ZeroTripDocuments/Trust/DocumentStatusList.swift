public import Foundation
public import ZeroTripCrypto

/// The district's signed document status list (format `zerotrip-status-list-v1`, docs/trust-list.md): every
/// revoked or superseded document, so a verifier without the register still answers "revoked" for a document whose
/// paper and signature are genuine. Published beside the trust list with its own, shorter `nextUpdate`.
///
/// In the spirit of the W3C Bitstring Status List, with one difference: the token carries no list index (the QR
/// code has no room for one), so an entry names a document by a hash of its id instead. As with a bitstring, a
/// verifier downloads the whole list, so fetching it tells the publisher nothing about which document is checked;
/// and because the entries are hashes, the list cannot be used to enumerate revoked documents' numbers.
public struct DocumentStatusList: Sendable, Codable, Hashable {
    /// One revoked or superseded document.
    public struct Entry: Sendable, Codable, Hashable {
        /// ``DocumentStatusList/entryHash(documentID:)`` of the document id, base64url without padding.
        public var hash: String
        /// `revoked` or `superseded`.
        public var status: String
        /// The revocation reason code (`superseded` for a re-issued document).
        public var reason: String?
        /// When the status changed.
        public var changedAt: Date

        /// Creates an entry.
        public init(hash: String, status: String, reason: String?, changedAt: Date) {
            self.hash = hash; self.status = status; self.reason = reason; self.changedAt = changedAt
        }
    }

    /// `zerotrip-status-list-v1`.
    public var format: String
    /// District name.
    public var district: String
    /// The root that signed the list (the current root of the trust list).
    public var rootKid: String
    /// When this list was made: the status it gives is as of this time.
    public var issuedAt: Date
    /// Fetch a new list before this time.
    public var nextUpdate: Date
    /// After `nextUpdate`, the list may still be used this long; then verification answers "unknown".
    public var graceSeconds: Int
    /// The entries, sorted by hash.
    public var entries: [Entry]
    /// The online signing key that signed the list, certified by root `rootKid` (the trust list's `onlineKeys`);
    /// absent when the root signed it itself.
    public var signerKid: String?

    /// Creates a list.
    public init(
        district: String, rootKid: String, issuedAt: Date, nextUpdate: Date, graceSeconds: Int, entries: [Entry], signerKid: String? = nil
    ) {
        format = "zerotrip-status-list-v1"
        self.district = district; self.rootKid = rootKid; self.issuedAt = issuedAt; self.nextUpdate = nextUpdate
        self.graceSeconds = graceSeconds; self.entries = entries.sorted { $0.hash < $1.hash }
        self.signerKid = signerKid
    }

    /// The first 16 bytes of SHA-256(`"zerotrip-status-v1"` ‖ the 16 id bytes), base64url: unique in practice and not
    /// reversible to a document number.
    public static func entryHash(documentID: [UInt8]) -> String {
        Base64.encodeURLSafe(Array(Digest.sha256(Array("zerotrip-status-v1".utf8) + documentID).prefix(16)))
    }

    /// The entry of document `documentID` (16 bytes), if it is revoked or superseded.
    public func entry(documentID: [UInt8]) -> Entry? {
        let wanted = Self.entryHash(documentID: documentID)
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].hash < wanted { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && entries[low].hash == wanted ? entries[low] : nil
    }

    /// A list that can be used, or why not.
    public enum Outcome: Sendable {
        /// Signed by a root of the district, well-formed and fresh.
        case usable(DocumentStatusList)
        /// Why verification must answer "unknown".
        case unusable(VerificationReason)
    }

    /// Why a status list cannot be used.
    public enum Problem: String, Sendable, CaseIterable {
        /// Not signed by a root of the trust list, or not a status list.
        case invalid = "status_list_invalid"
        /// Past `nextUpdate + graceSeconds`.
        case stale = "status_list_stale"

        /// The verification reason code a verifier answers with.
        public var code: VerificationReason.Code { VerificationReason.Code(rawValue: rawValue) }
    }

    /// Checks the signature over the exact `bytes` with one of `signers` (the trust list's current root, and its
    /// current online signing keys, as reached from the pinned root), parses, and checks freshness at `now`: the
    /// list, or why verification must answer "unknown". The key named by `signerKid`, else by `rootKid`, must be
    /// among `signers`.
    public static func open(_ bytes: [UInt8], signature: [UInt8], signers: [Certificate], now: Date) -> Outcome {
        let invalid = VerificationReason(
            Problem.invalid.code, "the document status list is not a status list signed by the district root or its current online key")
        guard bytes.count <= 32 << 20, signature.count <= 1024 else { return .unusable(invalid) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let list = try? decoder.decode(DocumentStatusList.self, from: Data(bytes)), list.format == "zerotrip-status-list-v1",
            let signer = signers.first(where: { $0.kidHex == (list.signerKid ?? list.rootKid) }),
            let parsed = try? Signature(derRepresentation: signature, algorithm: signer.publicKey.algorithm),
            signer.publicKey.isValidSignature(parsed, for: bytes),
            // Strictly ascending, as specified: the lookup is a binary search, and an unsorted signed list must not
            // hide an entry from it.
            zip(list.entries, list.entries.dropFirst()).allSatisfy({ $0.hash < $1.hash })
        else { return .unusable(invalid) }
        // A list from the future is a clock problem or a forgery, not a status.
        guard list.issuedAt <= now.addingTimeInterval(300) else { return .unusable(invalid) }
        guard now <= list.nextUpdate.addingTimeInterval(TimeInterval(list.graceSeconds)) else {
            return .unusable(
                VerificationReason(
                    Problem.stale.code,
                    "the document status list of \(ChinaTime(list.issuedAt).minuteText) expired; fetch a new one"))
        }
        return .usable(list)
    }

    /// The JSON encoder of the served bytes (sorted keys, ISO 8601 dates).
    public static var encoder: JSONEncoder { TrustList.encoder }
}
