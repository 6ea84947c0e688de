public import Foundation
public import ZeroTripCrypto
import ZeroTripDocuments

/// Whether a root is the district's current one.
public enum RootStatus: String, Sendable, Codable, Hashable {
    /// Signs trust lists, CRLs, tree heads and new seal certificates.
    case current
    /// Replaced by a renewal: anchors the seals it issued and signs their CRL.
    case previous
}

/// One root of the district.
public struct RootInfo: Sendable, Codable, Hashable {
    /// First 8 bytes of SHA-256 of the certificate, hex.
    public var kid: String
    /// Current or previous.
    public var status: RootStatus
    /// `P-256` or `SM2`.
    public var algorithm: String
    /// The self-signed certificate, PEM.
    public var certificatePEM: String
    /// Certificate validity.
    public var notBefore: Date
    /// Certificate validity.
    public var notAfter: Date
    /// When the root was created.
    public var createdAt: Date
}

/// What a root renewal made.
public struct RootRenewal: Sendable, Codable {
    /// The new, current root.
    public var root: RootInfo
    /// The root it replaces (now `previous`).
    public var previousKid: String
    /// The new key certified by the previous root ("new with old"), PEM: a verifier pinned to the previous root follows it.
    public var newWithOldPEM: String
    /// The previous key certified by the new root ("old with new"), PEM: a verifier pinned to the new root keeps trusting older seals.
    public var oldWithNewPEM: String
    /// Set when the renewal is committed but `Certificates/root.pem` could not be replaced (retry with `zerotrip trust-list export`).
    public var warning: String?
}

extension DistrictAdministration {
    /// Every root, the current one first, then older ones newest first.
    public nonisolated func roots() async throws -> [RootInfo] {
        guard let district = try await district() else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        return try await database.read { db in try SigningKeyStore.roots(in: db) }
            .map { row in
                let certificate = try Certificate(derRepresentation: [UInt8](row.certificate))
                return RootInfo(
                    kid: row.kid, status: row.kid == district.rootKid ? .current : .previous, algorithm: row.algorithm,
                    certificatePEM: certificate.pemRepresentation, notBefore: row.notBefore, notAfter: row.notAfter, createdAt: row.createdAt)
            }
            .sorted { ($0.status == .current ? 0 : 1) < ($1.status == .current ? 0 : 1) }
    }

    /// Every root certificate of the district (online verification trusts them all: the database is the authority).
    public nonisolated func rootCertificates() async throws -> [Certificate] {
        try await roots().map { try Certificate(pemRepresentation: $0.certificatePEM) }
    }

    /// Every link certificate between roots, oldest first.
    public nonisolated func rootLinks() async throws -> [Certificate] {
        let links = try await database.read { db in try DistrictStore.rootLinks(in: db) }
        return try links.map { try Certificate(derRepresentation: [UInt8]($0.der)) }
    }

    /// The root that issued `certificate` (a seal certificate), or `nil`.
    public nonisolated func issuingRoot(of certificate: Certificate) async throws -> Certificate? {
        await CertificateChainVerifier.issuingRoot(ofSeal: certificate, among: try rootCertificates()).root
    }

