public import Foundation
import Synchronization
public import ZeroTripCrypto
public import ZeroTripDocuments

/// A signed trust list as served: the exact JSON bytes, the root's DER signature over them, and an ETag.
public struct SignedTrustList: Sendable {
    /// The list.
    public var list: TrustList
    /// The exact bytes signed and served.
    public var json: [UInt8]
    /// DER ECDSA (or SM2) signature by the root over `json`.
    public var signature: [UInt8]
    /// `"<sha256 of json, hex>"`.
    public var etag: String
}

/// A signed document status list as served: the exact JSON bytes, the root's DER signature over them, and an ETag.
public struct SignedStatusList: Sendable {
    /// The list.
    public var list: DocumentStatusList
    /// The exact bytes signed and served.
    public var json: [UInt8]
    /// DER signature by the current root over `json`.
    public var signature: [UInt8]
    /// `"<sha256 of json, hex>"`.
    public var etag: String
}

/// Builds, signs and caches the trust list and the CRL; a change of the key set or half the validity passing makes a new one.
public final class TrustListService: Sendable {
    let database: AppDatabase
    let administration: DistrictAdministration
    let log: TransparencyLog
    let clock: ZeroTripClock
    /// How long a list is current (`nextUpdate - issuedAt`).
    public let validity: TimeInterval
    /// How long after `nextUpdate` a verifier may still use it.
    public let grace: TimeInterval
    /// How long a document status list is current: an hour, so a revocation reaches offline verifiers that refresh
    /// on time within the hour.
    public let statusValidity: TimeInterval
    /// How long after its `nextUpdate` a status list may still be used.
    public let statusGrace: TimeInterval
    /// How long a root CRL is current when the district runs with an online key (the root then signs one only at a
    /// ceremony): 90 days. Hold a ceremony before it runs out, and after revoking a seal key.
    public let offlineRootCRLValidity: TimeInterval = 90 * 86_400
    private let cached = Mutex<(generation: Int64, list: SignedTrustList)?>(nil)
    private let cachedStatus = Mutex<(generation: Int64, keys: Int64, list: SignedStatusList)?>(nil)
    private let cachedCRLs = Mutex<[String: (generation: Int64, issuedAt: Date, der: [UInt8])]>([:])

    /// Creates the service.
    public init(
        database: AppDatabase, administration: DistrictAdministration, log: TransparencyLog, clock: ZeroTripClock,
        validity: TimeInterval = 24 * 3600, grace: TimeInterval = 24 * 3600,
        statusValidity: TimeInterval = 3600, statusGrace: TimeInterval = 23 * 3600
    ) {
        self.statusValidity = statusValidity
        self.statusGrace = statusGrace
        self.database = database
        self.administration = administration
        self.log = log
        self.clock = clock
        self.validity = validity
        self.grace = grace
    }

    func generation() async throws -> Int64 {
        try await database.read { db in try SigningKeyStore.generation(in: db) }
    }

    /// The current signed list (re-signed when keys changed or half its validity passed).
    public func current() async throws -> SignedTrustList {
        try await administration.activateDueKeys()
        let now = clock.now()
        let generation = try await generation()
        if let cached = cached.withLock({ $0 }), cached.generation == generation, now < cached.list.list.issuedAt.addingTimeInterval(validity / 2),
            now >= cached.list.list.issuedAt
        {
            return cached.list
        }
        guard let district = try await administration.district() else { throw ZeroTripError(.notInitialized, "the district is not initialised") }
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let keys = try await administration.allKeys().filter { $0.role == .seal }.map { info in
            TrustList.Key(
                kid: info.kid, department: info.departmentCode ?? "", algorithm: info.algorithm, status: info.status.rawValue,
                certificate: Base64.encode((try? Certificate(pemRepresentation: info.certificatePEM).derRepresentation) ?? []),
                notBefore: info.notBefore, notAfter: info.notAfter, activateAt: info.activateAt, retiredAt: info.retiredAt,
                revokedAt: info.revokedAt, revokedNotAfter: info.revokedNotAfter, revocationReason: info.revocationReason)
        }
        let roots = try await administration.roots().map { root in
            TrustList.Root(
                kid: root.kid, status: root.status.rawValue,
                certificate: Base64.encode((try? Certificate(pemRepresentation: root.certificatePEM).derRepresentation) ?? []),
                notBefore: root.notBefore, notAfter: root.notAfter)
        }
        let links = try await administration.rootLinks().map { Base64.encode($0.derRepresentation) }
        let head = try await log.latestTreeHead().map {
            TrustList.SignedTreeHeadView(treeSize: $0.treeSize, timestamp: $0.timestamp, rootHash: $0.rootHash, signature: $0.signature, kid: $0.kid)
        }
        let infos = try await administration.onlineKeys().prefix(RootSet.maximumOnlineKeys)
        let onlineKeys = infos.map { key in
            TrustList.OnlineKey(
                kid: key.kid, rootKid: key.rootKid, status: key.status.rawValue,
                certificate: Base64.encode((try? Certificate(pemRepresentation: key.certificatePEM).derRepresentation) ?? []))
        }
        let signer = infos.first { $0.status == .current }
        // Verifiers refuse a list once its online signer's certificate has ended: say so in nextUpdate.
        let list = TrustList(
            district: district.name, sequence: generation, issuedAt: issuedAt,
            nextUpdate: min(issuedAt.addingTimeInterval(validity), signer?.notAfter ?? .distantFuture), graceSeconds: Int(grace),
            rootKid: district.rootKid, keys: keys,
            treeHead: head,
            roots: roots, links: links, onlineKeys: onlineKeys.isEmpty ? nil : Array(onlineKeys), signerKid: signer?.kid)
        let json = Array(try TrustList.encoder.encode(list))
        let signature = try await signed(json, rootKid: list.rootKid, signerKid: list.signerKid)
        let signedList = SignedTrustList(list: list, json: json, signature: signature, etag: "\"\(Hex.encode(Digest.sha256(json)))\"")
        cached.withLock { $0 = (generation, signedList) }
        return signedList
    }

