internal import COpenSSL
import Synchronization

/// A small pool of `EVP_PKEY_CTX`s already initialised for one key and one operation.
///
/// Initialising a context fetches the signature implementation from the provider, which costs
/// about as much as a P-256 signature; reusing contexts keeps ZeroTrip near OpenSSL's own rate.
/// A context is used by one caller at a time: it is taken out of the pool and put back after.
final class KeyContextPool: Sendable {
    enum Operation: Sendable { case sign, verify }

    private let key: EVPKeyBox
    private let operation: Operation
    private let digest: DigestAlgorithm
    private let idle = Mutex<[EVPKeyContextBox]>([])
    private static let maximumIdle = 16

    init(key: EVPKeyBox, operation: Operation, digest: DigestAlgorithm) {
        self.key = key
        self.operation = operation
        self.digest = digest
    }

    /// Runs `body` with an initialised context, returning it to the pool afterwards.
    func withContext<T>(_ body: (OpaquePointer) throws(CryptoError) -> T) throws(CryptoError) -> T {
        let pooled = idle.withLock { $0.popLast() }
        let context: EVPKeyContextBox
        if let pooled { context = pooled } else { context = try makeContext() }
        defer {
            idle.withLock { pool in
                if pool.count < Self.maximumIdle { pool.append(context) }
            }
        }
        return try body(context.pointer)
    }

    private func makeContext() throws(CryptoError) -> EVPKeyContextBox {
        let context = EVPKeyContextBox(
            taking: try checkNotNil(EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil), .backendFailure, "EVP_PKEY_CTX_new failed"))
        switch operation {
        case .sign: try check(EVP_PKEY_sign_init(context.pointer), .backendFailure, "sign init failed")
        case .verify: try check(EVP_PKEY_verify_init(context.pointer), .backendFailure, "verify init failed")
        }
        try check(EVP_PKEY_CTX_set_signature_md(context.pointer, digest.evpMD), .backendFailure, "setting the signature digest failed")
        return context
    }
}

extension EVPKeyContextBox: @unchecked Sendable {}
