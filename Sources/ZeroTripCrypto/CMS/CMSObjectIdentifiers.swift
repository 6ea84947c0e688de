/// Object identifiers used by CMS (RFC 5652), ESS (RFC 5035) and the algorithms ZeroTrip signs with,
/// each as its complete DER encoding so comparisons are byte comparisons.
enum CMSObjectIdentifiers {
    static let data = DER.objectIdentifier("1.2.840.113549.1.7.1")
    static let signedData = DER.objectIdentifier("1.2.840.113549.1.7.2")
    static let contentType = DER.objectIdentifier("1.2.840.113549.1.9.3")
    static let messageDigest = DER.objectIdentifier("1.2.840.113549.1.9.4")
    static let signingTime = DER.objectIdentifier("1.2.840.113549.1.9.5")
    static let signingCertificateV2 = DER.objectIdentifier("1.2.840.113549.1.9.16.2.47")
    static let sha256 = DER.objectIdentifier("2.16.840.1.101.3.4.2.1")
    static let sm3 = DER.objectIdentifier("1.2.156.10197.1.401")
    static let ecdsaWithSHA256 = DER.objectIdentifier("1.2.840.10045.4.3.2")
    static let sm2WithSM3 = DER.objectIdentifier("1.2.156.10197.1.501")

    /// The digest OID for `algorithm`.
    static func digest(_ algorithm: DigestAlgorithm) -> [UInt8] {
        algorithm == .sm3 ? sm3 : sha256
    }

    /// The signature OID for a key algorithm.
    static func signature(_ algorithm: KeyAlgorithm) -> [UInt8] {
        algorithm == .sm2 ? sm2WithSM3 : ecdsaWithSHA256
    }
}
