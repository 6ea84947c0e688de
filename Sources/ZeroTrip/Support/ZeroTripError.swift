public import ZeroTripCrypto

/// An error from the ZeroTrip domain: a stable ``Code``, a message safe to show to callers
/// (no secrets, no personal data), and the source location that raised it.
///
/// HTTP status codes are chosen from the code in the server target, never here.
public struct ZeroTripError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code; new codes may be added.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        /// Stable string form, e.g. `unknown_department`.
        public let rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Stable string form.
        public var description: String { rawValue }

        /// Input failed validation.
        public static let invalidInput = Code(rawValue: "invalid_input")
        /// Key or certificate material did not parse.
        public static let malformedKey = Code(rawValue: "malformed_key")
        /// A certificate did not parse.
        public static let malformedCertificate = Code(rawValue: "malformed_certificate")
        /// An encrypted key did not decrypt with the configured passphrase.
        public static let wrongPassphrase = Code(rawValue: "wrong_passphrase")
        /// The district has not been initialised (`zerotrip init`).
        public static let notInitialized = Code(rawValue: "not_initialized")
        /// The district is already initialised.
        public static let alreadyInitialized = Code(rawValue: "already_initialized")
        /// No department has that code.
        public static let unknownDepartment = Code(rawValue: "unknown_department")
        /// A department with that code already exists.
        public static let duplicateDepartment = Code(rawValue: "duplicate_department")
        /// A key or certificate file already exists and would be overwritten.
        public static let fileExists = Code(rawValue: "file_exists")
        /// A key file is readable or writable by group or others.
        public static let insecureKeyFile = Code(rawValue: "insecure_key_file")
        /// A needed key file is missing.
        public static let missingKeyFile = Code(rawValue: "missing_key_file")
        /// No passphrase is configured for the key files.
        public static let missingPassphrase = Code(rawValue: "missing_passphrase")
        /// No or invalid credentials.
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// Valid credentials without the needed scope.
        public static let forbidden = Code(rawValue: "forbidden")
        /// Unknown resource.
        public static let notFound = Code(rawValue: "not_found")
        /// A known resource that does not take the request's method (the answer lists those it takes).
        public static let methodNotAllowed = Code(rawValue: "method_not_allowed")
        /// A request body exceeded its limit.
        public static let payloadTooLarge = Code(rawValue: "payload_too_large")
        /// Unknown credential id.
        public static let unknownCredential = Code(rawValue: "unknown_credential")
        /// The configuration is invalid.
        public static let invalidConfiguration = Code(rawValue: "invalid_configuration")
        /// Storage failed.
        public static let storageFailure = Code(rawValue: "storage_failure")
        /// The cryptographic backend failed.
        public static let cryptoFailure = Code(rawValue: "crypto_failure")
        /// The service is not ready.
        public static let notReady = Code(rawValue: "not_ready")
        /// The department has no active seal key.
        public static let noActiveKey = Code(rawValue: "no_active_key")
        /// The document is revoked or superseded and cannot change status again.
        public static let documentNotValid = Code(rawValue: "document_not_valid")
        /// The document font has no glyph for a character of the request.
        public static let unsupportedCharacter = Code(rawValue: "unsupported_character")
        /// The QR content would exceed the size budget (version 13 at ECC Q).
        public static let qrTooLarge = Code(rawValue: "qr_too_large")
        /// The document font cannot be loaded.
        public static let fontUnavailable = Code(rawValue: "font_unavailable")
        /// A citizen ID number failed GB 11643 validation; the message names the reason.
        public static let invalidIDNumber = Code(rawValue: "invalid_id_number")
        /// The verification could not be completed: unknown flow, wrong secret, wrong or expired code,
        /// or details that do not match the registry (one answer for all, so nothing is enumerable).
        public static let verificationFailed = Code(rawValue: "verification_failed")
        /// Too many failed attempts for this person and method; retry after the back-off.
        public static let locked = Code(rawValue: "locked")
        /// Too many requests from this client; retry later.
        public static let rateLimited = Code(rawValue: "rate_limited")
        /// The applicant session is missing, forged, expired (idle or absolute) or ended.
        public static let sessionInvalid = Code(rawValue: "session_invalid")
        /// The action needs a higher assurance tier than the session carries.
        public static let stepUpRequired = Code(rawValue: "step_up_required")
        /// The person is not in the population registry (clerk paths, application submission and issuance; applicants
        /// get `verification_failed`).
        public static let unknownPerson = Code(rawValue: "unknown_person")
        /// A seal key of an algorithm that cannot seal documents (only ECDSA P-256 can: PAdES validators and COSE ES256
        /// verifiers accept it); SM2 seals are refused when a department or key is created.
        public static let sealAlgorithmUnsupported = Code(rawValue: "seal_algorithm_unsupported")
        /// A document's holder name is not the registry's name for its ID number.
        public static let holderMismatch = Code(rawValue: "holder_mismatch")
        /// Device-key login failed: unknown or revoked device, expired or used challenge, bad signature.
        public static let deviceLoginFailed = Code(rawValue: "device_login_failed")
        /// No signing key has that kid.
        public static let unknownKey = Code(rawValue: "unknown_key")
        /// The key is already revoked.
        public static let keyRevoked = Code(rawValue: "key_revoked")
        /// The key used for signing stopped being the active key before the document was committed (internal: retried).
        public static let keyNotActive = Code(rawValue: "key_not_active")
        /// The active key reached its maximum use count or age; rotate it.
        public static let keyLimitReached = Code(rawValue: "key_limit_reached")
        /// The identity key file is missing or unusable.
        public static let identityKeyUnavailable = Code(rawValue: "identity_key_unavailable")
        /// A matter catalogue file has an error; the message names the line.
        public static let invalidCatalogue = Code(rawValue: "invalid_catalogue")
        /// A credit policy file has an error; the message names the line.
        public static let invalidPolicy = Code(rawValue: "invalid_policy")
        /// No matter has that code in the catalogue.
        public static let unknownMatter = Code(rawValue: "unknown_matter")
        /// A department asked for a person's results without a live consent grant for that purpose.
        public static let consentRequired = Code(rawValue: "consent_required")
        /// The consent grant is already withdrawn.
        public static let consentWithdrawn = Code(rawValue: "consent_withdrawn")
        /// The consent grant lasted for an application that has ended, and ended with it.
        public static let consentEnded = Code(rawValue: "consent_ended")
        /// The service was rated already: a service is rated once.
        public static let alreadyRated = Code(rawValue: "already_rated")
        /// The invitation to rate closed (``RatingService/ratingDays`` days after the service ended).
        public static let ratingClosed = Code(rawValue: "rating_closed")
        /// No indicator of the points scheme has that code (or it is not the kind asked about).
        public static let unknownIndicator = Code(rawValue: "unknown_indicator")
        /// No points policy is loaded, or none was in force on the date asked about.
        public static let noPointsPolicy = Code(rawValue: "no_points_policy")
        /// The person has no points score yet (no scoring run included them).
        public static let noPointsScore = Code(rawValue: "no_points_score")
        /// The person already has an open claim for that indicator.
        public static let claimPending = Code(rawValue: "claim_pending")
        /// The claim or dispute was decided already: each is decided once.
        public static let alreadyDecided = Code(rawValue: "already_decided")
        /// The item was disputed already: each score item is reviewed once.
        public static let alreadyDisputed = Code(rawValue: "already_disputed")
        /// A dispute must be decided by a reviewer other than the one who decided the claim.
        public static let sameReviewer = Code(rawValue: "same_reviewer")
        /// The clerk named is not a reviewer or supervisor of the department in the staff directory.
        public static let notAReviewer = Code(rawValue: "not_a_reviewer")
        /// The clerk named is not a supervisor of the department in the staff directory (complaints are answered by one).
        public static let notASupervisor = Code(rawValue: "not_a_supervisor")
        /// The clerk a complaint is about does not answer it.
        public static let complainedClerk = Code(rawValue: "complained_clerk")
        /// The rating has a complaint already (a poor rating opens one by itself).
        public static let alreadyComplained = Code(rawValue: "already_complained")
        /// The person has ``ComplaintService/openLimit`` complaints waiting for an answer already.
        public static let tooManyOpenComplaints = Code(rawValue: "too_many_open_complaints")
        /// No credit subject (registry person or registered organisation) matches.
        public static let unknownSubject = Code(rawValue: "unknown_subject")
        /// An organisation with that code is already registered.
        public static let duplicateSubject = Code(rawValue: "duplicate_subject")
        /// No application has that id.
        public static let unknownApplication = Code(rawValue: "unknown_application")
        /// A primary material is missing: no mode of acceptance allows that.
        public static let primaryMaterialMissing = Code(rawValue: "primary_material_missing")
        /// A missing material is not trust-eligible for this matter.
        public static let materialNotTrustEligible = Code(rawValue: "material_not_trust_eligible")
        /// Materials are missing and the application is neither 容缺 nor 容缓.
        public static let materialsIncomplete = Code(rawValue: "materials_incomplete")
        /// The step needs the outstanding materials first.
        public static let materialsOutstanding = Code(rawValue: "materials_outstanding")
        /// The applicant's credit does not allow trust-based approval; the message says why.
        public static let trustApprovalRefused = Code(rawValue: "trust_approval_refused")
        /// The matter allows no trust-based approval (容缺) or no deferral (容缓).
        public static let modeUnavailable = Code(rawValue: "mode_unavailable")
        /// 容缺 acceptance needs the applicant's commitment first.
        public static let commitmentRequired = Code(rawValue: "commitment_required")
        /// The application is not in a state that allows this step.
        public static let invalidTransition = Code(rawValue: "invalid_transition")
        /// The obligation is already fulfilled or breached.
        public static let obligationClosed = Code(rawValue: "obligation_closed")
        /// Another writer (a long CLI import, a second daemon) held the database past the busy timeout: retry shortly.
        public static let databaseBusy = Code(rawValue: "database_busy")
        /// The database server cannot be reached (PostgreSQL restarting or failing over): retry shortly.
        public static let databaseUnavailable = Code(rawValue: "database_unavailable")
        /// The same credit event (source and reference) was already recorded.
        public static let duplicateEvent = Code(rawValue: "duplicate_event")
        /// A clerk's check was recorded and did not confirm the person (video or face check, card name): the clerk's
        /// request succeeded in recording it, so this is not an authentication failure of the caller.
        public static let identityNotConfirmed = Code(rawValue: "identity_not_confirmed")
        /// Too many requests are waiting for the same resource; retry shortly.
        public static let overloaded = Code(rawValue: "overloaded")
    }

    /// The stable code.
    public let code: Code
    /// A message for people, free of secrets and personal data.
    public let message: String
    /// The file that raised the error.
    public let file: String
    /// The line that raised the error.
    public let line: UInt
    /// Whether the denial was already written to the audit log where it was raised (with more detail than the
    /// server's catch-all for 403s could add), so it is not recorded twice.
    public private(set) var isAudited = false
    /// Seconds after which a retry may succeed (rate limits, a busy database), for `Retry-After`.
    public private(set) var retryAfterSeconds: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// Translates a cryptographic error, keeping its code where one corresponds.
    public init(_ error: CryptoError, context: String, file: String = #fileID, line: UInt = #line) {
        let code: Code =
            switch error.code {
            case .malformedKey, .unsupportedAlgorithm: .malformedKey
            case .wrongPassphrase: .wrongPassphrase
            case .malformedCertificate: .malformedCertificate
            case .invalidArgument, .malformedSignature: .invalidInput
            default: .cryptoFailure
            }
        self.init(code, "\(context): \(error.message)", file: file, line: line)
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// The same error, telling the client to retry after `seconds`.
    public func retryingAfter(_ seconds: Int) -> ZeroTripError {
        var copy = self
        copy.retryAfterSeconds = max(1, seconds)
        return copy
    }

    /// The same error, marked as already audited.
    public func audited() -> ZeroTripError {
        var copy = self
        copy.isAudited = true
        return copy
    }
}

/// Runs a cryptographic operation, translating its error into a ``ZeroTripError`` with `context`.
func withCrypto<T>(_ context: @autoclosure () -> String, _ body: () throws(CryptoError) -> T) throws(ZeroTripError) -> T {
    do {
        return try body()
    } catch {
        throw ZeroTripError(error, context: context())
    }
}
