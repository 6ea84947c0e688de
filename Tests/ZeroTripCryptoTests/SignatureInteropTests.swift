import ZeroTripTestSupport
import Foundation
import Testing
import ZeroTripCrypto

/// Signatures checked against implementations nobody here wrote: the openssl CLI and gmssl (PyPI).
@Suite("Signature interoperability with openssl and gmssl", .tags(.externalTool), .notInFastLoop)
struct SignatureInteropTests {
    let message = Array("禅城区 零跑腿 result document 0001".utf8)

    @Test("A ZeroTrip P-256 signature verifies with openssl dgst -sha256 -verify")
    func p256ToOpenSSL() throws {
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try PrivateKey(generating: .p256)
        let signature = try key.signature(for: message)
        try Data(message).write(to: dir.appendingPathComponent("msg"))
        try Data(signature.derRepresentation).write(to: dir.appendingPathComponent("sig"))
        try key.publicKey.pemRepresentation.write(to: dir.appendingPathComponent("pub.pem"), atomically: true, encoding: .utf8)
        let result = try ExternalTool.run(["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Verified OK"))

        // And a corrupted message fails there too, so the check above can fail.
        try Data(message + [0]).write(to: dir.appendingPathComponent("msg"))
        let bad = try ExternalTool.run(["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"], in: dir)
        #expect(bad.status != 0)
    }

    @Test("An openssl P-256 signature verifies in ZeroTrip; a flipped bit does not")
    func openSSLToP256() throws {
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try ExternalTool.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem"], in: dir)
        try ExternalTool.run(["openssl", "pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"], in: dir)
        try Data(message).write(to: dir.appendingPathComponent("msg"))
        let signed = try ExternalTool.run(["openssl", "dgst", "-sha256", "-sign", "key.pem", "-out", "sig", "msg"], in: dir)
        #expect(signed.status == 0)
        let publicKey = try PublicKey(pemRepresentation: String(contentsOf: dir.appendingPathComponent("pub.pem"), encoding: .utf8))
        let der = try [UInt8](Data(contentsOf: dir.appendingPathComponent("sig")))
        let signature = try Signature(derRepresentation: der, algorithm: .p256)
        #expect(publicKey.algorithm == .p256)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: message + [1]))
        // The private key openssl wrote loads too and produces signatures the public key accepts.
        let privateKey = try PrivateKey(pemRepresentation: String(contentsOf: dir.appendingPathComponent("key.pem"), encoding: .utf8))
        #expect(publicKey.isValidSignature(try privateKey.signature(for: message), for: message))
    }

