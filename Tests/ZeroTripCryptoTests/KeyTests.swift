import ZeroTripTestSupport
import Foundation
import Testing
import ZeroTripCrypto

@Suite("Keys: generation, PEM/DER, encrypted PKCS#8, signature encodings")
struct KeyTests {
    @Test("Generated keys sign and verify; a different message or key fails", arguments: KeyAlgorithm.allCases)
    func signVerify(algorithm: KeyAlgorithm) throws {
        let key = try PrivateKey(generating: algorithm)
        let other = try PrivateKey(generating: algorithm)
        let message = Array("个人参保证明".utf8)
        let signature = try key.signature(for: message)
        #expect(key.algorithm == algorithm)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))
        #expect(!other.publicKey.isValidSignature(signature, for: message))
    }

    @Test("DER and r‖s signature encodings convert both ways", arguments: KeyAlgorithm.allCases)
    func signatureEncodings(algorithm: KeyAlgorithm) throws {
        let key = try PrivateKey(generating: algorithm)
        let message = Array("r||s".utf8)
        for _ in 0..<20 {  // enough to hit components with a leading zero byte
            let signature = try key.signature(for: message)
            let raw = signature.rawRepresentation
            #expect(raw.count == 64)
            let back = try Signature(rawRepresentation: raw, algorithm: algorithm)
            #expect(back.derRepresentation == signature.derRepresentation)
            #expect(key.publicKey.isValidSignature(back, for: message))
        }
        expectError(.malformedSignature) { try Signature(rawRepresentation: [UInt8](repeating: 1, count: 63), algorithm: algorithm) }
        expectError(.malformedSignature) { try Signature(rawRepresentation: [UInt8](repeating: 0, count: 64), algorithm: algorithm) }
        expectError(.malformedSignature) { try Signature(derRepresentation: [0x30, 0x03, 0x02, 0x01], algorithm: algorithm) }
        // Trailing garbage after valid DER is not strict DER.
        let der = try key.signature(for: message).derRepresentation
        expectError(.malformedSignature) { try Signature(derRepresentation: der + [0], algorithm: algorithm) }
    }

    @Test(
        "Encrypted PKCS#8 round-trips; openssl decrypts it; a wrong passphrase says so", .tags(.externalTool), .notInFastLoop,
        arguments: KeyAlgorithm.allCases)
    func encryptedPKCS8(algorithm: KeyAlgorithm) throws {
        let key = try PrivateKey(generating: algorithm)
        let pem = try key.encryptedPEMRepresentation(passphrase: "correct horse battery")
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        let loaded = try PrivateKey(pemRepresentation: pem, passphrase: "correct horse battery")
        #expect(loaded.publicKey.derRepresentation == key.publicKey.derRepresentation)
        #expect(loaded.algorithm == algorithm)

        let wrong = #expect(throws: CryptoError.self) { try PrivateKey(pemRepresentation: pem, passphrase: "wrong horse battery") }
        #expect(wrong?.code == .wrongPassphrase)
        #expect(wrong.map { !$0.description.contains("horse") } == true)
        let missing = #expect(throws: CryptoError.self) { try PrivateKey(pemRepresentation: pem) }
        #expect(missing?.code == .wrongPassphrase)

        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try pem.write(to: dir.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        let shown = try ExternalTool.run(
            ["openssl", "pkcs8", "-in", "key.pem", "-passin", "pass:correct horse battery", "-topk8", "-nocrypt"], in: dir)
        #expect(shown.status == 0, "\(shown.stderr)")
        let asn1 = try ExternalTool.run(["openssl", "asn1parse", "-in", "key.pem"], in: dir).stdout
        #expect(asn1.contains(":scrypt"))
        #expect(asn1.contains("aes-256-cbc"))
        // The cost written is the one asked for (N = 2^14 by default, 0x4000), and openssl reads a cheaper one too.
        #expect(asn1.contains("INTEGER           :4000"), "\(asn1)")
        let cheap = try key.encryptedPEMRepresentation(passphrase: "correct horse battery", scrypt: .init(n: 1 << 10))
        try cheap.write(to: dir.appendingPathComponent("cheap.pem"), atomically: true, encoding: .utf8)
        #expect(try ExternalTool.run(["openssl", "asn1parse", "-in", "cheap.pem"], in: dir).stdout.contains("INTEGER           :0400"))
        let cheapShown = try ExternalTool.run(
            ["openssl", "pkcs8", "-in", "cheap.pem", "-passin", "pass:correct horse battery", "-topk8", "-nocrypt"], in: dir)
        #expect(cheapShown.status == 0, "\(cheapShown.stderr)")
        #expect(
            try PrivateKey(pemRepresentation: cheap, passphrase: "correct horse battery").publicKey.derRepresentation
                == key.publicKey.derRepresentation)
    }

    @Test("PEM and DER import/export of public and private keys", arguments: KeyAlgorithm.allCases)
    func importExport(algorithm: KeyAlgorithm) throws {
        let key = try PrivateKey(generating: algorithm)
        let der = try key.derRepresentation
        let fromDER = try PrivateKey(derRepresentation: der)
        #expect(fromDER.publicKey.derRepresentation == key.publicKey.derRepresentation)
        let publicPEM = key.publicKey.pemRepresentation
        let fromPEM = try PublicKey(pemRepresentation: publicPEM)
        #expect(fromPEM.derRepresentation == key.publicKey.derRepresentation)
        #expect(fromPEM.algorithm == algorithm)
        #expect(try PublicKey(derRepresentation: key.publicKey.derRepresentation).algorithm == algorithm)
        #expect(key.publicKey.x962Representation.first == 0x04)
    }

    @Test(
        "Malformed key input gets malformed_key",
        arguments: [
            "not a pem at all",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\n!!!!\n-----END ENCRYPTED PRIVATE KEY-----\n",
        ])
    func malformed(pem: String) {
        let error = #expect(throws: CryptoError.self) { try PrivateKey(pemRepresentation: pem, passphrase: "whatever passphrase") }
        #expect(error?.code == .malformedKey)
        expectError(.malformedKey) { try PublicKey(pemRepresentation: pem) }
        expectError(.malformedKey) { try PrivateKey(derRepresentation: Array(pem.utf8)) }
    }

    @Test("Keys on other curves are refused with unsupported_algorithm", .tags(.externalTool), .notInFastLoop)
    func otherCurve() throws {
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try ExternalTool.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "key.pem"], in: dir)
        let pem = try String(contentsOf: dir.appendingPathComponent("key.pem"), encoding: .utf8)
        let error = #expect(throws: CryptoError.self) { try PrivateKey(pemRepresentation: pem) }
        #expect(error?.code == .unsupportedAlgorithm)
    }

    @Test("Signing is safe from many tasks at once")
    func concurrentSigning() async throws {
        let key = try PrivateKey(generating: .p256)
        let publicKey = key.publicKey
        let ok = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let message = Array("message \(index)".utf8)
                    return publicKey.isValidSignature(try key.signature(for: message), for: message)
                }
            }
            return try await group.reduce(true) { $0 && $1 }
        }
        #expect(ok)
    }
}
