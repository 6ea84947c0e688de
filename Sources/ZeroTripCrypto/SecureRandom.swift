internal import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// Returns `count` random bytes.
    public static func bytes(count: Int) throws(CryptoError) -> [UInt8] {
        guard count >= 0, count <= 1 << 20 else {
            throw CryptoError(.invalidArgument, "random byte count must be between 0 and 1 MiB")
        }
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 {
            try check(RAND_bytes(&out, Int32(count)), .randomFailure, "RAND_bytes failed")
        }
        return out
    }
}
