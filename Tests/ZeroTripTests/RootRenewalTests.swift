import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripTestSupport

@Suite(
    "Root CA renewal: a new root with link certificates both ways; documents under either root keep verifying", .tags(.externalTool), .notInFastLoop)
struct RootRenewalTests {
    /// A district with a document sealed under the first root, then renewed and RSJ rotated, with a document under the new root.
    struct Renewed {
        let district: TestDistrict
        let oldRoot: Certificate
        let newRoot: Certificate
        let underOld: IssuedDocument
        let underNew: IssuedDocument
        let oldSealKid: String
        let newSealKid: String
    }

    static func renewed() async throws -> Renewed {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        let services = district.services
        let oldRoot = try await services.administration.rootCertificate()
        let underOld = try await services.documents.issue(DocumentIssuanceTests.request, actor: "test")
        try await services.administration.signTreeHead(services.log)
        district.clock.advance(by: 60)
        let renewal = try await services.administration.renewRoot(actor: "test")
        let newRoot = try await services.administration.rootCertificate()
        #expect(renewal.previousKid == oldRoot.kidHex && renewal.root.kid == newRoot.kidHex && newRoot != oldRoot)
        // Same name, new key: the links are self-issued and fit under the roots' pathlen:0.
        #expect(newRoot.subject == oldRoot.subject && newRoot.publicKey.derRepresentation != oldRoot.publicKey.derRepresentation)
        // Until RSJ rotates, its seal (under the old root) keeps signing, and its documents are valid.
        let between = try await services.documents.issue(DocumentIssuanceTests.request, actor: "test")
        #expect(between.record.kid == underOld.record.kid)
        #expect(try await services.documents.verifyToken(between.qrContent, actor: "t", audit: false).result == .valid)
        let rotated = try await services.administration.rotate(department: "RSJ", overlap: 0, actor: "test")
        district.clock.advance(by: 2)  // the online verifier re-reads the key set at most once a second
        let underNew = try await services.documents.issue(DocumentIssuanceTests.request, actor: "test")
        #expect(underNew.record.kid == rotated.kid)
        try await services.administration.signTreeHead(services.log)
        return Renewed(
            district: district, oldRoot: oldRoot, newRoot: newRoot, underOld: underOld, underNew: underNew,
            oldSealKid: underOld.record.kid, newSealKid: rotated.kid)
    }

    static func sealCertificate(_ renewed: Renewed, kid: String) async throws -> Certificate {
        let info = try #require(try await renewed.district.services.administration.allKeys().first { $0.kid == kid })
        return try Certificate(pemRepresentation: info.certificatePEM)
    }

    @Test("After renewal: new seals are issued by the new root, old ones stay under the old; both verify online by token, PDF and number")
    func online() async throws {
        let renewed = try await Self.renewed()
        let administration = renewed.district.services.administration
        #expect(try await administration.issuingRoot(of: try await Self.sealCertificate(renewed, kid: renewed.oldSealKid)) == renewed.oldRoot)
        #expect(try await administration.issuingRoot(of: try await Self.sealCertificate(renewed, kid: renewed.newSealKid)) == renewed.newRoot)
        let roots = try await administration.roots()
        #expect(roots.map(\.status) == [.current, .previous] && roots.map(\.kid) == [renewed.newRoot.kidHex, renewed.oldRoot.kidHex])
        let documents = renewed.district.services.documents
        for document in [renewed.underOld, renewed.underNew] {
            #expect(try await documents.verifyToken(document.qrContent, actor: "t", audit: false).result == .valid)
            #expect(try await documents.verifyPDF(document.pdf, actor: "t", audit: false).result == .valid)
            #expect(try await documents.verifyID(document.record.id.rawValue, actor: "t").result == .valid)
        }
        // Tree heads before the renewal are signed by the old root, later ones by the new; the audit accepts both.
        let kids: [String] = try await renewed.district.services.database.read { db in
            try db.fetchAll(String.self, sql: "SELECT kid FROM log_tree_heads ORDER BY timestamp_ms")
        }
        #expect(kids.first == renewed.oldRoot.kidHex && kids.last == renewed.newRoot.kidHex)
        let links = try await administration.rootLinks()
        for pinned in [renewed.oldRoot, renewed.newRoot] {
            let trusted = RootSet(pinned: [pinned], candidates: [renewed.oldRoot, renewed.newRoot], links: links)
            guard case .intact = try await renewed.district.services.log.audit(trusting: trusted) else {
                Issue.record("audit failed pinned to \(pinned.kidHex)"); return
            }
        }
        guard case .broken = try await renewed.district.services.log.audit(trusting: RootSet(pinned: [renewed.newRoot], candidates: [], links: []))
        else {
            Issue.record("a tree head of an unlinked root was accepted"); return
        }
        // The renewal is in the transparency log and the audit log.
        let logged: Int = try await renewed.district.services.database.read { db in
            try db.fetchOne(
                Int.self, sql: "SELECT COUNT(*) FROM log_leaves WHERE kind = 'root.renewed' AND ref = ?", arguments: ["key:\(renewed.newRoot.kidHex)"]
            ) ?? 0
        }
        #expect(logged == 1)
    }

