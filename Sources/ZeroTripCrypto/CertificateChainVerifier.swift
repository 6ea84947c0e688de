internal import COpenSSL
public import struct Foundation.Date

/// The outcome of validating a certificate chain: a value, not an exception.
public enum ChainValidationResult: Sendable, Hashable {
    /// The chain is valid; `chain` runs from the leaf to the trust anchor.
    case valid(chain: [Certificate])
    /// The chain is not valid, with the reason.
    case invalid(ChainValidationFailure)

    /// Whether the result is `.valid`.
    public var isValid: Bool { if case .valid = self { true } else { false } }
}

/// Why a chain did not validate.
public struct ChainValidationFailure: Sendable, Hashable, CustomStringConvertible {
    /// A stable reason code.
    public struct Reason: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        /// Stable string form.
        public let rawValue: String
        /// Creates a reason.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Stable string form.
        public var description: String { rawValue }
        /// The leaf (or an issuer) has expired at the validation time.
        public static let expired = Reason(rawValue: "certificate_expired")
        /// The leaf (or an issuer) is not yet valid at the validation time.
        public static let notYetValid = Reason(rawValue: "certificate_not_yet_valid")
        /// No path to a trust anchor.
        public static let untrusted = Reason(rawValue: "untrusted_issuer")
        /// A signature in the chain does not verify.
        public static let badSignature = Reason(rawValue: "bad_certificate_signature")
        /// The leaf is not a seal certificate (a CA, or missing digitalSignature/nonRepudiation).
        public static let wrongKeyUsage = Reason(rawValue: "wrong_key_usage")
        /// Any other path-validation failure.
        public static let invalidChain = Reason(rawValue: "invalid_chain")
    }

    /// The reason code.
    public let reason: Reason
    /// OpenSSL's explanation, for people.
    public let message: String

    /// Creates a failure.
    public init(reason: Reason, message: String) {
        self.reason = reason
        self.message = message
    }

    /// `reason: message`.
    public var description: String { "\(reason): \(message)" }
}

/// Validates seal certificates against the district's trust anchors at a given time
/// (RFC 5280 path validation by OpenSSL, strict X.509 mode).
public struct CertificateChainVerifier: Sendable {
    /// The trusted root certificates.
    public let trustAnchors: [Certificate]

    /// Creates a verifier trusting `trustAnchors`.
    public init(trustAnchors: [Certificate]) { self.trustAnchors = trustAnchors }

    /// Validates `leaf` as a seal certificate at `time`, using `intermediates` as untrusted helpers.
    public func validateSeal(_ leaf: Certificate, intermediates: [Certificate] = [], at time: Date) -> ChainValidationResult {
        guard !leaf.isCertificateAuthority, let usage = leaf.keyUsage,
            usage.contains(.digitalSignature) || usage.contains(.nonRepudiation), !leaf.isOnlineSigningCertificate
        else {
            return .invalid(
                .init(
                    reason: .wrongKeyUsage,
                    message: "not a seal certificate (needs CA:FALSE and digitalSignature or nonRepudiation, and is no online signing key)"))
        }
        return validate(leaf, intermediates: intermediates, at: time)
    }

    /// Validates `leaf` as a district online signing key's certificate at `time`: CA:FALSE, digitalSignature, the
    /// ``CertificateAuthority/onlineSigningPurpose`` extended key usage, and a path to a trust anchor.
    public func validateOnlineSigner(_ leaf: Certificate, at time: Date) -> ChainValidationResult {
        guard !leaf.isCertificateAuthority, leaf.keyUsage?.contains(.digitalSignature) == true, leaf.isOnlineSigningCertificate else {
            return .invalid(.init(reason: .wrongKeyUsage, message: "not an online signing key's certificate"))
        }
        return validate(leaf, at: time)
    }

