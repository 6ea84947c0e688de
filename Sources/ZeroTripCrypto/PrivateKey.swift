internal import COpenSSL

/// A private signing key: ECDSA P-256 or SM2, in memory (from a key file) or held in a PKCS#11 token.
///
/// Signing is thread-safe. P-256 signatures hash with SHA-256; SM2 signatures hash with SM3
/// over `Z ‖ M` where Z uses the distinguishing ID `1234567812345678`. A token key signs the same way, the digest
/// computed here and signed by the token (`C_Sign`), so every signer (CMS, COSE) works unchanged with either.
public struct PrivateKey: Sendable {
    /// The key's algorithm.
    public let algorithm: KeyAlgorithm
    private let storage: Storage

    private enum Storage: Sendable {
        case memory(EVPKeyBox, KeyContextPool)
        case token(TokenKey)
    }

    init(box: EVPKeyBox) throws(CryptoError) {
        let algorithm = try KeyAlgorithm.of(box.pointer)
        self.algorithm = algorithm
        self.storage = .memory(box, KeyContextPool(key: box, operation: .sign, digest: algorithm.digest))
    }

    /// A P-256 key held in a token: it signs through the token and cannot be exported.
    public init(token key: TokenKey) {
        self.algorithm = .p256
        self.storage = .token(key)
    }

    /// The token key behind this key, or nil for a key in memory.
    public var tokenKey: TokenKey? {
        if case .token(let key) = storage { return key }
        return nil
    }

    /// The in-memory OpenSSL key, for operations that need one (certificate and CRL signing by a root held in a file).
    /// Throws ``CryptoError/Code/keyNotExtractable`` for a token key.
    var box: EVPKeyBox {
        get throws(CryptoError) {
            switch storage {
            case .memory(let box, _): return box
            case .token: throw CryptoError(.keyNotExtractable, "the key is held in a token; this operation needs a key in memory")
            }
        }
    }

    /// Generates a fresh key.
    public init(generating algorithm: KeyAlgorithm) throws(CryptoError) {
        let context = EVPKeyContextBox(
            taking: try checkNotNil(
                EVP_PKEY_CTX_new_from_name(nil, algorithm == .sm2 ? "SM2" : "EC", nil), .backendFailure, "key context creation failed"))
        try check(EVP_PKEY_keygen_init(context.pointer), .backendFailure, "keygen init failed")
        if algorithm == .p256 {
            try check(EVP_PKEY_CTX_set_group_name(context.pointer, "P-256"), .backendFailure, "setting curve failed")
        }
        var key: OpaquePointer?
        try check(EVP_PKEY_generate(context.pointer, &key), .backendFailure, "key generation failed")
        try self.init(box: EVPKeyBox(taking: try checkNotNil(key, .backendFailure, "key generation returned nothing")))
    }

    /// Loads a PEM private key: `ENCRYPTED PRIVATE KEY` (PKCS#8, needs `passphrase`),
    /// `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC 1).
    ///
    /// - Throws: ``CryptoError/Code/malformedKey`` for anything that is not such a key,
    ///   ``CryptoError/Code/wrongPassphrase`` when an encrypted key does not decrypt.
    public init(pemRepresentation pem: String, passphrase: String? = nil) throws(CryptoError) {
        OpenSSLErrorQueue.clear()
        let label = try PEM.firstLabel(in: pem)
        let bio = try MemoryBIO(copying: Array(pem.utf8))
        switch label {
        case "ENCRYPTED PRIVATE KEY":
            guard let passphrase, !passphrase.isEmpty else {
                throw CryptoError(.wrongPassphrase, "the private key is encrypted and no passphrase was given")
            }
            guard let sealed = PEM_read_bio_PKCS8(bio.pointer, nil, nil, nil) else {
                throw .openSSL(.malformedKey, "encrypted private key PEM does not parse")
            }
            defer { X509_SIG_free(sealed) }
            try self.init(box: try Self.decrypt(sealed, passphrase: passphrase))
        case "PRIVATE KEY", "EC PRIVATE KEY":
            let key = PEM_read_bio_PrivateKey_ex(bio.pointer, nil, { _, _, _, _ in -1 }, nil, nil, nil)
            try self.init(box: EVPKeyBox(taking: try checkNotNil(key, .malformedKey, "private key PEM does not parse")))
        default:
            throw CryptoError(.malformedKey, "expected a private key PEM block, found \"\(label.prefix(40))\"")
        }
    }

