import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripDomainTestSupport
import ZeroTripTestSupport

@Suite("The root offline: an online signing key certified by the root signs lists and tree heads between ceremonies")
struct OnlineKeyTests {
    /// A district with an online key, its root certificate and the key's certificate.
    struct Prepared {
        let district: TestDistrict
        let root: Certificate
        let online: OnlineKeyInfo
        var onlineCertificate: Certificate { get throws { try Certificate(pemRepresentation: online.certificatePEM) } }
    }

    static func prepared() async throws -> Prepared {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        let root = try await district.services.administration.rootCertificate()
        let online = try await district.services.administration.certifyOnlineKey(actor: "test")
        return Prepared(district: district, root: root, online: online)
    }

    /// Fresh services over the district's files and database (nothing unlocked or cached).
    static func fresh(_ district: TestDistrict) -> ZeroTripServices {
        ZeroTripServices(
            database: district.services.database, home: district.home,
            passphrase: PassphraseSource(explicit: TestDistrict.passphrase, environment: [:], keys: district.home.keyFiles),
            clock: ZeroTripClock { [clock = district.clock] in clock.now })
    }

    /// Takes the root away as a ceremony ends: its passphrase file and its key file leave the machine.
    static func disconnectRoot(_ district: TestDistrict) async throws {
        let kid = try #require(try await district.services.administration.district()?.rootKid)
        let file = try #require(try await district.services.database.read { db in try SigningKeyStore.certificateAndKeyFile(kid, in: db) }?.keyFile)
        district.home.keyFiles.discard(file)
        district.home.keyFiles.discard(PassphraseSource.Purpose.root.fileName)
    }

