import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDomainTestSupport
import ZeroTripTestSupport

@Suite("Applicant sessions and device-key logins")
struct ApplicantSessionTests {
    static func district() async throws -> TestDistrict {
        let district = try TestDistrict(fileDatabase: true)
        try await IdentityFixtures.importDemoRegistry(district.services)
        return district
    }

    @Test("A session past its idle lifetime is refused; activity keeps it alive until the absolute lifetime")
    func lifetimes() async throws {
        let district = try await Self.district()
        let sessions = district.services.identity.sessions
        let policy = district.services.identity.policy
        let idle = try await IdentityFixtures.smsSession(district.services, person: IdentityFixtures.zhang)
        await #expect(try sessions.authenticate(token: idle.token).tier == 1)
        district.clock.advance(by: policy.lifetime(tier: 1).idle + 1)
        await expectError(.sessionInvalid) { try await sessions.authenticate(token: idle.token) }

        let active = try await IdentityFixtures.smsSession(district.services, person: IdentityFixtures.li)
        var elapsed: TimeInterval = 0
        while elapsed + 600 < policy.lifetime(tier: 1).absolute {
            district.clock.advance(by: 600)
            elapsed += 600
            await #expect(try sessions.authenticate(token: active.token).subject == active.session.subject, "active after \(elapsed) s")
        }
        district.clock.advance(by: policy.lifetime(tier: 1).absolute - elapsed + 1)
        let error = await #expect(throws: ZeroTripError.self) { try await sessions.authenticate(token: active.token) }
        #expect(error?.code == .sessionInvalid)
    }

    @Test("Tier-3 sessions idle out after 15 minutes, tier-2 after an hour")
    func idleByTier() async throws {
        let district = try await Self.district()
        let sessions = district.services.identity.sessions
        let window = try await IdentityFixtures.windowSession(district.services, person: IdentityFixtures.wang)
        let video = try await IdentityFixtures.videoSession(district.services, person: IdentityFixtures.li)
        district.clock.advance(by: 16 * 60)
        await expectError(.sessionInvalid) { try await sessions.authenticate(token: window.token) }
        await #expect(try sessions.authenticate(token: video.token).tier == 2)
    }

    @Test("Forged, altered, ended and foreign tokens are refused")
    func forged() async throws {
        let district = try await Self.district()
        let sessions = district.services.identity.sessions
        let issued = try await IdentityFixtures.smsSession(district.services, person: IdentityFixtures.zhang)
        var parts = issued.token.split(separator: ".").map(String.init)
        // Raise the tier inside the payload: the MAC no longer matches.
        let payload = String(decoding: Base64.decodeURLSafe(parts[1])!, as: UTF8.self).replacingOccurrences(of: "\"tier\":1", with: "\"tier\":3")
        parts[1] = Base64.encodeURLSafe(Array(payload.utf8))
        for token in [parts.joined(separator: "."), "zta1.e30.AAAA", "", String(repeating: "a", count: 5000), issued.token + "x"] {
            await expectError(.sessionInvalid) { try await sessions.authenticate(token: token) }
        }
        // A token minted by another installation (another identity key) is refused.
        let other = try await Self.district()
        let foreign = try await IdentityFixtures.smsSession(other.services, person: IdentityFixtures.zhang)
        await expectError(.sessionInvalid) { try await sessions.authenticate(token: foreign.token) }
        try await sessions.end(id: issued.session.id)
        await expectError(.sessionInvalid) { try await sessions.authenticate(token: issued.token) }
    }