    /// Loads an unencrypted PKCS#8 `PrivateKeyInfo` in DER.
    public init(derRepresentation der: [UInt8]) throws(CryptoError) {
        OpenSSLErrorQueue.clear()
        guard der.count <= PEM.maximumLength else { throw CryptoError(.invalidArgument, "DER key too large") }
        let info: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, buffer.count)
        }
        guard let info else { throw .openSSL(.malformedKey, "DER is not a PKCS#8 PrivateKeyInfo") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        try self.init(box: EVPKeyBox(taking: try checkNotNil(EVP_PKCS82PKEY(info), .malformedKey, "PKCS#8 key does not load")))
    }

    private static func decrypt(_ sealed: OpaquePointer, passphrase: String) throws(CryptoError) -> EVPKeyBox {
        let bytes = Array(passphrase.utf8)
        let info: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PKCS8_decrypt(sealed, $0.baseAddress, Int32($0.count)) }
        }
        guard let info else {
            OpenSSLErrorQueue.clear()  // The queue would only say "bad decrypt".
            throw CryptoError(.wrongPassphrase, "the passphrase does not decrypt the private key")
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        return EVPKeyBox(taking: try checkNotNil(EVP_PKCS82PKEY(info), .malformedKey, "decrypted key does not load"))
    }

    /// The matching public key, built anew on every access (with its own pool of verification contexts, empty): a
    /// caller that checks many signatures holds one instead of asking again per check, which costs about ten times
    /// the check itself.
    public var publicKey: PublicKey {
        switch storage {
        case .memory(let box, _):
            // Re-encoding our own valid key as SubjectPublicKeyInfo cannot fail short of memory exhaustion.
            return try! PublicKey(derRepresentation: Self.subjectPublicKeyInfo(of: box.pointer))
        case .token(let key):
            return key.publicKey
        }
    }

    static func subjectPublicKeyInfo(of pkey: OpaquePointer) throws(CryptoError) -> [UInt8] {
        let length = i2d_PUBKEY(pkey, nil)
        guard length > 0 else { throw .openSSL(.backendFailure, "i2d_PUBKEY failed") }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_PUBKEY(pkey, &cursor)
        }
        return out
    }

    /// Unencrypted PKCS#8 DER. Handle with care: it is the secret key.
    public var derRepresentation: [UInt8] {
        get throws(CryptoError) {
            let info = try checkNotNil(EVP_PKEY2PKCS8(try box.pointer), .backendFailure, "EVP_PKEY2PKCS8 failed")
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            let length = i2d_PKCS8_PRIV_KEY_INFO(info, nil)
            guard length > 0 else { throw .openSSL(.backendFailure, "i2d_PKCS8_PRIV_KEY_INFO failed") }
            var out = [UInt8](repeating: 0, count: Int(length))
            out.withUnsafeMutableBufferPointer { buffer in
                var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
                _ = i2d_PKCS8_PRIV_KEY_INFO(info, &cursor)
            }
            return out
        }
    }

    /// The P-256 private scalar, 32 bytes big-endian, for moving the key into a token (``TokenKey/importing(_:into:label:id:)``).
    /// Handle with care: it is the secret key.
    var p256Scalar: [UInt8] {
        get throws(CryptoError) {
            guard algorithm == .p256 else { throw CryptoError(.unsupportedAlgorithm, "only P-256 keys move into a token") }
            var scalar: OpaquePointer?
            try check(EVP_PKEY_get_bn_param(try box.pointer, "priv", &scalar), .backendFailure, "reading the private scalar failed")
            defer { BN_clear_free(scalar) }
            var out = [UInt8](repeating: 0, count: 32)
            guard BN_bn2binpad(scalar, &out, 32) == 32 else { throw CryptoError(.backendFailure, "the private scalar does not fit 32 bytes") }
            return out
        }
    }

    /// Parameters of the scrypt key derivation used for encrypted key files
    /// (N = 2^14, r = 8, p = 1: 16 MiB and about 50 ms per unlock, RFC 7914's interactive setting).
    public struct ScryptParameters: Sendable {
        /// CPU/memory cost N.
        public var n: UInt64 = 1 << 14
        /// Block size r.
        public var r: UInt64 = 8
        /// Parallelisation p.
        public var p: UInt64 = 1
        /// The default parameters.
        public init() {}
        /// Other parameters: a cheaper N for throw-away test districts, a dearer one for a district that wants it.
        public init(n: UInt64, r: UInt64 = 8, p: UInt64 = 1) {
            self.n = n
            self.r = r
            self.p = p
        }
    }

    /// PKCS#8 `ENCRYPTED PRIVATE KEY` PEM: PBES2 with scrypt and AES-256-CBC (RFC 8018, RFC 7914).
    public func encryptedPEMRepresentation(passphrase: String, scrypt: ScryptParameters = .init()) throws(CryptoError) -> String {
        OpenSSLErrorQueue.clear()
        guard passphrase.utf8.count >= 8 else {
            throw CryptoError(.invalidArgument, "passphrase must be at least 8 bytes")
        }
        let info = try checkNotNil(EVP_PKEY2PKCS8(try box.pointer), .backendFailure, "EVP_PKEY2PKCS8 failed")
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        var salt = try SecureRandom.bytes(count: 16)
        let pbe = try checkNotNil(
            PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), &salt, Int32(salt.count), nil, scrypt.n, scrypt.r, scrypt.p),
            .backendFailure, "scrypt parameter setup failed")
        let bytes = Array(passphrase.utf8)
        let sealed: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PKCS8_set0_pbe($0.baseAddress, Int32($0.count), info, pbe) }
        }
        guard let sealed else {
            X509_ALGOR_free(pbe)
            throw .openSSL(.backendFailure, "private key encryption failed")
        }
        defer { X509_SIG_free(sealed) }
        let bio = try MemoryBIO()
        try check(PEM_write_bio_PKCS8(bio.pointer, sealed), .backendFailure, "PEM encoding failed")
        return String(decoding: bio.contents, as: UTF8.self)
    }

    /// Signs `message`, hashing it with the algorithm's digest (SHA-256 or SM3 with Z).
    public func signature<Bytes: Collection<UInt8>>(for message: Bytes) throws(CryptoError) -> Signature {
        switch algorithm {
        case .p256:
            return try signature(forDigest: Digest.sha256(message))
        case .sm2:
            let context = try EVPDigestContextBox()
            var keyContext: OpaquePointer?
            try check(
                EVP_DigestSignInit(context.pointer, &keyContext, DigestAlgorithm.sm3.evpMD, nil, try box.pointer), .backendFailure,
                "SM2 sign init failed"
            )
            try SM2.setDistinguishingID(keyContext)
            var out = [UInt8](repeating: 0, count: 80)
            var length = out.count
            let ok: Int32 =
                message.withContiguousStorageIfAvailable { EVP_DigestSign(context.pointer, &out, &length, $0.baseAddress, $0.count) }
                ?? Array(message).withUnsafeBufferPointer { EVP_DigestSign(context.pointer, &out, &length, $0.baseAddress, $0.count) }
            try check(ok, .backendFailure, "SM2 signing failed")
            return Signature(producedDER: Array(out.prefix(length)), algorithm: .sm2)
        }
    }

    /// Signs a precomputed SHA-256 digest (P-256 only; SM2 must hash Z ‖ M itself).
    public func signature(forDigest digest: [UInt8]) throws(CryptoError) -> Signature {
        guard algorithm == .p256 else {
            throw CryptoError(.unsupportedAlgorithm, "SM2 cannot sign a precomputed digest; sign the message")
        }
        guard digest.count == 32 else { throw CryptoError(.invalidArgument, "digest must be 32 bytes") }
        guard case .memory(_, let signers) = storage else { return try tokenKey!.signature(forDigest: digest) }
        return try signers.withContext { context throws(CryptoError) in
            var out = [UInt8](repeating: 0, count: 80)
            var length = out.count
            try check(EVP_PKEY_sign(context, &out, &length, digest, digest.count), .backendFailure, "ECDSA signing failed")
            return Signature(producedDER: Array(out.prefix(length)), algorithm: .p256)
        }
    }
}

/// SM2 specifics.
enum SM2 {
    /// Sets the distinguishing ID on a signing or verifying context before any data is fed.
    static func setDistinguishingID(_ context: OpaquePointer?) throws(CryptoError) {
        guard let context else { throw CryptoError(.backendFailure, "no SM2 key context") }
        let id = KeyAlgorithm.sm2DistinguishingID
        try check(zt_EVP_PKEY_CTX_set1_id(context, id, Int32(id.count)), .backendFailure, "setting the SM2 distinguishing ID failed")
    }
}
