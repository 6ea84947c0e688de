public import Foundation
public import ZeroTripCrypto

/// Offline verification of tokens and signed PDFs against the district's trust material (root certificate
/// and department seal certificates). It answers from cryptography alone; the register (revocation,
/// re-issue, exact file hash) is consulted by the caller on top (see `DocumentVerification` in ZeroTrip).
///
/// Chain validation runs once per seal certificate at construction; per document only the signature and
/// the validity windows are checked, so verification costs one ECDSA verification and a hash.
public struct DocumentVerifier: Sendable {
    /// A known seal certificate and what validation found about it.
    public struct Seal: Sendable {
        /// The certificate.
        public let certificate: Certificate
        /// Its public key, loaded once (verification contexts are pooled per key).
        public let publicKey: PublicKey
        /// Its subject OU: the department code.
        public let departmentCode: String
        /// Nil when the certificate is a usable seal chaining to a trusted root, else why not.
        public let problem: VerificationReason?
        /// The trusted root it chains to (nil when it does not).
        public let issuingRoot: Certificate?
    }

    /// The outcome for a token.
    public struct TokenOutcome: Sendable {
        /// The result from the token alone.
        public let result: VerificationResult
        /// Why, when not valid.
        public let reason: VerificationReason?
        /// The claims, when the token parsed.
        public let claims: ResultTokenClaims?
        /// The seal that signed it, when known.
        public let seal: Seal?
    }

    /// The outcome for a PDF.
    public struct PDFOutcome: Sendable {
        /// The result from the file alone.
        public let result: VerificationResult
        /// Why, when not valid.
        public let reason: VerificationReason?
        /// The seal that signed it, when known.
        public let seal: Seal?
        /// SHA-256 of the whole file (the register key).
        public let fileSHA256: [UInt8]
    }

    /// The trusted district roots (more than one after a root renewal).
    public let roots: [Certificate]
    private let seals: [[UInt8]: Seal]
    /// Revoked keys (kid → "not after" time): documents claiming a later issue time verify as revoked.
    public let revocations: [[UInt8]: Date]

    /// Prepares a verifier trusting `root` and the given seal certificates (validated against `root` here);
    /// `revocations` maps revoked kids to their "not after" time (from the trust list).
    public init(root: Certificate, sealCertificates: [Certificate], revocations: [[UInt8]: Date] = [:]) {
        self.init(roots: [root], sealCertificates: sealCertificates, revocations: revocations)
    }

    /// Prepares a verifier trusting every root in `roots` (see `RootSet` for how a renewed root becomes
    /// trusted) and the given seal certificates, each validated against the root that issued it.
    public init(roots: [Certificate], sealCertificates: [Certificate], revocations: [[UInt8]: Date] = [:]) {
        self.roots = roots
        self.revocations = revocations
        var seals: [[UInt8]: Seal] = [:]
        for certificate in sealCertificates {
            var problem: VerificationReason?
            var issuingRoot: Certificate?
            if certificate.publicKey.algorithm != .p256 || certificate.isCertificateAuthority
                || certificate.keyUsage?.contains(.digitalSignature) != true
            {
                problem = VerificationReason(.certificateUnsuitable, "the certificate is not a P-256 seal certificate with digitalSignature")
            } else {
                let found = CertificateChainVerifier.issuingRoot(ofSeal: certificate, among: roots)
                issuingRoot = found.root
                if issuingRoot == nil {
                    problem = VerificationReason(
                        .chainInvalid,
                        "the seal certificate does not chain to a trusted district root\(found.failure.map { ": \($0.message)" } ?? "")")
                }
            }
            // The department is the certificate's one OU (docs/qr-token.md §8); a certificate naming none or several
            // departments cannot vouch for any of them.
            let units = certificate.subject.attributes.filter { $0.type == "OU" }.map(\.value)
            if problem == nil, units.count != 1 {
                problem = VerificationReason(
                    .departmentMismatch, "the seal certificate must name exactly one department (OU); it names \(units.count)")
            }
            seals[certificate.kid] = Seal(
                certificate: certificate, publicKey: certificate.publicKey, departmentCode: units.count == 1 ? units[0] : "",
                problem: problem, issuingRoot: issuingRoot)
        }
        self.seals = seals
    }

    /// The seal with `kid`.
    public func seal(kid: [UInt8]) -> Seal? { seals[kid] }

