import ZeroTripTestSupport
import Foundation
import Testing
import ZeroTripCrypto

@Suite("X.509: district root and department seal certificates")
struct CertificateTests {
    static let year: TimeInterval = 365 * 24 * 3600
    let now = Date()

    func makePKI(_ algorithm: KeyAlgorithm = .p256) throws -> (root: Certificate, rootKey: PrivateKey, seal: Certificate, sealKey: PrivateKey) {
        let rootKey = try PrivateKey(generating: algorithm)
        let root = try CertificateAuthority.makeRootCertificate(
            subject: DistinguishedName([
                .init(type: "C", value: "CN"), .init(type: "O", value: "禅城区人民政府"), .init(type: "CN", value: "禅城区 ZeroTrip 根证书"),
            ]),
            key: rootKey, notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(10 * Self.year))
        let sealKey = try PrivateKey(generating: algorithm)
        let seal = try CertificateAuthority.issueSealCertificate(
            subject: DistinguishedName([
                .init(type: "C", value: "CN"), .init(type: "O", value: "禅城区人民政府"), .init(type: "OU", value: "RSJ"),
                .init(type: "CN", value: "区人力资源和社会保障局"),
            ]),
            subjectKey: sealKey.publicKey, issuer: root, issuerKey: rootKey,
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(2 * Self.year))
        return (root, rootKey, seal, sealKey)
    }

    @Test("Fields read back: Chinese subject, CA flags, key usages, SKI/AKI, 8-byte kid")
    func fields() throws {
        let pki = try makePKI()
        #expect(pki.seal.subject.commonName == "区人力资源和社会保障局")
        #expect(pki.seal.issuer == pki.root.subject)
        #expect(pki.root.isCertificateAuthority)
        #expect(!pki.seal.isCertificateAuthority)
        #expect(pki.root.keyUsage == [.keyCertSign, .cRLSign])
        #expect(pki.seal.keyUsage == [.digitalSignature, .nonRepudiation])
        #expect(pki.seal.authorityKeyIdentifier == pki.root.subjectKeyIdentifier)
        #expect(pki.root.authorityKeyIdentifier == pki.root.subjectKeyIdentifier)
        #expect(pki.seal.kid == Array(Digest.sha256(pki.seal.derRepresentation).prefix(8)))
        #expect(pki.seal.serialNumberHex.count == 32)
        #expect(pki.seal.publicKey.derRepresentation == pki.sealKey.publicKey.derRepresentation)
        #expect(try Certificate(pemRepresentation: pki.seal.pemRepresentation) == pki.seal)
    }

    @Test(
        "openssl verify accepts the seal against root.pem; x509 -text shows the Chinese subject and key usages", .tags(.externalTool), .notInFastLoop)
    func openSSLAgrees() throws {
        let pki = try makePKI()
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try pki.root.pemRepresentation.write(to: dir.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
        try pki.seal.pemRepresentation.write(to: dir.appendingPathComponent("seal.pem"), atomically: true, encoding: .utf8)
        let verify = try ExternalTool.run(["openssl", "verify", "-x509_strict", "-CAfile", "root.pem", "seal.pem"], in: dir)
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        let text = try ExternalTool.run(["openssl", "x509", "-in", "seal.pem", "-noout", "-text", "-nameopt", "utf8"], in: dir).stdout
        #expect(text.contains("CN=区人力资源和社会保障局"))
        #expect(text.contains("Digital Signature, Non Repudiation"))
        #expect(text.contains("CA:FALSE"))
        let rootText = try ExternalTool.run(["openssl", "x509", "-in", "root.pem", "-noout", "-text"], in: dir).stdout
        #expect(rootText.contains("Certificate Sign, CRL Sign"))
        #expect(rootText.contains("CA:TRUE"))

        // A seal from another root is refused by openssl too.
        let stranger = try makePKI()
        try stranger.seal.pemRepresentation.write(to: dir.appendingPathComponent("stranger.pem"), atomically: true, encoding: .utf8)
        #expect(try ExternalTool.run(["openssl", "verify", "-CAfile", "root.pem", "stranger.pem"], in: dir).status != 0)
    }

    @Test("Chain validation is a value: valid now, expired later, not yet valid before, untrusted elsewhere", arguments: KeyAlgorithm.allCases)
    func chainValidation(algorithm: KeyAlgorithm) throws {
        let pki = try makePKI(algorithm)
        let verifier = CertificateChainVerifier(trustAnchors: [pki.root])
        #expect(verifier.validateSeal(pki.seal, at: now).isValid)
        #expect(
            verifier.validateSeal(pki.seal, at: now.addingTimeInterval(3 * Self.year))
                == .invalid(.init(reason: .expired, message: "certificate has expired")))
        guard case .invalid(let early) = verifier.validateSeal(pki.seal, at: now.addingTimeInterval(-3600)) else {
            Issue.record("expected invalid"); return
        }
        #expect(early.reason == .notYetValid)
        let stranger = try makePKI(algorithm)
        guard case .invalid(let foreign) = verifier.validateSeal(stranger.seal, at: now) else { Issue.record("expected invalid"); return }
        #expect(foreign.reason == .untrusted)
        guard case .invalid(let usage) = verifier.validateSeal(pki.root, at: now) else { Issue.record("expected invalid"); return }
        #expect(usage.reason == .wrongKeyUsage)
    }

    @Test("Malformed certificates get malformed_certificate")
    func malformed() throws {
        for pem in ["", "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"]
        {
            let error = #expect(throws: CryptoError.self) { try Certificate(pemRepresentation: pem) }
            #expect(error?.code == .malformedCertificate)
        }
        let pki = try makePKI()
        expectError(.malformedCertificate) { try Certificate(derRepresentation: pki.seal.derRepresentation + [0]) }
        expectError(.malformedCertificate) { try Certificate(derRepresentation: Array(pki.seal.derRepresentation.dropLast())) }
    }
}
