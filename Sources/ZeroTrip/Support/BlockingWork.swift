import Dispatch

/// The executor for slow synchronous work that must never run on Swift's cooperative pool.
///
/// The pool has one thread per core (two on the reference machine): an scrypt key unlock (≈ 0.1–0.5 s of CPU and
/// 32 MiB of memory), key generation with scrypt encryption, or a large file read there stalls every request
/// behind it. Such work runs on this serial dispatch queue instead, and the awaiting task suspends. Database
/// access does not come here: GRDB's async `read`/`write` already run on GRDB's own queues (``AppDatabase``).
enum BlockingWork {
    /// Serial: scrypt costs 32 MiB and a core each, so unlocks run one at a time rather than starting many threads.
    static let queue = DispatchQueue(label: "zerotrip.blocking-work", qos: .userInitiated)

    /// Runs `body` on ``queue`` and returns (or throws) its result to the suspended caller.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result(catching: body)) }
        }
    }

    /// Concurrent, for work that waits on a device rather than a core: a signature by a key in a PKCS#11 token (a
    /// network HSM answers in milliseconds). Many may wait at once, none on the cooperative pool.
    static let devices = DispatchQueue(label: "zerotrip.token-work", qos: .userInitiated, attributes: .concurrent)

    /// Runs `body` on ``devices`` and returns (or throws) its result to the suspended caller.
    static func onDevice<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            devices.async { continuation.resume(with: Result(catching: body)) }
        }
    }
}