    /// The root among `roots` that issued seal certificate `leaf`, each root tried alone (so the issuer, and its
    /// validity, is known) at a moment inside the seal's validity; or the last failure when none did. Roots whose
    /// subject key identifier differs from the leaf's authority key identifier are skipped (after a renewal the
    /// district's roots share their name).
    public static func issuingRoot(ofSeal leaf: Certificate, among roots: [Certificate]) -> (root: Certificate?, failure: ChainValidationFailure?) {
        var failure: ChainValidationFailure?
        for root in roots {
            if let subjectKeyID = root.subjectKeyIdentifier, let authorityKeyID = leaf.authorityKeyIdentifier, subjectKeyID != authorityKeyID {
                continue
            }
            let moment = max(leaf.notValidBefore, root.notValidBefore).addingTimeInterval(1)
            switch CertificateChainVerifier(trustAnchors: [root]).validateSeal(leaf, at: moment) {
            case .valid: return (root, nil)
            case .invalid(let reason): failure = reason
            }
        }
        return (nil, failure)
    }

    /// Validates any certificate's path to a trust anchor at `time`.
    public func validate(_ leaf: Certificate, intermediates: [Certificate] = [], at time: Date) -> ChainValidationResult {
        do {
            return try run(leaf, intermediates: intermediates, at: time)
        } catch {
            return .invalid(.init(reason: .invalidChain, message: error.message))
        }
    }

    private func run(_ leaf: Certificate, intermediates: [Certificate], at time: Date) throws(CryptoError) -> ChainValidationResult {
        OpenSSLErrorQueue.clear()
        defer { OpenSSLErrorQueue.clear() }
        let store = try X509StoreBox()
        for anchor in trustAnchors {
            try check(X509_STORE_add_cert(store.pointer, anchor.box.pointer), .backendFailure, "adding trust anchor failed")
        }
        let untrusted = try X509StackBox()
        for certificate in intermediates {
            guard OPENSSL_sk_push(untrusted.pointer, UnsafeRawPointer(certificate.box.pointer)) > 0 else {
                throw .openSSL(.backendFailure, "building chain failed")
            }
        }
        let context = try X509StoreContextBox()
        try check(
            X509_STORE_CTX_init(context.pointer, store.pointer, leaf.box.pointer, untrusted.pointer), .backendFailure, "chain context init failed")
        X509_STORE_CTX_set_flags(context.pointer, UInt(X509_V_FLAG_X509_STRICT))
        X509_STORE_CTX_set_time(context.pointer, 0, time_t(time.timeIntervalSince1970))
        if X509_verify_cert(context.pointer) == 1 {
            var chain: [Certificate] = []
            if let stack = X509_STORE_CTX_get0_chain(context.pointer) {
                for index in 0..<OPENSSL_sk_num(stack) {
                    guard let raw = OPENSSL_sk_value(stack, index) else { continue }
                    let pointer = OpaquePointer(raw)
                    X509_up_ref(pointer)
                    chain.append(try Certificate(box: X509Box(taking: pointer)))
                }
            }
            return .valid(chain: chain)
        }
        let error = X509_STORE_CTX_get_error(context.pointer)
        let message = String(cString: X509_verify_cert_error_string(Int(error)))
        let reason: ChainValidationFailure.Reason =
            switch error {
            case X509_V_ERR_CERT_HAS_EXPIRED: .expired
            case X509_V_ERR_CERT_NOT_YET_VALID: .notYetValid
            case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
                X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
                .untrusted
            case X509_V_ERR_CERT_SIGNATURE_FAILURE: .badSignature
            default: .invalidChain
            }
        return .invalid(.init(reason: reason, message: message))
    }
}

extension Certificate {
    /// Attaches the SM2 distinguishing ID used when verifying an SM2-signed certificate's signature.
    /// Called once, while the certificate is being constructed and not yet shared between threads.
    static func attachSM2DistinguishingIDIfNeeded(_ box: X509Box) throws(CryptoError) {
        guard X509_get_signature_nid(box.pointer) == NID_SM2_with_SM3, X509_get0_distinguishing_id(box.pointer) == nil else { return }
        let id = KeyAlgorithm.sm2DistinguishingID
        let string = try checkNotNil(ASN1_OCTET_STRING_new(), .backendFailure, "ASN1_OCTET_STRING_new failed")
        guard ASN1_OCTET_STRING_set(string, id, Int32(id.count)) == 1 else {
            ASN1_OCTET_STRING_free(string)
            throw .openSSL(.backendFailure, "setting SM2 ID failed")
        }
        X509_set0_distinguishing_id(box.pointer, string)  // takes ownership
    }
}
