public import Foundation
public import ZeroTripCrypto
import ZeroTripDocuments

/// Whether an online signing key still signs.
public enum OnlineKeyStatus: String, Sendable, Codable, Hashable {
    /// The newest key certified by the current root: it signs lists and tree heads now.
    case current
    /// Replaced by a newer key or by a root renewal; the tree heads it signed before that still verify.
    case previous
}

/// One of the district's online signing keys (docs/keys.md, "The root offline").
public struct OnlineKeyInfo: Sendable, Codable, Hashable {
    /// First 8 bytes of SHA-256 of the certificate, hex.
    public var kid: String
    /// The root that certified it.
    public var rootKid: String
    /// Current or previous.
    public var status: OnlineKeyStatus
    /// Whether the key is held in a PKCS#11 token (else in an encrypted key file in Keys/).
    public var inToken: Bool
    /// Its certificate, PEM.
    public var certificatePEM: String
    /// Certificate validity.
    public var notBefore: Date
    /// Certificate validity.
    public var notAfter: Date
    /// When it was certified.
    public var createdAt: Date
}

/// Who signs the district's lists and tree heads now, as readiness reports it.
public struct ListSigning: Sendable, Hashable {
    /// The kid of the current online signing key, nil when the root signs lists and tree heads itself.
    public var onlineKid: String?
    /// When the online key's certificate ends, if that is near (``DistrictAdministration/onlineKeyWarning``) or past.
    public var onlineKeyEndsSoon: Date?
    /// Whether it has ended: lists and tree heads are no longer signed (issuance and verification go on).
    public var onlineKeyEnded: Bool = false
    /// Whether the root key could be used when last tried: always true when the root signs itself (readiness fails
    /// otherwise); with an online key the root may be away between ceremonies.
    public var rootConnected: Bool
}

extension DistrictAdministration {
    /// Online signing key certificate validity: 120 days, clipped to the root's. Short on purpose: verifiers know of a
    /// replacement only from the lists they are given, so a replaced key whose copy leaked could sign lists they
    /// accept until its certificate ends. The root's CRL needs a ceremony every 90 days anyway; certify a new key then.
    public static let onlineKeyValidity: TimeInterval = 120 * 86_400
    /// Readiness names the online key's end this long before it (time to hold the ceremony).
    public static let onlineKeyWarning: TimeInterval = 21 * 86_400

    /// Every online signing key, newest first.
    public nonisolated func onlineKeys() async throws -> [OnlineKeyInfo] {
        guard let district = try await district() else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        let records = try await database.read { db in try OnlineKeyStore.all(in: db) }
        let current = records.first { $0.rootKid == district.rootKid }?.kid
        return try records.map { record in
            let certificate = try Certificate(derRepresentation: [UInt8](record.certificate))
            return OnlineKeyInfo(
                kid: record.kid, rootKid: record.rootKid, status: record.kid == current ? .current : .previous,
                inToken: TokenKey.isTokenLocation(record.location), certificatePEM: certificate.pemRepresentation,
                notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter, createdAt: record.createdAt)
        }
    }

    /// Every online signing key's certificate, newest first (what a verifier of tree heads needs beside the roots).
    public nonisolated func onlineKeyCertificates() async throws -> [Certificate] {
        try await database.read { db in try OnlineKeyStore.all(in: db) }.map { try Certificate(derRepresentation: [UInt8]($0.certificate)) }
    }

