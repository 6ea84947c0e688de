internal import COpenSSL

/// A signature algorithm family supported by ZeroTrip.
public enum KeyAlgorithm: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// ECDSA over NIST P-256 with SHA-256.
    case p256 = "P-256"
    /// SM2 (GB/T 32918) with SM3 and the distinguishing ID `1234567812345678` (GB/T 35276).
    case sm2 = "SM2"

    /// `P-256` or `SM2`.
    public var description: String { rawValue }

    /// The digest this algorithm signs with.
    public var digest: DigestAlgorithm {
        switch self {
        case .p256: .sha256
        case .sm2: .sm3
        }
    }

    /// Byte length of one signature component (r or s) and of a private scalar.
    public var scalarByteCount: Int { 32 }

    /// The SM2 distinguishing ID every ZeroTrip SM2 signature uses, set explicitly because
    /// OpenSSL 3.0 otherwise uses an empty ID that other implementations reject.
    public static let sm2DistinguishingID: [UInt8] = Array("1234567812345678".utf8)

    /// Detects the algorithm of a loaded OpenSSL key.
    static func of(_ pkey: OpaquePointer) throws(CryptoError) -> KeyAlgorithm {
        if EVP_PKEY_is_a(pkey, "SM2") == 1 { return .sm2 }
        guard EVP_PKEY_is_a(pkey, "EC") == 1 else {
            throw CryptoError(.unsupportedAlgorithm, "only EC keys on P-256 or SM2 are supported")
        }
        var name = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_utf8_string_param(pkey, "group", &name, name.count, &length) == 1 else {
            throw .openSSL(.unsupportedAlgorithm, "EC key without a named curve")
        }
        let group = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch group {
        case "prime256v1", "P-256", "secp256r1": return .p256
        case "SM2": return .sm2
        default: throw CryptoError(.unsupportedAlgorithm, "unsupported curve \(group); use P-256 or SM2")
        }
    }
}
