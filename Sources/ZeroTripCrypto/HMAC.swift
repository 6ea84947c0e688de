internal import COpenSSL

/// HMAC-SHA-256 (RFC 2104) with a secret key.
///
/// Used for keyed lookups (a citizen ID number becomes an opaque, keyed index), for hashing
/// short-lived secrets such as SMS codes, and for signing applicant session tokens. Compare
/// results with ``ConstantTime/equals(_:_:)``.
public enum HMAC {
    /// HMAC-SHA-256 of `message` under `key` (32 bytes).
    public static func sha256<Bytes: Collection<UInt8>>(key: [UInt8], _ message: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { keyBuffer in
            let call = { (bytes: UnsafeBufferPointer<UInt8>) -> Bool in
                out.withUnsafeMutableBufferPointer { output in
                    COpenSSL.HMAC(
                        EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count), bytes.baseAddress, bytes.count,
                        output.baseAddress, &length) != nil
                }
            }
            return message.withContiguousStorageIfAvailable(call) ?? Array(message).withUnsafeBufferPointer(call)
        }
        precondition(ok && length == 32, "HMAC-SHA-256 failed")
        return out
    }
}
