internal import COpenSSL

// Every OpenSSL object ZeroTrip owns lives in one of these final classes, freed in `deinit`.

/// An owned `EVP_PKEY`.
final class EVPKeyBox: @unchecked Sendable {
    // Safety: EVP_PKEY is reference-counted and safe for concurrent read-only use
    // (signing and verifying create their own contexts).
    let pointer: OpaquePointer
    init(taking pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }
}

/// An owned `EVP_PKEY_CTX`.
final class EVPKeyContextBox {
    let pointer: OpaquePointer
    init(taking pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_CTX_free(pointer) }
}

/// An owned `EVP_MD_CTX`.
final class EVPDigestContextBox {
    let pointer: OpaquePointer
    init() throws(CryptoError) {
        pointer = try checkNotNil(EVP_MD_CTX_new(), .backendFailure, "EVP_MD_CTX_new failed")
    }
    deinit { EVP_MD_CTX_free(pointer) }
}

/// An owned memory `BIO`.
final class MemoryBIO {
    let pointer: OpaquePointer
    /// An empty, writable memory BIO.
    init() throws(CryptoError) {
        pointer = try checkNotNil(BIO_new(BIO_s_mem()), .backendFailure, "BIO_new failed")
    }
    /// A memory BIO holding a copy of `bytes`, for reading.
    init(copying bytes: [UInt8]) throws(CryptoError) {
        let bio = try checkNotNil(BIO_new(BIO_s_mem()), .backendFailure, "BIO_new failed")
        pointer = bio
        if !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            if written != Int32(bytes.count) { throw .openSSL(.backendFailure, "BIO_write failed") }
        }
    }
    deinit { BIO_free(pointer) }

    /// Everything written to the BIO so far.
    var contents: [UInt8] {
        var data: UnsafeMutablePointer<CChar>?
        let length = zt_BIO_get_mem_data(pointer, &data)
        guard let data, length > 0 else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }
}

/// An owned `X509`.
final class X509Box: @unchecked Sendable {
    // Safety: a parsed, never-mutated X509 is safe for concurrent reads.
    let pointer: OpaquePointer
    init(taking pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_free(pointer) }
}

/// An owned `X509_NAME`.
final class X509NameBox {
    let pointer: OpaquePointer
    init() throws(CryptoError) {
        pointer = try checkNotNil(X509_NAME_new(), .backendFailure, "X509_NAME_new failed")
    }
    init(copying name: OpaquePointer?) throws(CryptoError) {
        pointer = try checkNotNil(X509_NAME_dup(name), .backendFailure, "X509_NAME_dup failed")
    }
    deinit { X509_NAME_free(pointer) }
}

/// An owned `X509_STORE`.
final class X509StoreBox {
    let pointer: OpaquePointer
    init() throws(CryptoError) {
        pointer = try checkNotNil(X509_STORE_new(), .backendFailure, "X509_STORE_new failed")
    }
    deinit { X509_STORE_free(pointer) }
}

/// An owned `X509_STORE_CTX`.
final class X509StoreContextBox {
    let pointer: OpaquePointer
    init() throws(CryptoError) {
        pointer = try checkNotNil(X509_STORE_CTX_new(), .backendFailure, "X509_STORE_CTX_new failed")
    }
    deinit { X509_STORE_CTX_free(pointer) }
}

/// An owned `STACK_OF(X509)` that does not own its elements.
final class X509StackBox {
    let pointer: OpaquePointer
    init() throws(CryptoError) {
        pointer = try checkNotNil(OPENSSL_sk_new_null(), .backendFailure, "sk_X509_new_null failed")
    }
    deinit { OPENSSL_sk_free(pointer) }
}

/// An owned `ECDSA_SIG` (also used for SM2 signatures, which share its ASN.1 structure).
final class ECDSASignatureBox {
    let pointer: OpaquePointer
    init(taking pointer: OpaquePointer) { self.pointer = pointer }
    deinit { ECDSA_SIG_free(pointer) }
}

/// An owned `BIGNUM`.
final class BignumBox {
    let pointer: OpaquePointer
    init(taking pointer: OpaquePointer) { self.pointer = pointer }
    deinit { BN_free(pointer) }
}

/// Owns an `EVP_CIPHER_CTX`.
final class CipherContextBox {
    let pointer: OpaquePointer
    init() throws(CryptoError) {
        pointer = try checkNotNil(EVP_CIPHER_CTX_new(), .backendFailure, "EVP_CIPHER_CTX_new failed")
    }
    deinit { EVP_CIPHER_CTX_free(pointer) }
}

/// Owns an `X509_CRL`.
final class X509CRLBox {
    let pointer: OpaquePointer
    init(taking pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_CRL_free(pointer) }
}
