internal import COpenSSL
public import struct Foundation.Date

/// Issues the district's certificates: a self-signed root CA and department seal certificates.
public enum CertificateAuthority {
    /// The extensions of a root and of a link certificate between roots.
    private static let rootExtensions: [(Int32, String)] = [
        (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
        (NID_key_usage, "critical,keyCertSign,cRLSign"),
        (NID_subject_key_identifier, "hash"),
        (NID_authority_key_identifier, "keyid:always"),
    ]

    /// Creates a self-signed root CA certificate:
    /// basicConstraints `critical, CA:TRUE, pathlen:0`, keyUsage `critical, keyCertSign, cRLSign`,
    /// subjectKeyIdentifier, authorityKeyIdentifier (its own key id), random 128-bit serial.
    public static func makeRootCertificate(
        subject: DistinguishedName, key: PrivateKey, notValidBefore: Date, notValidAfter: Date
    ) throws(CryptoError) -> Certificate {
        let name = try subject.makeX509Name()
        return try build(
            subject: name, subjectKey: key.publicKey, issuerName: name, issuerCertificate: nil,
            notValidBefore: notValidBefore, notValidAfter: notValidAfter,
            extensions: rootExtensions,
            signer: key)
    }

    /// Creates the next self-signed root for a key rollover (RFC 4210 §4.4, RFC 5280 §6.1 "self-issued"):
    /// the same subject as `previous`, a new key, the same extensions as `makeRootCertificate`.
    ///
    /// Keeping the subject makes the link certificates between the two roots *self-issued*, so they do not
    /// count against the roots' `pathlen:0`, and a chain seal → link → old root validates in any RFC 5280
    /// implementation (OpenSSL: `openssl verify -CAfile old-root.pem -untrusted link.pem seal.pem`).
    public static func renewRootCertificate(
        previous: Certificate, key: PrivateKey, notValidBefore: Date, notValidAfter: Date
    ) throws(CryptoError) -> Certificate {
        let name = try X509NameBox(copying: X509_get_subject_name(previous.box.pointer))
        return try build(
            subject: name, subjectKey: key.publicKey, issuerName: name, issuerCertificate: nil,
            notValidBefore: notValidBefore, notValidAfter: notValidAfter,
            extensions: rootExtensions,
            signer: key)
    }

    /// Issues a link (cross-) certificate between two roots of one district: `subject`'s name and public key,
    /// signed by `issuer` (RFC 4210's "NewWithOld" when `issuer` is the old root, "OldWithNew" the other way).
    /// CA:TRUE with pathlen:0 and keyCertSign/cRLSign like a root; its subject key identifier equals the
    /// subject root's, so chains built by key identifier pass through it. Validity is clipped to both roots'.
    public static func issueLinkCertificate(
        subject: Certificate, issuer: Certificate, issuerKey: PrivateKey, notValidBefore: Date, notValidAfter: Date
    ) throws(CryptoError) -> Certificate {
        guard issuer.publicKey.derRepresentation == issuerKey.publicKey.derRepresentation else {
            throw CryptoError(.invalidArgument, "issuer key does not match the issuer certificate")
        }
        guard issuer.isCertificateAuthority, subject.isCertificateAuthority else {
            throw CryptoError(.invalidArgument, "a link certificate joins two CA certificates")
        }
        let name = try X509NameBox(copying: X509_get_subject_name(subject.box.pointer))
        return try build(
            subject: name, subjectKey: subject.publicKey, issuerName: nil, issuerCertificate: issuer,
            notValidBefore: max(notValidBefore, issuer.notValidBefore, subject.notValidBefore),
            notValidAfter: min(notValidAfter, issuer.notValidAfter, subject.notValidAfter),
            extensions: rootExtensions,
            signer: issuerKey)
    }

    /// Issues a department seal certificate signed by the root:
    /// basicConstraints `critical, CA:FALSE`, keyUsage `critical, digitalSignature, nonRepudiation`,
    /// subjectKeyIdentifier, authorityKeyIdentifier, random 128-bit serial.
    ///
    /// The validity is clipped to the issuer's, so no seal outlives its root.
    public static func issueSealCertificate(
        subject: DistinguishedName, subjectKey: PublicKey,
        issuer: Certificate, issuerKey: PrivateKey,
        notValidBefore: Date, notValidAfter: Date
    ) throws(CryptoError) -> Certificate {
        guard issuer.publicKey.derRepresentation == issuerKey.publicKey.derRepresentation else {
            throw CryptoError(.invalidArgument, "issuer key does not match the issuer certificate")
        }
        guard issuer.isCertificateAuthority else {
            throw CryptoError(.invalidArgument, "issuer certificate is not a CA")
        }
        return try build(
            subject: try subject.makeX509Name(), subjectKey: subjectKey,
            issuerName: nil, issuerCertificate: issuer,
            notValidBefore: max(notValidBefore, issuer.notValidBefore),
            notValidAfter: min(notValidAfter, issuer.notValidAfter),
            extensions: [
                (NID_basic_constraints, "critical,CA:FALSE"),
                (NID_key_usage, "critical,digitalSignature,nonRepudiation"),
                (NID_subject_key_identifier, "hash"),
                (NID_authority_key_identifier, "keyid:always"),
            ],
            signer: issuerKey)
    }

    /// The extended key usage that marks a district's online signing key (docs/keys.md, "The root offline"):
    /// `2.25.…`, an object identifier derived from a UUID (ITU-T X.667), so no registry is needed. Critical, and
    /// the only purpose, so no PDF validator accepts the key as a document signer and ZeroTrip never takes it for a seal.
    public static let onlineSigningPurpose = "2.25.55740994643017527450599469682674194075"

    /// Issues the certificate of a district's online signing key, signed by the root: the key that signs trust
    /// lists, status lists and tree heads while the root key stays offline (connected only for ceremonies).
    /// basicConstraints `critical, CA:FALSE`, keyUsage `critical, digitalSignature`, extendedKeyUsage `critical,`
    /// ``onlineSigningPurpose``, subject and authority key identifiers. The validity is clipped to the root's.
    public static func issueOnlineSigningCertificate(
        subject: DistinguishedName, subjectKey: PublicKey, issuer: Certificate, issuerKey: PrivateKey, notValidBefore: Date, notValidAfter: Date
    ) throws(CryptoError) -> Certificate {
        guard issuer.publicKey.derRepresentation == issuerKey.publicKey.derRepresentation else {
            throw CryptoError(.invalidArgument, "issuer key does not match the issuer certificate")
        }
        guard issuer.isCertificateAuthority else { throw CryptoError(.invalidArgument, "issuer certificate is not a CA") }
        return try build(
            subject: try subject.makeX509Name(), subjectKey: subjectKey, issuerName: nil, issuerCertificate: issuer,
            notValidBefore: max(notValidBefore, issuer.notValidBefore), notValidAfter: min(notValidAfter, issuer.notValidAfter),
            extensions: [
                (NID_basic_constraints, "critical,CA:FALSE"),
                (NID_key_usage, "critical,digitalSignature"),
                (NID_ext_key_usage, "critical,\(onlineSigningPurpose)"),
                (NID_subject_key_identifier, "hash"),
                (NID_authority_key_identifier, "keyid:always"),
            ],
            signer: issuerKey)
    }

    private static func build(
        subject: X509NameBox, subjectKey: PublicKey, issuerName: X509NameBox?, issuerCertificate: Certificate?,
        notValidBefore: Date, notValidAfter: Date, extensions: [(Int32, String)], signer: PrivateKey
    ) throws(CryptoError) -> Certificate {
        OpenSSLErrorQueue.clear()
        guard notValidAfter > notValidBefore else {
            throw CryptoError(.invalidArgument, "validity period is empty")
        }
        let certificate = X509Box(taking: try checkNotNil(X509_new(), .backendFailure, "X509_new failed"))
        let x = certificate.pointer
        try check(X509_set_version(x, 2), .backendFailure, "setting version failed")
        try setRandomSerial(x)
        var start = time_t(notValidBefore.timeIntervalSince1970)
        var end = time_t(notValidAfter.timeIntervalSince1970)
        guard X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &start) != nil,
            X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &end) != nil
        else { throw .openSSL(.backendFailure, "setting validity failed") }
        try check(X509_set_subject_name(x, subject.pointer), .backendFailure, "setting subject failed")
        if let issuerCertificate {
            try check(X509_set_issuer_name(x, X509_get_subject_name(issuerCertificate.box.pointer)), .backendFailure, "setting issuer failed")
        } else if let issuerName {
            try check(X509_set_issuer_name(x, issuerName.pointer), .backendFailure, "setting issuer failed")
        }
        try check(X509_set_pubkey(x, subjectKey.box.pointer), .backendFailure, "setting public key failed")

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuerCertificate?.box.pointer ?? x, x, nil, nil, 0)
        for (nid, value) in extensions {
            let ext = try checkNotNil(X509V3_EXT_conf_nid(nil, &context, nid, value), .backendFailure, "building extension \(nid) failed")
            defer { zt_X509_EXTENSION_free(ext) }
            try check(X509_add_ext(x, ext, -1), .backendFailure, "adding extension \(nid) failed")
        }
        guard signer.tokenKey != nil else {
            try sign(x, with: signer)
            return try Certificate(box: certificate)
        }
        try sign(x, with: try TokenSigning.placeholder(for: signer))
        return try Certificate(derRepresentation: try TokenSigning.resigned(try Certificate(box: certificate).derRepresentation, with: signer))
    }

    private static func setRandomSerial(_ x: OpaquePointer) throws(CryptoError) {
        var bytes = try SecureRandom.bytes(count: 16)
        bytes[0] = (bytes[0] & 0x7f) | 0x40  // positive, and always 16 bytes long
        let bn = BignumBox(taking: try checkNotNil(BN_bin2bn(bytes, Int32(bytes.count), nil), .backendFailure, "BN_bin2bn failed"))
        let serial = try checkNotNil(BN_to_ASN1_INTEGER(bn.pointer, nil), .backendFailure, "serial conversion failed")
        defer { ASN1_INTEGER_free(serial) }
        try check(X509_set_serialNumber(x, serial), .backendFailure, "setting serial failed")
    }

    private static func sign(_ x: OpaquePointer, with key: PrivateKey) throws(CryptoError) {
        let context = try EVPDigestContextBox()
        var keyContext: OpaquePointer?
        try check(
            EVP_DigestSignInit(context.pointer, &keyContext, key.algorithm.digest.evpMD, nil, key.box.pointer),
            .backendFailure, "certificate sign init failed")
        if key.algorithm == .sm2 { try SM2.setDistinguishingID(keyContext) }
        guard X509_sign_ctx(x, context.pointer) > 0 else { throw .openSSL(.backendFailure, "certificate signing failed") }
    }
}
