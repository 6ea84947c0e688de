public import Foundation
import ZeroTripCrypto

/// Why a key was revoked (RFC 5280 reason names).
public enum KeyRevocationReason: String, Sendable, CaseIterable, Codable {
    /// The private key leaked or may have.
    case keyCompromise = "key_compromise"
    /// Replaced by a new key (no compromise).
    case superseded
    /// The department stopped issuing.
    case cessationOfOperation = "cessation_of_operation"
    /// The department's name or affiliation changed.
    case affiliationChanged = "affiliation_changed"

    /// Parses `key-compromise` or `key_compromise`.
    public init?(parsing text: String) { self.init(rawValue: text.replacingOccurrences(of: "-", with: "_").lowercased()) }

    /// CRLReason code (RFC 5280 §5.3.1).
    public var crlReasonCode: Int {
        switch self {
        case .keyCompromise: 1
        case .affiliationChanged: 3
        case .superseded: 4
        case .cessationOfOperation: 5
        }
    }
}

extension DistrictAdministration {
    /// Rotates department `code`'s seal key: creates the next key and certificate, publishes it (trust list,
    /// log) as `pending`, and lets it take over signing after `overlap` (immediately when 0). The old key is
    /// then `retired`: it never signs again and keeps verifying its documents.
    public func rotate(department rawCode: String, overlap: TimeInterval, actor: String) async throws -> SigningKeyInfo {
        let code = try Validation.departmentCode(rawCode)
        guard overlap >= 0, overlap <= 30 * 86400 else { throw ZeroTripError(.invalidInput, "overlap must be 0–30 days") }
        guard let district = try await district() else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        guard let department = try await department(code: code) else { throw ZeroTripError(.unknownDepartment, "no department \(code)") }
        let state = try await database.read { db in try SigningKeyStore.rotationState(departmentCode: code, in: db) }
        guard let state, state.hasActiveKey else {
            throw ZeroTripError(.noActiveKey, "department \(code) has no active key to rotate; revoked departments get a new key with `keys create`")
        }
        guard state.pending == 0 else { throw ZeroTripError(.invalidInput, "a rotation of \(code) is already pending") }
        // The next key is P-256 whatever the active one is: an SM2 seal made before SM2 seals were refused cannot
        // issue, and rotating is how such a department moves on.
        let algorithm = KeyAlgorithm.p256
        let departmentID = state.departmentID
        let now = clock.now()
        let (certificate, keyFile, certificateURL) = try await createSealFiles(
            code: code, name: department.name, districtName: district.name, algorithm: algorithm, now: now)
        do {
            try await database.write { db in
                try SigningKeyStore.insert(
                    certificate, departmentID: departmentID, role: .seal, algorithm: algorithm, keyFile: keyFile,
                    status: .pending, activateAt: now.addingTimeInterval(overlap), at: now, in: db)
                try Self.logKeyEvent(.keyCreated, certificate: certificate, department: code, at: now, in: db)
                try AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .keyRotationStarted, target: "department:\(code)",
                        details: ["kid": certificate.kidHex, "overlap_seconds": "\(Int(overlap))"]), at: now, in: db)
                if overlap == 0 { try Self.activatePending(departmentID: departmentID, code: code, at: now, in: db) }
            }
        } catch {
            discardKey(keyFile)
            try? FileManager.default.removeItem(at: certificateURL)
            throw error as? ZeroTripError ?? ZeroTripError(.storageFailure, "recording the new key of \(code) failed; nothing changed")
        }
        return try await keys(department: code).first { $0.kid == certificate.kidHex }!
    }

    /// Creates a new active key for a department that has none (after its key was revoked).
    public func createKey(department rawCode: String, actor: String) async throws -> SigningKeyInfo {
        let code = try Validation.departmentCode(rawCode)
        guard let district = try await district() else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        guard let department = try await department(code: code) else { throw ZeroTripError(.unknownDepartment, "no department \(code)") }
        guard department.activeKid == nil else { throw ZeroTripError(.invalidInput, "department \(code) has an active key; use `keys rotate`") }
        let departmentID: Int64 = try await database.read { db in
            guard let id = try DistrictStore.departmentID(code: code, in: db) else {
                throw ZeroTripError(.unknownDepartment, "no department \(code)")
            }
            return id
        }
        let algorithm = KeyAlgorithm.p256  // the only seal algorithm that can sign documents (checkSealAlgorithm)
        let now = clock.now()
        let (certificate, keyFile, certificateURL) = try await createSealFiles(
            code: code, name: department.name, districtName: district.name, algorithm: algorithm, now: now)
        do {
            try await database.write { db in
                try SigningKeyStore.insert(
                    certificate, departmentID: departmentID, role: .seal, algorithm: algorithm, keyFile: keyFile, at: now, in: db)
                try Self.logKeyEvent(.keyActivated, certificate: certificate, department: code, at: now, in: db)
                try AuditLog.append(
                    AuditEntry(actor: actor, action: .keyCreated, target: "department:\(code)", details: ["kid": certificate.kidHex]), at: now,
                    in: db)
            }
        } catch {
            discardKey(keyFile)
            try? FileManager.default.removeItem(at: certificateURL)
            throw ZeroTripError(.storageFailure, "recording the new key of \(code) failed; nothing changed")
        }
        return try await keys(department: code).first { $0.kid == certificate.kidHex }!
    }

    /// Promotes pending keys whose time has come (every department); called before each seal lookup and by the daemon's timer.
    /// Destroys, in their token, the private keys of seal keys that will never sign again: retired when their
    /// rotation's overlap ended, or revoked. Each is audited `key.destroyed` once (a key already gone from the token
    /// is recorded as such). Their certificates stay in the register and the trust list, so every document they signed
    /// keeps verifying. Returns how many were destroyed now.
    @discardableResult
    public nonisolated func destroyFinishedTokenKeys() async throws -> Int {
        let finished = try await database.read { db in try SigningKeyStore.finishedTokenKeys(in: db) }
        guard !finished.isEmpty else { return 0 }
        let done = try await database.read { db in
            Set(
                try AuditLog.events(targets: finished.map { "key:\($0.kid)" }, actions: [AuditAction.keyDestroyed.rawValue], limit: 1000, in: db)
                    .map(\.target))
        }
        var destroyed = 0
        for key in finished where !done.contains("key:\(key.kid)") {
            var details = ["department": key.department, "location": key.location]
            if try await destroyTokenKey(at: key.location, what: "seal key \(key.kid)") { destroyed += 1 } else { details["already_absent"] = "true" }
            let (now, entry) = (clock.now(), AuditEntry(actor: "system", action: .keyDestroyed, target: "key:\(key.kid)", details: details))
            try await database.write { db in try AuditLog.append(entry, at: now, in: db) }
        }
        return destroyed
    }

    /// Destroys the private key a register row's `pkcs11:` URI names in its token (off the cooperative pool): true when
    /// destroyed now, false when it was no longer there.
    nonisolated func destroyTokenKey(at location: String, what: String) async throws -> Bool {
        do {
            let tokenKey = try await openTokenKey(location, what: what).tokenKey
            try await BlockingWork.onDevice {
                try withCrypto("destroying \(what)") { () throws(CryptoError) in try tokenKey?.destroy() }
            }
            return true
        } catch let error as ZeroTripError where error.code == .tokenKeyNotFound {
            return false
        }
    }

    public func activateDueKeys() async throws {
        let now = clock.now()
        let due = try await database.read { db in try SigningKeyStore.departmentsWithDueKeys(at: now, in: db) }
        for (id, code) in due {
            try await database.write { db in try Self.activatePending(departmentID: id, code: code, at: now, in: db) }
        }
    }

    /// Within a transaction: the due pending key becomes active, the active one retired.
    static func activatePending(departmentID: Int64, code: String, at now: Date, in db: SQLTransaction) throws {
        guard let pending = try SigningKeyStore.duePendingKey(departmentID: departmentID, at: now, in: db) else { return }
        let kid = pending.kid
        for old in try SigningKeyStore.activeKeys(departmentID: departmentID, in: db) {
            try SigningKeyStore.retire(old.kid, reason: "rotated", at: now, in: db)
            try logKeyEvent(
                .keyRetired, certificate: try Certificate(derRepresentation: [UInt8](old.certificate)), department: code, at: now, in: db)
        }
        try SigningKeyStore.activate(kid, reason: "rotation", at: now, in: db)
        try logKeyEvent(
            .keyActivated, certificate: try Certificate(derRepresentation: [UInt8](pending.certificate)), department: code, at: now, in: db)
        try AuditLog.append(
            AuditEntry(actor: "system", action: .keyActivated, target: "department:\(code)", details: ["kid": kid]), at: now, in: db)
    }

    /// Moves seal key `kid` from its encrypted file into the seal token (``ZeroTripHome/sealToken``): the key is
    /// imported as a sensitive, non-extractable token object, checked against its certificate, the register row names
    /// the token key from then on (audited `key.migrated`), and the file is removed. For districts that start with
    /// files and buy a token later; the key's certificate, kid and history do not change.
    ///
    /// A daemon that already unlocked the key keeps signing with its copy in memory until it restarts.
    public func migrateKey(kid rawKid: String, actor: String) async throws -> SigningKeyInfo {
        let kid = rawKid.lowercased()
        guard let tokens = try sealToken else {
            throw ZeroTripError(.invalidConfiguration, "no seal token is configured: name it with --to, sealToken or ZEROTRIP_SEAL_TOKEN")
        }
        let row = try await database.read { db in try SigningKeyStore.key(kid, in: db) }
        guard let row else { throw ZeroTripError(.unknownKey, "no key \(kid.prefix(16))") }
        guard row.role == .seal, let code = row.department else {
            throw ZeroTripError(.invalidInput, "only seal keys move into the seal token; the root key stays with its ceremony")
        }
        guard row.status != .revoked else { throw ZeroTripError(.keyRevoked, "key \(kid) is revoked; it signs nothing and stays where it is") }
        let keyFile = try await database.read { db in try SigningKeyStore.certificateAndKeyFile(kid, in: db) }?.keyFile ?? ""
        guard !TokenKey.isTokenLocation(keyFile) else { throw ZeroTripError(.invalidInput, "key \(kid) is held in a token already") }
        guard let unlocked = try await unlockKey(kid: kid, what: "seal key \(kid)") else { throw ZeroTripError(.unknownKey, "no key \(kid)") }
        let (home, certificate) = (self.home, unlocked.certificate)
        let moved = try await BlockingWork.onDevice {
            let token = try tokens.token()
            let key = try withCrypto("moving seal key \(kid) into its token") { () throws(CryptoError) in
                try TokenKey.importing(unlocked.key, into: token, label: "seal-\(code)-\(kid.prefix(8))", id: Hex.decode(kid) ?? Array(kid.utf8))
            }
            guard key.publicKey.derRepresentation == certificate.publicKey.derRepresentation else {
                try? key.destroy()
                throw ZeroTripError(.malformedKey, "the token's copy of \(kid) does not match its certificate")
            }
            return key
        }
        let location = moved.uri.description
        let now = clock.now()
        do {
            try await database.write { db in
                try SigningKeyStore.moveKey(kid, to: location, in: db)
                try AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .keyMigrated, target: "key:\(kid)",
                        details: ["department": code, "from": keyFile, "to": location]), at: now, in: db)
            }
        } catch {
            try? await BlockingWork.onDevice { try moved.destroy() }
            throw error as? ZeroTripError
                ?? ZeroTripError(.storageFailure, "recording the move of \(kid) failed; the key stays in its file").causedBy(error)
        }
        cachedSealers[kid] = nil
        home.keyFiles.discard(keyFile)
        guard let info = try await allKeys().first(where: { $0.kid == kid }) else { throw ZeroTripError(.unknownKey, "no key \(kid)") }
        return info
    }

    /// Revokes seal key `kid`: documents it signed that were logged (covered by a signed tree head) at or before
    /// `notAfter` stay valid; later ones verify as revoked. `notAfter` cannot lie in the future.
    public func revokeKey(kid rawKid: String, notAfter rawNotAfter: Date, reason: KeyRevocationReason, actor: String) async throws -> SigningKeyInfo {
        let kid = rawKid.lowercased()
        // Whole seconds: tokens carry whole-second issue times and the trust list whole-second ISO times.
        let notAfter = Date(timeIntervalSince1970: rawNotAfter.timeIntervalSince1970.rounded(.down))
        let now = clock.now()
        guard notAfter <= now else { throw ZeroTripError(.invalidInput, "not-after lies in the future; revoke from a time that has passed (or now)") }
        let row = try await database.read { db in try SigningKeyStore.key(kid, in: db) }
        guard let row else { throw ZeroTripError(.unknownKey, "no key \(kid.prefix(16))") }
        guard row.role == .seal, let code = row.department else {
            throw ZeroTripError(.invalidInput, "the root key is renewed, not revoked here (docs/trust-list.md)")
        }
        guard row.status != .revoked else { throw ZeroTripError(.keyRevoked, "key \(kid) is already revoked") }
        let certificate = try Certificate(derRepresentation: [UInt8](row.certificate))
        try await database.write { db in
            try SigningKeyStore.revoke(kid, notAfter: notAfter, reason: reason.rawValue, at: now, in: db)
            try Self.logKeyEvent(
                .keyRevoked, certificate: certificate, department: code, at: now, in: db,
                extra: ["not_after": AuditEvent.timestamp(notAfter), "reason": reason.rawValue])
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .keyRevoked, target: "key:\(kid)",
                    details: ["department": code, "not_after": AuditEvent.timestamp(notAfter), "reason": reason.rawValue]), at: now, in: db)
        }
        cachedSealers[kid] = nil
        unlockingSealers[kid] = nil
        return try await keys(department: code).first { $0.kid == kid }!
    }

    /// Sets optional limits on an active or pending key: documents signed and age (warning at 90 %, refusal at 100 %).
    public func setLimits(kid rawKid: String, maxUses: Int?, maxAgeDays: Int?, actor: String) async throws -> SigningKeyInfo {
        let kid = rawKid.lowercased()
        if let maxUses, maxUses < 1 { throw ZeroTripError(.invalidInput, "max uses must be at least 1") }
        if let maxAgeDays, !(1...3650).contains(maxAgeDays) { throw ZeroTripError(.invalidInput, "max age must be 1–3650 days") }
        let now = clock.now()
        let code: String? = try await database.write { db in
            guard let code = try SigningKeyStore.setLimits(kid, maxUses: maxUses, maxAgeSeconds: maxAgeDays.map { $0 * 86400 }, in: db) else {
                return nil
            }
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .keyLimitsSet, target: "key:\(kid)",
                    details: ["max_uses": maxUses.map(String.init) ?? "none", "max_age_days": maxAgeDays.map(String.init) ?? "none"]), at: now, in: db
            )
            return code
        }
        guard let code else { throw ZeroTripError(.unknownKey, "no active or pending seal key \(kid.prefix(16))") }
        return try await keys(department: code).first { $0.kid == kid }!
    }

    /// Every key of every department and the root (for the trust list), oldest first.
    public nonisolated func allKeys() async throws -> [SigningKeyInfo] {
        let now = clock.now()
        return try await database.read { db in try SigningKeyStore.infos(department: nil, all: true, at: now, in: db) }
    }

    /// Appends a key event to the transparency log.
    static func logKeyEvent(
        _ kind: LogEntryKind, certificate: Certificate, department: String, at now: Date, in db: SQLTransaction, extra: [String: String] = [:]
    ) throws {
        var fields = [
            "kid": certificate.kidHex, "department": department, "certificate_sha256": Hex.encode(Digest.sha256(certificate.derRepresentation)),
        ]
        fields.merge(extra) { a, _ in a }
        try TransparencyLog.append(kind: kind, ref: "key:\(certificate.kidHex)", fields: fields, at: now, in: db)
    }

    /// Signs a tree head over the log's current size with the key that signs lists (the current online key, else the
    /// root) and stores it.
    @discardableResult
    public func signTreeHead(_ log: TransparencyLog) async throws -> SignedTreeHead {
        let signer = try await listSigner()
        let now = clock.now()
        return try await database.write { db in
            // A renewal or a new online key committed since the key was unlocked (perhaps by another process): never sign
            // with a superseded key.
            let rootKid = try DistrictStore.rootKid(in: db)
            let online = try OnlineKeyStore.current(in: db)?.kid
            guard rootKid == signer.rootKid, online == (signer.online ? signer.certificate.kidHex : nil) else {
                throw ZeroTripError(
                    .notReady, "the district's signing key was just replaced; the tree head will be signed by the new one at the next attempt")
            }
            // Verifiers accept a head only inside its signer's certificate (RootSet.maySign).
            guard !signer.online || now <= signer.certificate.notValidAfter else { throw Self.onlineKeyEnded(signer.certificate) }
            let size = try TransparencyLog.size(db)
            let hash = try TransparencyLog.rootHash(size: size, in: db)
            var timestamp = UInt64(max(0, (now.timeIntervalSince1970 * 1000).rounded(.down)))
            if let last = try TransparencyLog.latestTreeHead(db), last.timestamp >= timestamp { timestamp = last.timestamp + 1 }
            let message = SignedTreeHead.signedBytes(treeSize: size, timestamp: timestamp, rootHash: hash)
            let signature = try withCrypto("signing the tree head") { () throws(CryptoError) in
                try signer.key.signature(for: message).derRepresentation
            }
            try TransparencyLog.insertTreeHead(
                size: size, timestamp: timestamp, rootHash: hash, kid: signer.certificate.kidHex, signature: signature, in: db)
            return SignedTreeHead(
                treeSize: size, timestamp: timestamp, rootHash: Base64.encode(hash), kid: signer.certificate.kidHex,
                signature: Base64.encode(signature)
            )
        }
    }
}
