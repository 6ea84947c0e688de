public import ZeroTripCrypto

/// A department's seal, ready to sign documents and tokens: the key, its certificate and chain,
/// the prepared CMS signer and the `kid`.
public struct DocumentSealer: Sendable {
    /// The department code (the certificate's OU).
    public let departmentCode: String
    /// The prepared CMS signer (key, certificate, chain).
    public let cms: CMSSigner
    /// First 8 bytes of SHA-256 of the certificate DER.
    public let kid: [UInt8]
    /// Bytes reserved for `/Contents`: the largest possible SignedData plus a margin.
    public let reservedSignatureLength: Int

    /// Prepares a sealer; documents and QR tokens need a P-256 key (PAdES and COSE ES256 interoperability).
    public init(departmentCode: String, key: PrivateKey, certificate: Certificate, chain: [Certificate]) throws(DocumentError) {
        guard key.algorithm == .p256 else {
            throw DocumentError(
                .sealAlgorithmUnsupported,
                "documents are sealed with ECDSA P-256 (what PAdES validators and COSE ES256 verifiers accept); the key of \(departmentCode) is \(key.algorithm): rotate it (zerotrip keys rotate makes a P-256 key)"
            )
        }
        do {
            cms = try CMSSigner(key: key, certificate: certificate, chain: chain)
        } catch {
            throw DocumentError(.signingFailed, "preparing the seal of \(departmentCode): \(error.message)")
        }
        self.departmentCode = departmentCode
        kid = certificate.kid
        reservedSignatureLength = cms.maximumLength + 64
    }
}
