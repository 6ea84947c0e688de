/// Produces detached CMS SignedData (RFC 5652) for PAdES baseline B-B (ETSI EN 319 142-1) and
/// CAdES (ETSI EN 319 122-1): one SignerInfo, signed attributes content-type, message-digest and
/// ESS signing-certificate-v2 (RFC 5035), **no signing-time** (PAdES carries the time in `/M`),
/// the signer certificate and its chain in `certificates`.
///
/// Everything except the message digest and the signature value is fixed for a given key and chain,
/// so it is encoded once here; ``signedData(contentDigest:)`` only assembles bytes and signs.
/// P-256 keys sign ECDSA with SHA-256; SM2 keys sign SM2 with SM3 (GB/T 35275) with the standard
/// distinguishing ID.
public struct CMSSigner: Sendable {
    /// The signing key.
    public let key: PrivateKey
    /// The signer's certificate.
    public let certificate: Certificate
    /// Further certificates placed in the message (issuer chain, up to and including the root).
    public let chain: [Certificate]
    /// The digest algorithm over the signed content: SHA-256 for P-256, SM3 for SM2.
    public let digestAlgorithm: DigestAlgorithm
    /// An upper bound of the encoded SignedData length, for reserving `/Contents`.
    public let maximumLength: Int

    private let digestAlgorithmIdentifier: [UInt8]
    private let signatureAlgorithmIdentifier: [UInt8]
    private let signerIdentifier: [UInt8]
    private let contentTypeAttribute: [UInt8]
    private let signingCertificateAttribute: [UInt8]
    private let certificatesField: [UInt8]

    /// Prepares a signer; the key must belong to `certificate`.
    public init(key: PrivateKey, certificate: Certificate, chain: [Certificate]) throws(CryptoError) {
        guard key.publicKey.derRepresentation == certificate.publicKey.derRepresentation else {
            throw CryptoError(.invalidArgument, "the signing key does not belong to the certificate")
        }
        self.key = key
        self.certificate = certificate
        self.chain = chain
        digestAlgorithm = key.algorithm == .sm2 ? .sm3 : .sha256
        digestAlgorithmIdentifier = DER.sequence([CMSObjectIdentifiers.digest(digestAlgorithm)])
        signatureAlgorithmIdentifier = DER.sequence([CMSObjectIdentifiers.signature(key.algorithm)])
        let (issuer, serial) = try certificate.issuerAndSerialDER()
        signerIdentifier = DER.sequence([issuer, serial])
        contentTypeAttribute = DER.sequence([CMSObjectIdentifiers.contentType, DER.setOf([CMSObjectIdentifiers.data])])
        // ESSCertIDv2 with the default hash (SHA-256) omitted, and IssuerSerial with the issuer as directoryName [4].
        let issuerSerial = DER.sequence([DER.sequence([DER.tlv(0xA4, issuer)]), serial])
        let essCertID = DER.sequence([DER.octetString(Digest.sha256(certificate.derRepresentation)), issuerSerial])
        signingCertificateAttribute = DER.sequence([
            CMSObjectIdentifiers.signingCertificateV2,
            DER.setOf([DER.sequence([DER.sequence([essCertID])])]),
        ])
        certificatesField = DER.tlv(DER.Tag.contextConstructed(0), ([certificate] + chain).flatMap(\.derRepresentation))
        // The ECDSA / SM2 DER signature for 256-bit curves is at most 72 bytes; a 32-byte digest.
        maximumLength =
            Self.assemble(
                digestAlgorithmIdentifier: digestAlgorithmIdentifier, signatureAlgorithmIdentifier: signatureAlgorithmIdentifier,
                signerIdentifier: signerIdentifier, certificatesField: certificatesField,
                signedAttributes: Self.signedAttributes(
                    contentType: contentTypeAttribute, signingCertificate: signingCertificateAttribute, digest: [UInt8](repeating: 0xFF, count: 32)),
                signature: [UInt8](repeating: 0xFF, count: 72)
            ).count
    }

    /// The DER ContentInfo of a detached SignedData over content whose digest (with ``digestAlgorithm``) is `contentDigest`.
    public func signedData(contentDigest: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard contentDigest.count == 32 else { throw CryptoError(.invalidArgument, "content digest must be 32 bytes") }
        let attributes = Self.signedAttributes(
            contentType: contentTypeAttribute, signingCertificate: signingCertificateAttribute, digest: contentDigest)
        // The signature covers the attributes encoded as an explicit SET OF (RFC 5652 §5.4).
        let signature = try key.signature(for: attributes).derRepresentation
        let encoded = Self.assemble(
            digestAlgorithmIdentifier: digestAlgorithmIdentifier, signatureAlgorithmIdentifier: signatureAlgorithmIdentifier,
            signerIdentifier: signerIdentifier, certificatesField: certificatesField,
            signedAttributes: attributes, signature: signature)
        assert(encoded.count <= maximumLength)
        return encoded
    }

    private static func signedAttributes(contentType: [UInt8], signingCertificate: [UInt8], digest: [UInt8]) -> [UInt8] {
        let messageDigest = DER.sequence([CMSObjectIdentifiers.messageDigest, DER.setOf([DER.octetString(digest)])])
        return DER.setOf([contentType, messageDigest, signingCertificate])
    }

    private static func assemble(
        digestAlgorithmIdentifier: [UInt8], signatureAlgorithmIdentifier: [UInt8], signerIdentifier: [UInt8],
        certificatesField: [UInt8], signedAttributes: [UInt8], signature: [UInt8]
    ) -> [UInt8] {
        // In SignerInfo the attributes are [0] IMPLICIT: same content, context tag.
        let implicitAttributes = DER.tlv(DER.Tag.contextConstructed(0), Array(signedAttributes[DER.headerLength(of: signedAttributes)...]))
        let signerInfo = DER.sequence([
            DER.integer(1), signerIdentifier, digestAlgorithmIdentifier, implicitAttributes,
            signatureAlgorithmIdentifier, DER.octetString(signature),
        ])
        let signedData = DER.sequence([
            DER.integer(1),
            DER.setOf([digestAlgorithmIdentifier]),
            DER.sequence([CMSObjectIdentifiers.data]),
            certificatesField,
            DER.setOf([signerInfo]),
        ])
        return DER.sequence([CMSObjectIdentifiers.signedData, DER.tlv(DER.Tag.contextConstructed(0), signedData)])
    }
}

extension DER {
    /// The number of identifier and length octets at the start of an encoded element.
    static func headerLength(of encoded: [UInt8]) -> Int {
        encoded[1] < 0x80 ? 2 : 2 + Int(encoded[1] & 0x7F)
    }
}
