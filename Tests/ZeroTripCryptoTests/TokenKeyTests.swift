import Foundation
import Testing
import ZeroTripCrypto
import ZeroTripTestSupport

@Suite("pkcs11: URIs (RFC 7512)")
struct PKCS11URITests {
    @Test("Path and query attributes are percent-decoded; the printed form leaves out a PIN value and reads back the same")
    func parsing() throws {
        let uri = try PKCS11URI(
            "pkcs11:token=RSJ%20seals;object=seal-RSJ;id=%01%a2;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234")
        #expect(uri.token == "RSJ seals" && uri.object == "seal-RSJ" && uri.id == [0x01, 0xA2] && uri.type == "private")
        #expect(uri.modulePath == "/usr/lib/softhsm/libsofthsm2.so" && uri.pinValue == "1234")
        #expect(!uri.description.contains("1234"), "the PIN is never printed")
        var again = try PKCS11URI(uri.description)
        again.pinValue = "1234"
        #expect(again == uri)
    }

    @Test(
        "Malformed or unknown attributes are refused with invalid_argument, naming the attribute but never a PIN",
        arguments: [
            "token=x", "pkcs11:token", "pkcs11:colour=red", "pkcs11:id=%zz", "pkcs11:type=secret", "pkcs11:slot-id=one",
            "pkcs11:token=x?module-path=relative.so", "pkcs11:token=x?pin-valu=s3cret",
        ])
    func refused(text: String) {
        let error = #expect(throws: CryptoError.self) { try PKCS11URI(text) }
        #expect(error?.code == .invalidArgument)
        #expect(error.map { !$0.message.contains("s3cret") } ?? true)
    }
}

@Suite(
    "Keys in a PKCS#11 token (SoftHSM): made inside it, never extractable, signing what key files sign",
    .tags(.externalTool), .notInFastLoop, .enabled(if: SoftHSM.available))
struct TokenKeyTests {
    static func token() throws -> (PKCS11Token, String) {
        let (_, uri) = try SoftHSM.claim()
        return (try PKCS11Token(try PKCS11URI(uri), pin: SoftHSM.pin), uri)
    }

    @Test("A generated key signs through the token; the signature verifies here and with openssl; a new session finds it by its URI")
    func generateSignReopen() throws {
        let (token, uri) = try Self.token()
        let key = try TokenKey.generate(in: token, label: "seal-RSJ-1", id: [0x5A, 0x01])
        let message = Array("区人力资源和社会保障局 电子证照".utf8)
        let signature = try PrivateKey(token: key).signature(for: message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))

        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(message).write(to: directory.appendingPathComponent("message"))
        try Data(signature.derRepresentation).write(to: directory.appendingPathComponent("signature.der"))
        try Data(key.publicKey.pemRepresentation.utf8).write(to: directory.appendingPathComponent("public.pem"))
        let checked = try ExternalTool.run(
            ["openssl", "dgst", "-sha256", "-verify", "public.pem", "-signature", "signature.der", "message"], in: directory)
        #expect(checked.status == 0 && checked.stdout.contains("Verified OK"), "\(checked.stdout)\(checked.stderr)")