    @Test("Certifying an online key is logged and audited once; its certificate is no seal, and only the root's signature makes it one")
    func certified() async throws {
        let prepared = try await Self.prepared()
        let services = prepared.district.services
        let certificate = try prepared.onlineCertificate
        #expect(prepared.online.status == .current && prepared.online.rootKid == prepared.root.kidHex && !prepared.online.inToken)
        #expect(certificate.isOnlineSigningCertificate && !certificate.isCertificateAuthority)
        #expect(CertificateChainVerifier(trustAnchors: [prepared.root]).validateOnlineSigner(certificate, at: Date()).isValid)
        // Never a seal: neither our chain check nor the document verifier takes it for one.
        guard case .invalid(let failure) = CertificateChainVerifier(trustAnchors: [prepared.root]).validateSeal(certificate, at: Date()) else {
            Issue.record("an online key's certificate validated as a seal")
            return
        }
        #expect(failure.reason == .wrongKeyUsage)
        let verifier = DocumentVerifier(root: prepared.root, sealCertificates: [certificate])
        #expect(verifier.seal(kid: certificate.kid)?.problem != nil)
        // A seal certificate is not an online key's either.
        let seal = try Certificate(pemRepresentation: try #require(try await services.administration.keys(department: "RSJ").first).certificatePEM)
        #expect(!CertificateChainVerifier(trustAnchors: [prepared.root]).validateOnlineSigner(seal, at: Date()).isValid)
        let audited = try await services.database.read { db in
            try db.fetchAll(sql: "SELECT details FROM audit_events WHERE action = 'root.online_key_certified'").map { $0["details"] as String }
        }
        #expect(audited.count == 1 && audited[0].contains(certificate.kidHex))
        let logged = try await services.database.read { db in
            try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM log_leaves WHERE kind = 'root.online_key_certified'") ?? 0
        }
        #expect(logged == 1)
        // The key file is 0600, encrypted with the seals' passphrase.
        let file = services.home.keysDirectory.appendingPathComponent("online-\(certificate.kidHex).key.pem")
        #expect(try (FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        _ = try PrivateKey(pemRepresentation: try String(contentsOf: file, encoding: .utf8), passphrase: TestDistrict.passphrase)
    }

    @Test(
        "With the root disconnected, documents are issued, lists and tree heads signed by the online key, the CRL served; new seals wait for a ceremony"
    )
    func rootAway() async throws {
        let prepared = try await Self.prepared()
        let district = prepared.district
        let online = try prepared.onlineCertificate
        // The ceremony publishes: the root's CRL, signed while it is here, is kept for the time it is away.
        let published = district.root.appendingPathComponent("published")
        _ = try await district.services.trustList.publish(to: published)
        let ceremonyCRL = try [UInt8](Data(contentsOf: published.appendingPathComponent("root.crl")))
        try await Self.disconnectRoot(district)
        let services = Self.fresh(district)

        let signing = try await services.checkReadiness()
        #expect(signing.onlineKid == online.kidHex && !signing.rootConnected)
        let issued = try await services.documents.issue(DocumentIssuanceTests.request, actor: "test")
        #expect(try await services.documents.verifyToken(issued.qrContent, actor: "t", audit: false).result == .valid)
        let head = try await services.administration.signTreeHead(services.log)
        #expect(head.kid == online.kidHex)
        let roots = RootSet(pinned: [prepared.root], candidates: [], links: [], onlineKeys: try await services.administration.onlineKeyCertificates())
        guard case .intact = try await services.log.audit(trusting: roots) else {
            Issue.record("the log does not verify with the online key")
            return
        }
        // Without the online key a verifier cannot check that head: the key is what vouches for it.
        guard case .broken = try await services.log.audit(trusting: RootSet(pinned: [prepared.root], candidates: [], links: [])) else {
            Issue.record("a tree head signed by an unknown key passed")
            return
        }

        // A seal key revoked meanwhile reaches the trust list at once; the CRL waits for the root.
        let sealKid = try #require(try await services.administration.keys(department: "RSJ").first?.kid)
        _ = try await services.administration.revokeKey(kid: sealKid, notAfter: district.clock.now, reason: .keyCompromise, actor: "test")
        let directory = district.root.appendingPathComponent("offline")
        let list = try await services.trustList.publish(to: directory)
        #expect(list.list.signerKid == online.kidHex && list.list.rootKid == prepared.root.kidHex)
        #expect(list.list.keys.first { $0.kid == sealKid }?.status == "revoked")
        #expect(try [UInt8](Data(contentsOf: directory.appendingPathComponent("root.crl"))) == ceremonyCRL)
        let now = district.clock.now
        guard
            case .usable(let opened, let pinned) = try OfflineTrust.loadTrustList(
                directory.appendingPathComponent("trust-list.json"), signature: directory.appendingPathComponent("trust-list.json.sig"),
                root: district.home.rootCertificateURL, now: now)
        else {
            Issue.record("the trust list signed by the online key is not usable with the pinned root")
            return
        }
        guard
            case .usable = try OfflineTrust.loadStatusList(
                directory.appendingPathComponent("status-list.json"), signature: directory.appendingPathComponent("status-list.json.sig"),
                trustList: opened, root: pinned, now: now)
        else {
            Issue.record("the status list signed by the online key is not usable")
            return
        }

        // What only the root does waits for a ceremony, with a stable code and nothing stored.
        let before = try await district.tableCounts()
        await expectError(.rootOffline) { try await services.administration.addDepartment(code: "GAJ", name: "区公安分局", actor: "test") }
        await expectError(.rootOffline) { try await services.administration.renewRoot(actor: "test") }
        #expect(try await district.tableCounts() == before)
    }

    @Test("A list signed by an online key the current root did not certify, or by one a newer key replaced, is refused")
    func forgedOrReplaced() async throws {
        let prepared = try await Self.prepared()
        let services = prepared.district.services
        let first = try prepared.onlineCertificate
        let firstKey = try PrivateKey(
            pemRepresentation: try services.home.keyFiles.read("online-\(first.kidHex).key.pem"), passphrase: TestDistrict.passphrase)
        let second = try await services.administration.certifyOnlineKey(actor: "test")
        let current = try await services.trustList.current()
        #expect(current.list.signerKid == second.kid)
        #expect(current.list.onlineKeys?.map(\.status) == ["current", "previous"])
        let now = prepared.district.clock.now
        guard case .usable = TrustList.open(current.json, signature: current.signature, root: prepared.root, now: now) else {
            Issue.record("the current list is not usable")
            return
        }
        // The replaced key signs a list naming itself: refused.
        var replaced = current.list
        replaced.signerKid = first.kidHex
        let replacedJSON = Array(try TrustList.encoder.encode(replaced))
        let replacedSignature = try firstKey.signature(for: replacedJSON).derRepresentation
        guard case .unusable(let reason) = TrustList.open(replacedJSON, signature: replacedSignature, root: prepared.root, now: now) else {
            Issue.record("a list signed by a replaced online key was accepted")
            return
        }
        #expect(reason.code == TrustList.Problem.wrongRoot.code)
        // A key certified by some other root, slipped into the list: refused.
        let strangerRoot = try PrivateKey(generating: .p256)
        let strangerCA = try CertificateAuthority.makeRootCertificate(
            subject: prepared.root.subject, key: strangerRoot, notValidBefore: now.addingTimeInterval(-600),
            notValidAfter: now.addingTimeInterval(86_400))
        let strangerKey = try PrivateKey(generating: .p256)
        let stranger = try CertificateAuthority.issueOnlineSigningCertificate(
            subject: first.subject, subjectKey: strangerKey.publicKey, issuer: strangerCA, issuerKey: strangerRoot,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(86_400))
        var forged = current.list
        forged.onlineKeys = [
            TrustList.OnlineKey(
                kid: stranger.kidHex, rootKid: prepared.root.kidHex, status: "current", certificate: Base64.encode(stranger.derRepresentation))
        ]
        forged.signerKid = stranger.kidHex
        let forgedJSON = Array(try TrustList.encoder.encode(forged))
        guard
            case .unusable(let forgedReason) = TrustList.open(
                forgedJSON, signature: try strangerKey.signature(for: forgedJSON).derRepresentation, root: prepared.root, now: now)
        else {
            Issue.record("a list signed by a key another root certified was accepted")
            return
        }
        #expect(forgedReason.code == TrustList.Problem.wrongRoot.code)
        // Tree heads: the replaced key may have signed before its successor, not after.
        let roots = current.list.trustedRoots(pinned: prepared.root)
        #expect(roots.onlineKeys.count == 2 && roots.onlineSigners.map(\.kidHex) == [second.kid])
        #expect(roots.maySign(kidHex: first.kidHex, at: first.notValidBefore.addingTimeInterval(10)))
        #expect(!roots.maySign(kidHex: first.kidHex, at: second.notBefore.addingTimeInterval(RootSet.renewalBackdate + 60)))
    }

    @Test("A new online key is refused while the previous one signed a tree head after the new one's start: verifiers would reject that head")
    func certifyRacingATreeHead() async throws {
        let prepared = try await Self.prepared()
        let district = prepared.district
        let certifyingAt = district.clock.now.addingTimeInterval(600)
        // The daemon, with the previous key, signs a head at a time after the ceremony's clock reading.
        district.clock.advance(by: 1200)
        let head = try await district.services.administration.signTreeHead(district.services.log)
        #expect(head.kid == prepared.online.kid)
        let ceremony = ZeroTripServices(
            database: district.services.database, home: district.home,
            passphrase: PassphraseSource(explicit: TestDistrict.passphrase, environment: [:], keys: district.home.keyFiles),
            clock: ZeroTripClock { certifyingAt })
        let files = district.fileListing()
        await expectError(.notReady) { try await ceremony.administration.certifyOnlineKey(actor: "test") }
        #expect(try await district.services.administration.onlineKeys().count == 1)
        #expect(district.fileListing() == files, "the new key's file is removed")
    }

    @Test("A replaced online key is destroyed at once and audited; the next status list is signed by its successor without waiting")
    func replacedKeyDestroyed() async throws {
        let prepared = try await Self.prepared()
        let services = prepared.district.services
        let firstFile = services.home.keysDirectory.appendingPathComponent("online-\(prepared.online.kid).key.pem")
        #expect(FileManager.default.fileExists(atPath: firstFile.path))
        #expect(try await services.trustList.currentStatusList().list.signerKid == prepared.online.kid)
        let second = try await services.administration.certifyOnlineKey(actor: "test")
        #expect(!FileManager.default.fileExists(atPath: firstFile.path), "a replaced key never signs again: its file is gone")
        let destroyed = try await services.database.read { db in
            try db.fetchAll(sql: "SELECT target FROM audit_events WHERE action = 'key.destroyed' ORDER BY seq").map { $0["target"] as String }
        }
        #expect(destroyed == ["key:\(prepared.online.kid)"])
        #expect(try await services.trustList.currentStatusList().list.signerKid == second.kid)
    }

    @Test("Online keys are short-lived: after 120 days the daemon stops signing with one and says so in readiness, and verifiers refuse its lists")
    func expiry() async throws {
        let prepared = try await Self.prepared()
        let district = prepared.district
        let list = try await district.services.trustList.current()
        #expect(try prepared.onlineCertificate.notValidAfter.timeIntervalSince(prepared.online.createdAt) <= 120 * 86_400)
        // Three weeks before the end readiness names it.
        district.clock.advance(by: 105 * 86_400)
        #expect(try await district.services.checkReadiness().onlineKeyEndsSoon == (try prepared.onlineCertificate).notValidAfter)
        // Lists made now say to come back before the key ends.
        let lastList = try await district.services.trustList.current()
        #expect(lastList.list.nextUpdate <= (try prepared.onlineCertificate).notValidAfter)
        district.clock.advance(by: 16 * 86_400)
        await expectError(.rootOffline) { try await district.services.administration.signTreeHead(district.services.log) }
        // Issuance and verification go on: still ready, saying the lists are not being signed.
        #expect(try await district.services.checkReadiness().onlineKeyEnded)
        // A verifier whose clock is past the key's end refuses the list it signed, fresh-looking or not.
        var stale = list.list
        stale.nextUpdate = district.clock.now.addingTimeInterval(3600)
        let key = try PrivateKey(
            pemRepresentation: try district.home.keyFiles.read("online-\(prepared.online.kid).key.pem"), passphrase: TestDistrict.passphrase)
        let json = Array(try TrustList.encoder.encode(stale))
        guard
            case .unusable(let reason) = TrustList.open(
                json, signature: try key.signature(for: json).derRepresentation, root: prepared.root, now: district.clock.now)
        else {
            Issue.record("a list signed by an expired online key was accepted")
            return
        }
        #expect(reason.code == TrustList.Problem.wrongRoot.code)
    }

    @Test("A daemon that held the root unlocked lets go of it once the CLI certifies an online key; a CRL never replaces a newer kept one")
    func rootLetGo() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        let daemon = district.services.administration
        _ = try await daemon.listSignature(for: [1, 2, 3])  // the root signs lists: cached
        #expect(await daemon.cachedRoot != nil)
        let cli = Self.fresh(district)
        let online = try await cli.administration.certifyOnlineKey(actor: "test")
        let signed = try await daemon.listSignature(for: [1, 2, 3])
        #expect(signed.signerKid == online.kid)
        _ = try await daemon.unlockRoot()  // a ceremony's use: not kept
        #expect(await daemon.cachedRoot == nil)
        // Keeping CRLs: a lower number never replaces a higher one.
        let rootKid = try #require(try await daemon.district()?.rootKid)
        try await daemon.keepCRL([9], rootKid: rootKid, number: 9, thisUpdate: district.clock.now, nextUpdate: district.clock.now)
        try await daemon.keepCRL([5], rootKid: rootKid, number: 5, thisUpdate: district.clock.now, nextUpdate: district.clock.now)
        #expect(try await daemon.lastCRL(rootKid: rootKid) == [9])
        try await daemon.keepCRL([10], rootKid: rootKid, number: 10, thisUpdate: district.clock.now, nextUpdate: district.clock.now)
        #expect(try await daemon.lastCRL(rootKid: rootKid) == [10])
    }

