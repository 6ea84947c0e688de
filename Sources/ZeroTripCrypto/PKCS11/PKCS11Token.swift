internal import CPKCS11
import Synchronization

/// One token (an HSM partition, a USB key, a SoftHSM token) reached through its module, logged in as the user.
///
/// Sessions are pooled: a signature takes an idle session (or opens one), so concurrent issuances sign in parallel as
/// far as the token allows, and a session is never used by two threads at once. A session the token has dropped
/// (removed, restarted, closed) is discarded and the next call opens a fresh one and logs in again (after initialising
/// the module afresh if need be), so the daemon reconnects by itself when the token is back.
public final class PKCS11Token: Sendable {
    /// Where the token is: its URI without the object attributes.
    public let uri: PKCS11URI
    let module: PKCS11Module
    private let pin: [UInt8]
    private let idle = Mutex<[(session: CK_SESSION_HANDLE, generation: Int)]>([])

    /// Opens the token `uri` names (its `module-path` is required), logging in with `pin`. Throws
    /// ``CryptoError/Code/tokenUnavailable`` when the module or the token is not there, ``CryptoError/Code/tokenPINIncorrect``
    /// or ``CryptoError/Code/tokenPINLocked`` for the PIN; the PIN never appears in an error.
    public init(_ uri: PKCS11URI, pin: String) throws(CryptoError) {
        guard let path = uri.modulePath else {
            throw CryptoError(.invalidArgument, "the pkcs11: URI names no module-path (the token vendor's PKCS#11 library)")
        }
        var location = uri
        location.object = nil
        location.id = nil
        location.type = nil
        location.pinValue = nil
        self.uri = location
        self.module = try PKCS11Module.load(path)
        self.pin = Array(pin.utf8)
        // Log in now, so a wrong PIN or a missing token is reported when the key store opens, not at the first
        // signature.
        try withSession { _ throws(CryptoError) in }
    }

    /// The slot now holding the token (tokens can move between slots when they are re-inserted).
    private func slot() throws(CryptoError) -> CK_SLOT_ID {
        let slots = try module.slots(matching: uri)
        guard let slot = slots.first else { throw CryptoError(.tokenUnavailable, "no token matches \(uri)") }
        guard slots.count == 1 else { throw CryptoError(.invalidArgument, "\(slots.count) tokens match \(uri): name one by token= or serial=") }
        return slot
    }

    /// Runs `body` with a logged-in read-write session of its own. A session that failed because the token went away
    /// is closed and dropped; any other is returned to the pool.
    ///
    /// When the token is unavailable or the key is not found, the module is initialised afresh (once, however many
    /// callers failed meanwhile) and `body` runs once more: a token that came back (re-inserted, the HSM reachable
    /// again) is found that way even by modules that notice it only when initialised. Still failing, the error stands.
    func withSession<T>(_ body: (CK_SESSION_HANDLE) throws(CryptoError) -> T) throws(CryptoError) -> T {
        let generation = module.generation
        do {
            return try attempt(body)
        } catch  where error.code == .tokenUnavailable || error.code == .tokenKeyNotFound {
            module.reinitialize(after: generation)
            return try attempt(body)
        }
    }

    private func attempt<T>(_ body: (CK_SESSION_HANDLE) throws(CryptoError) -> T) throws(CryptoError) -> T {
        try module.shared { () throws(CryptoError) -> T in
            let generation = module.generation
            // Sessions from before a re-initialisation are gone (their handle numbers may belong to others now): dropped, never closed.
            let pooled = idle.withLock { pool -> CK_SESSION_HANDLE? in
                pool.removeAll { $0.generation != generation }
                return pool.popLast()?.session
            }
            let session: CK_SESSION_HANDLE
            if let pooled { session = pooled } else { session = try openSession() }
            do throws(CryptoError) {
                let result = try body(session)
                idle.withLock { $0.append((session, generation)) }
                return result
            } catch {
                if error.code == .tokenUnavailable {
                    _ = module.functions.pointee.C_CloseSession!(session)
                    idle.withLock { sessions in
                        // The others are most likely dead too: open fresh ones as needed.
                        for other in sessions where other.generation == generation { _ = module.functions.pointee.C_CloseSession!(other.session) }
                        sessions.removeAll()
                    }
                } else {
                    idle.withLock { $0.append((session, generation)) }
                }
                throw error
            }
        }
    }

    private func openSession() throws(CryptoError) -> CK_SESSION_HANDLE {
        var session: CK_SESSION_HANDLE = 0
        try module.check(
            module.functions.pointee.C_OpenSession!(try slot(), CKF_SERIAL_SESSION | CKF_RW_SESSION, nil, nil, &session), "C_OpenSession")
        var pin = self.pin
        let rv = pin.withUnsafeMutableBufferPointer { module.functions.pointee.C_Login!(session, CKU_USER, $0.baseAddress, UInt($0.count)) }
        let digest = Digest.sha256(self.pin)
        let login = "\(module.path)|\(uri)"
        switch rv {
        case CKR_OK:
            Self.logins.withLock { $0[login] = digest }
        case CKR_USER_ALREADY_LOGGED_IN:
            // Cryptoki logs the whole process in: a second PKCS11Token for the same token would be let in whatever PIN
            // it holds. It must hold the PIN the token was logged in with.
            guard let known = Self.logins.withLock({ $0[login] }), ConstantTime.equals(known, digest) else {
                _ = module.functions.pointee.C_CloseSession!(session)
                throw CryptoError(.tokenPINIncorrect, "PKCS#11 C_Login: the token is already logged in with another PIN")
            }
        default:
            _ = module.functions.pointee.C_CloseSession!(session)
            try module.check(rv, "C_Login")
        }
        return session
    }

    /// The SHA-256 of the PIN each token of this process was logged in with (Cryptoki's login is process-wide).
    private static let logins = Mutex<[String: [UInt8]]>([:])

    deinit {
        let module = self.module
        let sessions = idle.withLock { $0 }
        try? module.shared { () throws(CryptoError) -> Void in
            for (session, generation) in sessions where generation == module.generation { _ = module.functions.pointee.C_CloseSession!(session) }
        }
    }
}
