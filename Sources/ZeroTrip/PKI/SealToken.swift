import Foundation
import Synchronization
import ZeroTripCrypto

/// A PKCS#11 token keys are made and used in, with its PIN: the seal token (``ZeroTripHome/sealToken``, PIN in
/// `ZEROTRIP_SEAL_TOKEN_PIN`) or the root's (PIN in `ZEROTRIP_ROOT_TOKEN_PIN`: a different token or slot, and a
/// different PIN, so the seals' PIN cannot sign as the root).
///
/// The PIN comes from the role's environment variable, else from the file the URI's `pin-source` names (readable by the
/// daemon's user only), else from its `pin-value` (tests; a PIN in a configuration file is worth little more than a key
/// file). Tokens are opened on first use and kept; a token that failed is opened afresh by the next signature, so the
/// daemon reconnects by itself when it is back.
final class TokenAccess: Sendable {
    /// Environment variable holding the seal token's user PIN.
    static let sealPINVariable = "ZEROTRIP_SEAL_TOKEN_PIN"
    /// Environment variable holding the root token's user PIN.
    static let rootPINVariable = "ZEROTRIP_ROOT_TOKEN_PIN"

    /// The variable this token's PIN is read from.
    let pinVariable: String

    /// Where new seal keys are made: the token's URI (module path included, never a PIN).
    let uri: PKCS11URI
    private let pinValue: String?
    private let opened = Mutex<[String: PKCS11Token]>([:])

    /// `text` as configured; `environment` supplies the PIN under `pinVariable`.
    init(_ text: String, environment: [String: String], pinVariable: String = TokenAccess.sealPINVariable) throws(ZeroTripError) {
        self.pinVariable = pinVariable
        var uri: PKCS11URI
        do { uri = try PKCS11URI(text) } catch { throw ZeroTripError(.invalidConfiguration, "sealToken: \(error.message)") }
        guard uri.modulePath != nil else {
            throw ZeroTripError(.invalidConfiguration, "sealToken names no module-path (the token vendor's PKCS#11 library)")
        }
        guard uri.token != nil || uri.serial != nil || uri.slotID != nil else {
            throw ZeroTripError(.invalidConfiguration, "sealToken names no token= (its label), serial= or slot-id=")
        }
        pinValue = environment[pinVariable].flatMap { $0.isEmpty ? nil : $0 } ?? uri.pinValue
        uri.pinValue = nil
        uri.object = nil
        uri.id = nil
        uri.type = nil
        self.uri = uri
    }

    /// The PIN, read when a token is opened (a `pin-source` file may be replaced while the daemon runs).
    private func pin() throws(ZeroTripError) -> String {
        if let pinValue { return pinValue }
        guard let source = uri.pinSource else {
            throw ZeroTripError(
                .invalidConfiguration, "no PIN for the token: set \(pinVariable) or name a pin-source file in its pkcs11: URI")
        }
        let path = source.hasPrefix("file:") ? String(source.dropFirst("file:".count)) : source
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            attributes[.type] as? FileAttributeType == .typeRegular, let mode = attributes[.posixPermissions] as? Int
        else { throw ZeroTripError(.invalidConfiguration, "the seal token's pin-source \(path) is not a readable file") }
        guard mode & 0o077 == 0 else {
            throw ZeroTripError(
                .insecureKeyFile, "the seal token's pin-source \(path) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 256,
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
        else { throw ZeroTripError(.invalidConfiguration, "the seal token's pin-source \(path) holds no PIN") }
        return text
    }

    /// The token `location` names (the configured one, or the one a registered key's URI names), logged in.
    /// Blocking: call it off the cooperative pool.
    func token(at location: PKCS11URI? = nil) throws(ZeroTripError) -> PKCS11Token {
        var place = location ?? uri
        place.object = nil
        place.id = nil
        place.type = nil
        place.pinValue = nil
        if place.modulePath == nil { place.modulePath = uri.modulePath }
        let key = place.description
        if let token = opened.withLock({ $0[key] }) { return token }
        let pin = try pin()
        do {
            let token = try PKCS11Token(place, pin: pin)
            opened.withLock { $0[key] = token }
            return token
        } catch {
            throw ZeroTripError(error, context: "opening the token \(place)")
        }
    }
}

extension TokenKey {
    /// The URI a key's register row keeps in place of a key file name: a key held in a token is found by it.
    static func isTokenLocation(_ keyFile: String) -> Bool { keyFile.hasPrefix("pkcs11:") }
}