    @Test("A renewal certifies the online key again under the new root; a verifier pinned to the old root follows, and the old heads still verify")
    func renewal() async throws {
        let prepared = try await Self.prepared()
        let services = prepared.district.services
        let firstHead = try await services.administration.signTreeHead(services.log)
        #expect(firstHead.kid == prepared.online.kid)
        prepared.district.clock.advance(by: 600)
        let renewal = try await services.administration.renewRoot(actor: "test")
        let keys = try await services.administration.onlineKeys()
        #expect(keys.count == 2 && keys[0].status == .current && keys[0].rootKid == renewal.root.kid && keys[1].kid == prepared.online.kid)
        // The same key, certified again, never for longer than it had.
        let renewed = try Certificate(pemRepresentation: keys[0].certificatePEM)
        #expect(renewed.publicKey.derRepresentation == (try prepared.onlineCertificate).publicKey.derRepresentation)
        #expect(renewed.notValidAfter <= (try prepared.onlineCertificate).notValidAfter)
        prepared.district.clock.advance(by: 600)
        let secondHead = try await services.administration.signTreeHead(services.log)
        #expect(secondHead.kid == renewed.kidHex)
        let current = try await services.trustList.current()
        #expect(current.list.signerKid == renewed.kidHex && current.list.rootKid == renewal.root.kid)
        guard
            case .usable(let list) = TrustList.open(current.json, signature: current.signature, root: prepared.root, now: prepared.district.clock.now)
        else {
            Issue.record("a verifier pinned to the first root does not follow the renewal to the online key's new certificate")
            return
        }
        guard case .intact(_, let heads) = try await services.log.audit(trusting: list.trustedRoots(pinned: prepared.root)) else {
            Issue.record("tree heads of both certificates do not verify")
            return
        }
        #expect(heads >= 2)
        // The next ceremony certifies a new key: the one both certificates named is destroyed once.
        prepared.district.clock.advance(by: 600)
        let next = try await services.administration.certifyOnlineKey(actor: "test")
        #expect(!services.home.keyFiles.exists("online-\(prepared.online.kid).key.pem"))
        let destroyed = try await services.database.read { db in
            try db.fetchAll(sql: "SELECT target, outcome FROM audit_events WHERE action = 'key.destroyed' ORDER BY seq").map {
                "\($0["target"] as String) \($0["outcome"] as String)"
            }
        }
        #expect(destroyed == ["key:\(renewed.kidHex) ok"])
        _ = try await services.administration.certifyOnlineKey(actor: "test")
        let destroyedAgain = try await services.database.read { db in
            try db.fetchAll(sql: "SELECT target FROM audit_events WHERE action = 'key.destroyed' ORDER BY seq").map { $0["target"] as String }
        }
        #expect(destroyedAgain == ["key:\(renewed.kidHex)", "key:\(next.kid)"], "each replaced key once")
    }