    /// `json` signed by the key that signs lists now, which must be the one the list names (a renewal or a new online
    /// key committed while the list was being made is a 503 the caller retries, never a list naming the wrong key).
    private func signed(_ json: [UInt8], rootKid: String, signerKid: String?) async throws -> [UInt8] {
        let signed = try await administration.listSignature(for: json)
        guard signed.rootKid == rootKid, signed.signerKid == signerKid else {
            throw ZeroTripError(.notReady, "the district's signing key was just replaced; retry")
        }
        return signed.signature
    }

    /// The current signed document status list: every revoked or superseded document, re-signed when the register's
    /// statuses changed or half its validity passed.
    public func currentStatusList() async throws -> SignedStatusList {
        let now = clock.now()
        // The key generation too: a new online key (or a renewal) signs the next status list at once.
        let (generation, keys) = try await database.read { db in
            (try DocumentRegister.statusGeneration(in: db), try SigningKeyStore.generation(in: db))
        }
        if let cached = cachedStatus.withLock({ $0 }), cached.generation == generation, cached.keys == keys,
            now < cached.list.list.issuedAt.addingTimeInterval(statusValidity / 2), now >= cached.list.list.issuedAt
        {
            return cached.list
        }
        guard let district = try await administration.district() else { throw ZeroTripError(.notInitialized, "the district is not initialised") }
        let changes = try await database.read { db in try DocumentRegister.statusChanges(in: db) }
        let entries = changes.compactMap { change -> DocumentStatusList.Entry? in
            guard let id = Hex.decode(change.id) else { return nil }
            return DocumentStatusList.Entry(
                hash: DocumentStatusList.entryHash(documentID: id), status: change.status.rawValue,
                reason: change.reason, changedAt: change.changedAt)
        }
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let signer = try await administration.onlineKeys().first { $0.status == .current }
        let signerKid = signer?.kid
        let list = DocumentStatusList(
            district: district.name, rootKid: district.rootKid, issuedAt: issuedAt,
            nextUpdate: min(issuedAt.addingTimeInterval(statusValidity), signer?.notAfter ?? .distantFuture), graceSeconds: Int(statusGrace),
            entries: entries, signerKid: signerKid)
        let json = Array(try DocumentStatusList.encoder.encode(list))
        let signature = try await signed(json, rootKid: list.rootKid, signerKid: signerKid)
        let signed = SignedStatusList(list: list, json: json, signature: signature, etag: "\"\(Hex.encode(Digest.sha256(json)))\"")
        cachedStatus.withLock { $0 = (generation, keys, signed) }
        return signed
    }