    @Test("Offline from the trust list signed by the new root: a verifier pinned to the old root or to the new one accepts documents under both")
    func offline() async throws {
        let renewed = try await Self.renewed()
        let now = renewed.district.clock.now
        let signed = try await renewed.district.services.trustList.current()
        #expect(signed.list.rootKid == renewed.newRoot.kidHex)
        #expect(signed.list.roots?.count == 2 && signed.list.links?.count == 2)
        for pinned in [renewed.oldRoot, renewed.newRoot] {
            guard case .usable(let list) = TrustList.open(signed.json, signature: signed.signature, root: pinned, now: now) else {
                Issue.record("the list does not open with root \(pinned.kidHex) pinned"); continue
            }
            #expect(Set(list.trustedRoots(pinned: pinned).roots) == [renewed.oldRoot, renewed.newRoot])
            let verifier = list.verifier(root: pinned)
            for document in [renewed.underOld, renewed.underNew] {
                #expect(verifier.verifyToken(document.qrContent, now: now).result == .valid)
                #expect(verifier.verifyPDF(document.pdf, now: now).result == .valid)
            }
        }
        // Another district's root is not linked: the list is refused, not trusted.
        let stranger = try await TestDistrict().setUp()
        guard
            case .unusable(let reason) = TrustList.open(
                signed.json, signature: signed.signature, root: try await stranger.services.administration.rootCertificate(), now: now)
        else {
            Issue.record("a list was accepted under an unrelated root"); return
        }
        #expect(reason.code == .trustListWrongRoot)
        // The offline Certificates/ directory works the same way (root.pem is now the new root; roots/ holds the old one and the links).
        let directory = OfflineTrust.self
        let verifier = try directory.load(certificatesDirectory: renewed.district.home.certificatesDirectory)
        #expect(Set(verifier.roots) == [renewed.oldRoot, renewed.newRoot])
        #expect(verifier.verifyToken(renewed.underOld.qrContent, now: now).result == .valid)
    }

    @Test("The previous root no longer speaks for the district: a list or tree head it signs after the renewal is refused, older heads stay valid")
    func previousRootCannotSign() async throws {
        let renewed = try await Self.renewed()
        let administration = renewed.district.services.administration
        let oldKey = try await administration.unlockRoot(kid: renewed.oldRoot.kidHex).key
        let now = renewed.district.clock.now
        let signed = try await renewed.district.services.trustList.current()
        // A list re-signed by the old root (as someone holding the retired key could): a verifier pinned to the new root refuses it.
        var forged = signed.list
        forged.rootKid = renewed.oldRoot.kidHex
        let forgedJSON = Array(try TrustList.encoder.encode(forged))
        let forgedSignature = try oldKey.signature(for: forgedJSON).derRepresentation
        guard case .unusable(let reason) = TrustList.open(forgedJSON, signature: forgedSignature, root: renewed.newRoot, now: now) else {
            Issue.record("a list signed by the superseded root was accepted"); return
        }
        #expect(reason.code == .trustListWrongRoot)
        // Tree heads: by the old root before the renewal → valid; after it → refused.
        let trusted = RootSet(pinned: [renewed.newRoot], candidates: [renewed.oldRoot], links: try await administration.rootLinks())
        #expect(trusted.signers == [renewed.newRoot])
        let hash = try await renewed.district.services.log.rootHash(size: 1)
        func head(at date: Date) throws -> SignedTreeHead {
            let timestamp = UInt64(date.timeIntervalSince1970 * 1000)
            let signature = try oldKey.signature(for: SignedTreeHead.signedBytes(treeSize: 1, timestamp: timestamp, rootHash: hash)).derRepresentation
            return SignedTreeHead(
                treeSize: 1, timestamp: timestamp, rootHash: Base64.encode(hash), kid: renewed.oldRoot.kidHex, signature: Base64.encode(signature))
        }
        #expect(try head(at: now.addingTimeInterval(-3600)).isValid(trusting: trusted))
        #expect(try !head(at: now).isValid(trusting: trusted))
        // And the daemon never signs with it: after the renewal, heads come from the new root.
        #expect(try await administration.signTreeHead(renewed.district.services.log).kid == renewed.newRoot.kidHex)
    }

