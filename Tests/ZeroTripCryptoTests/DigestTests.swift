import Testing
import ZeroTripCrypto

@Suite("Digests, random bytes, constant-time comparison")
struct DigestTests {
    @Test("SHA-256 and SM3 match their published test vectors for \"abc\"")
    func knownVectors() {
        let abc = Array("abc".utf8)
        #expect(Hex.encode(Digest.sha256(abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // GB/T 32905-2016 Appendix A.1.
        #expect(Hex.encode(Digest.sm3(abc)) == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    }

    @Test("Incremental digest equals the one-shot digest", arguments: DigestAlgorithm.allCases)
    func incremental(algorithm: DigestAlgorithm) throws {
        let message = Array("零跑腿 zero-errand service".utf8)
        var digest = try Digest(algorithm)
        try digest.update(message.prefix(7))
        try digest.update(message.dropFirst(7))
        #expect(try digest.finalize() == Digest.hash(message, using: algorithm))
    }

    @Test("Constant-time comparison tells equal from different, including different lengths")
    func constantTime() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([], []))
    }

    @Test("Random bytes have the requested length and differ between calls")
    func random() throws {
        let a = try SecureRandom.bytes(count: 32)
        let b = try SecureRandom.bytes(count: 32)
        #expect(a.count == 32)
        #expect(a != b)
        expectError(.invalidArgument) { try SecureRandom.bytes(count: -1) }
    }

    @Test("Base64 and hex round-trip and reject garbage")
    func encodings() {
        for length in 0..<10 {
            let bytes = (0..<length).map { UInt8($0 * 37 & 0xff) }
            #expect(Base64.decodeURLSafe(Base64.encodeURLSafe(bytes)) == bytes)
            #expect(Base64.decodeStandard(Base64.encode(bytes)) == bytes)
            #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        }
        #expect(Base64.decodeURLSafe("a") == nil)
        #expect(Base64.decodeURLSafe("ab*d") == nil)
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