    /// Certifies a new online signing key with the current root: a root ceremony. From the commit on, the new key signs
    /// trust lists, status lists and tree heads, and the daemon no longer needs the root key for them, so the root can
    /// be disconnected until the next ceremony (a new seal key, a root renewal, a CRL after revoking a seal).
    ///
    /// The key is made in the token `inToken` names (a `pkcs11:` URI with `module-path`, PIN from
    /// `ZEROTRIP_SEAL_TOKEN_PIN`), else in the seal token when the district has one, else in a key file
    /// `Keys/online-<kid>.key.pem` encrypted with the seals' passphrase: it is as exposed as the seals are.
    public func certifyOnlineKey(inToken: String? = nil, actor: String) async throws -> OnlineKeyInfo {
        guard let district = try await district() else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        let root = try await unlockRoot()
        let tokens = try inToken.map { try TokenAccess($0, environment: environment) } ?? sealToken
        let now = clock.now()
        let subject = DistinguishedName([
            .init(type: "C", value: "CN"), .init(type: "O", value: district.name), .init(type: "CN", value: "\(district.name) 在线签名密钥"),
        ])
        let notBefore = try await nextOnlineKeyStart(now.addingTimeInterval(-300))
        let notAfter = now.addingTimeInterval(Self.onlineKeyValidity)
        let certificate: Certificate
        let key: PrivateKey
        var pem = ""
        if let tokens {
            (certificate, key) = try await BlockingWork.onDevice {
                let token = try tokens.token()
                let random = try withCrypto("naming the online key") { () throws(CryptoError) in try SecureRandom.bytes(count: 8) }
                let key = try withCrypto("making the online key in its token") { () throws(CryptoError) in
                    PrivateKey(token: try TokenKey.generate(in: token, label: "online-\(Hex.encode(Array(random.prefix(4))))", id: random))
                }
                do {
                    let certificate = try withCrypto("certifying the online key") { () throws(CryptoError) in
                        try CertificateAuthority.issueOnlineSigningCertificate(
                            subject: subject, subjectKey: key.publicKey, issuer: root.certificate, issuerKey: root.key,
                            notValidBefore: notBefore, notValidAfter: notAfter)
                    }
                    return (certificate, key)
                } catch {
                    try? key.tokenKey?.destroy()
                    throw error
                }
            }
        } else {
            let secret = try passphrase.resolve()
            let scrypt = home.keyEncryption
            (certificate, key, pem) = try await BlockingWork.run {
                try withCrypto("making the online key") { () throws(CryptoError) in
                    let key = try PrivateKey(generating: .p256)
                    let certificate = try CertificateAuthority.issueOnlineSigningCertificate(
                        subject: subject, subjectKey: key.publicKey, issuer: root.certificate, issuerKey: root.key,
                        notValidBefore: notBefore, notValidAfter: notAfter)
                    return (certificate, key, try key.encryptedPEMRepresentation(passphrase: secret, scrypt: scrypt))
                }
            }
        }
        let location = key.tokenKey?.uri.description ?? "online-\(certificate.kidHex).key.pem"
        func discard() {
            if let tokenKey = key.tokenKey { try? tokenKey.destroy() } else { home.keyFiles.discard(location) }
        }
        if key.tokenKey == nil { try await home.keyFiles.create(location, contents: pem) }
        do {
            try await database.write { db in
                // A renewal committed since the root was unlocked (perhaps by another process): certify under the current root only.
                guard try DistrictStore.rootKid(in: db) == root.certificate.kidHex else {
                    throw ZeroTripError(.notReady, "the district root was just renewed; nothing changed, retry")
                }
                // Verifiers take the previous key as replaced from the new certificate's start plus the renewal margin
                // (RootSet.maySign); a tree head it signed later, while this key was being made, would break the log.
                let replacedAt = certificate.notValidBefore.addingTimeInterval(RootSet.renewalBackdate).timeIntervalSince1970 * 1000
                if let previous = try OnlineKeyStore.all(in: db).first,
                    let latest = try TransparencyLog.latestTreeHeadTime(signedBy: previous.kid, in: db), Double(latest) > replacedAt
                {
                    throw ZeroTripError(.notReady, "a tree head was signed while the online key was being certified; nothing changed, retry")
                }
                try Self.checkStartsAfterEveryOnlineKey(certificate, in: db)
                try Self.recordOnlineKey(certificate, rootKid: root.certificate.kidHex, location: location, actor: actor, at: now, in: db)
            }
        } catch {
            discard()
            throw error as? ZeroTripError ?? ZeroTripError(.storageFailure, "recording the online key failed; nothing changed")
        }
        cachedOnlineKey = (certificate, key)
        cachedRoot = nil
        await destroyReplacedOnlineKeys(olderThan: certificate, keeping: location)
        return try await onlineKeys().first { $0.kid == certificate.kidHex }!
    }