    @Test("A root is trusted only through a link certificate issued by a trusted root, in the right direction")
    func rootSetNeedsLinks() async throws {
        let renewed = try await Self.renewed()
        let links = try await renewed.district.services.administration.rootLinks()
        let newWithOld = try #require(links.first { $0.publicKey.derRepresentation == renewed.newRoot.publicKey.derRepresentation })
        let oldWithNew = try #require(links.first { $0.publicKey.derRepresentation == renewed.oldRoot.publicKey.derRepresentation })
        #expect(RootSet(pinned: [renewed.oldRoot], candidates: [renewed.newRoot], links: []).roots == [renewed.oldRoot])
        #expect(RootSet(pinned: [renewed.oldRoot], candidates: [renewed.newRoot], links: [oldWithNew]).roots == [renewed.oldRoot])
        #expect(RootSet(pinned: [renewed.oldRoot], candidates: [renewed.newRoot], links: [newWithOld]).roots == [renewed.oldRoot, renewed.newRoot])
        #expect(RootSet(pinned: [renewed.newRoot], candidates: [renewed.oldRoot], links: [oldWithNew]).roots == [renewed.newRoot, renewed.oldRoot])
        // A verifier trusting only the old root rejects a seal under the new root unless the new root is reached.
        let newSeal = try await Self.sealCertificate(renewed, kid: renewed.newSealKid)
        let lonely = DocumentVerifier(root: renewed.oldRoot, sealCertificates: [newSeal])
        #expect(lonely.verifyToken(renewed.underNew.qrContent, now: renewed.district.clock.now).result == .invalid)
    }

