internal import COpenSSL

/// A public verification key: ECDSA P-256 or SM2.
public struct PublicKey: Sendable {
    /// The key's algorithm.
    public let algorithm: KeyAlgorithm
    /// The DER `SubjectPublicKeyInfo`.
    public let derRepresentation: [UInt8]
    let box: EVPKeyBox
    private let verifiers: KeyContextPool

    init(box: EVPKeyBox) throws(CryptoError) {
        let algorithm = try KeyAlgorithm.of(box.pointer)
        self.algorithm = algorithm
        self.box = box
        self.derRepresentation = try PrivateKey.subjectPublicKeyInfo(of: box.pointer)
        self.verifiers = KeyContextPool(key: box, operation: .verify, digest: algorithm.digest)
    }

    /// Loads a DER `SubjectPublicKeyInfo`.
    public init(derRepresentation der: [UInt8]) throws(CryptoError) {
        OpenSSLErrorQueue.clear()
        guard der.count <= 4096 else { throw CryptoError(.malformedKey, "public key DER too large") }
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let key = d2i_PUBKEY(nil, &cursor, buffer.count)
            if key != nil, cursor != buffer.baseAddress! + buffer.count { EVP_PKEY_free(key); return nil }
            return key
        }
        try self.init(box: EVPKeyBox(taking: try checkNotNil(key, .malformedKey, "DER is not a SubjectPublicKeyInfo")))
    }

    /// Loads a `PUBLIC KEY` PEM block.
    public init(pemRepresentation pem: String) throws(CryptoError) {
        OpenSSLErrorQueue.clear()
        let label = try PEM.firstLabel(in: pem)
        guard label == "PUBLIC KEY" else {
            throw CryptoError(.malformedKey, "expected a PUBLIC KEY PEM block, found \"\(label.prefix(40))\"")
        }
        let bio = try MemoryBIO(copying: Array(pem.utf8))
        let key = PEM_read_bio_PUBKEY(bio.pointer, nil, nil, nil)
        try self.init(box: EVPKeyBox(taking: try checkNotNil(key, .malformedKey, "public key PEM does not parse")))
    }

    /// The `PUBLIC KEY` PEM encoding.
    public var pemRepresentation: String {
        pemEncode(derRepresentation, label: "PUBLIC KEY")
    }

    /// The uncompressed SEC 1 point `04 ‖ x ‖ y` (65 bytes).
    public var x962Representation: [UInt8] {
        var out = [UInt8](repeating: 0, count: 65)
        var length = 0
        let ok = EVP_PKEY_get_octet_string_param(box.pointer, "encoded-pub-key", &out, out.count, &length)
        precondition(ok == 1 && length == 65, "encoded public key unavailable")
        return out
    }

    /// `true` when `signature` is valid for `message` under this key. Never throws for a
    /// wrong signature: an invalid signature is an answer, not an error.
    public func isValidSignature<Bytes: Collection<UInt8>>(_ signature: Signature, for message: Bytes) -> Bool {
        guard signature.algorithm == algorithm else { return false }
        switch algorithm {
        case .p256:
            return isValidSignature(signature, forDigest: Digest.sha256(message))
        case .sm2:
            defer { OpenSSLErrorQueue.clear() }
            guard let context = try? EVPDigestContextBox() else { return false }
            var keyContext: OpaquePointer?
            guard EVP_DigestVerifyInit(context.pointer, &keyContext, DigestAlgorithm.sm3.evpMD, nil, box.pointer) == 1,
                (try? SM2.setDistinguishingID(keyContext)) != nil
            else { return false }
            let der = signature.derRepresentation
            let ok: Int32 =
                message.withContiguousStorageIfAvailable { EVP_DigestVerify(context.pointer, der, der.count, $0.baseAddress, $0.count) }
                ?? Array(message).withUnsafeBufferPointer { EVP_DigestVerify(context.pointer, der, der.count, $0.baseAddress, $0.count) }
            return ok == 1
        }
    }

    /// `true` when `signature` is valid for a precomputed SHA-256 `digest` (P-256 only).
    public func isValidSignature(_ signature: Signature, forDigest digest: [UInt8]) -> Bool {
        guard algorithm == .p256, signature.algorithm == .p256, digest.count == 32 else { return false }
        let der = signature.derRepresentation
        let result = try? verifiers.withContext { context throws(CryptoError) in
            EVP_PKEY_verify(context, der, der.count, digest, digest.count)
        }
        if result != 1 { OpenSSLErrorQueue.clear() }
        return result == 1
    }
}

/// Base64 PEM framing with 64-character lines.
func pemEncode(_ der: [UInt8], label: String) -> String {
    let base64 = Base64.encode(der)
    var lines = ["-----BEGIN \(label)-----"]
    var index = base64.startIndex
    while index < base64.endIndex {
        let next = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
        lines.append(String(base64[index..<next]))
        index = next
    }
    lines.append("-----END \(label)-----")
    return lines.joined(separator: "\n") + "\n"
}
