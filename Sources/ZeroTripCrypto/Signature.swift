internal import COpenSSL

/// An ECDSA or SM2 signature, convertible between DER (`SEQUENCE { r, s }`, used by X.509 and CMS)
/// and the fixed-width `r ‖ s` form (32 + 32 bytes, used by COSE and JOSE).
public struct Signature: Sendable, Hashable {
    /// The algorithm that produced the signature.
    public let algorithm: KeyAlgorithm
    /// The strict DER encoding.
    public let derRepresentation: [UInt8]

    /// Parses a DER signature. Non-canonical encodings (trailing bytes, BER lengths,
    /// superfluous leading zeros) are rejected.
    public init(derRepresentation der: [UInt8], algorithm: KeyAlgorithm) throws(CryptoError) {
        guard !der.isEmpty, der.count <= 2 + 2 * (3 + algorithm.scalarByteCount) else {
            throw CryptoError(.malformedSignature, "DER signature has an impossible length (\(der.count) bytes)")
        }
        let sig = try Self.decode(der)
        let reencoded = try Self.encode(sig)
        guard reencoded == der else {
            throw CryptoError(.malformedSignature, "signature is not strict DER")
        }
        let (r, s) = try Self.components(of: sig, width: algorithm.scalarByteCount)
        guard r.contains(where: { $0 != 0 }), s.contains(where: { $0 != 0 }) else {
            throw CryptoError(.malformedSignature, "signature component is zero")
        }
        self.algorithm = algorithm
        self.derRepresentation = der
    }

    /// Wraps DER that OpenSSL itself just produced, skipping the strictness checks.
    init(producedDER der: [UInt8], algorithm: KeyAlgorithm) {
        self.algorithm = algorithm
        self.derRepresentation = der
    }

    /// Parses a fixed-width `r ‖ s` signature (64 bytes for P-256 and SM2).
    public init(rawRepresentation raw: [UInt8], algorithm: KeyAlgorithm) throws(CryptoError) {
        let width = algorithm.scalarByteCount
        guard raw.count == 2 * width else {
            throw CryptoError(.malformedSignature, "raw signature must be \(2 * width) bytes, got \(raw.count)")
        }
        guard raw[..<width].contains(where: { $0 != 0 }), raw[width...].contains(where: { $0 != 0 }) else {
            throw CryptoError(.malformedSignature, "signature component is zero")
        }
        let r = try checkNotNil(raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32(width), nil) }, .backendFailure, "BN_bin2bn failed")
        guard let s = raw.withUnsafeBufferPointer({ BN_bin2bn($0.baseAddress! + width, Int32(width), nil) }) else {
            BN_free(r)
            throw .openSSL(.backendFailure, "BN_bin2bn failed")
        }
        let sig = ECDSASignatureBox(taking: try checkNotNil(ECDSA_SIG_new(), .backendFailure, "ECDSA_SIG_new failed"))
        guard ECDSA_SIG_set0(sig.pointer, r, s) == 1 else {
            BN_free(r); BN_free(s)
            throw .openSSL(.backendFailure, "ECDSA_SIG_set0 failed")
        }
        self.algorithm = algorithm
        self.derRepresentation = try Self.encode(sig)
    }

    /// The fixed-width `r ‖ s` encoding, each component left-padded to 32 bytes.
    public var rawRepresentation: [UInt8] {
        // The DER was validated at construction, so decoding cannot fail.
        let sig = try! Self.decode(derRepresentation)
        let (r, s) = try! Self.components(of: sig, width: algorithm.scalarByteCount)
        return r + s
    }

    private static func decode(_ der: [UInt8]) throws(CryptoError) -> ECDSASignatureBox {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        return ECDSASignatureBox(taking: try checkNotNil(parsed, .malformedSignature, "signature is not a DER SEQUENCE of two INTEGERs"))
    }

    private static func encode(_ sig: ECDSASignatureBox) throws(CryptoError) -> [UInt8] {
        let length = i2d_ECDSA_SIG(sig.pointer, nil)
        guard length > 0 else { throw .openSSL(.backendFailure, "i2d_ECDSA_SIG failed") }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_ECDSA_SIG(sig.pointer, &cursor)
        }
        return out
    }

    private static func components(of sig: ECDSASignatureBox, width: Int) throws(CryptoError) -> ([UInt8], [UInt8]) {
        guard let r = ECDSA_SIG_get0_r(sig.pointer), let s = ECDSA_SIG_get0_s(sig.pointer),
            BN_is_negative(r) == 0, BN_is_negative(s) == 0,
            (BN_num_bits(r) + 7) / 8 <= width, (BN_num_bits(s) + 7) / 8 <= width
        else {
            throw CryptoError(.malformedSignature, "signature components are out of range")
        }
        var rb = [UInt8](repeating: 0, count: width)
        var sb = [UInt8](repeating: 0, count: width)
        guard BN_bn2binpad(r, &rb, Int32(width)) == Int32(width), BN_bn2binpad(s, &sb, Int32(width)) == Int32(width) else {
            throw .openSSL(.backendFailure, "BN_bn2binpad failed")
        }
        return (rb, sb)
    }
}
