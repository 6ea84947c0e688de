public import Foundation
import GRDB
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
    private let cached = Mutex<(generation: Int64, list: SignedTrustList)?>(nil)
    private let cachedCRL = Mutex<(generation: Int64, issuedAt: Date, der: [UInt8])?>(nil)

    /// Creates the service.
    public init(database: AppDatabase, administration: DistrictAdministration, log: TransparencyLog, clock: ZeroTripClock,
                validity: TimeInterval = 24 * 3600, grace: TimeInterval = 24 * 3600) {
        self.database = database
        self.administration = administration
        self.log = log
        self.clock = clock
        self.validity = validity
        self.grace = grace
    }

    func generation() throws -> Int64 {
        try database.writer.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM signing_key_history") ?? 0 }
    }

    /// The current signed list (re-signed when keys changed or half its validity passed).
    public func current() async throws -> SignedTrustList {
        try await administration.activateDueKeys()
        let now = clock.now()
        let generation = try generation()
        if let cached = cached.withLock({ $0 }), cached.generation == generation, now < cached.list.list.issuedAt.addingTimeInterval(validity / 2),
           now >= cached.list.list.issuedAt {
            return cached.list
        }
        guard let district = try await administration.district() else { throw ZeroTripError(.notInitialized, "the district is not initialised") }
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let keys = try await administration.allKeys().filter { $0.role == "seal" }.map { info in
            TrustList.Key(kid: info.kid, department: info.departmentCode ?? "", algorithm: info.algorithm, status: info.status,
                          certificate: Base64.encode((try? Certificate(pemRepresentation: info.certificatePEM).derRepresentation) ?? []),
                          notBefore: info.notBefore, notAfter: info.notAfter, activateAt: info.activateAt, retiredAt: info.retiredAt,
                          revokedAt: info.revokedAt, revokedNotAfter: info.revokedNotAfter, revocationReason: info.revocationReason)
        }
        let head = try log.latestTreeHead().map {
            TrustList.SignedTreeHeadView(treeSize: $0.treeSize, timestamp: $0.timestamp, rootHash: $0.rootHash, signature: $0.signature)
        }
        let list = TrustList(district: district.name, sequence: generation, issuedAt: issuedAt,
                             nextUpdate: issuedAt.addingTimeInterval(validity), graceSeconds: Int(grace), rootKid: district.rootKid, keys: keys, treeHead: head)
        let json = Array(try TrustList.encoder.encode(list))
        let signature = try await administration.rootSignature(for: json).signature
        let signed = SignedTrustList(list: list, json: json, signature: signature, etag: "\"\(Hex.encode(Digest.sha256(json)))\"")
        cached.withLock { $0 = (generation, signed) }
        return signed
    }

    /// The root's CRL (DER): every revoked seal certificate with reason and invalidity date ("not after").
    public func crl() async throws -> [UInt8] {
        let now = clock.now()
        let generation = try generation()
        if let cached = cachedCRL.withLock({ $0 }), cached.generation == generation, now < cached.issuedAt.addingTimeInterval(validity / 2), now >= cached.issuedAt {
            return cached.der
        }
        let revoked = try await administration.allKeys().filter { $0.role == "seal" && $0.status == "revoked" }.map { info in
            RevokedCertificate(certificate: try Certificate(pemRepresentation: info.certificatePEM), revokedAt: info.revokedAt ?? now,
                               reasonCode: KeyRevocationReason(rawValue: info.revocationReason ?? "")?.crlReasonCode ?? 0, invalidityDate: info.revokedNotAfter)
        }
        let der = try await administration.makeCRL(number: generation, thisUpdate: now, nextUpdate: now.addingTimeInterval(validity), revoked: revoked)
        cachedCRL.withLock { $0 = (generation, now, der) }
        return der
    }
}

extension DistrictAdministration {
    /// Signs a CRL with the root key.
    public func makeCRL(number: Int64, thisUpdate: Date, nextUpdate: Date, revoked: [RevokedCertificate]) throws -> [UInt8] {
        let root = try unlockRoot()
        return try withCrypto("signing the CRL") { () throws(CryptoError) in
            try CertificateRevocationList.make(issuer: root.certificate, key: root.key, number: number, thisUpdate: thisUpdate, nextUpdate: nextUpdate, revoked: revoked)
        }
    }
}
