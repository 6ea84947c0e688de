import Foundation
import ZeroTripCrypto

/// The secret behind the population registry and applicant sessions: one 256-bit master key in
/// `Keys/identity.key` (mode 0600), from which independent purpose keys are derived with
/// HMAC-SHA-256(master, label).
///
/// - `lookup`: keyed hash of a citizen ID number, the registry's index (the number is not stored in clear);
/// - `seal`: AES-256-GCM encryption of ID numbers and phone numbers, opened only where needed;
/// - `codes`: keyed hashes of SMS codes and flow secrets;
/// - `sessions`: HMAC signature of applicant session tokens.
///
/// Losing the file makes the registry unreadable: back it up with the seal keys (docs/identity.md).
public struct IdentityKeys: Sendable {
    /// File name inside `Keys/`.
    public static let fileName = "identity.key"
    static let header = "zerotrip-identity-key-v1"

    let lookup: [UInt8]
    let seal: [UInt8]
    let codes: [UInt8]
    let sessions: [UInt8]

    init(master: [UInt8]) {
        lookup = HMAC.sha256(key: master, Array("zerotrip/identity/lookup/v1".utf8))
        seal = HMAC.sha256(key: master, Array("zerotrip/identity/seal/v1".utf8))
        codes = HMAC.sha256(key: master, Array("zerotrip/identity/codes/v1".utf8))
        sessions = HMAC.sha256(key: master, Array("zerotrip/identity/sessions/v1".utf8))
    }

    /// Loads `Keys/identity.key`, creating it (exclusively, mode 0600) on first use.
    public static func loadOrCreate(_ store: KeyFileStore) throws(ZeroTripError) -> IdentityKeys {
        if !store.exists(fileName) {
            let master = try withCrypto("generating the identity key") { () throws(CryptoError) in try SecureRandom.bytes(count: 32) }
            do {
                try store.create(fileName, contents: "\(header)\n\(Base64.encodeURLSafe(master))\n")
            } catch  where error.code == .fileExists {
                // Another process created it first; read theirs.
            }
        }
        let text = try store.read(fileName)
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.count == 2, lines[0] == header, let master = Base64.decodeURLSafe(lines[1]), master.count == 32 else {
            throw ZeroTripError(.identityKeyUnavailable, "\(fileName) is not a ZeroTrip identity key")
        }
        return IdentityKeys(master: master)
    }

    /// The registry index of a (validated) citizen ID number.
    func lookupHash(idNumber: String) -> [UInt8] {
        HMAC.sha256(key: lookup, Array("id:\(idNumber)".utf8))
    }

    /// A keyed hash of a name, so names compare in constant time.
    func nameHash(_ name: String) -> [UInt8] {
        HMAC.sha256(key: lookup, Array("name:\(name)".utf8))
    }

    /// A keyed hash of a short secret (SMS code, flow secret) bound to its context.
    func codeHash(context: String, secret: String) -> [UInt8] {
        HMAC.sha256(key: codes, Array("\(context)\u{0}\(secret)".utf8))
    }

    /// Encrypts `value` bound to `context` (the row it belongs to).
    func sealValue(_ value: String, context: String) throws(ZeroTripError) -> [UInt8] {
        try withCrypto("encrypting personal data") { () throws(CryptoError) in
            try AESGCM.seal(Array(value.utf8), key: seal, associatedData: Array(context.utf8))
        }
    }

    /// Decrypts a value sealed for `context`.
    func openValue(_ box: [UInt8], context: String) throws(ZeroTripError) -> String {
        guard let plain = AESGCM.open(box, key: seal, associatedData: Array(context.utf8)) else {
            throw ZeroTripError(.identityKeyUnavailable, "personal data do not decrypt with the identity key")
        }
        return String(decoding: plain, as: UTF8.self)
    }
}
