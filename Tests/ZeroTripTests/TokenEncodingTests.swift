import Foundation
import Testing
import ZeroTripTestSupport
import ZeroTripCrypto
import ZeroTripDocuments

@Suite("Token building blocks: Base45, deterministic CBOR, COSE_Sign1")
struct TokenEncodingTests {
    @Test(
        "Base45 matches RFC 9285's examples",
        arguments: [
            ("AB", "BB8"), ("Hello!!", "%69 VD92EX0"), ("base-45", "UJCLQE7W581"), ("ietf!", "QED8WEX0"),
        ])
    func base45(plain: String, encoded: String) throws {
        #expect(Base45.encode(Array(plain.utf8)) == encoded)
        #expect(try Base45.decode(encoded) == Array(plain.utf8))
    }

    @Test("Base45 refuses bad input before allocating", arguments: ["GGW", "A", "abc", "::::", "ÄÄÄ"])
    func base45Bad(text: String) {
        #expect(throws: Base45.DecodingError.self) { try Base45.decode(text) }
    }

    @Test("Base45 caps input length")
    func base45Limit() {
        #expect(throws: Base45.DecodingError.self) { try Base45.decode(String(repeating: "0", count: 5000)) }
    }

    @Test(
        "CBOR encodes RFC 8949 Appendix A examples",
        arguments: [
            (CBOR.unsigned(0), "00"), (.unsigned(23), "17"), (.unsigned(24), "1818"), (.unsigned(1000), "1903e8"),
            (.unsigned(1_000_000), "1a000f4240"), (.int(-1), "20"), (.int(-1000), "3903e7"), (.bytes([1, 2, 3, 4]), "4401020304"),
            (.text("IETF"), "6449455446"), (.text("水"), "63e6b0b4"), (.array([.int(1), .array([.int(2), .int(3)])]), "8201820203"),
            (.map([(.text("a"), .int(1)), (.text("b"), .array([.int(2), .int(3)]))]), "a26161016162820203"), (.bool(true), "f5"), (.null, "f6"),
            (.tagged(1, .unsigned(1_363_896_240)), "c11a514b67b0"),
        ])
    func cborVectors(item: CBOR, hex: String) throws {
        #expect(Hex.encode(item.encoded()) == hex)
        #expect(try CBOR.decode(Hex.decode(hex)!) == item)
    }

    @Test(
        "CBOR sorts map keys deterministically and refuses non-deterministic input",
        arguments: [
            "1817", "190017", "5f4101ff", "a201010101", "a202010101", "f93c00", "0000", "62c328", "9f01ff",
        ])
    func cborStrict(hex: String) {
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode(Hex.decode(hex)!) }
    }

    @Test("CBOR limits depth, item count and size")
    func cborLimits() {
        let deep = [UInt8](repeating: 0x81, count: 20) + [0x00]
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode(deep) }
        let wide = [0x98, 200] + [UInt8](repeating: 0, count: 200)
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode(wide) }
        let long: [UInt8] = [0x5a, 0xff, 0xff, 0xff, 0xff]  // claims a 4 GiB string
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode(long) }
        #expect(CBOR.map([(.int(4), .null), (.int(1), .null)]).encoded() == [0xa2, 0x01, 0xf6, 0x04, 0xf6])
    }

    @Test("COSE_Sign1 round-trips, verifies, and fails for another key or a changed payload")
    func coseRoundTrip() throws {
        let key = try PrivateKey(generating: .p256)
        let message = try COSESign1.sign(payload: Array("零跑腿".utf8), kid: [1, 2, 3, 4, 5, 6, 7, 8], key: key)
        let decoded = try COSESign1.decode(message.encoded())
        #expect(decoded == message)
        #expect(decoded.kid == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(decoded.isValidSignature(publicKey: key.publicKey))
        #expect(!decoded.isValidSignature(publicKey: try PrivateKey(generating: .p256).publicKey))
        var bytes = message.encoded()
        let payload = Array("零跑腿".utf8)
        let start = try #require((0...(bytes.count - payload.count)).first { Array(bytes[$0..<$0 + payload.count]) == payload })
        bytes[start + payload.count - 1] ^= 1  // still a valid byte string, different content
        let tampered = try COSESign1.decode(bytes)
        #expect(tampered.payload != payload)
        #expect(!tampered.isValidSignature(publicKey: key.publicKey))
        let unsupported = #expect(throws: CryptoError.self) { try COSESign1.sign(payload: [1], kid: [1], key: try PrivateKey(generating: .sm2)) }
        #expect(unsupported?.code == .unsupportedAlgorithm)
    }

    @Test("A ZeroTrip COSE_Sign1 verifies in Python (cbor2 + cryptography), written from RFC 9052", .tags(.externalTool), .notInFastLoop)
    func coseInterop() throws {
        let key = try PrivateKey(generating: .p256)
        let message = try COSESign1.sign(payload: Array("{\"doc\":\"RSJ-0001\"}".utf8), kid: [9, 8, 7, 6, 5, 4, 3, 2], key: key)
        let script = """
            import sys, cbor2
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
            msg = cbor2.loads(bytes.fromhex(sys.argv[1]))
            assert msg.tag == 18
            protected, unprotected, payload, sig = msg.value
            header = cbor2.loads(protected)
            assert header[1] == -7 and header[4] == bytes([9, 8, 7, 6, 5, 4, 3, 2])
            tbs = cbor2.dumps(["Signature1", protected, b"", payload])
            key = serialization.load_der_public_key(bytes.fromhex(sys.argv[2]))
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            key.verify(der, tbs, ec.ECDSA(hashes.SHA256()))
            print("OK", payload.decode())
            """
        let dir = FileManager.default.temporaryDirectory
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, Hex.encode(message.encoded()), Hex.encode(key.publicKey.derRepresentation)]
        process.currentDirectoryURL = dir
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("OK {\"doc\":\"RSJ-0001\"}"))
    }

    @Test(
        "The masked name is checked by Unicode scalar: one visible first scalar, then only *",
        arguments: [
            ("张*", true), ("欧***", true), ("A", true), ("张", true),
            ("*", false), ("**", false), ("张三", false), ("\u{07}*", false), ("\u{85}*", false), ("张\u{301}*", false), ("e\u{301}", false),
            ("", false), ("张" + String(repeating: "*", count: 62), false),
        ])
    func maskedNameShape(name: String, accepted: Bool) throws {
        #expect(ResultTokenClaims.isMaskedName(name) == accepted)
        let claims = ResultTokenClaims(
            documentID: Array(repeating: 1, count: 16), departmentCode: "RSJ", matterCode: "GRCBZM", issuedAt: 1_770_000_000,
            expiresAt: 1_780_000_000, contentDigest: Array(repeating: 2, count: 32), maskedHolderName: name)
        if accepted {
            #expect(try ResultTokenClaims.decode(claims.encoded()).maskedHolderName == name)
        } else {
            #expect { try ResultTokenClaims.decode(claims.encoded()) } throws: { ($0 as? ResultTokenError)?.code == .claimsMalformed }
        }
    }

    @Test("The issuer's mask has that shape for every name it accepts, combining marks included")
    func issuerMask() {
        #expect(PersonalDataMask.name("张三丰") == "张**")
        #expect(PersonalDataMask.name("e\u{301}va") == "e***")
        #expect(ResultTokenClaims.isMaskedName(PersonalDataMask.name("e\u{301}va")))
    }
}