    @Test("A tier-1 session cannot do a tier-2 action")
    func stepUp() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let low = try await IdentityFixtures.smsSession(district.services, person: IdentityFixtures.zhang)
        let error = #expect(throws: ZeroTripError.self) { try identity.sessions.require(low.session, tier: 2, for: "showing personal data") }
        #expect(error?.code == .stepUpRequired)
        let bind = await #expect(throws: ZeroTripError.self) {
            try await identity.registerDevice(
                session: low.session, publicKey: try PrivateKey(generating: .p256).publicKey.pemRepresentation, label: "x")
        }
        #expect(bind?.code == .stepUpRequired)
    }

    @Test("Device login: a fresh challenge signed by the bound key opens an AAL2 session")
    func deviceLogin() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let window = try await IdentityFixtures.windowSession(district.services, person: IdentityFixtures.zhang)
        let device = try await IdentityFixtures.bindDevice(district.services, session: window.session)
        let challenge = try await identity.challenge(deviceID: device.deviceID)
        let signature = try IdentityFixtures.sign(challenge, with: device.key)
        let session = try await identity.login(challengeID: challenge.challengeId, signature: signature, client: "c")
        #expect(session.session.tier == 2, "a device key is AAL2: tier-3 identity is capped at 2")
        #expect(session.session.method == "device_key" && session.session.deviceID == device.deviceID)
        #expect(session.session.subject == window.session.subject)
    }

    @Test("A challenge handed out by one daemon is answered through another on the same database, once: two answers at once open one session")
    func challengeAcrossDaemons() async throws {
        let district = try await Self.district()
        // A second daemon: its own services and connections over the same database file and Keys/.
        let other = ZeroTripServices(
            database: try AppDatabase.open(path: district.home.databasePath), home: district.home,
            passphrase: PassphraseSource(explicit: TestDistrict.passphrase, environment: [:], keys: district.home.keyFiles),
            clock: ZeroTripClock { [clock = district.clock] in clock.now })
        let window = try await IdentityFixtures.windowSession(district.services, person: IdentityFixtures.zhang)
        let device = try await IdentityFixtures.bindDevice(district.services, session: window.session)
        let challenge = try await district.services.identity.challenge(deviceID: device.deviceID)
        let session = try await other.identity.login(
            challengeID: challenge.challengeId, signature: try IdentityFixtures.sign(challenge, with: device.key), client: "c")
        #expect(session.session.deviceID == device.deviceID && session.session.subject == window.session.subject)
        #expect(
            await refused {
                try await district.services.identity.login(
                    challengeID: challenge.challengeId,
                    signature: try IdentityFixtures.sign(challenge, with: device.key), client: "c")
            },
            "used through the other daemon, so gone here too")

        for _ in 0..<5 {
            let raced = try await district.services.identity.challenge(deviceID: device.deviceID)
            let signature = try IdentityFixtures.sign(raced, with: device.key)
            async let first = try? district.services.identity.login(challengeID: raced.challengeId, signature: signature, client: "c")
            async let second = try? other.identity.login(challengeID: raced.challengeId, signature: signature, client: "c")
            let opened = await [first, second].compactMap { $0 }
            #expect(opened.count == 1, "one challenge, \(opened.count) sessions")
        }
        let failures = try await AuditLog.events(in: district.services.database, limit: 100).filter { $0.action == "identity.device.login_failed" }
        #expect(failures.count == 6 && failures.allSatisfy { $0.details.contains("unknown_or_used_challenge") }, "every refused answer is audited")
    }

    @Test("Replayed signatures, expired challenges, other keys and revoked devices are refused")
    func deviceLoginRefusals() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let window = try await IdentityFixtures.windowSession(district.services, person: IdentityFixtures.zhang)
        let device = try await IdentityFixtures.bindDevice(district.services, session: window.session)
        // Replay: the same challenge and signature twice.
        let challenge = try await identity.challenge(deviceID: device.deviceID)
        let signature = try IdentityFixtures.sign(challenge, with: device.key)
        _ = try await identity.login(challengeID: challenge.challengeId, signature: signature, client: "c")
        #expect(await refused { try await identity.login(challengeID: challenge.challengeId, signature: signature, client: "c") })
        // Expired.
        let late = try await identity.challenge(deviceID: device.deviceID)
        district.clock.advance(by: identity.policy.challengeLifetime + 1)
        #expect(
            await refused {
                try await identity.login(challengeID: late.challengeId, signature: try IdentityFixtures.sign(late, with: device.key), client: "c")
            })
        // Signed by another key, and a wrong signature burns the challenge.
        let stolen = try await identity.challenge(deviceID: device.deviceID)
        let intruder = try PrivateKey(generating: .p256)
        #expect(
            await refused {
                try await identity.login(challengeID: stolen.challengeId, signature: try IdentityFixtures.sign(stolen, with: intruder), client: "c")
            })
        #expect(
            await refused {
                try await identity.login(challengeID: stolen.challengeId, signature: try IdentityFixtures.sign(stolen, with: device.key), client: "c")
            })
        // A signature over another challenge.
        let a = try await identity.challenge(deviceID: device.deviceID), b = try await identity.challenge(deviceID: device.deviceID)
        #expect(
            await refused {
                try await identity.login(challengeID: a.challengeId, signature: try IdentityFixtures.sign(b, with: device.key), client: "c")
            })
        // Revoked device.
        try await identity.revokeDevice(device.deviceID, subject: window.session.subject, actor: "test")
        let afterRevoke = try await identity.challenge(deviceID: device.deviceID)
        #expect(
            await refused {
                try await identity.login(
                    challengeID: afterRevoke.challengeId, signature: try IdentityFixtures.sign(afterRevoke, with: device.key), client: "c")
            })
        // Malformed input.
        #expect(await refused { try await identity.login(challengeID: "zz", signature: "!!", client: "c") })
        await expectError(.invalidInput) { try await identity.challenge(deviceID: "not hex") }
    }

    @Test("A signature made by the openssl CLI logs in (DER ECDSA over the documented message)", .tags(.externalTool), .notInFastLoop)
    func opensslInterop() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let window = try await IdentityFixtures.windowSession(district.services, person: IdentityFixtures.li)
        let directory = try ExternalTool.temporaryDirectory()
        let keyPath = directory.appendingPathComponent("device.pem").path
        #expect(try ExternalTool.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyPath]).status == 0)
        let publicPEM = try ExternalTool.run(["openssl", "pkey", "-in", keyPath, "-pubout"]).stdout
        let device = try await identity.registerDevice(session: window.session, publicKey: publicPEM, label: "openssl")
        let challenge = try await identity.challenge(deviceID: device.deviceId)
        let messagePath = directory.appendingPathComponent("message").path
        try Data(challenge.signedMessage).write(to: URL(fileURLWithPath: messagePath))
        let signaturePath = directory.appendingPathComponent("signature.der").path
        #expect(try ExternalTool.run(["openssl", "dgst", "-sha256", "-sign", keyPath, "-out", signaturePath, messagePath]).status == 0)
        let signature = Base64.encodeURLSafe(Array(try Data(contentsOf: URL(fileURLWithPath: signaturePath))))
        await #expect(try identity.login(challengeID: challenge.challengeId, signature: signature, client: "c").session.tier == 2)
        #expect(device.deviceId == Hex.encode(Array(Digest.sha256(try PublicKey(pemRepresentation: publicPEM).derRepresentation).prefix(16))))
    }

    @Test("Device keys must be P-256, unique, and at most five per person")
    func deviceBinding() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let session = try await IdentityFixtures.videoSession(district.services, person: IdentityFixtures.wang).session
        await expectError(.invalidInput) {
            try await identity.registerDevice(session: session, publicKey: try PrivateKey(generating: .sm2).publicKey.pemRepresentation, label: "")
        }
        await expectError(.invalidInput) { try await identity.registerDevice(session: session, publicKey: "garbage", label: "") }
        await expectError(.invalidInput) {
            try await identity.registerDevice(session: session, publicKey: String(repeating: "A", count: 5000), label: "")
        }
        let key = try PrivateKey(generating: .p256)
        _ = try await identity.registerDevice(session: session, publicKey: key.publicKey.pemRepresentation, label: "1")
        await expectError(.invalidInput) {
            try await identity.registerDevice(session: session, publicKey: key.publicKey.pemRepresentation, label: "again")
        }
        for index in 2...5 {
            _ = try await identity.registerDevice(
                session: session, publicKey: try PrivateKey(generating: .p256).publicKey.pemRepresentation, label: "\(index)")
        }
        await expectError(.invalidInput) {
            try await identity.registerDevice(session: session, publicKey: try PrivateKey(generating: .p256).publicKey.pemRepresentation, label: "6")
        }
        await #expect(try identity.devices(subject: session.subject).count == 5)
    }
}

/// Whether `body` fails with `device_login_failed`.
fileprivate func refused(_ body: () async throws -> IssuedSession) async -> Bool {
    do {
        _ = try await body()
        return false
    } catch {
        return (error as? ZeroTripError)?.code == .deviceLoginFailed
    }
}
