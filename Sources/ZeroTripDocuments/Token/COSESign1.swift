public import ZeroTripCrypto

/// A COSE_Sign1 message (RFC 9052 §4.2) signed with ES256 (ECDSA P-256 / SHA-256, `r ‖ s`).
///
/// The algorithm and the `kid` travel in the protected header, so both are covered by the
/// signature: `protected = bstr(.cbor {1: -7, 4: kid})`, `unprotected = {}`.
/// The message is encoded with tag 18.
public struct COSESign1: Sendable, Hashable {
    /// COSE algorithm identifier for ES256.
    public static let es256: Int64 = -7
    /// CBOR tag of COSE_Sign1.
    public static let tag: UInt64 = 18

    /// The serialized protected header map.
    public let protectedHeader: [UInt8]
    /// The key identifier from the protected header.
    public let kid: [UInt8]
    /// The signed content.
    public let payload: [UInt8]
    /// The 64-byte `r ‖ s` signature.
    public let signature: [UInt8]

    /// A malformed or unsupported message.
    public struct FormatError: Error, Hashable, Sendable, CustomStringConvertible {
        /// Why the message was refused.
        public let message: String
        /// The message.
        public var description: String { message }
    }

    /// Signs `payload` with a P-256 `key`, naming it by `kid`.
    public static func sign(payload: [UInt8], kid: [UInt8], key: PrivateKey) throws(CryptoError) -> COSESign1 {
        guard key.algorithm == .p256 else { throw CryptoError(.unsupportedAlgorithm, "COSE tokens are signed with ES256 (P-256)") }
        let protected = CBOR.map([(.int(1), .int(es256)), (.int(4), .bytes(kid))]).encoded()
        let toBeSigned = signatureInput(protected: protected, payload: payload)
        let signature = try key.signature(for: toBeSigned).rawRepresentation
        return COSESign1(protectedHeader: protected, kid: kid, payload: payload, signature: signature)
    }

    /// `Sig_structure = ["Signature1", protected, external_aad = h'', payload]`, encoded.
    static func signatureInput(protected: [UInt8], payload: [UInt8]) -> [UInt8] {
        CBOR.array([.text("Signature1"), .bytes(protected), .bytes([]), .bytes(payload)]).encoded()
    }

    /// The tagged COSE_Sign1 encoding.
    public func encoded() -> [UInt8] {
        CBOR.tagged(Self.tag, .array([.bytes(protectedHeader), .map([]), .bytes(payload), .bytes(signature)])).encoded()
    }

    /// Parses a (tagged or untagged) COSE_Sign1, requiring ES256 and a kid in the protected header.
    /// The signature is not checked here; call ``isValidSignature(publicKey:)``.
    public static func decode(_ bytes: [UInt8], limits: CBOR.Limits = .init()) throws(FormatError) -> COSESign1 {
        let item: CBOR
        do { item = try CBOR.decode(bytes, limits: limits) } catch { throw FormatError(message: "not CBOR: \(error.message)") }
        var body = item
        if case .tagged(let tag, let inner) = item {
            guard tag == Self.tag else { throw FormatError(message: "CBOR tag \(tag) is not COSE_Sign1 (18)") }
            body = inner
        }
        guard case .array(let parts) = body, parts.count == 4,
            case .bytes(let protected) = parts[0], case .map(let unprotected) = parts[1], unprotected.isEmpty,
            case .bytes(let payload) = parts[2], case .bytes(let signature) = parts[3]
        else { throw FormatError(message: "not a COSE_Sign1 structure [protected, unprotected, payload, signature]") }
        let header: CBOR
        do { header = try CBOR.decode(protected, limits: limits) } catch { throw FormatError(message: "protected header is not CBOR") }
        guard case .map(let entries) = header, entries.count == 2 else {
            throw FormatError(message: "protected header must hold exactly alg (1) and kid (4)")
        }
        guard header[.int(1)]?.intValue == es256 else { throw FormatError(message: "unsupported algorithm; ES256 (-7) is required") }
        guard case .bytes(let kid)? = header[.int(4)], !kid.isEmpty, kid.count <= 32 else {
            throw FormatError(message: "protected header lacks a kid")
        }
        guard signature.count == 64 else { throw FormatError(message: "ES256 signature must be 64 bytes") }
        return COSESign1(protectedHeader: protected, kid: kid, payload: payload, signature: signature)
    }

    /// Whether the signature verifies under `publicKey` (which must be P-256).
    public func isValidSignature(publicKey: PublicKey) -> Bool {
        guard publicKey.algorithm == .p256, let signature = try? Signature(rawRepresentation: signature, algorithm: .p256) else { return false }
        return publicKey.isValidSignature(signature, for: Self.signatureInput(protected: protectedHeader, payload: payload))
    }
}
