import Foundation
public import ZeroTripCrypto

/// An error from the ZeroTrip domain: a stable ``Code``, a message safe to show to callers
/// (no secrets, no personal data), and the source location that raised it.
///
/// HTTP status codes are chosen from the code in the server target, never here.
public struct ZeroTripError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure a code is: the caller's input, their identity or rights, a missing object, a state that
    /// does not allow it, limits, or this daemon's own condition. The server chooses the HTTP status from this alone.
    public enum Kind: Sendable, Hashable, CaseIterable {
        /// The request is malformed or fails validation (400).
        case invalidInput
        /// No or failed authentication (401).
        case unauthenticated
        /// Authenticated but not allowed (403).
        case forbidden
        /// Nothing by that name (404).
        case notFound
        /// The resource does not take that method (405).
        case methodNotAllowed
        /// The object's state does not allow it (409).
        case conflict
        /// Well-formed, but the facts refuse it (422).
        case unprocessable
        /// Over a size limit (413).
        case tooLarge
        /// Too many attempts; come back later (429).
        case tooManyRequests
        /// This daemon cannot serve it now: not ready, busy, misconfigured (503).
        case unavailable
        /// A fault of this daemon or its storage (500).
        case fault
    }

    /// A stable, machine-readable error code; new codes may be added.
    ///
    /// Every code names its ``Kind`` where it is declared, and the server maps kinds to statuses with an exhaustive
    /// switch: a new code cannot be made without saying what kind of failure it is, and a new kind does not compile
    /// until it has a status.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// Stable string form, e.g. `unknown_department`.
        public let rawValue: String
        /// What kind of failure it is.
        public let kind: Kind
        /// Creates a code of `kind`.
        public init(_ rawValue: String, kind: Kind) {
            self.rawValue = rawValue
            self.kind = kind
        }
        /// Stable string form.
        public var description: String { rawValue }

        /// Codes are equal by their text.
        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.rawValue == rhs.rawValue }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

        /// Input failed validation.
        public static let invalidInput = Code("invalid_input", kind: .invalidInput)
        /// Key or certificate material did not parse.
        public static let malformedKey = Code("malformed_key", kind: .invalidInput)
        /// A certificate did not parse.
        public static let malformedCertificate = Code("malformed_certificate", kind: .invalidInput)
        /// An encrypted key did not decrypt with the configured passphrase.
        public static let wrongPassphrase = Code("wrong_passphrase", kind: .unavailable)
        /// The district has not been initialised (`zerotrip init`).
        public static let notInitialized = Code("not_initialized", kind: .unavailable)
        /// The district is already initialised.
        public static let alreadyInitialized = Code("already_initialized", kind: .conflict)
        /// No department has that code.
        public static let unknownDepartment = Code("unknown_department", kind: .notFound)
        /// A department with that code already exists.
        public static let duplicateDepartment = Code("duplicate_department", kind: .conflict)
        /// A key or certificate file already exists and would be overwritten.
        public static let fileExists = Code("file_exists", kind: .conflict)
        /// A key file is readable or writable by group or others.
        public static let insecureKeyFile = Code("insecure_key_file", kind: .unavailable)
        /// A needed key file is missing.
        public static let missingKeyFile = Code("missing_key_file", kind: .unavailable)
        /// No passphrase is configured for the key files.
        public static let missingPassphrase = Code("missing_passphrase", kind: .unavailable)
        /// No or invalid credentials.
        public static let unauthenticated = Code("unauthenticated", kind: .unauthenticated)
        /// Valid credentials without the needed scope.
        public static let forbidden = Code("forbidden", kind: .forbidden)
        /// Unknown resource.
        public static let notFound = Code("not_found", kind: .notFound)
        /// A known resource that does not take the request's method (the answer lists those it takes).
        public static let methodNotAllowed = Code("method_not_allowed", kind: .methodNotAllowed)
        /// A request body exceeded its limit.
        public static let payloadTooLarge = Code("payload_too_large", kind: .tooLarge)
        /// Unknown credential id.
        public static let unknownCredential = Code("unknown_credential", kind: .notFound)
        /// The configuration is invalid.
        public static let invalidConfiguration = Code("invalid_configuration", kind: .unavailable)
        /// Storage failed.
        /// An unexpected failure inside the daemon; details are only in its log.
        public static let internalError = Code("internal_error", kind: .fault)
        public static let storageFailure = Code("storage_failure", kind: .fault)
        /// The cryptographic backend failed.
        public static let cryptoFailure = Code("crypto_failure", kind: .fault)
        /// The service is not ready.
        public static let notReady = Code("not_ready", kind: .unavailable)
        /// The department has no active seal key.
        public static let noActiveKey = Code("no_active_key", kind: .unavailable)
        /// The document is revoked or superseded and cannot change status again.
        public static let documentNotValid = Code("document_not_valid", kind: .conflict)
        /// The document font has no glyph for a character of the request.
        public static let unsupportedCharacter = Code("unsupported_character", kind: .invalidInput)
        /// The QR content would exceed the size budget (version 13 at ECC Q).
        public static let qrTooLarge = Code("qr_too_large", kind: .invalidInput)
        /// The document font cannot be loaded.
        public static let fontUnavailable = Code("font_unavailable", kind: .unavailable)
        /// A citizen ID number failed GB 11643 validation; the message names the reason.
        public static let invalidIDNumber = Code("invalid_id_number", kind: .invalidInput)
        /// The verification could not be completed: unknown flow, wrong secret, wrong or expired code,
        /// or details that do not match the registry (one answer for all, so nothing is enumerable).
        public static let verificationFailed = Code("verification_failed", kind: .unauthenticated)
        /// Too many failed attempts for this person and method; retry after the back-off.
        public static let locked = Code("locked", kind: .tooManyRequests)
        /// Too many requests from this client; retry later.
        public static let rateLimited = Code("rate_limited", kind: .tooManyRequests)
        /// The applicant session is missing, forged, expired (idle or absolute) or ended.
        public static let sessionInvalid = Code("session_invalid", kind: .unauthenticated)
        /// The action needs a higher assurance tier than the session carries.
        public static let stepUpRequired = Code("step_up_required", kind: .unauthenticated)
        /// The person is not in the population registry (clerk paths, application submission and issuance; applicants
        /// get `verification_failed`).
        public static let unknownPerson = Code("unknown_person", kind: .notFound)
        /// A seal key of an algorithm that cannot seal documents (only ECDSA P-256 can: PAdES validators and COSE ES256
        /// verifiers accept it); SM2 seals are refused when a department or key is created.
        public static let sealAlgorithmUnsupported = Code("seal_algorithm_unsupported", kind: .conflict)
        /// A document's holder name is not the registry's name for its ID number.
        public static let holderMismatch = Code("holder_mismatch", kind: .unprocessable)
        /// Device-key login failed: unknown or revoked device, expired or used challenge, bad signature.
        public static let deviceLoginFailed = Code("device_login_failed", kind: .unauthenticated)
        /// No signing key has that kid.
        public static let unknownKey = Code("unknown_key", kind: .notFound)
        /// The key is already revoked.
        public static let keyRevoked = Code("key_revoked", kind: .conflict)
        /// The key used for signing stopped being the active key before the document was committed (internal: retried).
        public static let keyNotActive = Code("key_not_active", kind: .unavailable)
        /// The active key reached its maximum use count or age; rotate it.
        public static let keyLimitReached = Code("key_limit_reached", kind: .unavailable)
        /// The identity key file is missing or unusable.
        public static let identityKeyUnavailable = Code("identity_key_unavailable", kind: .unavailable)
        /// A matter catalogue file has an error; the message names the line.
        public static let invalidCatalogue = Code("invalid_catalogue", kind: .invalidInput)
        /// A credit policy file has an error; the message names the line.
        public static let invalidPolicy = Code("invalid_policy", kind: .invalidInput)
        /// No matter has that code in the catalogue.
        public static let unknownMatter = Code("unknown_matter", kind: .notFound)
        /// A department asked for a person's results without a live consent grant for that purpose.
        public static let consentRequired = Code("consent_required", kind: .forbidden)
        /// The consent grant is already withdrawn.
        public static let consentWithdrawn = Code("consent_withdrawn", kind: .conflict)
        /// The consent grant lasted for an application that has ended, and ended with it.
        public static let consentEnded = Code("consent_ended", kind: .conflict)
        /// The service was rated already: a service is rated once.
        public static let alreadyRated = Code("already_rated", kind: .conflict)
        /// The invitation to rate closed (``RatingService/ratingDays`` days after the service ended).
        public static let ratingClosed = Code("rating_closed", kind: .conflict)
        /// No indicator of the points scheme has that code (or it is not the kind asked about).
        public static let unknownIndicator = Code("unknown_indicator", kind: .invalidInput)
        /// No points policy is loaded, or none was in force on the date asked about.
        public static let noPointsPolicy = Code("no_points_policy", kind: .conflict)
        /// The person has no points score yet (no scoring run included them).
        public static let noPointsScore = Code("no_points_score", kind: .conflict)
        /// The person already has an open claim for that indicator.
        public static let claimPending = Code("claim_pending", kind: .conflict)
        /// The claim or dispute was decided already: each is decided once.
        public static let alreadyDecided = Code("already_decided", kind: .conflict)
        /// The item was disputed already: each score item is reviewed once.
        public static let alreadyDisputed = Code("already_disputed", kind: .conflict)
        /// A dispute must be decided by a reviewer other than the one who decided the claim.
        public static let sameReviewer = Code("same_reviewer", kind: .conflict)
        /// The clerk named is not a reviewer or supervisor of the department in the staff directory.
        public static let notAReviewer = Code("not_a_reviewer", kind: .forbidden)
        /// The clerk named is not a supervisor of the department in the staff directory (complaints are answered by one).
        public static let notASupervisor = Code("not_a_supervisor", kind: .forbidden)
        /// The clerk a complaint is about does not answer it.
        public static let complainedClerk = Code("complained_clerk", kind: .conflict)
        /// The rating has a complaint already (a poor rating opens one by itself).
        public static let alreadyComplained = Code("already_complained", kind: .conflict)
        /// The person has ``ComplaintService/openLimit`` complaints waiting for an answer already.
        public static let tooManyOpenComplaints = Code("too_many_open_complaints", kind: .conflict)
        /// No credit subject (registry person or registered organisation) matches.
        public static let unknownSubject = Code("unknown_subject", kind: .notFound)
        /// An organisation with that code is already registered.
        public static let duplicateSubject = Code("duplicate_subject", kind: .conflict)
        /// No application has that id.
        public static let unknownApplication = Code("unknown_application", kind: .notFound)
        /// A primary material is missing: no mode of acceptance allows that.
        public static let primaryMaterialMissing = Code("primary_material_missing", kind: .unprocessable)
        /// A missing material is not trust-eligible for this matter.
        public static let materialNotTrustEligible = Code("material_not_trust_eligible", kind: .unprocessable)
        /// Materials are missing and the application is neither 容缺 nor 容缓.
        public static let materialsIncomplete = Code("materials_incomplete", kind: .unprocessable)
        /// The step needs the outstanding materials first.
        public static let materialsOutstanding = Code("materials_outstanding", kind: .conflict)
        /// The applicant's credit does not allow trust-based approval; the message says why.
        public static let trustApprovalRefused = Code("trust_approval_refused", kind: .unprocessable)
        /// The matter allows no trust-based approval (容缺) or no deferral (容缓).
        public static let modeUnavailable = Code("mode_unavailable", kind: .unprocessable)
        /// 容缺 acceptance needs the applicant's commitment first.
        public static let commitmentRequired = Code("commitment_required", kind: .conflict)
        /// The application is not in a state that allows this step.
        public static let invalidTransition = Code("invalid_transition", kind: .conflict)
        /// The obligation is already fulfilled or breached.
        public static let obligationClosed = Code("obligation_closed", kind: .conflict)
        /// Another writer (a long CLI import, a second daemon) held the database past the busy timeout: retry shortly.
        public static let databaseBusy = Code("database_busy", kind: .unavailable)
        /// The database server cannot be reached (PostgreSQL restarting or failing over): retry shortly.
        public static let databaseUnavailable = Code("database_unavailable", kind: .unavailable)
        /// The same credit event (source and reference) was already recorded.
        public static let duplicateEvent = Code("duplicate_event", kind: .conflict)
        /// A clerk's check was recorded and did not confirm the person (video or face check, card name): the clerk's
        /// request succeeded in recording it, so this is not an authentication failure of the caller.
        public static let identityNotConfirmed = Code("identity_not_confirmed", kind: .unprocessable)
        /// Too many requests are waiting for the same resource; retry shortly.
        public static let overloaded = Code("overloaded", kind: .unavailable)
        /// The PKCS#11 token holding the seal keys is absent, removed or not answering (its module does not load);
        /// nothing was signed or stored. The daemon reconnects by itself when the token is back.
        public static let tokenUnavailable = Code("token_unavailable", kind: .unavailable)
        /// The token refused the configured PIN: the operator must fix the configuration.
        public static let tokenPINIncorrect = Code("token_pin_incorrect", kind: .unavailable)
        /// The token's PIN is locked or expired: its security officer must reset it.
        public static let tokenPINLocked = Code("token_pin_locked", kind: .unavailable)
        /// A registered key is no longer in its token.
        public static let tokenKeyNotFound = Code("token_key_not_found", kind: .unavailable)
        /// The district root key is offline (connected only for ceremonies, docs/keys.md "The root offline"): what needs
        /// it (a seal certificate, a root renewal) waits for the next ceremony; nothing was changed.
        public static let rootOffline = Code("root_offline", kind: .unavailable)

        /// Every code declared here (the error table in docs/api.md lists each with its status).
        public static let all: [Code] = [
            .internalError,
            .invalidInput,
            .malformedKey,
            .malformedCertificate,
            .wrongPassphrase,
            .notInitialized,
            .alreadyInitialized,
            .unknownDepartment,
            .duplicateDepartment,
            .fileExists,
            .insecureKeyFile,
            .missingKeyFile,
            .missingPassphrase,
            .unauthenticated,
            .forbidden,
            .notFound,
            .methodNotAllowed,
            .payloadTooLarge,
            .unknownCredential,
            .invalidConfiguration,
            .storageFailure,
            .cryptoFailure,
            .notReady,
            .noActiveKey,
            .documentNotValid,
            .unsupportedCharacter,
            .qrTooLarge,
            .fontUnavailable,
            .invalidIDNumber,
            .verificationFailed,
            .locked,
            .rateLimited,
            .sessionInvalid,
            .stepUpRequired,
            .unknownPerson,
            .sealAlgorithmUnsupported,
            .holderMismatch,
            .deviceLoginFailed,
            .unknownKey,
            .keyRevoked,
            .keyNotActive,
            .keyLimitReached,
            .identityKeyUnavailable,
            .invalidCatalogue,
            .invalidPolicy,
            .unknownMatter,
            .consentRequired,
            .consentWithdrawn,
            .consentEnded,
            .alreadyRated,
            .ratingClosed,
            .unknownIndicator,
            .noPointsPolicy,
            .noPointsScore,
            .claimPending,
            .alreadyDecided,
            .alreadyDisputed,
            .sameReviewer,
            .notAReviewer,
            .notASupervisor,
            .complainedClerk,
            .alreadyComplained,
            .tooManyOpenComplaints,
            .unknownSubject,
            .duplicateSubject,
            .unknownApplication,
            .primaryMaterialMissing,
            .materialNotTrustEligible,
            .materialsIncomplete,
            .materialsOutstanding,
            .trustApprovalRefused,
            .modeUnavailable,
            .commitmentRequired,
            .invalidTransition,
            .obligationClosed,
            .databaseBusy,
            .databaseUnavailable,
            .duplicateEvent,
            .identityNotConfirmed,
            .overloaded,
            .tokenUnavailable,
            .tokenPINIncorrect,
            .tokenPINLocked,
            .tokenKeyNotFound,
            .rootOffline,
        ]
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
    /// What failed underneath (`SQLFailure.uniqueViolation`, `CocoaError`…), for the daemon's log only, never an
    /// answer: the underlying error's type and, for storage, its kind; no message, which could carry data.
    public private(set) var cause: String?

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
            case .tokenUnavailable: .tokenUnavailable
            case .tokenPINIncorrect: .tokenPINIncorrect
            case .tokenPINLocked: .tokenPINLocked
            case .tokenKeyNotFound: .tokenKeyNotFound
            case .invalidArgument, .malformedSignature: .invalidInput
            default: .cryptoFailure
            }
        self.init(code, "\(context): \(error.message)", file: file, line: line)
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// The same error, remembering what failed underneath (see ``cause``).
    public func causedBy(_ error: any Error) -> ZeroTripError {
        var copy = self
        if let failure = error as? SQLFailure {
            copy.cause = "SQLFailure.\(failure.kind)"
        } else if let domain = error as? ZeroTripError {
            copy.cause = "\(domain.code) at \(domain.file):\(domain.line)"
        } else if let file = error as? CocoaError {
            // The file-system reason (no permission, no space, …): what an operator needs, without the path.
            copy.cause = "CocoaError \(file.code.rawValue)" + ((file.underlying as? POSIXError).map { " (\($0.code))" } ?? "")
        } else {
            copy.cause = String(describing: type(of: error))
        }
        return copy
    }

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