    /// Destroys the online keys certified before `newer` (a replaced key never signs again), other than the one at
    /// `keeping`: its token key, or its key file, each once (a key whose destruction is audited is not looked for
    /// again), audited `key.destroyed`; a failure is audited with outcome `failed` and the key is tried at the next
    /// ceremony. Only this machine's copy goes: other daemons' Keys/ folders are the operator's (docs/keys.md).
    func destroyReplacedOnlineKeys(olderThan newer: Certificate, keeping: String) async {
        guard let records = try? await database.read({ db in try OnlineKeyStore.all(in: db) }) else { return }
        let replaced = records.filter { record in
            record.location != keeping
                && (try? Certificate(derRepresentation: [UInt8](record.certificate)))
                    .map { $0.notValidBefore < newer.notValidBefore } == true
        }
        // One entry per key location (a renewal certified the same key again): the newest certificate names it.
        var newest: [String: String] = [:]
        for record in replaced where newest[record.location] == nil { newest[record.location] = record.kid }
        let locations = newest
        let kidsOfLocation = Dictionary(grouping: records, by: \.location).mapValues { $0.map { "key:\($0.kid)" } }
        let done = Set(
            (try? await database.read { db in
                try AuditLog.events(
                    targets: locations.keys.flatMap { kidsOfLocation[$0] ?? [] }, actions: [AuditAction.keyDestroyed.rawValue], limit: 1000, in: db
                ).filter { $0.outcome != "failed" }.map(\.target)
            }) ?? [])
        for (location, kid) in locations.sorted(by: { $0.key < $1.key }) where (kidsOfLocation[location] ?? []).allSatisfy({ !done.contains($0) }) {
            var details = ["online": "true", "location": location]
            var outcome = "ok"
            do {
                if TokenKey.isTokenLocation(location) {
                    if try await !destroyTokenKey(at: location, what: "online key \(kid)") { details["already_absent"] = "true" }
                } else {
                    try FileManager.default.removeItem(at: home.keysDirectory.appendingPathComponent(location))
                    details["file"] = "removed"
                }
            } catch let error as CocoaError where error.code == .fileNoSuchFile {
                details["already_absent"] = "true"
            } catch {
                outcome = "failed"
                details["error"] = (error as? ZeroTripError)?.code.rawValue ?? "storage_failure"
            }
            let (now, entry) = (
                clock.now(), AuditEntry(actor: "system", action: .keyDestroyed, target: "key:\(kid)", outcome: outcome, details: details)
            )
            _ = try? await database.write { db in try AuditLog.append(entry, at: now, in: db) }
        }
    }

    /// The start of a new online key's certificate: `proposed` in whole seconds, but always after every earlier online
    /// key's start, since verifiers tell which key replaced which by that time alone (RootSet.onlineSigners).
    nonisolated func nextOnlineKeyStart(_ proposed: Date) async throws -> Date {
        let latest = try await onlineKeyCertificates().map(\.notValidBefore).max()
        let start = Date(timeIntervalSince1970: proposed.timeIntervalSince1970.rounded(.up))
        guard let latest, latest >= start else { return start }
        return latest.addingTimeInterval(1)
    }

    /// Verifiers tell which online key replaced which by their certificates' starts alone: a new certificate must start
    /// after every registered one (checked in the transaction that records it, so two ceremonies at once cannot tie).
    static func checkStartsAfterEveryOnlineKey(_ certificate: Certificate, in db: SQLTransaction) throws {
        for record in try OnlineKeyStore.all(in: db) {
            guard let earlier = try? Certificate(derRepresentation: [UInt8](record.certificate)), earlier.notValidBefore < certificate.notValidBefore
            else { throw ZeroTripError(.notReady, "another online key was certified at the same moment; nothing changed, retry") }
        }
    }

