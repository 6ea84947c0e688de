internal import COpenSSL

/// Comparisons whose running time does not depend on where secret inputs differ.
public enum ConstantTime {
    /// `true` when `a` and `b` hold the same bytes. Time depends only on the lengths,
    /// which are not secret (compare fixed-length hashes of secrets, not the secrets).
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, pa.count) == 0 }
        }
    }
}