    @Test("A ZeroTrip SM2 signature verifies with openssl using distid 1234567812345678, and not with another ID")
    func sm2ToOpenSSL() throws {
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try PrivateKey(generating: .sm2)
        let signature = try key.signature(for: message)
        try Data(message).write(to: dir.appendingPathComponent("msg"))
        try Data(signature.derRepresentation).write(to: dir.appendingPathComponent("sig"))
        try key.publicKey.pemRepresentation.write(to: dir.appendingPathComponent("pub.pem"), atomically: true, encoding: .utf8)
        let good = try ExternalTool.run(
            ["openssl", "dgst", "-sm3", "-verify", "pub.pem", "-sigopt", "distid:1234567812345678", "-signature", "sig", "msg"], in: dir)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("Verified OK"))
        let otherID = try ExternalTool.run(
            ["openssl", "dgst", "-sm3", "-verify", "pub.pem", "-sigopt", "distid:0000000000000000", "-signature", "sig", "msg"], in: dir)
        #expect(otherID.status != 0)
    }

    @Test("An openssl SM2 signature with distid 1234567812345678 verifies in ZeroTrip")
    func openSSLToSM2() throws {
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try ExternalTool.run(["openssl", "genpkey", "-algorithm", "SM2", "-out", "key.pem"], in: dir)
        try ExternalTool.run(["openssl", "pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"], in: dir)
        try Data(message).write(to: dir.appendingPathComponent("msg"))
        let signed = try ExternalTool.run(
            ["openssl", "dgst", "-sm3", "-sign", "key.pem", "-sigopt", "distid:1234567812345678", "-out", "sig", "msg"], in: dir)
        #expect(signed.status == 0, "\(signed.stderr)")
        let publicKey = try PublicKey(pemRepresentation: String(contentsOf: dir.appendingPathComponent("pub.pem"), encoding: .utf8))
        #expect(publicKey.algorithm == .sm2)
        let signature = try Signature(derRepresentation: [UInt8](Data(contentsOf: dir.appendingPathComponent("sig"))), algorithm: .sm2)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: message + [1]))
        let privateKey = try PrivateKey(pemRepresentation: String(contentsOf: dir.appendingPathComponent("key.pem"), encoding: .utf8))
        #expect(privateKey.algorithm == .sm2)
    }

    @Test("SM2 interoperates with gmssl (independent Python implementation, ID 1234567812345678) in both directions, r‖s encoding")
    func sm2WithGmSSL() throws {
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Key made by openssl; its raw scalar and point handed to gmssl. gmssl takes the point as x ‖ y in hex and strips a
        // leading "04" with str.lstrip (every leading 0 and 4), so a point whose x begins with the byte 04 (1 key in 256)
        // would reach it mangled: openssl makes another key then.
        var privateKey = try PrivateKey(generating: .sm2)
        for _ in 0..<8 {
            try ExternalTool.run(["openssl", "genpkey", "-algorithm", "SM2", "-out", "key.pem"], in: dir)
            privateKey = try PrivateKey(pemRepresentation: String(contentsOf: dir.appendingPathComponent("key.pem"), encoding: .utf8))
            if privateKey.publicKey.x962Representation.dropFirst().first != 0x04 { break }
        }
        let text = try ExternalTool.run(["openssl", "pkey", "-in", "key.pem", "-text", "-noout"], in: dir).stdout
        let privHex = try #require(Self.hexBlock(after: "priv:", in: text))
        let pubHex = Hex.encode(privateKey.publicKey.x962Representation.dropFirst())
        let messageHex = Hex.encode(message)

        // ZeroTrip → gmssl
        let script = """
            import sys
            from gmssl import sm2
            priv, pub, msg, sig = sys.argv[1:5]
            c = sm2.CryptSM2(private_key=priv, public_key=pub)
            ok = c.verify_with_sm3(sig, bytes.fromhex(msg))
            print("OK" if ok else "BAD")
            print(c.sign_with_sm3(bytes.fromhex(msg)))
            """
        let ours = try privateKey.signature(for: message)
        let run = try ExternalTool.run(["python3", "-c", script, privHex, pubHex, messageHex, Hex.encode(ours.rawRepresentation)])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "OK")

        // gmssl → ZeroTrip (gmssl emits r‖s as 128 hex digits).
        let theirs = try #require(lines.count > 1 ? Hex.decode(lines[1]) : nil)
        let signature = try Signature(rawRepresentation: theirs, algorithm: .sm2)
        #expect(privateKey.publicKey.isValidSignature(signature, for: message))
        #expect(!privateKey.publicKey.isValidSignature(signature, for: Array(message.dropLast())))
    }

    /// Extracts the colon-separated hex block after `label` in `openssl pkey -text` output.
    static func hexBlock(after label: String, in text: String) -> String? {
        guard let start = text.range(of: label) else { return nil }
        var hex = ""
        for line in text[start.upperBound...].split(separator: "\n").dropFirst(0) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.contains(where: { !$0.isHexDigit && $0 != ":" }) { break }
            hex += trimmed.replacingOccurrences(of: ":", with: "")
        }
        // openssl may print a leading 00 byte for a scalar with the high bit set.
        while hex.count > 64, hex.hasPrefix("00") { hex.removeFirst(2) }
        return hex.count == 64 ? hex : nil
    }
}
