internal import COpenSSL
public import struct Foundation.Date

/// One entry of a CRL (RFC 5280 §5.1.2.6 and §5.3).
public struct RevokedCertificate: Sendable {
    /// The revoked certificate (its serial number is listed).
    public var certificate: Certificate
    /// When the revocation was recorded.
    public var revokedAt: Date
    /// CRLReason code (1 keyCompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation).
    public var reasonCode: Int
    /// invalidityDate: from when the key must be considered compromised ("not after" time).
    public var invalidityDate: Date?

    /// Creates an entry.
    public init(certificate: Certificate, revokedAt: Date, reasonCode: Int, invalidityDate: Date?) {
        self.certificate = certificate
        self.revokedAt = revokedAt
        self.reasonCode = reasonCode
        self.invalidityDate = invalidityDate
    }
}

/// X.509 v2 certificate revocation lists (RFC 5280 §5), DER-encoded and signed by the issuing CA.
public enum CertificateRevocationList {
    /// Builds and signs a CRL with cRLNumber `number` and authorityKeyIdentifier.
    public static func make(
        issuer: Certificate, key: PrivateKey, number: Int64, thisUpdate: Date, nextUpdate: Date,
        revoked: [RevokedCertificate]
    ) throws(CryptoError) -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard nextUpdate > thisUpdate, number >= 0 else { throw CryptoError(.invalidArgument, "nextUpdate must follow thisUpdate") }
        let crl = X509CRLBox(taking: try checkNotNil(X509_CRL_new(), .backendFailure, "X509_CRL_new failed"))
        try check(X509_CRL_set_version(crl.pointer, 1), .backendFailure, "setting CRL version failed")
        try check(X509_CRL_set_issuer_name(crl.pointer, X509_get_subject_name(issuer.box.pointer)), .backendFailure, "setting CRL issuer failed")
        try setTime(thisUpdate) { X509_CRL_set1_lastUpdate(crl.pointer, $0) }
        try setTime(nextUpdate) { X509_CRL_set1_nextUpdate(crl.pointer, $0) }
        for entry in revoked {
            let item = try checkNotNil(X509_REVOKED_new(), .backendFailure, "X509_REVOKED_new failed")
            var added = false
            defer { if !added { X509_REVOKED_free(item) } }
            try check(
                X509_REVOKED_set_serialNumber(item, UnsafeMutablePointer(mutating: X509_get0_serialNumber(entry.certificate.box.pointer))),
                .backendFailure, "setting the serial failed")
            try setTime(entry.revokedAt) { X509_REVOKED_set_revocationDate(item, UnsafeMutablePointer(mutating: $0)) }
            let reason = try checkNotNil(ASN1_ENUMERATED_new(), .backendFailure, "ASN1_ENUMERATED_new failed")
            defer { ASN1_ENUMERATED_free(reason) }
            try check(ASN1_ENUMERATED_set(reason, entry.reasonCode), .backendFailure, "setting the reason failed")
            try check(
                X509_REVOKED_add1_ext_i2d(item, NID_crl_reason, UnsafeMutableRawPointer(reason), 0, 0), .backendFailure, "adding the reason failed")
            if let invalidity = entry.invalidityDate {
                let time = try checkNotNil(
                    ASN1_GENERALIZEDTIME_set(nil, time_t(invalidity.timeIntervalSince1970)), .backendFailure, "time conversion failed")
                defer { ASN1_GENERALIZEDTIME_free(time) }
                try check(
                    X509_REVOKED_add1_ext_i2d(item, NID_invalidity_date, UnsafeMutableRawPointer(time), 0, 0), .backendFailure,
                    "adding invalidityDate failed")
            }
            try check(X509_CRL_add0_revoked(crl.pointer, item), .backendFailure, "adding the entry failed")
            added = true
        }
        let crlNumber = try checkNotNil(ASN1_INTEGER_new(), .backendFailure, "ASN1_INTEGER_new failed")
        defer { ASN1_INTEGER_free(crlNumber) }
        try check(ASN1_INTEGER_set_int64(crlNumber, number), .backendFailure, "setting the CRL number failed")
        try check(
            X509_CRL_add1_ext_i2d(crl.pointer, NID_crl_number, UnsafeMutableRawPointer(crlNumber), 0, 0), .backendFailure, "adding cRLNumber failed")
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer.box.pointer, nil, nil, crl.pointer, 0)
        let aki = try checkNotNil(
            X509V3_EXT_conf_nid(nil, &context, NID_authority_key_identifier, "keyid:always"), .backendFailure, "building AKI failed")
        defer { zt_X509_EXTENSION_free(aki) }
        try check(X509_CRL_add_ext(crl.pointer, aki, -1), .backendFailure, "adding AKI failed")
        try check(X509_CRL_sort(crl.pointer), .backendFailure, "sorting the CRL failed")
        // A token key signs what OpenSSL laid out with a placeholder key (TokenSigning).
        let opensslKey = key.tokenKey == nil ? key : try TokenSigning.placeholder(for: key)
        let digestContext = try EVPDigestContextBox()
        var keyContext: OpaquePointer?
        try check(
            EVP_DigestSignInit(digestContext.pointer, &keyContext, key.algorithm.digest.evpMD, nil, opensslKey.box.pointer), .backendFailure,
            "CRL sign init failed")
        if key.algorithm == .sm2 { try SM2.setDistinguishingID(keyContext) }
        guard X509_CRL_sign_ctx(crl.pointer, digestContext.pointer) > 0 else { throw .openSSL(.backendFailure, "CRL signing failed") }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_CRL(crl.pointer, &out)
        guard length > 0, let out else { throw .openSSL(.backendFailure, "CRL encoding failed") }
        defer { CRYPTO_free(out, #fileID, #line) }
        let der = Array(UnsafeBufferPointer(start: out, count: Int(length)))
        return key.tokenKey == nil ? der : try TokenSigning.resigned(der, with: key)
    }

    private static func setTime(_ date: Date, _ apply: (UnsafePointer<ASN1_TIME>) -> Int32) throws(CryptoError) {
        let time = try checkNotNil(ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970)), .backendFailure, "time conversion failed")
        defer { ASN1_TIME_free(time) }
        try check(apply(time), .backendFailure, "setting a CRL time failed")
    }
}