    /// Renews the district root: a new key (same algorithm) and a new self-signed certificate with the same subject,
    /// valid 10 years; two link certificates join it to the current root. The new root signs trust lists, CRLs, tree
    /// heads and every seal certificate made from now on; the previous root keeps anchoring the seals it issued (and
    /// signs their CRL) until they expire. Existing seal keys keep signing until their next rotation.
    ///
    /// Files: `Keys/root-<kid>.key.pem` (0600), `Certificates/roots/root-<kid>.pem` for both roots,
    /// `Certificates/roots/link-<subject kid>-by-<issuer kid>.pem`, and `Certificates/root.pem` replaced by the new root.
    ///
    /// `intoToken`: a `pkcs11:` URI (with `module-path`) to make the new root key in, PIN from `ZEROTRIP_ROOT_TOKEN_PIN`:
    /// how a district whose root is a file moves it into a token (the old root's file stays for the seals it anchors).
    /// Without it, a root in a token is renewed in that token, a root in a file in a new file.
    public func renewRoot(actor: String, intoToken: String? = nil) async throws -> RootRenewal {
        guard try await district() != nil else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        let old = try await unlockRootForCeremony("renewing the root")
        let (algorithmName, oldOnline) = try await database.read { db in
            (
                try SigningKeyStore.algorithm(of: old.certificate.kidHex, in: db) ?? "",
                try OnlineKeyStore.newest(certifiedBy: old.certificate.kidHex, in: db)
            )
        }
        // The online key the old root certified is certified again by the new one (same key, new certificate): the
        // daemon goes on signing lists and tree heads without the root after the ceremony.
        // Not one that has ended (the ceremony certifies a new key then); and never for longer than it had: a renewal
        // must not stretch the time a copy of the key could be used.
        let oldOnlineCertificate = try oldOnline.map { try Certificate(derRepresentation: [UInt8]($0.certificate)) }
            .flatMap { $0.notValidAfter > clock.now() ? $0 : nil }
        // Its new certificate starts at the renewal (RootSet.onlineSigners orders online keys by their start).
        let onlineStart = try await nextOnlineKeyStart(clock.now().addingTimeInterval(-RootSet.renewalBackdate))
        guard let algorithm = KeyAlgorithm(rawValue: algorithmName) else {
            throw ZeroTripError(.malformedKey, "the current root's algorithm is not recorded")
        }
        // A root held in a token is renewed in the same token (or the one named); a root in a file, in a new file.
        let newRootToken: PKCS11Token?
        if let intoToken {
            guard algorithm == .p256 else { throw ZeroTripError(.invalidInput, "a root key in a token is P-256; this root is \(algorithm.rawValue)") }
            let access = try TokenAccess(intoToken, environment: environment, pinVariable: TokenAccess.rootPINVariable)
            newRootToken = try await BlockingWork.onDevice { try access.token() }
        } else {
            newRootToken = old.key.tokenKey?.token
        }
        // A new root file gets the root's own passphrase, also when the previous root still shares the seals'.
        let secret = newRootToken == nil ? try await newRootSecret().secret : ""
        let now = clock.now()
        // Certificates hold whole seconds: the renewal time (now, rounded up) is what verifiers read back from the new root
        // (RootSet.supersededAt); every tree head the old root signed so far is at or before it.
        let notBefore = Date(timeIntervalSince1970: now.addingTimeInterval(-RootSet.renewalBackdate).timeIntervalSince1970.rounded(.up))
        let renewedAt = notBefore.addingTimeInterval(RootSet.renewalBackdate)
        let scrypt = home.keyEncryption
        let (key, certificate, newWithOld, oldWithNew, pem, online) = try await BlockingWork.run {
            try withCrypto("renewing the root") { () throws(CryptoError) in
                let key: PrivateKey
                if let newRootToken {
                    let random = try SecureRandom.bytes(count: 8)
                    key = PrivateKey(token: try TokenKey.generate(in: newRootToken, label: "root-\(Hex.encode(Array(random.prefix(4))))", id: random))
                } else {
                    key = try PrivateKey(generating: algorithm)
                }
                let certificate = try CertificateAuthority.renewRootCertificate(
                    previous: old.certificate, key: key, notValidBefore: notBefore,
                    notValidAfter: now.addingTimeInterval(Self.rootValidity))
                let far = now.addingTimeInterval(Self.rootValidity)
                let newWithOld = try CertificateAuthority.issueLinkCertificate(
                    subject: certificate, issuer: old.certificate, issuerKey: old.key,
                    notValidBefore: notBefore, notValidAfter: far)
                let oldWithNew = try CertificateAuthority.issueLinkCertificate(
                    subject: old.certificate, issuer: certificate, issuerKey: key,
                    notValidBefore: old.certificate.notValidBefore, notValidAfter: far)
                var online: Certificate?
                if let previous = oldOnlineCertificate {
                    online = try CertificateAuthority.issueOnlineSigningCertificate(
                        subject: previous.subject, subjectKey: previous.publicKey, issuer: certificate, issuerKey: key, notValidBefore: onlineStart,
                        notValidAfter: min(previous.notValidAfter, now.addingTimeInterval(Self.onlineKeyValidity)))
                }
                return (
                    key, certificate, newWithOld, oldWithNew,
                    newRootToken == nil ? try key.encryptedPEMRepresentation(passphrase: secret, scrypt: scrypt) : "", online
                )
            }
        }
        let keyFile = key.tokenKey?.uri.description ?? "root-\(certificate.kidHex).key.pem"
        let rootsDirectory = home.certificatesDirectory.appendingPathComponent("roots")
        var created: [URL] = []
        func removeCreated() {
            if let tokenKey = key.tokenKey { try? tokenKey.destroy() } else { home.keyFiles.discard(keyFile) }
            for url in created { try? FileManager.default.removeItem(at: url) }
        }
        if key.tokenKey == nil { try await home.keyFiles.create(keyFile, contents: pem) }
        do {
            let oldFile = rootsDirectory.appendingPathComponent("root-\(old.certificate.kidHex).pem")
            if try await Self.writePublicFileUnlessPresent(oldFile, contents: old.certificate.pemRepresentation) {
                created.append(oldFile)
            }
            for (name, cert) in [
                ("root-\(certificate.kidHex).pem", certificate),
                ("link-\(certificate.kidHex)-by-\(old.certificate.kidHex).pem", newWithOld),
                ("link-\(old.certificate.kidHex)-by-\(certificate.kidHex).pem", oldWithNew),
            ] {
                let url = rootsDirectory.appendingPathComponent(name)
                try await Self.writeNewPublicFile(url, contents: cert.pemRepresentation)
                created.append(url)
            }
        } catch {
            removeCreated()
            throw error
        }
        do {
            try await database.write { db in
                try SigningKeyStore.insert(certificate, departmentID: nil, role: .root, algorithm: algorithm, keyFile: keyFile, at: now, in: db)
                try SigningKeyStore.retire(old.certificate.kidHex, reason: "root_renewed", at: now, in: db)
                for (issuer, subject, link) in [(old.certificate, certificate, newWithOld), (certificate, old.certificate, oldWithNew)] {
                    try DistrictStore.insertRootLink(
                        issuer: issuer.kidHex, subject: subject.kidHex, certificate: link.derRepresentation, at: now, in: db)
                }
                // Tree heads signed by the old root must all predate the renewal time (RootSet.supersededAt); one signed
                // while this renewal was being prepared would not: abort and let the operator retry.
                for signer in [old.certificate.kidHex] + [oldOnline?.kid].compactMap({ $0 }) {
                    if let latest = try TransparencyLog.latestTreeHeadTime(signedBy: signer, in: db),
                        Double(latest) / 1000 > renewedAt.timeIntervalSince1970
                    {
                        throw ZeroTripError(.notReady, "a tree head was signed while the root was being renewed; nothing changed, retry")
                    }
                }
                // A newer online key certified by the old root meanwhile would be left behind.
                guard try OnlineKeyStore.newest(certifiedBy: old.certificate.kidHex, in: db)?.kid == oldOnline?.kid else {
                    throw ZeroTripError(.notReady, "an online key was certified while the root was being renewed; nothing changed, retry")
                }
                // Compare and swap: two renewals racing from two processes cannot both replace the same root.
                guard try DistrictStore.switchRoot(from: old.certificate.kidHex, to: certificate.kidHex, in: db) else {
                    throw ZeroTripError(
                        .invalidInput, "the root changed while renewing (another renewal ran); nothing changed, list the roots and retry if needed")
                }
                try Self.logKeyEvent(
                    .rootRenewed, certificate: certificate, department: "", at: now, in: db,
                    extra: [
                        "previous_kid": old.certificate.kidHex,
                        "link_new_with_old_sha256": Hex.encode(Digest.sha256(newWithOld.derRepresentation)),
                        "link_old_with_new_sha256": Hex.encode(Digest.sha256(oldWithNew.derRepresentation)),
                    ])
                if let online, let oldOnline {
                    try Self.checkStartsAfterEveryOnlineKey(online, in: db)
                    try Self.recordOnlineKey(online, rootKid: certificate.kidHex, location: oldOnline.location, actor: actor, at: now, in: db)
                }
                try AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .rootRenewed, target: "district",
                        details: ["kid": certificate.kidHex, "previous_kid": old.certificate.kidHex, "algorithm": algorithm.rawValue]), at: now,
                    in: db)
            }
        } catch {
            removeCreated()
            throw error as? ZeroTripError ?? ZeroTripError(.storageFailure, "recording the renewed root failed; nothing changed")
        }
        cachedRoot = online == nil ? (certificate, key) : nil
        // Committed: from here on the renewal has happened, so a failure to refresh root.pem is a warning, not an error
        // (an error would invite a retry that makes a third root).
        var warning: String?
        do { try await publishCurrentRoot() } catch {
            warning = (error as? ZeroTripError)?.message ?? "Certificates/root.pem was not updated; run `zerotrip trust-list export`"
        }
        let info = try await roots().first { $0.kid == certificate.kidHex }!
        return RootRenewal(
            root: info, previousKid: old.certificate.kidHex, newWithOldPEM: newWithOld.pemRepresentation, oldWithNewPEM: oldWithNew.pemRepresentation,
            warning: warning)
    }

    /// Makes `Certificates/root.pem` the current root (atomically replaced; it is derived from the database)
    /// and writes any missing `Certificates/roots/` file (every root and link certificate).
    public func publishCurrentRoot() async throws {
        let current = try await rootCertificate()
        let existing = try? String(contentsOf: home.rootCertificateURL, encoding: .utf8)
        if existing.flatMap({ try? Certificate(pemRepresentation: $0) }) != current {
            do {
                try Data(current.pemRepresentation.utf8).write(to: home.rootCertificateURL, options: .atomic)
            } catch {
                throw ZeroTripError(
                    .storageFailure, "cannot write \(home.rootCertificateURL.lastPathComponent); run `zerotrip trust-list export` to retry")
            }
        }
        let roots = try await rootCertificates()
        guard roots.count > 1 else { return }
        let directory = home.certificatesDirectory.appendingPathComponent("roots")
        var files = roots.map { ("root-\($0.kidHex).pem", $0) }
        let links = try await database.read { db in try DistrictStore.rootLinks(in: db) }
        for (issuer, subject, der) in links {
            files.append(("link-\(subject)-by-\(issuer).pem", try Certificate(derRepresentation: [UInt8](der))))
        }
        for (name, certificate) in files {
            _ = try await Self.writePublicFileUnlessPresent(directory.appendingPathComponent(name), contents: certificate.pemRepresentation)
        }
    }

    /// Writes a certificate file unless one of that name is there (its name says which certificate it holds); true
    /// when this call created it. The exclusive create is the check, so another renewal or publication of the same
    /// file at the same time finds it present rather than failing with `file_exists`.
    static func writePublicFileUnlessPresent(_ url: URL, contents: String) async throws -> Bool {
        try await BlockingWork.onDevice {
            do {
                try writeNewPublicFile(url, contents: contents)
                return true
            } catch let error as ZeroTripError where error.code == .fileExists {
                return false
            }
        }
    }

    /// Unlocks the key of root `kid` (the current root's is cached; older roots sign only their own CRL).
    func unlockRoot(kid: String) async throws -> (certificate: Certificate, key: PrivateKey) {
        let current = try await unlockRoot()
        if current.certificate.kidHex == kid { return current }
        guard try await roots().contains(where: { $0.kid == kid }) else { throw ZeroTripError(.unknownKey, "no root \(kid.prefix(16))") }
        return try await unlockRootKey(kid: kid, what: "root \(kid)")
    }
}