    /// Registers an online key certified by root `rootKid`, logged and audited, in the caller's transaction.
    static func recordOnlineKey(_ certificate: Certificate, rootKid: String, location: String, actor: String, at now: Date, in db: SQLTransaction)
        throws
    {
        try OnlineKeyStore.insert(certificate, rootKid: rootKid, algorithm: .p256, location: location, at: now, in: db)
        try TransparencyLog.append(
            kind: .onlineKeyCertified, ref: "key:\(certificate.kidHex)",
            fields: [
                "kid": certificate.kidHex, "root_kid": rootKid, "certificate_sha256": Hex.encode(Digest.sha256(certificate.derRepresentation)),
            ], at: now, in: db)
        try AuditLog.append(
            AuditEntry(
                actor: actor, action: .rootOnlineKeyCertified, target: "district",
                details: ["kid": certificate.kidHex, "root_kid": rootKid, "held_in": TokenKey.isTokenLocation(location) ? "token" : "file"]),
            at: now, in: db)
    }

    /// The key that signs lists and tree heads now: the newest online key certified by the current root, unlocked
    /// (once per process), or the root itself when it certified none. `online` says which.
    func listSigner() async throws -> (certificate: Certificate, key: PrivateKey, rootKid: String, online: Bool) {
        let (rootKid, record) = try await database.read { db in
            let kid = try DistrictStore.rootKid(in: db)
            return (kid, try kid.flatMap { try OnlineKeyStore.newest(certifiedBy: $0, in: db) })
        }
        guard let rootKid else { throw ZeroTripError(.notInitialized, "the district is not initialised") }
        guard let record else {
            let root = try await unlockRoot()
            return (root.certificate, root.key, root.certificate.kidHex, false)
        }
        let certificate = try Certificate(derRepresentation: [UInt8](record.certificate))
        guard clock.now() <= certificate.notValidAfter else { throw Self.onlineKeyEnded(certificate) }
        if let cachedOnlineKey, cachedOnlineKey.certificate == certificate { return (certificate, cachedOnlineKey.key, rootKid, true) }
        let key = try await unlockOnlineKey(record.location, certificate: certificate)
        cachedOnlineKey = (certificate, key)
        return (certificate, key, rootKid, true)
    }

    /// Why nothing is signed with online key `certificate` any more: verifiers accept it only inside its validity.
    static func onlineKeyEnded(_ certificate: Certificate) -> ZeroTripError {
        ZeroTripError(
            .rootOffline,
            "the online signing key's certificate ended at \(AuditEvent.timestamp(certificate.notValidAfter)); certify a new one at a root ceremony (zerotrip root certify-online-key)"
        )
    }

    /// Opens an online key in its token, or reads and decrypts its file (seals' passphrase) off the cooperative pool,
    /// and checks it against its certificate.
    nonisolated func unlockOnlineKey(_ location: String, certificate: Certificate) async throws -> PrivateKey {
        let key: PrivateKey
        if TokenKey.isTokenLocation(location) {
            key = try await openTokenKey(location, what: "the online signing key")
        } else {
            let (home, passphrase) = (self.home, self.passphrase)
            key = try await BlockingWork.run {
                let pem = try home.keyFiles.read(location)
                let secret = try passphrase.resolve()
                return try withCrypto("unlocking the online signing key") { () throws(CryptoError) in
                    try PrivateKey(pemRepresentation: pem, passphrase: secret)
                }
            }
        }
        guard key.publicKey.derRepresentation == certificate.publicKey.derRepresentation else {
            throw ZeroTripError(.malformedKey, "the online signing key does not match its certificate")
        }
        return key
    }

    /// Signs `message` (a trust list, a status list) with the key that signs lists now: the current root kid and, when
    /// an online key signed, its kid, with the DER signature.
    public func listSignature(for message: [UInt8]) async throws -> (rootKid: String, signerKid: String?, signature: [UInt8]) {
        let signer = try await listSigner()
        let sign = { @Sendable () throws in
            try withCrypto("signing the list") { () throws(CryptoError) in try signer.key.signature(for: message).derRepresentation }
        }
        // A key in a token signs at the token's pace: off the cooperative pool (and off this actor).
        let signature = signer.key.tokenKey == nil ? try sign() : try await BlockingWork.onDevice(sign)
        return (signer.rootKid, signer.online ? signer.certificate.kidHex : nil, signature)
    }

