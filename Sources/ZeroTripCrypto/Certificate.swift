internal import COpenSSL
public import Foundation

/// A parsed X.509 v3 certificate.
public struct Certificate: Sendable, Hashable, CustomStringConvertible {
    /// Largest DER certificate accepted.
    public static let maximumDERLength = 64 * 1024

    /// The exact DER bytes.
    public let derRepresentation: [UInt8]
    let box: X509Box

    /// Parses DER bytes. Trailing bytes are rejected.
    public init(derRepresentation der: [UInt8]) throws(CryptoError) {
        OpenSSLErrorQueue.clear()
        guard !der.isEmpty, der.count <= Self.maximumDERLength else {
            throw CryptoError(.malformedCertificate, "certificate DER must be 1–\(Self.maximumDERLength) bytes")
        }
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let x509 = d2i_X509(nil, &cursor, buffer.count)
            if x509 != nil, cursor != buffer.baseAddress! + buffer.count { X509_free(x509); return nil }
            return x509
        }
        self.box = X509Box(taking: try checkNotNil(parsed, .malformedCertificate, "bytes are not a DER X.509 certificate"))
        self.derRepresentation = der
        try Self.attachSM2DistinguishingIDIfNeeded(box)
        // Fail early on a key we cannot use rather than at first verification.
        _ = try Self.publicKey(of: box)
    }

    init(box: X509Box) throws(CryptoError) {
        let length = i2d_X509(box.pointer, nil)
        guard length > 0 else { throw .openSSL(.malformedCertificate, "i2d_X509 failed") }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_X509(box.pointer, &cursor)
        }
        self.box = box
        self.derRepresentation = out
        try Self.attachSM2DistinguishingIDIfNeeded(box)
    }

    /// Parses the first `CERTIFICATE` PEM block.
    public init(pemRepresentation pem: String) throws(CryptoError) {
        guard let first = try Self.parseChain(pemRepresentation: pem).first else {
            throw CryptoError(.malformedCertificate, "no CERTIFICATE PEM block found")
        }
        self = first
    }

    /// Parses every `CERTIFICATE` PEM block, in order. Other blocks are an error.
    public static func parseChain(pemRepresentation pem: String) throws(CryptoError) -> [Certificate] {
        guard pem.utf8.count <= PEM.maximumLength else { throw CryptoError(.malformedCertificate, "PEM input too large") }
        var certificates: [Certificate] = []
        var rest = Substring(pem)
        while let begin = rest.range(of: "-----BEGIN ") {
            guard let labelEnd = rest[begin.upperBound...].range(of: "-----") else {
                throw CryptoError(.malformedCertificate, "unterminated PEM header")
            }
            let label = rest[begin.upperBound..<labelEnd.lowerBound]
            guard label == "CERTIFICATE" else {
                throw CryptoError(.malformedCertificate, "expected CERTIFICATE PEM blocks, found \"\(label.prefix(40))\"")
            }
            guard let end = rest[labelEnd.upperBound...].range(of: "-----END CERTIFICATE-----") else {
                throw CryptoError(.malformedCertificate, "CERTIFICATE block has no END line")
            }
            let body = rest[labelEnd.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
            guard let der = Base64.decodeStandard(String(body)) else {
                throw CryptoError(.malformedCertificate, "CERTIFICATE block is not valid Base64")
            }
            certificates.append(try Certificate(derRepresentation: der))
            rest = rest[end.upperBound...]
        }
        if certificates.isEmpty { throw CryptoError(.malformedCertificate, "no CERTIFICATE PEM block found") }
        return certificates
    }

    /// `CERTIFICATE` PEM.
    public var pemRepresentation: String { pemEncode(derRepresentation, label: "CERTIFICATE") }

    /// ZeroTrip's key identifier: the first 8 bytes of SHA-256 over the DER certificate.
    public var kid: [UInt8] { Array(Digest.sha256(derRepresentation).prefix(8)) }

    /// ``kid`` as lowercase hex.
    public var kidHex: String { Hex.encode(kid) }

    /// The subject name.
    public var subject: DistinguishedName { DistinguishedName(borrowing: X509_get_subject_name(box.pointer)) }

    /// The issuer name.
    public var issuer: DistinguishedName { DistinguishedName(borrowing: X509_get_issuer_name(box.pointer)) }

    /// The serial number as lowercase hex without leading zeros.
    public var serialNumberHex: String {
        guard let serial = X509_get0_serialNumber(box.pointer), let bn = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        let owned = BignumBox(taking: bn)
        guard let hex = BN_bn2hex(owned.pointer) else { return "" }
        defer { CRYPTO_free(hex, #fileID, #line) }
        return String(cString: hex).lowercased()
    }

    /// Start of the validity period.
    public var notValidBefore: Date { Self.date(X509_get0_notBefore(box.pointer)) }

    /// End of the validity period.
    public var notValidAfter: Date { Self.date(X509_get0_notAfter(box.pointer)) }

    /// The subject public key, built anew on every access (with its own pool of verification contexts, empty): a
    /// caller that checks many signatures under it holds one, as the document verifier's seals do.
    public var publicKey: PublicKey { try! Self.publicKey(of: box) }  // checked at construction

    /// Whether basicConstraints says `CA:TRUE`.
    public var isCertificateAuthority: Bool { X509_check_ca(box.pointer) != 0 && (X509_get_extension_flags(box.pointer) & UInt32(EXFLAG_CA)) != 0 }

    /// The keyUsage extension, or `nil` if absent.
    public var keyUsage: KeyUsage? {
        guard X509_get_extension_flags(box.pointer) & UInt32(EXFLAG_KUSAGE) != 0 else { return nil }
        return KeyUsage(rawValue: X509_get_key_usage(box.pointer))
    }

    /// Whether the extendedKeyUsage extension names `purpose` (a dotted object identifier).
    public func hasExtendedKeyUsage(_ purpose: String) -> Bool { zt_X509_has_extended_key_usage(box.pointer, purpose) == 1 }

    /// Whether this is a district online signing key's certificate (``CertificateAuthority/onlineSigningPurpose``):
    /// such a key signs lists and tree heads, never documents.
    public var isOnlineSigningCertificate: Bool { hasExtendedKeyUsage(CertificateAuthority.onlineSigningPurpose) }

    /// The subjectKeyIdentifier extension.
    public var subjectKeyIdentifier: [UInt8]? {
        guard let ski = X509_get0_subject_key_id(box.pointer) else { return nil }
        return Self.bytes(of: ski)
    }

    /// The keyIdentifier of the authorityKeyIdentifier extension.
    public var authorityKeyIdentifier: [UInt8]? {
        guard let aki = X509_get0_authority_key_id(box.pointer) else { return nil }
        return Self.bytes(of: aki)
    }

    /// `subject (kid …)`.
    public var description: String { "\(subject) (kid \(kidHex))" }

    /// Certificates are equal when their DER is.
    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { lhs.derRepresentation == rhs.derRepresentation }
    /// Hashes the DER.
    public func hash(into hasher: inout Hasher) { hasher.combine(derRepresentation) }

    private static func publicKey(of box: X509Box) throws(CryptoError) -> PublicKey {
        guard let key = X509_get_pubkey(box.pointer) else { throw .openSSL(.malformedCertificate, "certificate public key does not load") }
        return try PublicKey(box: EVPKeyBox(taking: key))
    }

    private static func bytes(of string: UnsafePointer<ASN1_STRING>) -> [UInt8] {
        let length = Int(ASN1_STRING_length(string))
        guard length > 0, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: length))
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var tm = tm()
        guard let time, ASN1_TIME_to_tm(time, &tm) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: Double(timegm(&tm)))
    }
}

/// The X.509 keyUsage bits as OpenSSL reports them.
public struct KeyUsage: OptionSet, Sendable, Hashable {
    /// The bit mask (OpenSSL's `KU_*` values).
    public let rawValue: UInt32
    /// Creates a set from OpenSSL's bit mask.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// digitalSignature.
    public static let digitalSignature = KeyUsage(rawValue: UInt32(KU_DIGITAL_SIGNATURE))
    /// nonRepudiation (contentCommitment).
    public static let nonRepudiation = KeyUsage(rawValue: UInt32(KU_NON_REPUDIATION))
    /// keyCertSign.
    public static let keyCertSign = KeyUsage(rawValue: UInt32(KU_KEY_CERT_SIGN))
    /// cRLSign.
    public static let cRLSign = KeyUsage(rawValue: UInt32(KU_CRL_SIGN))
}
