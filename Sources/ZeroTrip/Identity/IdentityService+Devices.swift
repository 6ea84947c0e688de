public import Foundation
import ZeroTripCrypto

/// A device key bound to a person.
public struct DeviceKeyInfo: Sendable, Hashable, Codable {
    /// Device id: the first 16 bytes of SHA-256(SubjectPublicKeyInfo), hex.
    public var deviceId: String
    /// Label given at binding.
    public var label: String
    /// Tier of sessions it opens (at most 2: a device key is AAL2).
    public var tier: Int
    /// Bound at.
    public var createdAt: Date
    /// Revoked at.
    public var revokedAt: Date?
}

extension IdentityService {
    /// Binds a P-256 public key (SubjectPublicKeyInfo, DER or PEM) to the session's person. Needs a session of
    /// tier ≥ ``IdentityPolicy/tierForDeviceBinding``; the device opens AAL2 sessions of tier min(session tier, 2).
    public func registerDevice(session: ApplicantSession, publicKey raw: String, label rawLabel: String) async throws -> DeviceKeyInfo {
        try sessions.require(session, tier: policy.tierForDeviceBinding, for: "binding a device key")
        let label = try Validation.label(rawLabel)
        guard raw.utf8.count <= 2048 else { throw ZeroTripError(.invalidInput, "publicKey is too large") }
        let key: PublicKey
        do {
            if raw.contains("-----BEGIN") {
                key = try PublicKey(pemRepresentation: raw)
            } else if let der = Base64.decodeStandard(raw) ?? Base64.decodeURLSafe(raw) {
                key = try PublicKey(derRepresentation: der)
            } else {
                throw ZeroTripError(.invalidInput, "publicKey must be a PEM or base64 DER SubjectPublicKeyInfo")
            }
        } catch let error as ZeroTripError {
            throw error
        } catch {
            throw ZeroTripError(.invalidInput, "publicKey is not a valid P-256 SubjectPublicKeyInfo")
        }
        guard key.algorithm == .p256 else { throw ZeroTripError(.invalidInput, "device keys must be ECDSA P-256") }
        let deviceID = Hex.encode(Array(Digest.sha256(key.derRepresentation).prefix(16)))
        let now = clock.now()
        let tier = min(session.tier, 2)
        return try await database.write { db in
            guard try IdentityStore.activeDeviceCount(subject: session.subject, in: db) < policy.maximumDevices else {
                throw ZeroTripError(.invalidInput, "at most \(policy.maximumDevices) devices; revoke one first")
            }
            guard try !IdentityStore.deviceExists(deviceID, in: db) else {
                throw ZeroTripError(.invalidInput, "this key is already bound; generate a new key for a new binding")
            }
            guard let assurance = try IdentityStore.latestAssurance(subject: session.subject, minimumTier: session.tier, in: db) else {
                throw ZeroTripError(.stepUpRequired, "no assurance record backs this session")
            }
            try IdentityStore.insertDevice(
                id: deviceID, subject: session.subject, publicKey: key.derRepresentation, label: label, tier: tier,
                assuranceID: assurance, at: now, in: db)
            try AuditLog.append(
                AuditEntry(
                    actor: session.actor, action: .identityDeviceBound, target: "device:\(deviceID)",
                    details: ["session": session.id, "tier": "\(tier)"]), at: now, in: db)
            return DeviceKeyInfo(deviceId: deviceID, label: label, tier: tier, createdAt: now, revokedAt: nil)
        }
    }

    /// The devices of `subject`.
    public func devices(subject: String) async throws -> [DeviceKeyInfo] {
        try await database.read { db in try IdentityStore.devices(subject: subject, in: db) }
    }

    /// Revokes device `deviceID` of `subject`; its later logins fail.
    public func revokeDevice(_ deviceID: String, subject: String, actor: String) async throws {
        let now = clock.now()
        try await database.write { db in
            guard try IdentityStore.revokeDevice(deviceID.lowercased(), subject: subject, at: now, in: db) else {
                throw ZeroTripError(.notFound, "no active device \(deviceID.prefix(32)) for this person")
            }
            try AuditLog.append(
                AuditEntry(actor: actor, action: .identityDeviceRevoked, target: "device:\(deviceID.lowercased())"), at: now, in: db)
        }
        deviceKeys.remove(deviceID.lowercased())
    }