extension DistrictAdministration {
    /// What `separateRootPassphrase` did.
    public struct RootPassphraseSeparation: Sendable {
        /// Root keys whose files were encrypted again under the root's own passphrase.
        public var kids: [String]
        /// Whether the root's passphrase was generated into `Keys/root-passphrase` by this call.
        public var generated: Bool
    }

    /// Root key files that still open with the seals' passphrase (districts initialised before roots had a passphrase
    /// of their own) are encrypted again under the root's own: `ZEROTRIP_ROOT_PASSPHRASE`, else a random one written
    /// to `Keys/root-passphrase`, never equal to the seals'. Each new file is created beside the old one, the register
    /// names it in the transaction that records `root.passphrase_separated`, and only then is the old file removed: a
    /// crash at any point leaves a root that opens. The key, its certificate and kid do not change.
    public func separateRootPassphrase(actor: String) async throws -> RootPassphraseSeparation {
        guard try await district() != nil else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        let shared = try await rootFilesSharingSealPassphrase()
        guard !shared.isEmpty else { return RootPassphraseSeparation(kids: [], generated: false) }
        let (secret, generated) = try await newRootSecret()
        let scrypt = home.keyEncryption
        var separated: [String] = []
        for root in shared {
            let pem = try await BlockingWork.run {
                try withCrypto("encrypting root key \(root.kid.prefix(16))") { () throws(CryptoError) in
                    try root.key.encryptedPEMRepresentation(passphrase: secret, scrypt: scrypt)
                }
            }
            let suffix = try withCrypto("naming the new key file") { () throws(CryptoError) in Hex.encode(try SecureRandom.bytes(count: 4)) }
            let newFile = "root-\(root.kid)-\(suffix).key.pem"
            try await home.keyFiles.create(newFile, contents: pem)
            let now = clock.now()
            do {
                try await database.write { db in
                    try SigningKeyStore.moveRootKeyFile(root.kid, from: root.file, to: newFile, in: db)
                    try AuditLog.append(
                        AuditEntry(
                            actor: actor, action: .rootPassphraseSeparated, target: "key:\(root.kid)",
                            details: ["from": root.file, "to": newFile]), at: now, in: db)
                }
            } catch {
                home.keyFiles.discard(newFile)
                throw error as? ZeroTripError
                    ?? ZeroTripError(.storageFailure, "recording the new root key file failed; the old one stays").causedBy(error)
            }
            home.keyFiles.discard(root.file)
            separated.append(root.kid)
        }
        cachedRoot = nil
        return RootPassphraseSeparation(kids: separated, generated: generated)
    }