    @Test(
        "openssl: the online key's certificate chains to the root, carries the critical purpose, and is no S/MIME or document signer",
        .tags(.externalTool), .notInFastLoop)
    func openssl() async throws {
        let prepared = try await Self.prepared()
        let directory = prepared.district.root
        try prepared.online.certificatePEM.write(to: directory.appendingPathComponent("online.pem"), atomically: true, encoding: .utf8)
        try prepared.root.pemRepresentation.write(to: directory.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
        let verified = try ExternalTool.run(["openssl", "verify", "-x509_strict", "-CAfile", "root.pem", "online.pem"], in: directory)
        #expect(verified.status == 0 && verified.stdout.contains("online.pem: OK"), "\(verified.stdout)\(verified.stderr)")
        let text = try ExternalTool.run(["openssl", "x509", "-in", "online.pem", "-noout", "-text"], in: directory)
        #expect(text.stdout.contains("X509v3 Extended Key Usage: critical"))
        #expect(text.stdout.contains(CertificateAuthority.onlineSigningPurpose))
        #expect(text.stdout.contains("CA:FALSE"))
        let smime = try ExternalTool.run(["openssl", "verify", "-purpose", "smimesign", "-CAfile", "root.pem", "online.pem"], in: directory)
        #expect(smime.status != 0)
    }
}