    @Test(
        "openssl: each seal chains to either root through a link certificate, the list verifies with the new root's key from the link, each root signs its own CRL"
    )
    func openssl() async throws {
        let renewed = try await Self.renewed()
        let services = renewed.district.services
        let oldKid = renewed.oldRoot.kidHex, newKid = renewed.newRoot.kidHex
        // Revoke the retired old seal so the old root's CRL lists it.
        _ = try await services.administration.revokeKey(
            kid: renewed.oldSealKid, notAfter: renewed.district.clock.now, reason: .superseded, actor: "t")
        let certificates = renewed.district.home.certificatesDirectory
        try await services.trustList.publish(to: certificates)
        let dir = certificates.path
        try (try await Self.sealCertificate(renewed, kid: renewed.oldSealKid)).pemRepresentation.write(
            toFile: dir + "/old-seal.pem", atomically: true, encoding: .utf8)
        try (try await Self.sealCertificate(renewed, kid: renewed.newSealKid)).pemRepresentation.write(
            toFile: dir + "/new-seal.pem", atomically: true, encoding: .utf8)
        #expect(try String(contentsOfFile: dir + "/root.pem", encoding: .utf8) == renewed.newRoot.pemRepresentation)
        let here = URL(fileURLWithPath: dir)
        func openssl(_ arguments: [String]) throws -> ExternalTool.Output { try ExternalTool.run(["openssl"] + arguments, in: here) }
        let newUnderOld = try openssl([
            "verify", "-x509_strict", "-CAfile", "roots/root-\(oldKid).pem", "-untrusted", "roots/link-\(newKid)-by-\(oldKid).pem", "new-seal.pem",
        ])
        #expect(newUnderOld.status == 0, "\(newUnderOld.stdout)\(newUnderOld.stderr)")
        let oldUnderNew = try openssl([
            "verify", "-x509_strict", "-CAfile", "root.pem", "-untrusted", "roots/link-\(oldKid)-by-\(newKid).pem", "old-seal.pem",
        ])
        #expect(oldUnderNew.status == 0, "\(oldUnderNew.stdout)\(oldUnderNew.stderr)")
        // Without the link, the old root alone does not vouch for the new seal.
        #expect(try openssl(["verify", "-CAfile", "roots/root-\(oldKid).pem", "new-seal.pem"]).status != 0)
        #expect(try openssl(["verify", "-CAfile", "roots/root-\(oldKid).pem", "roots/link-\(newKid)-by-\(oldKid).pem"]).status == 0)
        #expect(try openssl(["x509", "-in", "roots/link-\(newKid)-by-\(oldKid).pem", "-pubkey", "-noout", "-out", "new-root.pub"]).status == 0)
        let list = try openssl(["dgst", "-sha256", "-verify", "new-root.pub", "-signature", "trust-list.json.sig", "trust-list.json"])
        #expect(list.status == 0 && list.stdout.contains("Verified OK"), "\(list.stdout)\(list.stderr)")
        let oldCRL = try openssl(["crl", "-inform", "DER", "-in", "root-\(oldKid).crl", "-CAfile", "roots/root-\(oldKid).pem", "-noout", "-text"])
        #expect(oldCRL.status == 0 && oldCRL.stderr.contains("verify OK"), "\(oldCRL.stdout)\(oldCRL.stderr)")
        let serial = try await Self.sealCertificate(renewed, kid: renewed.oldSealKid).serialNumberHex.uppercased()
        #expect(oldCRL.stdout.uppercased().contains(serial))
        let newCRL = try openssl(["crl", "-inform", "DER", "-in", "root.crl", "-CAfile", "root.pem", "-noout", "-text"])
        #expect(
            newCRL.status == 0 && newCRL.stderr.contains("verify OK") && !newCRL.stdout.uppercased().contains(serial),
            "\(newCRL.stdout)\(newCRL.stderr)")
    }

    @Test("pyHanko pinned to the old root validates a PDF sealed under the new root when given the link certificate, and not without it")
    func pyHanko() async throws {
        let renewed = try await Self.renewed()
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let oldKid = renewed.oldRoot.kidHex, newKid = renewed.newRoot.kidHex
        let roots = renewed.district.home.certificatesDirectory.appendingPathComponent("roots")
        let oldRoot = roots.appendingPathComponent("root-\(oldKid).pem").path,
            link = roots.appendingPathComponent("link-\(newKid)-by-\(oldKid).pem").path
        let newPDF = directory.appendingPathComponent("new.pdf"), oldPDF = directory.appendingPathComponent("old.pdf")
        try Data(renewed.underNew.pdf).write(to: newPDF)
        try Data(renewed.underOld.pdf).write(to: oldPDF)
        let script = ExternalTool.validator("pyhanko_validate.py")
        let linked = try ExternalTool.run(["python3", script, newPDF.path, oldRoot, link])
        #expect(linked.status == 0, "\(linked.stdout)\(linked.stderr)")
        let unlinked = try ExternalTool.run(["python3", script, newPDF.path, oldRoot])
        #expect(unlinked.status == 1 && unlinked.stdout.contains("\"trusted\": false"), "\(unlinked.stdout)")
        let old = try ExternalTool.run(["python3", script, oldPDF.path, oldRoot])
        #expect(old.status == 0, "\(old.stdout)\(old.stderr)")
    }

    @Test("A renewal by another process (the CLI beside the daemon) takes effect in the daemon at its next signature")
    func renewalFromAnotherProcess() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        let daemon = district.services.administration
        let first = try await daemon.signTreeHead(district.services.log)
        district.clock.advance(by: 60)
        let cli = DistrictAdministration(
            database: district.services.database, home: district.home,
            passphrase: PassphraseSource(explicit: TestDistrict.passphrase, environment: [:], keys: district.home.keyFiles),
            clock: ZeroTripClock { district.clock.now })
        let renewal = try await cli.renewRoot(actor: "cli")
        #expect(renewal.previousKid == first.kid)
        district.clock.advance(by: 1)
        #expect(try await daemon.signTreeHead(district.services.log).kid == renewal.root.kid)
        let signed = try await district.services.trustList.current()
        let newRoot = try Certificate(pemRepresentation: renewal.root.certificatePEM)
        guard case .usable = TrustList.open(signed.json, signature: signed.signature, root: newRoot, now: district.clock.now) else {
            Issue.record("the daemon's list is not signed by the new root"); return
        }
        // The daemon's next renewal starts from the current root, not from the one it had cached.
        #expect(try await daemon.renewRoot(actor: "daemon").previousKid == renewal.root.kid)
    }

    @Test("A renewal that cannot unlock the root changes nothing: no key file, no certificate, no row")
    func failureChangesNothing() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        let wrong = DistrictAdministration(
            database: district.services.database, home: district.home,
            passphrase: PassphraseSource(
                explicit: TestDistrict.passphrase, environment: ["ZEROTRIP_ROOT_PASSPHRASE": "not the passphrase at all"],
                keys: district.home.keyFiles),
            clock: ZeroTripClock { district.clock.now })
        let files = district.fileListing()
        let counts = try await district.tableCounts()
        let error = await #expect(throws: ZeroTripError.self) { try await wrong.renewRoot(actor: "t") }
        #expect(error?.code == .wrongPassphrase)
        #expect(district.fileListing() == files)
        await #expect(try district.tableCounts() == counts)
        let uninitialised = try TestDistrict()
        let none = await #expect(throws: ZeroTripError.self) { try await uninitialised.services.administration.renewRoot(actor: "t") }
        #expect(none?.code == .notInitialized)
    }
}