    /// Verifies token text (a bare `ZT1:` token or the scanned verification URL) at `now`.
    public func verifyToken(_ text: String, now: Date) -> TokenOutcome {
        let parsed: (message: COSESign1, claims: ResultTokenClaims)
        do {
            parsed = try ResultToken.parse(ResultToken.extract(fromScanned: text))
        } catch {
            return TokenOutcome(result: .invalid, reason: VerificationReason(error.code, error.message), claims: nil, seal: nil)
        }
        var claims = parsed.claims
        guard let seal = seals[parsed.message.kid] else {
            return TokenOutcome(
                result: .unknown,
                reason: VerificationReason(.kidUnknown, "signed by key \(Hex.encode(parsed.message.kid)), which is not in the trust list"),
                claims: claims, seal: nil)
        }
        if let problem = seal.problem, problem.code == .certificateUnsuitable {
            return TokenOutcome(result: .invalid, reason: problem, claims: claims, seal: seal)
        }
        guard parsed.message.isValidSignature(publicKey: seal.publicKey) else {
            return TokenOutcome(
                result: .invalid, reason: VerificationReason(.signatureInvalid, "the token's signature does not verify"), claims: claims, seal: seal
            )
        }
        // Version 2 names no department: the seal certificate's one OU is the issuer (checked in sealProblem).
        if claims.departmentCode == nil, seal.problem == nil { claims.departmentCode = seal.departmentCode }
        if let problem = sealProblem(seal, departmentCode: claims.departmentCode, at: Date(timeIntervalSince1970: TimeInterval(claims.issuedAt))) {
            return TokenOutcome(result: .invalid, reason: problem, claims: claims, seal: seal)
        }
        if now.timeIntervalSince1970 > TimeInterval(claims.expiresAt) {
            return TokenOutcome(result: .expired, reason: VerificationReason(.expired, "the document's validity ended"), claims: claims, seal: seal)
        }
        if let notAfter = revocations[seal.certificate.kid], Double(claims.issuedAt) > notAfter.timeIntervalSince1970 {
            return TokenOutcome(result: .revoked, reason: Self.keyRevoked(notAfter), claims: claims, seal: seal)
        }
        return TokenOutcome(result: .valid, reason: nil, claims: claims, seal: seal)
    }

    static func keyRevoked(_ notAfter: Date) -> VerificationReason {
        VerificationReason(.keyRevoked, "the seal key was revoked for documents issued after \(ChinaTime(notAfter).minuteText) (UTC+8)")
    }

    /// Verifies a signed PDF's single signature; `signingTime` (from the register) defaults to `now`.
    public func verifyPDF(_ bytes: [UInt8], now: Date, signingTime: Date? = nil) -> PDFOutcome {
        let fileHash = Digest.sha256(bytes)
        func outcome(_ result: VerificationResult, _ code: VerificationReason.Code?, _ message: String, _ seal: Seal? = nil) -> PDFOutcome {
            PDFOutcome(result: result, reason: code.map { VerificationReason($0, message) }, seal: seal, fileSHA256: fileHash)
        }
        let pdf: SignedPDF
        do { pdf = try SignedPDF(bytes) } catch { return outcome(.invalid, VerificationReason.Code(rawValue: error.code.rawValue), error.message) }
        let cms: CMSSignedData
        do { cms = try CMSSignedData(derRepresentation: pdf.signedData[...]) } catch {
            return outcome(.invalid, .cmsMalformed, error.message)
        }
        let signerKID = Array(Digest.sha256(cms.signerCertificateDER).prefix(8))
        guard let seal = seals[signerKID], seal.certificate.derRepresentation == cms.signerCertificateDER else {
            return outcome(.unknown, .kidUnknown, "signed by certificate \(Hex.encode(signerKID)), which is not in the trust list")
        }
        let digest: [UInt8]
        do { digest = try pdf.signedRangesDigest(cms.digestAlgorithm) } catch { return outcome(.invalid, .cmsMalformed, error.message, seal) }
        guard ConstantTime.equals(digest, cms.messageDigest) else {
            return outcome(.invalid, .pdfModified, "the signed byte ranges changed after signing", seal)
        }
        guard cms.isValidSignature(publicKey: seal.publicKey) else {
            return outcome(.invalid, .signatureInvalid, "the CMS signature does not verify", seal)
        }
        guard cms.signingCertificateV2Matches else {
            return outcome(.invalid, .signingCertificateMismatch, "the ESS signing-certificate-v2 attribute does not name the signer", seal)
        }
        if let problem = sealProblem(seal, departmentCode: nil, at: signingTime ?? now) {
            return PDFOutcome(result: .invalid, reason: problem, seal: seal, fileSHA256: fileHash)
        }
        if let notAfter = revocations[seal.certificate.kid] {
            // Offline, the signed /M time stands for the issue time; without it nothing proves the document older.
            guard let claimed = signingTime ?? pdf.claimedSigningTime, claimed <= notAfter else {
                return PDFOutcome(result: .revoked, reason: Self.keyRevoked(notAfter), seal: seal, fileSHA256: fileHash)
            }
        }
        return PDFOutcome(result: .valid, reason: nil, seal: seal, fileSHA256: fileHash)
    }

    private func sealProblem(_ seal: Seal, departmentCode: String?, at time: Date) -> VerificationReason? {
        if let problem = seal.problem { return problem }
        guard let root = seal.issuingRoot, time >= seal.certificate.notValidBefore, time <= seal.certificate.notValidAfter,
            time >= root.notValidBefore, time <= root.notValidAfter
        else { return VerificationReason(.certificateNotValidAtIssuance, "the seal certificate was not valid when the document was signed") }
        if let departmentCode, departmentCode != seal.departmentCode {
            return VerificationReason(.departmentMismatch, "the token names department \(departmentCode) but was sealed by \(seal.departmentCode)")
        }
        return nil
    }
}
