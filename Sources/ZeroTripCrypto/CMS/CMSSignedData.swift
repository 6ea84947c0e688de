/// A parsed detached CMS SignedData (RFC 5652 §5) with exactly one SignerInfo, as PAdES requires.
///
/// Parsing is strict and bounded (DER only, one signer, signed attributes present). It does not decide
/// trust: ``signatureIsValid`` checks the signature over the signed attributes with the signer's
/// certificate; chain validation and the content digest are the caller's ("validation outcomes are
/// values": see ``CertificateChainVerifier``).
public struct CMSSignedData: Sendable {
    /// Largest SignedData accepted.
    public static let maximumLength = 256 * 1024

    /// The digest algorithm of the signer.
    public let digestAlgorithm: DigestAlgorithm
    /// The key algorithm implied by the signature algorithm.
    public let signatureAlgorithm: KeyAlgorithm
    /// The message-digest signed attribute.
    public let messageDigest: [UInt8]
    /// The DER of every certificate carried in the message (parsed only on demand: verifiers usually
    /// compare the signer's DER with a certificate they already trust).
    public let certificateDERs: [[UInt8]]
    /// The DER of the certificate named by the SignerInfo's issuer and serial number.
    public let signerCertificateDER: [UInt8]
    /// Whether a signing-time attribute is present (PAdES baseline forbids it).
    public let hasSigningTime: Bool
    /// Whether an ESS signing-certificate-v2 attribute is present and names ``signerCertificate``.
    public let signingCertificateV2Matches: Bool
    /// The signature value.
    public let signature: Signature

    private let signedAttributesForSigning: [UInt8]

    /// Parses a DER ContentInfo.
    public init(derRepresentation bytes: ArraySlice<UInt8>) throws(CryptoError) {
        guard bytes.count <= Self.maximumLength else { throw CryptoError(.malformedSignature, "CMS message larger than \(Self.maximumLength) bytes") }
        do {
            self = try Self.parse(bytes)
        } catch {
            if let error = error as? CryptoError { throw error }
            if let error = error as? DER.DecodingError { throw CryptoError(.malformedSignature, "CMS structure: \(error.message)") }
            throw CryptoError(.malformedSignature, "CMS structure: \(error)")
        }
    }

    private init(
        digestAlgorithm: DigestAlgorithm, signatureAlgorithm: KeyAlgorithm, messageDigest: [UInt8], certificateDERs: [[UInt8]],
        signerCertificateDER: [UInt8], hasSigningTime: Bool, signingCertificateV2Matches: Bool, signature: Signature,
        signedAttributesForSigning: [UInt8]
    ) {
        self.digestAlgorithm = digestAlgorithm
        self.signatureAlgorithm = signatureAlgorithm
        self.messageDigest = messageDigest
        self.certificateDERs = certificateDERs
        self.signerCertificateDER = signerCertificateDER
        self.hasSigningTime = hasSigningTime
        self.signingCertificateV2Matches = signingCertificateV2Matches
        self.signature = signature
        self.signedAttributesForSigning = signedAttributesForSigning
    }