    /// A root's CRL (DER), by default the current root's: every revoked seal certificate that root issued, with
    /// reason and invalidity date ("not after"). After a renewal each previous root still signs the CRL of its seals.
    public func crl(rootKid: String? = nil) async throws -> [UInt8] {
        let now = clock.now()
        let generation = try await generation()
        guard let district = try await administration.district() else { throw ZeroTripError(.notInitialized, "the district is not initialised") }
        let kid = rootKid?.lowercased() ?? district.rootKid
        if let cached = cachedCRLs.withLock({ $0[kid] }), cached.generation == generation, now < cached.issuedAt.addingTimeInterval(validity / 2),
            now >= cached.issuedAt
        {
            return cached.der
        }
        guard let root = try await administration.rootCertificates().first(where: { $0.kidHex == kid }) else {
            throw ZeroTripError(.notFound, "no root \(kid.prefix(16)) in this district")
        }
        // The root away (found so less than a minute ago): the kept CRL at once, without listing revocations for nothing.
        if try await administration.rootKnownAway(), let kept = try await administration.lastCRL(rootKid: kid) { return kept }
        var revoked: [RevokedCertificate] = []
        for info in try await administration.allKeys() where info.role == .seal && info.status == .revoked {
            let certificate = try Certificate(pemRepresentation: info.certificatePEM)
            guard try await administration.issuingRoot(of: certificate) == root else { continue }
            revoked.append(
                RevokedCertificate(
                    certificate: certificate, revokedAt: info.revokedAt ?? now,
                    reasonCode: KeyRevocationReason(rawValue: info.revocationReason ?? "")?.crlReasonCode ?? 0, invalidityDate: info.revokedNotAfter))
        }
        // A district with an online key keeps its root offline between ceremonies: the CRL the root signs then must last
        // until the next one.
        let online = try await administration.hasOnlineKey()
        let der: [UInt8]
        let nextUpdate = now.addingTimeInterval(online ? offlineRootCRLValidity : validity)
        do {
            der = try await administration.makeCRL(rootKid: kid, number: generation, thisUpdate: now, nextUpdate: nextUpdate, revoked: revoked)
        } catch let error as ZeroTripError where online && error.code != .notInitialized && error.code != .notFound {
            // The root is away: the CRL it signed at the last ceremony, until the next. Read each time (never cached),
            // so one a ceremony signed through the CLI is served at once.
            guard let kept = try await administration.lastCRL(rootKid: kid) else {
                throw ZeroTripError(
                    .rootOffline, "root \(kid.prefix(16)) is offline and has signed no CRL yet; connect it and publish the trust list"
                )
                .causedBy(error)
            }
            return kept
        }
        try await administration.keepCRL(der, rootKid: kid, number: generation, thisUpdate: now, nextUpdate: nextUpdate)
        cachedCRLs.withLock { $0[kid] = (generation, now, der) }
        return der
    }
}

extension TrustListService {
    /// Writes what an offline verifier needs into `directory`: `trust-list.json`, `trust-list.json.sig`, the document
    /// status list `status-list.json` and `status-list.json.sig`, the current root's CRL as `root.crl`, and after a renewal each previous root's CRL as `root-<kid>.crl`. When `directory`
    /// is the installation's `Certificates/`, `root.pem` and `roots/` are brought up to date too.
    @discardableResult
    public func publish(to directory: URL) async throws -> SignedTrustList {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ZeroTripError(.storageFailure, "cannot create \(directory.lastPathComponent)/").causedBy(error)
        }
        let signed = try await current()
        let status = try await currentStatusList()
        var files: [(String, [UInt8])] = [
            ("trust-list.json", signed.json), ("trust-list.json.sig", signed.signature), ("root.crl", try await crl()),
            ("status-list.json", status.json), ("status-list.json.sig", status.signature),
        ]
        for root in try await administration.roots() where root.status != .current {
            files.append(("root-\(root.kid).crl", try await crl(rootKid: root.kid)))
        }
        for (name, bytes) in files {
            do {
                try Data(bytes).write(to: directory.appendingPathComponent(name), options: .atomic)
            } catch {
                throw ZeroTripError(.storageFailure, "cannot write \(name)").causedBy(error)
            }
        }
        if directory.standardizedFileURL == administration.home.certificatesDirectory.standardizedFileURL {
            try await administration.publishCurrentRoot()
        }
        return signed
    }
}

extension DistrictAdministration {
    /// Signs a CRL with the key of root `rootKid`; `root_offline` at once while ``rootKnownAway()``.
    public func makeCRL(rootKid: String, number: Int64, thisUpdate: Date, nextUpdate: Date, revoked: [RevokedCertificate]) async throws -> [UInt8] {
        if try await rootKnownAway() { throw ZeroTripError(.rootOffline, "the district root key is offline") }
        let root: (certificate: Certificate, key: PrivateKey)
        do {
            root = try await unlockRoot(kid: rootKid)
            rootLastSeen = (clock.now(), true)
        } catch {
            rootLastSeen = (clock.now(), false)
            throw error
        }
        let sign = { @Sendable () throws in
            try withCrypto("signing the CRL") { () throws(CryptoError) in
                try CertificateRevocationList.make(
                    issuer: root.certificate, key: root.key, number: number, thisUpdate: thisUpdate, nextUpdate: nextUpdate, revoked: revoked)
            }
        }
        // A root in a token signs at the token's pace: off the cooperative pool.
        return root.key.tokenKey == nil ? try sign() : try await BlockingWork.onDevice(sign)
    }
}
