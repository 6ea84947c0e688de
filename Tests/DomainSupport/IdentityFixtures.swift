public import Foundation
public import ZeroTrip
public import ZeroTripCrypto

/// Test helpers that walk the real verification paths (no shortcuts into the database).
public enum IdentityFixtures {
    /// The demo registry file (synthetic persons).
    public static let demoCSV: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("demo/persons.csv")

    /// 张三丰, holder of the first demo document.
    public static let zhang = (id: "440104199001010010", name: "张三丰")
    /// 李晓梅.
    public static let li = (id: "440604198506120023", name: "李晓梅")
    /// 王志强.
    public static let wang = (id: "44060419921130003X", name: "王志强")

    /// Imports the demo registry.
    @discardableResult
    public static func importDemoRegistry(_ services: ZeroTripServices) async throws -> RegistryImportReport {
        try await services.identity.registry.importCSV(Array(try Data(contentsOf: demoCSV)), actor: "test")
    }

    /// The code of the newest SMS in the outbox.
    public static func lastCode(_ services: ZeroTripServices) async throws -> String {
        let message = try await services.identity.outbox(limit: 1).last?.message ?? ""
        return String(message.unicodeScalars.filter { $0.properties.numericType != nil && $0.isASCII }.prefix(6).map(Character.init))
    }

    /// A tier-1 session through the SMS path.
    public static func smsSession(_ services: ZeroTripServices, person: (id: String, name: String), client: String = "test") async throws
        -> IssuedSession
    {
        let start = try await services.identity.start(method: .sms, idNumber: person.id, name: person.name, client: client)
        return try await services.identity.submitCode(
            verificationId: start.verificationId, secret: start.secret, code: try lastCode(services), client: client)
    }

    /// A clerk for attestations.
    public static let clerk = ClerkIdentity(id: "GA-0042", name: "赵文静")

    /// A tier-3 session through a window check and the phone hand-off.
    public static func windowSession(_ services: ZeroTripServices, person: (id: String, name: String)) async throws -> IssuedSession {
        let result = try await services.identity.windowCheck(
            card: CardRead(idNumber: person.id, name: person.name, validFrom: "2018-01-15", validUntil: "long-term"),
            faceMatched: true, clerk: clerk, station: "window-3", actor: "credential:test")
        return try await services.identity.claimSession(verificationId: result.handoff.verificationId, secret: result.handoff.secret, client: "test")!
    }

    /// A tier-2 session through a clerk's video check.
    public static func videoSession(_ services: ZeroTripServices, person: (id: String, name: String)) async throws -> IssuedSession {
        let start = try await services.identity.start(method: .video, idNumber: person.id, name: person.name, client: "test")
        _ = try await services.identity.attestVideo(
            verificationId: start.verificationId, matched: true, clerk: clerk, reference: "call-1", actor: "credential:test")
        return try await services.identity.claimSession(verificationId: start.verificationId, secret: start.secret, client: "test")!
    }

    /// Binds a new P-256 device key with a tier-2+ session; returns the device id and the private key.
    public static func bindDevice(_ services: ZeroTripServices, session: ApplicantSession) async throws -> (deviceID: String, key: PrivateKey) {
        let key = try PrivateKey(generating: .p256)
        let info = try await services.identity.registerDevice(session: session, publicKey: key.publicKey.pemRepresentation, label: "phone")
        return (info.deviceId, key)
    }

    /// Signs a challenge as a device would (DER, base64url).
    public static func sign(_ challenge: DeviceChallenge, with key: PrivateKey) throws -> String {
        Base64.encodeURLSafe(try key.signature(for: challenge.signedMessage).derRepresentation)
    }
}
