public import Foundation
import Synchronization
public import ZeroTripCrypto
import ZeroTripDocuments

/// Creates and manages the district PKI and its departments.
///
/// Every change follows one order so that bad input never leaves half-written state: validate,
/// check the database, unlock keys, create new files exclusively, then commit the database rows
/// and their audit event in one transaction, removing the new files if that transaction fails.
public actor DistrictAdministration {
    /// Root CA validity (10 years).
    public static let rootValidity: TimeInterval = 10 * 365 * 86_400
    /// Seal certificate validity (2 years, as for the EU DCC's document signers).
    public static let sealValidity: TimeInterval = 2 * 365 * 86_400

    let database: AppDatabase
    let home: ZeroTripHome
    let passphrase: PassphraseSource
    let clock: ZeroTripClock
    /// The current root, unlocked (replaced by a renewal).
    var cachedRoot: (certificate: Certificate, key: PrivateKey)?
    /// Root unlocks in progress, by kid.
    var unlockingRoots: [String: Task<(certificate: Certificate, key: PrivateKey), any Error>] = [:]
    /// The current online signing key, unlocked (replaced when a newer one is certified).
    var cachedOnlineKey: (certificate: Certificate, key: PrivateKey)?
    /// When the root key was last needed, and whether it could be used then (readiness detail).
    var rootLastSeen: (at: Date, usable: Bool)?
    /// Unlocked seal keys by kid (decrypting a key costs a scrypt run, so it happens once per process).
    var cachedSealers: [String: DocumentSealer] = [:]
    /// Unlocks in progress by kid, so concurrent cache misses share one.
    var unlockingSealers: [String: Task<DocumentSealer, any Error>] = [:]

    /// The token seal keys are made in (``ZeroTripHome/sealToken``), or why its setting is unusable.
    let sealTokenSetting: Result<TokenAccess, ZeroTripError>?

    /// Creates the administration over `database` and the files under `home`; `environment` supplies the seal token's
    /// PIN (`ZEROTRIP_SEAL_TOKEN_PIN`).
    public init(
        database: AppDatabase, home: ZeroTripHome, passphrase: PassphraseSource, clock: ZeroTripClock = .system,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.database = database
        self.home = home
        self.passphrase = passphrase
        self.clock = clock
        self.sealTokenSetting = home.sealToken.map { text in
            Result { () throws(ZeroTripError) in try TokenAccess(text, environment: environment) }
        }
        self.keyLocationTokens = Mutex([:])
        self.environment = environment
    }

    /// Where the seal token's PIN comes from (`ZEROTRIP_SEAL_TOKEN_PIN`).
    let environment: [String: String]
    /// Tokens opened from a registered key's own URI when no seal token is configured (a key moved by `keys migrate`
    /// is found with just the PIN).
    let keyLocationTokens: Mutex<[String: TokenAccess]>

    /// The seal token, when the district keeps its seals in one.
    nonisolated var sealToken: TokenAccess? {
        get throws(ZeroTripError) { try sealTokenSetting?.get() }
    }

    // MARK: District

    /// The district, or `nil` before `initialize`.
    public nonisolated func district() async throws -> DistrictInfo? {
        try await database.read { db in try DistrictStore.district(in: db) }
    }

    /// Creates the root key (encrypted, `Keys/root-<kid>.key.pem`, mode 0600) and the self-signed
    /// root certificate (`Certificates/root.pem`), and records the district.
    /// The key file is encrypted with the root's own passphrase (`ZEROTRIP_ROOT_PASSPHRASE`, else a random one
    /// written to `Keys/root-passphrase`), which must differ from the seals'.
    /// `province` and `city` (optional) complete the full administrative name documents and pages print.
    ///
    /// `rootToken`: a `pkcs11:` URI (with `module-path`) of the token the root key is made in instead of a key file; its
    /// PIN comes from `ZEROTRIP_ROOT_TOKEN_PIN` (or the URI's `pin-source`), never the seals' PIN. P-256 only.
    public func initialize(
        district rawName: String, province rawProvince: String = "", city rawCity: String = "",
        algorithm: KeyAlgorithm = .p256, rootToken: String? = nil, actor: String
    ) async throws -> DistrictInfo {
        let name = try Validation.name(rawName, field: "district name")
        let (province, city) = try Self.area(province: rawProvince, city: rawCity)
        if try await district() != nil || FileManager.default.fileExists(atPath: home.rootCertificateURL.path) {
            throw ZeroTripError(.alreadyInitialized, "the district is already initialised; the root key is never replaced by init")
        }
        let now = clock.now()
        let subject = DistinguishedName([
            .init(type: "C", value: "CN"), .init(type: "O", value: name), .init(type: "CN", value: "\(name) ZeroTrip 根证书"),
        ])
        let key: PrivateKey
        let certificate: Certificate
        let keyFile: String
        if let rootToken {
            guard algorithm == .p256 else { throw ZeroTripError(.invalidInput, "a root key in a token is P-256") }
            let tokens = try TokenAccess(rootToken, environment: environment, pinVariable: TokenAccess.rootPINVariable)
            (key, certificate, keyFile) = try await BlockingWork.onDevice {
                let token = try tokens.token()
                let random = try withCrypto("naming the root key") { () throws(CryptoError) in try SecureRandom.bytes(count: 8) }
                let tokenKey = try withCrypto("making the root key in its token") { () throws(CryptoError) in
                    try TokenKey.generate(in: token, label: "root-\(Hex.encode(Array(random.prefix(4))))", id: random)
                }
                do {
                    let key = PrivateKey(token: tokenKey)
                    let certificate = try withCrypto("creating the root certificate") { () throws(CryptoError) in
                        try CertificateAuthority.makeRootCertificate(
                            subject: subject, key: key, notValidBefore: now.addingTimeInterval(-300),
                            notValidAfter: now.addingTimeInterval(Self.rootValidity))
                    }
                    return (key, certificate, tokenKey.uri.description)
                } catch {
                    try? tokenKey.destroy()
                    throw error
                }
            }
        } else {
            let secret = try await newRootSecret().secret
            let generated = try withCrypto("generating the root key") { () throws(CryptoError) in try PrivateKey(generating: algorithm) }
            key = generated
            certificate = try withCrypto("creating the root certificate") { () throws(CryptoError) in
                try CertificateAuthority.makeRootCertificate(
                    subject: subject, key: generated, notValidBefore: now.addingTimeInterval(-300),
                    notValidAfter: now.addingTimeInterval(Self.rootValidity))
            }
            keyFile = "root-\(certificate.kidHex).key.pem"
            let scrypt = home.keyEncryption
            let pem = try await BlockingWork.run {
                try withCrypto("encrypting the root key") { () throws(CryptoError) in
                    try generated.encryptedPEMRepresentation(passphrase: secret, scrypt: scrypt)
                }
            }
            try await home.keyFiles.create(keyFile, contents: pem)
        }
        /// A root key made for an initialisation that did not complete: its file removed, or its token key destroyed.
        func discardRootKey() {
            if let tokenKey = key.tokenKey { try? tokenKey.destroy() } else { home.keyFiles.discard(keyFile) }
        }
        do {
            try await Self.writeNewPublicFile(home.rootCertificateURL, contents: certificate.pemRepresentation)
        } catch {
            discardRootKey()
            throw error
        }
        do {
            try await database.write { db in
                try DistrictStore.insertDistrict(name: name, province: province, city: city, rootKid: certificate.kidHex, at: now, in: db)
                try SigningKeyStore.insert(certificate, departmentID: nil, role: .root, algorithm: algorithm, keyFile: keyFile, at: now, in: db)
                try AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .districtInitialized, target: "district",
                        details: ["name": name, "root_kid": certificate.kidHex, "algorithm": algorithm.rawValue]), at: now, in: db)
            }
        } catch {
            discardRootKey()
            try? FileManager.default.removeItem(at: home.rootCertificateURL)
            throw ZeroTripError(.storageFailure, "recording the district failed: \(error)")
        }
        cachedRoot = (certificate, key)
        return DistrictInfo(name: name, province: province, city: city, rootKid: certificate.kidHex, createdAt: now)
    }

    /// Records the province and city above the district (a district initialised before they were asked for, or a
    /// correction); audited. Documents issued afterwards print the new full name; issued ones keep theirs.
    public func setAdministrativeArea(province rawProvince: String, city rawCity: String, actor: String) async throws -> DistrictInfo {
        let (province, city) = try Self.area(province: rawProvince, city: rawCity)
        let now = clock.now()
        let found = try await database.write { db in
            guard try DistrictStore.setArea(province: province, city: city, in: db) else { return false }
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .districtAreaChanged, target: "district",
                    details: ["province": province, "city": city]), at: now, in: db)
            return true
        }
        guard found, let info = try await district() else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        return info
    }

    /// Province and city: each empty or 1–16 characters without spaces or control characters.
    static func area(province: String, city: String) throws(ZeroTripError) -> (String, String) {
        func check(_ value: String, _ field: String) throws(ZeroTripError) -> String {
            let trimmed = value.trimmingWhitespace()
            guard trimmed.count <= 16,
                !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.isWhitespace })
            else {
                throw ZeroTripError(.invalidInput, "\(field) must be at most 16 characters without spaces or control characters")
            }
            return trimmed
        }
        return (try check(province, "province"), try check(city, "city"))
    }

    /// The root certificate as recorded in the database.
    public nonisolated func rootCertificate() async throws -> Certificate {
        guard let info = try await district() else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        let der: Data? = try await database.read { db in try SigningKeyStore.certificate(info.rootKid, in: db) }
        guard let der else { throw ZeroTripError(.notInitialized, "the root key is not registered") }
        return try Certificate(derRepresentation: [UInt8](der))
    }

    /// The current root, unlocked. The cache is checked against `district.root_kid` on every call, so a renewal
    /// made by another process (the CLI beside a running daemon) takes effect at the next signature. A district with
    /// an online key keeps its root offline: the root is then never kept unlocked in memory after the ceremony's use.
    func unlockRoot() async throws -> (certificate: Certificate, key: PrivateKey) {
        let certificate = try await rootCertificate()
        if let cached = cachedRoot, cached.certificate == certificate {
            // An online key certified meanwhile (perhaps by the CLI): this is the root's last use from the cache.
            if try await hasOnlineKey() { cachedRoot = nil }
            return cached
        }
        let unlocked = try await unlockRootKey(kid: certificate.kidHex, what: "the root key")
        if unlocked.certificate == certificate, try await !hasOnlineKey() { cachedRoot = unlocked }
        return unlocked
    }

    /// Unlocks root key `kid` once however many callers ask while it is being unlocked (each would cost an scrypt
    /// run, and tree-head signing, trust-list publication and CRLs can all ask at the same moment).
    func unlockRootKey(kid: String, what: String) async throws -> (certificate: Certificate, key: PrivateKey) {
        let unlocking: Task<(certificate: Certificate, key: PrivateKey), any Error>
        if let running = unlockingRoots[kid] {
            unlocking = running
        } else {
            unlocking = Task {
                guard let unlocked = try await self.unlockKey(kid: kid, what: what, role: .root) else {
                    throw ZeroTripError(.notInitialized, "the root key \(kid.prefix(16)) is not registered")
                }
                return unlocked
            }
            unlockingRoots[kid] = unlocking
        }
        let result = await unlocking.result
        // Only the entry of this unlock is removed (a failed one may already have been replaced by a newer attempt).
        if unlockingRoots[kid] == unlocking { unlockingRoots[kid] = nil }
        return try result.get()
    }

    /// The registered key `kid` with its certificate: the key file read (permissions checked), decrypted with the
    /// passphrase and checked against the certificate; `nil` when no such key is registered.
    nonisolated func unlockKey(kid: String, what: String, role: KeyRole = .seal) async throws -> (certificate: Certificate, key: PrivateKey)? {
        let row = try await database.read { db in try SigningKeyStore.certificateAndKeyFile(kid, in: db) }
        guard let row else { return nil }
        let certificate = try Certificate(derRepresentation: [UInt8](row.certificate))
        let keyFile = row.keyFile
        let (home, passphrase) = (self.home, self.passphrase)
        let key: PrivateKey
        if TokenKey.isTokenLocation(keyFile) {
            key = try await openTokenKey(keyFile, what: what, role: role)
        } else {
            // File reads and scrypt: off the cooperative pool, and without holding the actor (read-only queries are nonisolated).
            key = try await BlockingWork.run {
                let pem = try home.keyFiles.read(keyFile)
                guard role == .root else {
                    let secret = try passphrase.resolve()
                    return try withCrypto("unlocking \(what)") { () throws(CryptoError) in try PrivateKey(pemRepresentation: pem, passphrase: secret)
                    }
                }
                return try Self.openRootKeyFile(pem, what: what, passphrase: passphrase).key
            }
        }
        guard key.publicKey.derRepresentation == certificate.publicKey.derRepresentation else {
            throw ZeroTripError(.malformedKey, "the key file of \(what) does not match its certificate")
        }
        return (certificate, key)
    }

    /// Decrypts a root key file with the root's own passphrase or, for a root made before roots had one, with the
    /// seals' passphrase (`sharesSealPassphrase`; `zerotrip root separate-passphrase` re-encrypts such a file).
    static func openRootKeyFile(
        _ pem: String, what: String, passphrase: PassphraseSource
    ) throws(ZeroTripError) -> (key: PrivateKey, sharesSealPassphrase: Bool) {
        let root = passphrase.forRoot
        var rootFailure: ZeroTripError?
        if let secret = try? root.resolve() {
            do {
                let key = try withCrypto("unlocking \(what)") { () throws(CryptoError) in try PrivateKey(pemRepresentation: pem, passphrase: secret) }
                // A root passphrase set equal to the seals' shares it all the same.
                let shared = (try? passphrase.resolve()).map { Self.samePassphrase($0, secret) } ?? false
                return (key, shared)
            } catch  where error.code == .wrongPassphrase {
                rootFailure = error
            }
        }
        guard let sealSecret = try? passphrase.resolve() else {
            if let rootFailure { throw rootFailure }
            _ = try root.resolve()  // throws missing_passphrase naming the root's variable and file
            throw ZeroTripError(.missingPassphrase, "no root key passphrase")
        }
        do {
            return (
                try withCrypto("unlocking \(what)") { () throws(CryptoError) in try PrivateKey(pemRepresentation: pem, passphrase: sealSecret) }, true
            )
        } catch  where error.code == .wrongPassphrase {
            throw ZeroTripError(
                .wrongPassphrase,
                "\(what) does not open with the root key passphrase (\(PassphraseSource.Purpose.root.environmentVariable) or Keys/\(PassphraseSource.Purpose.root.fileName))"
            )
        }
    }

    /// The passphrase a new root key file is encrypted with: the root's own, never the seals'. When none is configured,
    /// a random one is written to `Keys/root-passphrase` (mode 0600) and `generated` is set.
    nonisolated func newRootSecret() async throws -> (secret: String, generated: Bool) {
        let root = passphrase.forRoot
        guard let secret = try? root.resolve() else { return (try await root.generateFile(), true) }
        if let sealSecret = try? passphrase.resolve(), Self.samePassphrase(secret, sealSecret) {
            throw ZeroTripError(
                .invalidInput,
                "the root key needs a passphrase of its own: \(PassphraseSource.Purpose.root.environmentVariable) equals the seals' passphrase")
        }
        return (secret, false)
    }

    /// Compares two passphrases in constant time (over their digests: the lengths are secret too).
    static func samePassphrase(_ a: String, _ b: String) -> Bool {
        ConstantTime.equals(Digest.sha256(Array(a.utf8)), Digest.sha256(Array(b.utf8)))
    }

    /// The key a register row's `pkcs11:` URI names, opened in its token with the seal token's PIN (off the
    /// cooperative pool: a token answers at its own pace).
    nonisolated func openTokenKey(_ location: String, what: String, role: KeyRole = .seal) async throws -> PrivateKey {
        let tokens: TokenAccess
        let cacheKey = "\(role.rawValue) \(location)"
        if role == .seal, let configured = try sealToken {
            tokens = configured
        } else if let known = keyLocationTokens.withLock({ $0[cacheKey] }) {
            tokens = known
        } else {
            // The key's URI names its module and token; the PIN comes from the role's environment variable (the root's
            // is not the seals').
            tokens = try TokenAccess(
                location, environment: environment, pinVariable: role == .root ? TokenAccess.rootPINVariable : TokenAccess.sealPINVariable)
            keyLocationTokens.withLock { $0[cacheKey] = tokens }
        }
        return try await BlockingWork.onDevice {
            let uri: PKCS11URI
            do { uri = try PKCS11URI(location) } catch let error as CryptoError { throw ZeroTripError(error, context: "the key location of \(what)") }
            let token = try tokens.token(at: uri)
            return PrivateKey(token: try withCrypto("opening \(what) in its token") { () throws(CryptoError) in try TokenKey.open(uri, in: token) })
        }
    }

    /// Removes a key made for a change that did not commit: its file, or its key pair in the token.
    nonisolated func discardKey(_ location: String) {
        guard TokenKey.isTokenLocation(location) else { return home.keyFiles.discard(location) }
        guard let tokens = try? sealToken, let uri = try? PKCS11URI(location), let token = try? tokens.token(at: uri),
            let key = try? TokenKey.open(uri, in: token)
        else { return }
        try? key.destroy()
    }

    // MARK: Departments

    /// Creates a department with its seal key (`Keys/<CODE>-<kid>.key.pem`) and seal certificate
    /// (`Certificates/departments/<CODE>-<kid>.pem`) issued by the root.
    public func addDepartment(code rawCode: String, name rawName: String, algorithm: KeyAlgorithm = .p256, actor: String) async throws -> Department {
        let code = try Validation.departmentCode(rawCode)
        let name = try Validation.name(rawName, field: "department name")
        try Self.checkSealAlgorithm(algorithm)
        guard let district = try await district() else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        if try await department(code: code) != nil {
            throw ZeroTripError(.duplicateDepartment, "department \(code) already exists")
        }
        let now = clock.now()
        let (certificate, keyFile, certificateURL) = try await createSealFiles(
            code: code, name: name, districtName: district.name, algorithm: algorithm, now: now)
        do {
            try await database.write { db in
                let id = try DistrictStore.insertDepartment(code: code, name: name, at: now, in: db)
                try SigningKeyStore.insert(certificate, departmentID: id, role: .seal, algorithm: algorithm, keyFile: keyFile, at: now, in: db)
                try Self.logKeyEvent(.keyActivated, certificate: certificate, department: code, at: now, in: db)
                try AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .departmentCreated, target: "department:\(code)",
                        details: ["name": name, "kid": certificate.kidHex, "algorithm": algorithm.rawValue]), at: now, in: db)
            }
        } catch {
            discardKey(keyFile)
            try? FileManager.default.removeItem(at: certificateURL)
            if let error = error as? SQLFailure, error.kind == .uniqueViolation {
                throw ZeroTripError(.duplicateDepartment, "department \(code) already exists")
            }
            throw ZeroTripError(.storageFailure, "recording department \(code) failed")
        }
        return Department(code: code, name: name, createdAt: now, activeKid: certificate.kidHex)
    }

    /// Creates a seal key (encrypted, `Keys/<CODE>-<kid>.key.pem`) and its certificate issued by the root
    /// (`Certificates/departments/<CODE>-<kid>.pem`); the caller records them or discards the files.
    func createSealFiles(code: String, name: String, districtName: String, algorithm: KeyAlgorithm, now: Date) async throws -> (
        Certificate, String, URL
    ) {
        let root = try await unlockRootForCeremony("a new seal certificate")
        let subject = DistinguishedName([
            .init(type: "C", value: "CN"), .init(type: "O", value: districtName), .init(type: "OU", value: code), .init(type: "CN", value: name),
        ])
        let certificate: Certificate
        let keyFile: String
        if let tokens = try sealToken {
            // Made inside the token, never extractable; the register keeps the key's URI where a file name would be.
            (certificate, keyFile) = try await BlockingWork.onDevice {
                let token = try tokens.token()
                let random = try withCrypto("naming the key") { () throws(CryptoError) in try SecureRandom.bytes(count: 8) }
                let key = try withCrypto("making the seal key of \(code) in its token") { () throws(CryptoError) in
                    try TokenKey.generate(in: token, label: "seal-\(code)-\(Hex.encode(Array(random.prefix(4))))", id: random)
                }
                do {
                    let certificate = try withCrypto("certifying the seal key of \(code)") { () throws(CryptoError) in
                        try CertificateAuthority.issueSealCertificate(
                            subject: subject, subjectKey: key.publicKey, issuer: root.certificate, issuerKey: root.key,
                            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Self.sealValidity))
                    }
                    return (certificate, key.uri.description)
                } catch {
                    try? key.destroy()
                    throw error
                }
            }
        } else {
            let secret = try passphrase.resolve()
            let scrypt = home.keyEncryption
            let pem: String
            (certificate, pem) = try await BlockingWork.run {
                try withCrypto("creating the seal key of \(code)") { () throws(CryptoError) in
                    let sealKey = try PrivateKey(generating: algorithm)
                    let certificate = try CertificateAuthority.issueSealCertificate(
                        subject: subject, subjectKey: sealKey.publicKey, issuer: root.certificate, issuerKey: root.key,
                        notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Self.sealValidity))
                    return (certificate, try sealKey.encryptedPEMRepresentation(passphrase: secret, scrypt: scrypt))
                }
            }
            keyFile = "\(code)-\(certificate.kidHex).key.pem"
            try await home.keyFiles.create(keyFile, contents: pem)
        }
        let certificateURL = home.certificatesDirectory.appendingPathComponent("departments/\(code)-\(certificate.kidHex).pem")
        do {
            try await Self.writeNewPublicFile(certificateURL, contents: certificate.pemRepresentation)
        } catch {
            discardKey(keyFile)
            throw error
        }
        return (certificate, keyFile, certificateURL)
    }

    /// The department with `code` (case-insensitive), or `nil`.
    public nonisolated func department(code: String) async throws -> Department? {
        try await database.read { db in try DistrictStore.departments(code: code, in: db).first }
    }

    /// Every department, by code.
    public nonisolated func departments() async throws -> [Department] {
        try await database.read { db in try DistrictStore.departments(code: nil, in: db) }
    }

    /// Department code → name, for pages and figures that name departments.
    public nonisolated func departmentNames() async throws -> [String: String] {
        Dictionary(try await departments().map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
    }

    /// The signing keys of a department (or of the root with `nil`), newest first.
    public nonisolated func keys(department code: String?) async throws -> [SigningKeyInfo] {
        if let code, try await department(code: code) == nil { throw ZeroTripError(.unknownDepartment, "no department \(code)") }
        let now = clock.now()
        return try await database.read { db in try SigningKeyStore.infos(department: code, all: false, at: now, in: db) }
    }

    /// Checks that every registered key file exists with safe permissions (used by `serve` and `/readyz`).
    public nonisolated func checkKeyFiles() async throws {
        try home.keyFiles.checkAllPermissions()
        // With an online key the root may be away between ceremonies: readiness needs the online key instead.
        let (registered, online) = try await database.read { db in
            (try SigningKeyStore.keyFiles(in: db), try OnlineKeyStore.current(in: db))
        }
        var files = registered
        if let online { files = files.filter { $0.role != .root } + [(location: online.location, role: .seal)] }
        for file in files.map(\.location) where !TokenKey.isTokenLocation(file) {
            guard home.keyFiles.exists(file) else { throw ZeroTripError(.missingKeyFile, "key file \(file) is missing") }
        }
        // Keys held in a token: the token answers and holds them.
        for key in files.filter({ TokenKey.isTokenLocation($0.location) }).prefix(16) {
            _ = try await openTokenKey(key.location, what: key.role == .root ? "the root key" : "a seal key", role: key.role)
        }
    }

    /// Seal keys must be able to seal: PAdES validators and COSE ES256 verifiers accept ECDSA P-256 only, so an SM2
    /// seal could never issue a document. Refused before any key is made.
    static func checkSealAlgorithm(_ algorithm: KeyAlgorithm) throws(ZeroTripError) {
        guard algorithm == .p256 else {
            throw ZeroTripError(
                .sealAlgorithmUnsupported,
                "seal keys are ECDSA P-256 (documents carry PAdES signatures and COSE ES256 tokens); \(algorithm.rawValue) seals cannot sign documents"
            )
        }
    }

    /// ``writeNewPublicFile(_:contents:)`` from async code: the file is synced to disk off the cooperative pool.
    static func writeNewPublicFile(_ url: URL, contents: String) async throws {
        try await BlockingWork.onDevice { try writeNewPublicFile(url, contents: contents) }
    }

    /// Writes a new public file (certificate), refusing to overwrite one.
    static func writeNewPublicFile(_ url: URL, contents: String) throws(ZeroTripError) {
        do {
            try ExclusiveFile.makeDirectory(url.deletingLastPathComponent())
        } catch {
            throw ZeroTripError(.storageFailure, "cannot create \(url.deletingLastPathComponent().lastPathComponent)/").causedBy(error)
        }
        try ExclusiveFile.create(path: url.path, displayName: "certificate \(url.lastPathComponent)", contents: contents, mode: 0o644)
    }
}
