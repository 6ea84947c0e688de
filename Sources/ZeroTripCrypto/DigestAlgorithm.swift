internal import COpenSSL

/// A message digest supported by ZeroTrip.
public enum DigestAlgorithm: String, Sendable, CaseIterable, Codable {
    /// SHA-256 (FIPS 180-4).
    case sha256
    /// SM3 (GB/T 32905-2016).
    case sm3

    /// Output length in bytes (32 for both).
    public var outputByteCount: Int { 32 }

    /// The algorithm implementation, fetched once per process from the default provider.
    var evpMD: OpaquePointer {
        switch self {
        case .sha256: FetchedDigests.sha256
        case .sm3: FetchedDigests.sm3
        }
    }

    /// OpenSSL's name for the digest.
    var openSSLName: String {
        switch self {
        case .sha256: "SHA256"
        case .sm3: "SM3"
        }
    }
}

/// Explicitly fetched digest implementations. Fetching once avoids a method-store lookup
/// on every hash; the objects live for the whole process.
enum FetchedDigests {
    nonisolated(unsafe) static let sha256: OpaquePointer = EVP_MD_fetch(nil, "SHA256", nil)!
    nonisolated(unsafe) static let sm3: OpaquePointer = EVP_MD_fetch(nil, "SM3", nil)!
}
