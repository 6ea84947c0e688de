internal import COpenSSL

/// AES-256-GCM authenticated encryption (NIST SP 800-38D) with a random 96-bit nonce.
///
/// A sealed box is `nonce (12) ‖ ciphertext ‖ tag (16)`. The associated data binds a box to its
/// context (for example the row it belongs to), so a box copied elsewhere does not open.
public enum AESGCM {
    /// Bytes added to the plaintext by ``seal(_:key:associatedData:)``.
    public static let overhead = 12 + 16

    /// Encrypts `plaintext` under the 32-byte `key`.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        guard key.count == 32 else { throw CryptoError(.invalidArgument, "AES-256-GCM needs a 32-byte key") }
        guard plaintext.count <= 1 << 20 else { throw CryptoError(.invalidArgument, "plaintext too large") }
        let nonce = try SecureRandom.bytes(count: 12)
        let context = try CipherContextBox()
        try check(EVP_EncryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil), .backendFailure, "cipher init failed")
        try check(EVP_EncryptInit_ex(context.pointer, nil, nil, key, nonce), .backendFailure, "cipher key setup failed")
        var length: Int32 = 0
        if !associatedData.isEmpty {
            try check(EVP_EncryptUpdate(context.pointer, nil, &length, associatedData, Int32(associatedData.count)), .backendFailure, "AAD failed")
        }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var total: Int32 = 0
        if !plaintext.isEmpty {
            try check(
                EVP_EncryptUpdate(context.pointer, &ciphertext, &length, plaintext, Int32(plaintext.count)), .backendFailure, "encryption failed")
            total = length
        }
        try ciphertext.withUnsafeMutableBufferPointer { (buffer) throws(CryptoError) in
            try check(EVP_EncryptFinal_ex(context.pointer, buffer.baseAddress! + Int(total), &length), .backendFailure, "encryption failed")
        }
        total += length
        var tag = [UInt8](repeating: 0, count: 16)
        try check(EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, 16, &tag), .backendFailure, "tag unavailable")
        return nonce + ciphertext.prefix(Int(total)) + tag
    }

    /// Decrypts a box made by ``seal(_:key:associatedData:)``; `nil` when it was altered, was sealed
    /// under another key, or belongs to other associated data.
    public static func open(_ box: [UInt8], key: [UInt8], associatedData: [UInt8] = []) -> [UInt8]? {
        guard key.count == 32, box.count >= overhead, box.count <= (1 << 20) + overhead else { return nil }
        defer { OpenSSLErrorQueue.clear() }
        guard let context = try? CipherContextBox() else { return nil }
        let nonce = Array(box.prefix(12)), tag = Array(box.suffix(16)), ciphertext = Array(box[12..<(box.count - 16)])
        guard EVP_DecryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_DecryptInit_ex(context.pointer, nil, nil, key, nonce) == 1
        else { return nil }
        var length: Int32 = 0
        if !associatedData.isEmpty, EVP_DecryptUpdate(context.pointer, nil, &length, associatedData, Int32(associatedData.count)) != 1 { return nil }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var total: Int32 = 0
        if !ciphertext.isEmpty {
            guard EVP_DecryptUpdate(context.pointer, &plaintext, &length, ciphertext, Int32(ciphertext.count)) == 1 else { return nil }
            total = length
        }
        var expected = tag
        guard EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, 16, &expected) == 1 else { return nil }
        let ok = plaintext.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(context.pointer, $0.baseAddress! + Int(total), &length) }
        guard ok == 1 else { return nil }
        return Array(plaintext.prefix(Int(total + length)))
    }
}