        // Another token object (as after a restart) opens the key by the URI the district stores.
        #expect(key.uri.description.contains("object=seal-RSJ-1") && key.uri.description.contains("id=%5A%01"), "\(key.uri)")
        #expect(key.uri.description.hasPrefix("pkcs11:token=") && uri.contains("module-path="))
        let reopened = try TokenKey.open(key.uri, in: try PKCS11Token(key.uri, pin: SoftHSM.pin))
        #expect(reopened.publicKey.derRepresentation == key.publicKey.derRepresentation)
        #expect(key.publicKey.isValidSignature(try PrivateKey(token: reopened).signature(for: message), for: message))
    }

    @Test("The private key is sensitive and never extractable, as the token itself (pkcs11-tool) reports; export is refused")
    func nonExtractable() throws {
        let (token, uri) = try Self.token()
        let key = try TokenKey.generate(in: token, label: "seal-GAJ-1", id: [0x6B])
        #expect(try key.isNonExtractable())
        let listed = try ExternalTool.run([
            "pkcs11-tool", "--module", SoftHSM.modulePath, "--token-label", try #require(try PKCS11URI(uri).token), "--login", "--pin", SoftHSM.pin,
            "--list-objects", "--type", "privkey",
        ])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(
            listed.stdout.contains("seal-GAJ-1") && listed.stdout.contains("never extractable") && listed.stdout.contains("sensitive"),
            "\(listed.stdout)")
        let usage = try #require(listed.stdout.split(separator: "\n").first { $0.contains("Usage:") })
        #expect(usage.contains("sign") && !usage.contains("decrypt") && !usage.contains("unwrap"), "the key can only sign: \(usage)")
        let wrapped = PrivateKey(token: key)
        expectError(.keyNotExtractable) { try wrapped.derRepresentation }
        expectError(.keyNotExtractable) { try wrapped.encryptedPEMRepresentation(passphrase: "a passphrase") }
    }

    @Test("A document-sealing CMS made with a token key and a certificate for it verifies with openssl cms")
    func cmsWithTokenKey() throws {
        let (token, _) = try Self.token()
        let key = try TokenKey.generate(in: token, label: "seal-MZJ-1", id: [0x7C])
        let now = Date()
        let rootKey = try PrivateKey(generating: .p256)
        let root = try CertificateAuthority.makeRootCertificate(
            subject: DistinguishedName([.init(type: "C", value: "CN"), .init(type: "CN", value: "测试根证书")]), key: rootKey,
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(86_400 * 365))
        let certificate = try CertificateAuthority.issueSealCertificate(
            subject: DistinguishedName([.init(type: "C", value: "CN"), .init(type: "OU", value: "MZJ"), .init(type: "CN", value: "区民政局")]),
            subjectKey: key.publicKey, issuer: root, issuerKey: rootKey, notValidBefore: now.addingTimeInterval(-60),
            notValidAfter: now.addingTimeInterval(86_400 * 30))
        let content = Array("the signed bytes of a PDF".utf8)
        let signer = try CMSSigner(key: PrivateKey(token: key), certificate: certificate, chain: [root])
        let cms = try signer.signedData(contentDigest: Digest.sha256(content))

        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(content).write(to: directory.appendingPathComponent("content"))
        try Data(cms).write(to: directory.appendingPathComponent("signature.p7s"))
        try Data(root.pemRepresentation.utf8).write(to: directory.appendingPathComponent("root.pem"))
        let verified = try ExternalTool.run(
            [
                "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "signature.p7s", "-content", "content", "-CAfile", "root.pem",
                "-purpose", "any", "-out", "/dev/null",
            ], in: directory)
        #expect(verified.status == 0 && verified.stderr.contains("Verification successful"), "\(verified.stderr)")
    }

    @Test("A root CA key in a token: its self-signed certificate, a seal certificate it issues and its CRL all verify with openssl")
    func rootInToken() throws {
        let (token, _) = try Self.token()
        let rootKey = PrivateKey(token: try TokenKey.generate(in: token, label: "root-1", id: [0x70]))
        let now = Date()
        let root = try CertificateAuthority.makeRootCertificate(
            subject: DistinguishedName([.init(type: "C", value: "CN"), .init(type: "O", value: "禅城区人民政府"), .init(type: "CN", value: "禅城区根证书")]),
            key: rootKey, notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(86_400 * 3650))
        #expect(root.publicKey.derRepresentation == rootKey.publicKey.derRepresentation)
        let sealKey = try PrivateKey(generating: .p256)
        let seal = try CertificateAuthority.issueSealCertificate(
            subject: DistinguishedName([.init(type: "C", value: "CN"), .init(type: "OU", value: "RSJ"), .init(type: "CN", value: "区人力资源和社会保障局")]),
            subjectKey: sealKey.publicKey, issuer: root, issuerKey: rootKey, notValidBefore: now.addingTimeInterval(-60),
            notValidAfter: now.addingTimeInterval(86_400 * 365))
        let crl = try CertificateRevocationList.make(
            issuer: root, key: rootKey, number: 7, thisUpdate: now, nextUpdate: now.addingTimeInterval(86_400),
            revoked: [RevokedCertificate(certificate: seal, revokedAt: now, reasonCode: 1, invalidityDate: now.addingTimeInterval(-3600))])

        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(root.pemRepresentation.utf8).write(to: directory.appendingPathComponent("root.pem"))
        try Data(seal.pemRepresentation.utf8).write(to: directory.appendingPathComponent("seal.pem"))
        try Data(crl).write(to: directory.appendingPathComponent("root.crl"))
        let chain = try ExternalTool.run(["openssl", "verify", "-CAfile", "root.pem", "root.pem", "seal.pem"], in: directory)
        #expect(chain.status == 0 && chain.stdout.contains("root.pem: OK") && chain.stdout.contains("seal.pem: OK"), "\(chain.stdout)\(chain.stderr)")
        let revoked = try ExternalTool.run(
            ["openssl", "verify", "-crl_check", "-CAfile", "root.pem", "-CRLfile", "root.crl", "seal.pem"], in: directory)
        #expect(
            revoked.status != 0 && (revoked.stdout + revoked.stderr).contains("certificate revoked"), "the token-signed CRL is accepted and applied")
        let listed = try ExternalTool.run(["openssl", "crl", "-inform", "DER", "-in", "root.crl", "-CAfile", "root.pem", "-noout"], in: directory)
        #expect((listed.stdout + listed.stderr).contains("verify OK"), "\(listed.stdout)\(listed.stderr)")
    }

    @Test("Concurrent signatures share the token's sessions and all verify")
    func concurrentSignatures() async throws {
        let (token, _) = try Self.token()
        let key = PrivateKey(token: try TokenKey.generate(in: token, label: "seal-CZJ-1", id: [0x11]))
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let message = Array("document \(index)".utf8)
                    return key.publicKey.isValidSignature(try key.signature(for: message), for: message)
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 64 && results.allSatisfy { $0 })
    }

    @Test("Failures have stable codes and never show the PIN: wrong PIN, no such token, no such module, no such key, a destroyed key")
    func failures() throws {
        let (token, uri) = try Self.token()
        let parsed = try PKCS11URI(uri)
        let wrongPIN = #expect(throws: CryptoError.self) { try PKCS11Token(parsed, pin: "9999-0000") }
        #expect(wrongPIN?.code == .tokenPINIncorrect)
        #expect(wrongPIN.map { !$0.description.contains("9999-0000") } ?? false)

        // On a token nobody logged in to yet, the token itself refuses the PIN.
        let fresh = try PKCS11URI(try SoftHSM.claim().uri)
        let refused = #expect(throws: CryptoError.self) { try PKCS11Token(fresh, pin: "0000-9999") }
        #expect(refused?.code == .tokenPINIncorrect && refused?.message.contains("CKR_PIN_INCORRECT") == true)
        #expect(try PKCS11Token(fresh, pin: SoftHSM.pin).uri == fresh, "the right PIN still opens it")

        var elsewhere = parsed
        elsewhere.token = "no-such-token"
        expectError(.tokenUnavailable) { try PKCS11Token(elsewhere, pin: SoftHSM.pin) }
        var noModule = parsed
        noModule.modulePath = "/usr/lib/no-such-pkcs11.so"
        expectError(.tokenUnavailable) { try PKCS11Token(noModule, pin: SoftHSM.pin) }

        var missing = parsed
        missing.object = "never-made"
        expectError(.tokenKeyNotFound) { try TokenKey.open(missing, in: token) }

        let key = try TokenKey.generate(in: token, label: "seal-old", id: [0x22])
        try key.destroy()
        expectError(.tokenKeyNotFound) { try TokenKey.open(key.uri, in: token) }
        expectError(.tokenKeyNotFound) { try PrivateKey(token: key).signature(for: [1, 2, 3]) }
    }
}