    /// The root unlocked, or ``ZeroTripError/Code/rootOffline`` when the district runs with an online key and its root
    /// key cannot be used now (a token not connected, a passphrase not on this machine): for what only a ceremony does.
    /// The answer's Retry-After is an hour: a ceremony is not seconds away.
    func unlockRootForCeremony(_ purpose: String) async throws -> (certificate: Certificate, key: PrivateKey) {
        do {
            let root = try await unlockRoot()
            rootLastSeen = (clock.now(), true)
            return root
        } catch let error as ZeroTripError where error.code != .notInitialized {
            rootLastSeen = (clock.now(), false)
            guard try await hasOnlineKey() else { throw error }
            throw ZeroTripError(
                .rootOffline,
                "\(purpose) needs the district root key, which is offline (an online key signs lists and tree heads); connect it for a ceremony and retry"
            ).causedBy(error).retryingAfter(3600)
        }
    }

    /// Whether the root was found away less than a minute ago in a district with an online key: it is not looked for
    /// again until then (each look for a token that is away re-initialises its PKCS#11 module, and anyone may ask for
    /// the CRL).
    public func rootKnownAway() async throws -> Bool {
        guard let seen = rootLastSeen, !seen.usable, clock.now().timeIntervalSince(seen.at) < 60 else { return false }
        return try await hasOnlineKey()
    }

    /// Whether the current root certified an online key (then the daemon runs without the root).
    public nonisolated func hasOnlineKey() async throws -> Bool {
        try await database.read { db in try OnlineKeyStore.current(in: db) != nil }
    }

    /// Who signs lists now and whether the root key was usable when last needed; for `/readyz`. With an online key the
    /// root is probed at most once a minute (a token that is away would otherwise be looked for on every poll).
    public func listSigning() async throws -> ListSigning {
        let (record, rootLocation) = try await database.read { db in
            let rootKid = try DistrictStore.rootKid(in: db)
            return (try OnlineKeyStore.current(in: db), try rootKid.flatMap { try SigningKeyStore.certificateAndKeyFile($0, in: db) }?.keyFile)
        }
        guard let record else { return ListSigning(onlineKid: nil, onlineKeyEndsSoon: nil, rootConnected: true) }
        let now = clock.now()
        let ends = try Certificate(derRepresentation: [UInt8](record.certificate)).notValidAfter
        let endsSoon = ends.timeIntervalSince(now) < Self.onlineKeyWarning ? ends : nil
        if let seen = rootLastSeen, now.timeIntervalSince(seen.at) < 60 {
            return ListSigning(onlineKid: record.kid, onlineKeyEndsSoon: endsSoon, onlineKeyEnded: now > ends, rootConnected: seen.usable)
        }
        // Present, not unlocked: the token answers and holds the key, or the key file and a passphrase for it are here.
        var usable = false
        if let rootLocation {
            if TokenKey.isTokenLocation(rootLocation) {
                usable = (try? await openTokenKey(rootLocation, what: "the root key", role: .root)) != nil
            } else {
                usable = home.keyFiles.exists(rootLocation) && (try? passphrase.forRoot.resolve()) != nil
            }
        }
        rootLastSeen = (now, usable)
        return ListSigning(onlineKid: record.kid, onlineKeyEndsSoon: endsSoon, onlineKeyEnded: now > ends, rootConnected: usable)
    }

    /// Keeps `crl` as the last CRL root `rootKid` signed, to serve while that root is away.
    public nonisolated func keepCRL(_ crl: [UInt8], rootKid: String, number: Int64, thisUpdate: Date, nextUpdate: Date) async throws {
        try await database.write { db in
            try OnlineKeyStore.keepCRL(crl, rootKid: rootKid, number: number, thisUpdate: thisUpdate, nextUpdate: nextUpdate, in: db)
        }
    }

    /// The last CRL root `rootKid` signed, DER.
    public nonisolated func lastCRL(rootKid: String) async throws -> [UInt8]? {
        try await database.read { db in try OnlineKeyStore.lastCRL(rootKid: rootKid, in: db) }.map { [UInt8]($0.crl) }
    }
}