    /// A fresh single-use challenge for device `deviceID`. Unknown devices get one too (the login then fails),
    /// so device ids cannot be probed.
    /// Stored in the database, so a login can reach any daemon of the district.
    public func challenge(deviceID: String) async throws -> DeviceChallenge {
        guard deviceID.utf8.count == 32, Hex.decode(deviceID) != nil else { throw ZeroTripError(.invalidInput, "deviceId must be 32 hex digits") }
        let now = clock.now()
        let challenge = DeviceChallenge(
            challengeId: try randomHex(bytes: 16), deviceId: deviceID.lowercased(), nonce: try randomSecret(),
            expiresAt: SQLValue.stored(now.addingTimeInterval(policy.challengeLifetime)))
        try await database.write { db in try IdentityStore.insertChallenge(challenge, now: now, in: db) }
        return challenge
    }

    /// Completes a device-key login: the challenge must be outstanding (it is consumed now, whatever the
    /// outcome) and unexpired, and `signature` (DER or raw r‖s, base64url) must verify under the bound,
    /// unrevoked device key over ``DeviceChallenge/signedMessage``. Opens an AAL2 session.
    ///
    /// The challenge is read first and deleted in the transaction that opens the session (or records the
    /// refusal), so a login costs one write as before, and two daemons answering the same challenge at once open
    /// one session: the other finds it gone.
    public func login(challengeID: String, signature rawSignature: String, client: String) async throws -> IssuedSession {
        let now = clock.now()
        let actor = "applicant:\(String(client.prefix(64)))"
        let refused = { (reason: String, device: String, consumed: String?) async throws -> ZeroTripError in
            try await database.write { db in
                if let consumed { _ = try IdentityStore.takeChallenge(consumed, in: db) }
                try AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .identityDeviceLoginFailed, target: "device:\(device)",
                        outcome: "denied", details: ["reason": reason]), at: now, in: db)
            }
            return ZeroTripError(.deviceLoginFailed, "device login failed; request a new challenge")
        }
        let id = challengeID.lowercased()
        guard id.utf8.count == 32, Hex.decode(id) != nil, rawSignature.utf8.count <= 200,
            let challenge = try await database.read({ db in try IdentityStore.challenge(id, in: db) })
        else {
            throw try await refused("unknown_or_used_challenge", "-", nil)
        }
        guard challenge.expiresAt > now else { throw try await refused("expired_challenge", challenge.deviceId, id) }
        guard let bytes = Base64.decodeURLSafe(rawSignature) ?? Base64.decodeStandard(rawSignature),
            let signature =
                (bytes.count == 64
                    ? try? Signature(rawRepresentation: bytes, algorithm: .p256) : try? Signature(derRepresentation: bytes, algorithm: .p256))
        else { throw try await refused("malformed_signature", challenge.deviceId, id) }
        guard let device = try await database.read({ db in try IdentityStore.device(challenge.deviceId, in: db) }), !device.revoked else {
            throw try await refused("unknown_or_revoked_device", challenge.deviceId, id)
        }
        let key: PublicKey
        if let cached = deviceKeys.key(challenge.deviceId) {
            key = cached
        } else {
            guard let parsed = try? PublicKey(derRepresentation: device.publicKey) else {
                throw try await refused("unusable_key", challenge.deviceId, id)
            }
            deviceKeys.store(parsed, for: challenge.deviceId)
            key = parsed
        }
        guard key.isValidSignature(signature, for: challenge.signedMessage) else { throw try await refused("bad_signature", challenge.deviceId, id) }
        let (subject, tier) = (device.subject, device.tier)
        let session: IssuedSession? = try await database.write { db in
            // Taken here, with the session: an answer to the same challenge through another daemon finds it gone.
            guard try IdentityStore.takeChallenge(id, in: db) != nil else { return nil }
            try AuditLog.append(
                AuditEntry(
                    actor: "applicant:\(subject)", action: .identityDeviceLogin, target: "device:\(challenge.deviceId)",
                    details: ["tier": "\(tier)"]), at: now, in: db)
            return try sessions.create(subject: subject, tier: tier, method: "device_key", deviceID: challenge.deviceId, at: now, in: db)
        }
        guard let session else { throw try await refused("unknown_or_used_challenge", challenge.deviceId, nil) }
        return session
    }
}
