public import Foundation
import Synchronization
import ZeroTripCrypto

/// A server challenge for a device-key login.
public struct DeviceChallenge: Sendable, Hashable, Codable {
    /// Challenge id (32 hex digits).
    public var challengeId: String
    /// The device it is for.
    public var deviceId: String
    /// 32 random bytes, base64url.
    public var nonce: String
    /// Expiry.
    public var expiresAt: Date

    /// The exact bytes the device signs (ECDSA P-256 with SHA-256):
    /// `zerotrip-device-login-v1\n<challengeId>\n<deviceId>\n<nonce>` in UTF-8.
    public var signedMessage: [UInt8] {
        Array("zerotrip-device-login-v1\n\(challengeId)\n\(deviceId)\n\(nonce)".utf8)
    }
}

/// Parsed device public keys by device id, so a login does not re-parse DER (bounded; revocation drops the entry).
final class DeviceKeyCache: Sendable {
    static let capacity = 50_000
    private let state = Mutex<[String: PublicKey]>([:])

    func key(_ id: String) -> PublicKey? { state.withLock { $0[id] } }

    func store(_ key: PublicKey, for id: String) {
        state.withLock { keys in
            if keys.count >= Self.capacity { keys.removeAll(keepingCapacity: true) }
            keys[id] = key
        }
    }

    func remove(_ id: String) { _ = state.withLock { $0.removeValue(forKey: id) } }
}
