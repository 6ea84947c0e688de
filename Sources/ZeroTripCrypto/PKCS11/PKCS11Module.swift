internal import CPKCS11
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// A PKCS#11 module (a token vendor's `.so`: SoftHSM, OpenSC, a network HSM's client) loaded with `dlopen` and
/// initialised for multi-threaded use.
///
/// One instance per module path for the life of the process: every token session of the module shares its
/// Cryptoki state. The module is never unloaded, but it is initialised afresh (``reinitialize(after:)``) when a token
/// went away: some modules (SoftHSM, network HSM clients) notice a token that is back only then.
final class PKCS11Module: @unchecked Sendable {
    // Safety: the function list is immutable after load and the module was initialised with CKF_OS_LOCKING_OK, so
    // its functions may be called from any thread (sessions are never used by two threads at once: PKCS11Token).
    // Every call runs under `gate` shared (``shared(_:)``); a re-initialisation holds it exclusively.
    let path: String
    let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    private let gate: UnsafeMutablePointer<pthread_rwlock_t>
    private let generationCounter = Atomic<Int>(0)

    private init(path: String, functions: UnsafeMutablePointer<CK_FUNCTION_LIST>) {
        self.path = path
        self.functions = functions
        gate = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        // A waiting re-initialisation goes before new readers, so a busy daemon cannot starve it.
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(gate, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(gate)
        gate.deallocate()
    }

    /// How many times the module was initialised afresh; sessions opened under an older generation are gone.
    var generation: Int { generationCounter.load(ordering: .acquiring) }

    /// Runs `body`, which calls into the module, while no re-initialisation can run. Never nested.
    func shared<T>(_ body: () throws(CryptoError) -> T) throws(CryptoError) -> T {
        pthread_rwlock_rdlock(gate)
        defer { pthread_rwlock_unlock(gate) }
        return try body()
    }

    /// `C_Finalize` and `C_Initialize` again, unless another caller did so since it saw `seen` (a burst of failures
    /// re-initialises once). Every session and login of the module ends; tokens open fresh ones on their next call.
    func reinitialize(after seen: Int) {
        pthread_rwlock_wrlock(gate)
        defer { pthread_rwlock_unlock(gate) }
        guard generation == seen else { return }
        _ = functions.pointee.C_Finalize!(nil)
        // A failure here shows at the next call (CKR_CRYPTOKI_NOT_INITIALIZED, token unavailable), which tries again.
        _ = Self.initialize(functions)
        generationCounter.add(1, ordering: .releasing)
    }

    private static func initialize(_ list: UnsafeMutablePointer<CK_FUNCTION_LIST>) -> CK_RV {
        var arguments = CK_C_INITIALIZE_ARGS(
            CreateMutex: nil, DestroyMutex: nil, LockMutex: nil, UnlockMutex: nil, flags: CK_FLAGS(CKF_OS_LOCKING_OK), pReserved: nil)
        return withUnsafeMutablePointer(to: &arguments) { list.pointee.C_Initialize!(UnsafeMutableRawPointer($0)) }
    }

    private static let loaded = Mutex<[String: PKCS11Module]>([:])

    /// The module at `path`, loaded and initialised on first use.
    static func load(_ path: String) throws(CryptoError) -> PKCS11Module {
        let result: Result<PKCS11Module, CryptoError> = loaded.withLock { modules in
            if let module = modules[path] { return .success(module) }
            do throws(CryptoError) {
                let module = try open(path)
                modules[path] = module
                return .success(module)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func open(_ path: String) throws(CryptoError) -> PKCS11Module {
        guard path.hasPrefix("/") else { throw CryptoError(.invalidArgument, "a PKCS#11 module is named by its absolute path") }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw CryptoError(
                .tokenUnavailable, "the PKCS#11 module \(path) does not load: \(dlerror().map { String(cString: $0) } ?? "dlopen failed")")
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            dlclose(handle)
            throw CryptoError(.tokenUnavailable, "\(path) is not a PKCS#11 module (no C_GetFunctionList)")
        }
        let getFunctionList = unsafeBitCast(symbol, to: CK_C_GetFunctionList.self)
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        let rv = getFunctionList(&list)
        guard rv == CKR_OK, let list else {
            dlclose(handle)
            throw CryptoError(.tokenUnavailable, "\(path): C_GetFunctionList failed (\(PKCS11Module.name(of: rv)))")
        }
        let initialized = initialize(list)
        guard initialized == CKR_OK || initialized == CKR_CRYPTOKI_ALREADY_INITIALIZED else {
            dlclose(handle)
            throw CryptoError(.tokenUnavailable, "\(path): C_Initialize failed (\(PKCS11Module.name(of: initialized)))")
        }
        return PKCS11Module(path: path, functions: list)
    }

    /// Throws for any result but `CKR_OK`, with the call's name and the result's name; the code says what an
    /// operator can do (a missing token, a wrong or locked PIN, or a key that is not there).
    func check(_ rv: CK_RV, _ call: StaticString) throws(CryptoError) {
        guard rv != CKR_OK else { return }
        let code: CryptoError.Code
        switch rv {
        case CKR_PIN_INCORRECT, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE: code = .tokenPINIncorrect
        case CKR_PIN_LOCKED, CKR_PIN_EXPIRED: code = .tokenPINLocked
        case CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_ERROR, CKR_SESSION_CLOSED, CKR_SESSION_HANDLE_INVALID, CKR_SLOT_ID_INVALID,
            CKR_TOKEN_NOT_RECOGNIZED, CKR_CRYPTOKI_NOT_INITIALIZED, CKR_USER_NOT_LOGGED_IN, CKR_DEVICE_MEMORY, CKR_HOST_MEMORY,
            CKR_GENERAL_ERROR, CKR_FUNCTION_FAILED:
            code = .tokenUnavailable
        case CKR_MECHANISM_INVALID, CKR_KEY_TYPE_INCONSISTENT, CKR_TEMPLATE_INCONSISTENT, CKR_ATTRIBUTE_VALUE_INVALID, CKR_DOMAIN_PARAMS_INVALID:
            code = .unsupportedAlgorithm
        default: code = .backendFailure
        }
        throw CryptoError(code, "PKCS#11 \(call) failed (\(Self.name(of: rv)))")
    }

    /// `CKR_PIN_INCORRECT` for 0xa0; the hex value for a result this table does not name.
    static func name(of rv: CK_RV) -> String {
        let names: [CK_RV: String] = [
            CKR_CANCEL: "CKR_CANCEL", CKR_HOST_MEMORY: "CKR_HOST_MEMORY", CKR_SLOT_ID_INVALID: "CKR_SLOT_ID_INVALID",
            CKR_GENERAL_ERROR: "CKR_GENERAL_ERROR", CKR_FUNCTION_FAILED: "CKR_FUNCTION_FAILED", CKR_ARGUMENTS_BAD: "CKR_ARGUMENTS_BAD",
            CKR_ATTRIBUTE_TYPE_INVALID: "CKR_ATTRIBUTE_TYPE_INVALID", CKR_ATTRIBUTE_VALUE_INVALID: "CKR_ATTRIBUTE_VALUE_INVALID",
            CKR_ATTRIBUTE_SENSITIVE: "CKR_ATTRIBUTE_SENSITIVE", CKR_DEVICE_ERROR: "CKR_DEVICE_ERROR", CKR_DEVICE_MEMORY: "CKR_DEVICE_MEMORY",
            CKR_DEVICE_REMOVED: "CKR_DEVICE_REMOVED", CKR_KEY_HANDLE_INVALID: "CKR_KEY_HANDLE_INVALID",
            CKR_KEY_TYPE_INCONSISTENT: "CKR_KEY_TYPE_INCONSISTENT", CKR_MECHANISM_INVALID: "CKR_MECHANISM_INVALID",
            CKR_OBJECT_HANDLE_INVALID: "CKR_OBJECT_HANDLE_INVALID", CKR_OPERATION_ACTIVE: "CKR_OPERATION_ACTIVE",
            CKR_PIN_INCORRECT: "CKR_PIN_INCORRECT", CKR_PIN_INVALID: "CKR_PIN_INVALID", CKR_PIN_LEN_RANGE: "CKR_PIN_LEN_RANGE",
            CKR_PIN_EXPIRED: "CKR_PIN_EXPIRED", CKR_PIN_LOCKED: "CKR_PIN_LOCKED", CKR_SESSION_CLOSED: "CKR_SESSION_CLOSED",
            CKR_SESSION_COUNT: "CKR_SESSION_COUNT", CKR_SESSION_HANDLE_INVALID: "CKR_SESSION_HANDLE_INVALID",
            CKR_SESSION_READ_ONLY: "CKR_SESSION_READ_ONLY", CKR_TEMPLATE_INCOMPLETE: "CKR_TEMPLATE_INCOMPLETE",
            CKR_TEMPLATE_INCONSISTENT: "CKR_TEMPLATE_INCONSISTENT", CKR_TOKEN_NOT_PRESENT: "CKR_TOKEN_NOT_PRESENT",
            CKR_TOKEN_NOT_RECOGNIZED: "CKR_TOKEN_NOT_RECOGNIZED", CKR_TOKEN_WRITE_PROTECTED: "CKR_TOKEN_WRITE_PROTECTED",
            CKR_USER_ALREADY_LOGGED_IN: "CKR_USER_ALREADY_LOGGED_IN", CKR_USER_NOT_LOGGED_IN: "CKR_USER_NOT_LOGGED_IN",
            CKR_USER_PIN_NOT_INITIALIZED: "CKR_USER_PIN_NOT_INITIALIZED", CKR_USER_TYPE_INVALID: "CKR_USER_TYPE_INVALID",
            CKR_BUFFER_TOO_SMALL: "CKR_BUFFER_TOO_SMALL", CKR_CRYPTOKI_NOT_INITIALIZED: "CKR_CRYPTOKI_NOT_INITIALIZED",
            CKR_DOMAIN_PARAMS_INVALID: "CKR_DOMAIN_PARAMS_INVALID", CKR_FUNCTION_NOT_SUPPORTED: "CKR_FUNCTION_NOT_SUPPORTED",
        ]
        return names[rv] ?? "CKR 0x" + String(rv, radix: 16)
    }

    /// The slots holding a token whose label, serial, manufacturer, model and slot id match what `uri` names.
    func slots(matching uri: PKCS11URI) throws(CryptoError) -> [CK_SLOT_ID] {
        var count: UInt = 0
        try check(functions.pointee.C_GetSlotList!(CK_BBOOL(CK_TRUE), nil, &count), "C_GetSlotList")
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        try check(functions.pointee.C_GetSlotList!(CK_BBOOL(CK_TRUE), &slots, &count), "C_GetSlotList")
        var matching: [CK_SLOT_ID] = []
        for slot in slots.prefix(Int(count)) {
            if let slotID = uri.slotID, slotID != slot { continue }
            var info = CK_TOKEN_INFO()
            // A slot that cannot describe its token now (being written, removed, broken) is not the one asked for: it
            // must not keep the others from being found.
            guard functions.pointee.C_GetTokenInfo!(slot, &info) == CKR_OK else { continue }
            func text<T>(_ field: T) -> String {
                withUnsafeBytes(of: field) { String(decoding: $0, as: UTF8.self) }.trimmingTrailingSpaces
            }
            if let label = uri.token, text(info.label) != label { continue }
            if let serial = uri.serial, text(info.serialNumber) != serial { continue }
            if let manufacturer = uri.manufacturer, text(info.manufacturerID) != manufacturer { continue }
            if let model = uri.model, text(info.model) != model { continue }
            matching.append(slot)
        }
        return matching
    }
}

extension String {
    /// The text of a space-padded PKCS#11 field.
    fileprivate var trimmingTrailingSpaces: String {
        var text = Substring(self)
        while text.last == " " || text.last == "\0" { text = text.dropLast() }
        return String(text)
    }
}
