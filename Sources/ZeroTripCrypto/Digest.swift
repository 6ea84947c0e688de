internal import COpenSSL

/// One-shot and incremental message digests (SHA-256, SM3) over OpenSSL.
public struct Digest {
    /// The algorithm of this digest.
    public let algorithm: DigestAlgorithm
    private let context: EVPDigestContextBox

    /// Starts an incremental digest.
    public init(_ algorithm: DigestAlgorithm) throws(CryptoError) {
        self.algorithm = algorithm
        context = try EVPDigestContextBox()
        try check(EVP_DigestInit_ex2(context.pointer, algorithm.evpMD, nil), .backendFailure, "digest init failed")
    }

    /// Feeds more bytes into the digest.
    public mutating func update<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(CryptoError) {
        let ctx = context.pointer
        let result: Int32? = bytes.withContiguousStorageIfAvailable { EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
        if let result {
            try check(result, .backendFailure, "digest update failed")
        } else {
            let copy = Array(bytes)
            try check(copy.withUnsafeBytes { EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }, .backendFailure, "digest update failed")
        }
    }

    /// Completes the digest and returns its bytes. The digest must not be used afterwards.
    public consuming func finalize() throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        try check(EVP_DigestFinal_ex(context.pointer, &out, &length), .backendFailure, "digest final failed")
        return Array(out.prefix(Int(length)))
    }

    /// Hashes `bytes` in one call.
    public static func hash<Bytes: Collection<UInt8>>(_ bytes: Bytes, using algorithm: DigestAlgorithm) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let md = algorithm.evpMD
        let ok: Int32 =
            bytes.withContiguousStorageIfAvailable { EVP_Digest($0.baseAddress, $0.count, &out, &length, md, nil) }
            ?? Array(bytes).withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &out, &length, md, nil) }
        // A one-shot digest of in-memory bytes with a fetched algorithm fails only on allocation failure.
        precondition(ok == 1 && length == 32, "EVP_Digest failed: \(OpenSSLErrorQueue.drain())")
        return out
    }

    /// SHA-256 of `bytes`.
    public static func sha256<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] { hash(bytes, using: .sha256) }

    /// SM3 of `bytes`.
    public static func sm3<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] { hash(bytes, using: .sm3) }
}
