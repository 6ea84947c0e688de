/// Certificates and CRLs signed by a key held in a token.
///
/// OpenSSL signs X.509 structures only with a key in memory. For a token key the structure is first signed by a
/// throw-away key of the same algorithm, which writes both signature algorithm identifiers and fixes the encoding of
/// the to-be-signed part; that signature is then replaced by the token's, over exactly the same to-be-signed bytes.
/// The result is what OpenSSL would have produced with the token key itself.
enum TokenSigning {
    /// A key of the signer's algorithm to let OpenSSL lay out the structure (its signature is discarded).
    static func placeholder(for key: PrivateKey) throws(CryptoError) -> PrivateKey {
        try PrivateKey(generating: key.algorithm)
    }

    /// `der` (a Certificate or CertificateList: SEQUENCE { tbs, signatureAlgorithm, signatureValue }) with its
    /// signature made again by `key` over the same to-be-signed bytes.
    static func resigned(_ der: [UInt8], with key: PrivateKey) throws(CryptoError) -> [UInt8] {
        let parts: [DER.Element]
        do {
            parts = try DER.parse(der[...]).expecting(DER.Tag.sequence, "signed structure").children()
        } catch {
            throw CryptoError(.backendFailure, "re-signing with the token key: \(error)")
        }
        guard parts.count == 3, parts[0].tag == DER.Tag.sequence, parts[1].tag == DER.Tag.sequence, parts[2].tag == 0x03 else {
            throw CryptoError(.backendFailure, "re-signing with the token key: not a signed X.509 structure")
        }
        let signature = try key.signature(for: parts[0].encoded)
        return DER.sequence([Array(parts[0].encoded), Array(parts[1].encoded), DER.tlv(0x03, [0x00] + signature.derRepresentation)])
    }
}