    /// Whether some root key file still opens with the seals' passphrase (checked at start-up).
    public nonisolated func rootSharesSealPassphrase() async throws -> Bool {
        try await !rootFilesSharingSealPassphrase().isEmpty
    }

    /// The root key files that open with the seals' passphrase, with the key each holds: every root file is opened
    /// (an scrypt run each, off the cooperative pool); roots in a token are not files and never share it.
    nonisolated func rootFilesSharingSealPassphrase() async throws -> [(kid: String, file: String, key: PrivateKey)] {
        let roots = try await database.read { db in
            try SigningKeyStore.roots(in: db).compactMap { root in
                try SigningKeyStore.certificateAndKeyFile(root.kid, in: db).map { (kid: root.kid, file: $0.keyFile) }
            }
        }
        let (home, passphrase) = (self.home, self.passphrase)
        var shared: [(kid: String, file: String, key: PrivateKey)] = []
        for root in roots where !TokenKey.isTokenLocation(root.file) {
            let opened = try await BlockingWork.run {
                try Self.openRootKeyFile(try home.keyFiles.read(root.file), what: "root key \(root.kid.prefix(16))", passphrase: passphrase)
            }
            if opened.sharesSealPassphrase { shared.append((root.kid, root.file, opened.key)) }
        }
        return shared
    }
}