    private static func parse(_ bytes: ArraySlice<UInt8>) throws -> CMSSignedData {
        let contentInfo = try DER.parse(bytes).expecting(DER.Tag.sequence, "ContentInfo").children()
        guard contentInfo.count == 2, Array(contentInfo[0].encoded) == CMSObjectIdentifiers.signedData else {
            throw DER.DecodingError("ContentInfo is not SignedData")
        }
        let explicit = try contentInfo[1].expecting(DER.Tag.contextConstructed(0), "content").children()
        guard explicit.count == 1 else { throw DER.DecodingError("content must hold one SignedData") }
        var fields = try explicit[0].expecting(DER.Tag.sequence, "SignedData").children()
        guard fields.count >= 4 else { throw DER.DecodingError("SignedData too short") }
        _ = try fields.removeFirst().expecting(DER.Tag.integer, "version")
        _ = try fields.removeFirst().expecting(DER.Tag.set, "digestAlgorithms")
        let encapsulated = try fields.removeFirst().expecting(DER.Tag.sequence, "encapContentInfo").children()
        guard encapsulated.count == 1, Array(encapsulated[0].encoded) == CMSObjectIdentifiers.data else {
            throw DER.DecodingError("the signature must be detached over id-data")
        }
        var certificates: [[UInt8]] = []
        if fields.first?.tag == DER.Tag.contextConstructed(0) {
            for element in try fields.removeFirst().children() {
                guard element.tag == DER.Tag.sequence else { continue }  // other certificate choices are ignored
                certificates.append(Array(element.encoded))
                guard certificates.count <= 16 else { throw DER.DecodingError("more than 16 certificates") }
            }
        }
        if fields.first?.tag == DER.Tag.contextConstructed(1) { fields.removeFirst() }  // crls
        guard fields.count == 1 else { throw DER.DecodingError("unexpected fields after signerInfos") }
        let signerInfos = try fields[0].expecting(DER.Tag.set, "signerInfos").children()
        guard signerInfos.count == 1 else {
            throw CryptoError(.malformedSignature, "the CMS message must have exactly one signer, found \(signerInfos.count)")
        }

        var signer = try signerInfos[0].expecting(DER.Tag.sequence, "SignerInfo").children()
        guard signer.count >= 6 else { throw DER.DecodingError("SignerInfo too short") }
        guard Array(try signer.removeFirst().expecting(DER.Tag.integer, "version").content) == [1] else {
            throw DER.DecodingError("SignerInfo version must be 1 (issuerAndSerialNumber)")
        }
        let sid = try signer.removeFirst().expecting(DER.Tag.sequence, "issuerAndSerialNumber").children()
        guard sid.count == 2 else { throw DER.DecodingError("malformed issuerAndSerialNumber") }
        let digestOID = try Self.algorithmOID(signer.removeFirst())
        let attributesElement = try signer.removeFirst().expecting(DER.Tag.contextConstructed(0), "signedAttrs")
        let signatureOID = try Self.algorithmOID(signer.removeFirst())
        let signatureValue = try signer.removeFirst().expecting(DER.Tag.octetString, "signature")

        let digestAlgorithm: DigestAlgorithm
        let signatureAlgorithm: KeyAlgorithm
        switch (digestOID, signatureOID) {
        case (CMSObjectIdentifiers.sha256, CMSObjectIdentifiers.ecdsaWithSHA256):
            digestAlgorithm = .sha256
            signatureAlgorithm = .p256
        case (CMSObjectIdentifiers.sm3, CMSObjectIdentifiers.sm2WithSM3):
            digestAlgorithm = .sm3
            signatureAlgorithm = .sm2
        default:
            throw CryptoError(.unsupportedAlgorithm, "only ECDSA-SHA256 and SM2-SM3 signers are supported")
        }

        var signerMatch: [UInt8]?
        for certificate in certificates {
            let (issuer, serial) = try Certificate.issuerAndSerialDER(of: certificate)
            if issuer == Array(sid[0].encoded) && serial == Array(sid[1].encoded) { signerMatch = certificate; break }
        }
        guard let match = signerMatch else {
            throw CryptoError(.malformedSignature, "the signer's certificate is not in the CMS message")
        }

        var digest: [UInt8]?
        var contentTypeOK = false
        var signingTime = false
        var signingCertificateMatches = false
        var seen = Set<[UInt8]>()
        for attribute in try attributesElement.children() {
            let parts = try attribute.expecting(DER.Tag.sequence, "Attribute").children()
            guard parts.count == 2 else { throw DER.DecodingError("malformed attribute") }
            let type = Array(parts[0].encoded)
            guard seen.insert(type).inserted else { throw DER.DecodingError("duplicate signed attribute") }
            let values = try parts[1].expecting(DER.Tag.set, "attribute values").children()
            guard values.count == 1 else { throw DER.DecodingError("signed attributes must have one value") }
            switch type {
            case CMSObjectIdentifiers.contentType:
                contentTypeOK = Array(values[0].encoded) == CMSObjectIdentifiers.data
            case CMSObjectIdentifiers.messageDigest:
                digest = try values[0].expecting(DER.Tag.octetString, "messageDigest").contentBytes
            case CMSObjectIdentifiers.signingTime:
                signingTime = true
            case CMSObjectIdentifiers.signingCertificateV2:
                signingCertificateMatches = try Self.essCertificateHash(values[0]) == Digest.sha256(match)
            default:
                break
            }
        }
        guard contentTypeOK else { throw DER.DecodingError("content-type attribute missing or not id-data") }
        guard let digest, digest.count == 32 else { throw DER.DecodingError("message-digest attribute missing") }
        return CMSSignedData(
            digestAlgorithm: digestAlgorithm, signatureAlgorithm: signatureAlgorithm, messageDigest: digest,
            certificateDERs: certificates, signerCertificateDER: match, hasSigningTime: signingTime,
            signingCertificateV2Matches: signingCertificateMatches,
            signature: try Signature(derRepresentation: signatureValue.contentBytes, algorithm: signatureAlgorithm),
            signedAttributesForSigning: DER.tlv(DER.Tag.set, Array(attributesElement.content)))
    }

    /// The signer's certificate, parsed.
    public func signerCertificate() throws(CryptoError) -> Certificate { try Certificate(derRepresentation: signerCertificateDER) }

    /// Whether the signature over the signed attributes verifies with `key` (the signer's, already trusted by the caller).
    public func isValidSignature(publicKey key: PublicKey) -> Bool {
        guard key.algorithm == signatureAlgorithm else { return false }
        return key.isValidSignature(signature, for: signedAttributesForSigning)
    }

    private static func algorithmOID(_ element: DER.Element) throws(DER.DecodingError) -> [UInt8] {
        let parts = try element.expecting(DER.Tag.sequence, "AlgorithmIdentifier").children()
        guard let oid = parts.first, oid.tag == DER.Tag.objectIdentifier else { throw DER.DecodingError("malformed AlgorithmIdentifier") }
        guard parts.count == 1 || (parts.count == 2 && parts[1].tag == DER.Tag.null && parts[1].content.isEmpty) else {
            throw DER.DecodingError("unexpected algorithm parameters")
        }
        return Array(oid.encoded)
    }

    /// The certHash of the first ESSCertIDv2, requiring SHA-256.
    private static func essCertificateHash(_ value: DER.Element) throws(DER.DecodingError) -> [UInt8] {
        let certs = try value.expecting(DER.Tag.sequence, "SigningCertificateV2").children()
        guard let list = certs.first else { throw DER.DecodingError("empty SigningCertificateV2") }
        let ids = try list.expecting(DER.Tag.sequence, "certs").children()
        guard let first = ids.first else { throw DER.DecodingError("no ESSCertIDv2") }
        var parts = try first.expecting(DER.Tag.sequence, "ESSCertIDv2").children()
        if parts.first?.tag == DER.Tag.sequence {
            guard try algorithmOID(parts.removeFirst()) == CMSObjectIdentifiers.sha256 else {
                throw DER.DecodingError("ESSCertIDv2 hash must be SHA-256")
            }
        }
        guard let hash = parts.first else { throw DER.DecodingError("ESSCertIDv2 without certHash") }
        return try hash.expecting(DER.Tag.octetString, "certHash").contentBytes
    }
}
