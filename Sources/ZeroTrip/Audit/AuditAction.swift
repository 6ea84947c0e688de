/// What an audit event records: the `action` column. Named here, one constant per action, so a misspelt action
/// cannot be written and docs/audit-log.md is checked against ``all`` (AuditLogTests). The text is what is stored.
public struct AuditAction: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// `document.issued`, as stored.
    public let rawValue: String

    /// An action by its stored text (reading events back, tests).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The stored text.
    public var description: String { rawValue }

    // application
    public static let applicationCommitted = AuditAction(rawValue: "application.committed")
    public static let applicationFlagged = AuditAction(rawValue: "application.flagged")
    public static let applicationMaterialReopened = AuditAction(rawValue: "application.material_reopened")
    public static let applicationRefused = AuditAction(rawValue: "application.refused")
    public static let applicationReviewNotice = AuditAction(rawValue: "application.review_notice")
    public static let applicationSubmitted = AuditAction(rawValue: "application.submitted")

    // audit
    public static let auditOverflow = AuditAction(rawValue: "audit.overflow")

    // auth
    public static let authDenied = AuditAction(rawValue: "auth.denied")

    // catalogue
    public static let catalogueLoaded = AuditAction(rawValue: "catalogue.loaded")

    // complaint
    public static let complaintAnswered = AuditAction(rawValue: "complaint.answered")
    public static let complaintFiled = AuditAction(rawValue: "complaint.filed")
    public static let complaintOverdueNotice = AuditAction(rawValue: "complaint.overdue_notice")

    // consent
    public static let consentEnded = AuditAction(rawValue: "consent.ended")
    public static let consentGranted = AuditAction(rawValue: "consent.granted")
    public static let consentWithdrawn = AuditAction(rawValue: "consent.withdrawn")

    // credential
    public static let credentialCreated = AuditAction(rawValue: "credential.created")
    public static let credentialRevoked = AuditAction(rawValue: "credential.revoked")

    // credit
    public static let creditEventRecorded = AuditAction(rawValue: "credit.event.recorded")
    public static let creditEventsImported = AuditAction(rawValue: "credit.events.imported")
    public static let creditPolicyLoaded = AuditAction(rawValue: "credit.policy.loaded")
    public static let creditRead = AuditAction(rawValue: "credit.read")
    public static let creditSubjectRegistered = AuditAction(rawValue: "credit.subject.registered")

    // database
    public static let databaseBackedUp = AuditAction(rawValue: "database.backed_up")

    // department
    public static let departmentCreated = AuditAction(rawValue: "department.created")

    // district
    public static let districtAreaChanged = AuditAction(rawValue: "district.area_changed")
    public static let districtInitialized = AuditAction(rawValue: "district.initialized")

    // document
    public static let documentDownloaded = AuditAction(rawValue: "document.downloaded")
    public static let documentIssued = AuditAction(rawValue: "document.issued")
    public static let documentPdfLinkChanged = AuditAction(rawValue: "document.pdf_link.changed")
    public static let documentPdfShared = AuditAction(rawValue: "document.pdf_shared")
    public static let documentReuseDenied = AuditAction(rawValue: "document.reuse_denied")
    public static let documentReused = AuditAction(rawValue: "document.reused")
    public static let documentRevoked = AuditAction(rawValue: "document.revoked")
    public static let documentSuperseded = AuditAction(rawValue: "document.superseded")
    public static let documentVerified = AuditAction(rawValue: "document.verified")

    // identity
    public static let identityAssured = AuditAction(rawValue: "identity.assured")
    public static let identityChecked = AuditAction(rawValue: "identity.checked")
    public static let identityCodeAccepted = AuditAction(rawValue: "identity.code.accepted")
    public static let identityCodeFailed = AuditAction(rawValue: "identity.code.failed")
    public static let identityCodeRefused = AuditAction(rawValue: "identity.code.refused")
    public static let identityDeviceBound = AuditAction(rawValue: "identity.device.bound")
    public static let identityDeviceLogin = AuditAction(rawValue: "identity.device.login")
    public static let identityDeviceLoginFailed = AuditAction(rawValue: "identity.device.login_failed")
    public static let identityDeviceRevoked = AuditAction(rawValue: "identity.device.revoked")
    public static let identityPersonalDataViewed = AuditAction(rawValue: "identity.personal_data.viewed")
    public static let identitySessionClaimed = AuditAction(rawValue: "identity.session.claimed")
    public static let identitySessionEnded = AuditAction(rawValue: "identity.session.ended")
    public static let identityUnlocked = AuditAction(rawValue: "identity.unlocked")
    public static let identityVerificationRefused = AuditAction(rawValue: "identity.verification.refused")
    public static let identityVerificationStarted = AuditAction(rawValue: "identity.verification.started")
    public static let identityVideoFailed = AuditAction(rawValue: "identity.video.failed")
    public static let identityVideoRefused = AuditAction(rawValue: "identity.video.refused")
    public static let identityWindowFailed = AuditAction(rawValue: "identity.window.failed")

    // key
    public static let keyActivated = AuditAction(rawValue: "key.activated")
    public static let keyCreated = AuditAction(rawValue: "key.created")
    public static let keyLimitsSet = AuditAction(rawValue: "key.limits_set")
    public static let keyRevoked = AuditAction(rawValue: "key.revoked")
    /// A seal key moved from its encrypted file into a PKCS#11 token (`zerotrip keys migrate`).
    public static let keyMigrated = AuditAction(rawValue: "key.migrated")
    /// A seal key that will never sign again (retired or revoked) was destroyed in its token.
    public static let keyDestroyed = AuditAction(rawValue: "key.destroyed")
    public static let keyRotationStarted = AuditAction(rawValue: "key.rotation_started")

    // need
    public static let needStated = AuditAction(rawValue: "need.stated")

    // obligation
    public static let obligationBreached = AuditAction(rawValue: "obligation.breached")
    public static let obligationFulfilled = AuditAction(rawValue: "obligation.fulfilled")
    public static let obligationOpened = AuditAction(rawValue: "obligation.opened")
    public static let obligationRectification = AuditAction(rawValue: "obligation.rectification")

    // persons
    public static let personsImported = AuditAction(rawValue: "persons.imported")

    // points
    public static let pointsClaimDecided = AuditAction(rawValue: "points.claim.decided")
    public static let pointsClaimSubmitted = AuditAction(rawValue: "points.claim.submitted")
    public static let pointsDisputeDecided = AuditAction(rawValue: "points.dispute.decided")
    public static let pointsDisputeFiled = AuditAction(rawValue: "points.dispute.filed")
    public static let pointsEvidenceCleared = AuditAction(rawValue: "points.evidence.cleared")
    public static let pointsEvidenceRead = AuditAction(rawValue: "points.evidence.read")
    public static let pointsPersonSkipped = AuditAction(rawValue: "points.person.skipped")
    public static let pointsPolicyLoaded = AuditAction(rawValue: "points.policy.loaded")
    public static let pointsRunFinished = AuditAction(rawValue: "points.run.finished")
    public static let pointsRunResumed = AuditAction(rawValue: "points.run.resumed")
    public static let pointsRunStarted = AuditAction(rawValue: "points.run.started")

    // rating
    public static let ratingInvited = AuditAction(rawValue: "rating.invited")
    public static let ratingRecorded = AuditAction(rawValue: "rating.recorded")

    // root
    public static let rootRenewed = AuditAction(rawValue: "root.renewed")
    /// A root key file that opened with the seals' passphrase was re-encrypted under the root's own.
    public static let rootPassphraseSeparated = AuditAction(rawValue: "root.passphrase_separated")
    /// The root certified an online signing key (a root ceremony), which signs lists and tree heads from then on.
    public static let rootOnlineKeyCertified = AuditAction(rawValue: "root.online_key_certified")

    // staff
    public static let staffAdded = AuditAction(rawValue: "staff.added")
    public static let staffRemoved = AuditAction(rawValue: "staff.removed")
    public static let staffUpdated = AuditAction(rawValue: "staff.updated")

    // window
    public static let windowSignedIn = AuditAction(rawValue: "window.signed_in")
    public static let windowSignedOut = AuditAction(rawValue: "window.signed_out")

    /// An application reaching `state` (`application.accepted`, `application.under_review`, …): written by the one
    /// transition function for every state but the first.
    public static func application(_ state: ApplicationState) -> AuditAction { AuditAction(rawValue: "application.\(state.rawValue)") }

    /// Every action the code writes, the application states included.
    public static let all: [AuditAction] =
        [
            .applicationCommitted,
            .applicationFlagged,
            .applicationMaterialReopened,
            .applicationRefused,
            .applicationReviewNotice,
            .applicationSubmitted,
            .auditOverflow,
            .authDenied,
            .catalogueLoaded,
            .complaintAnswered,
            .complaintFiled,
            .complaintOverdueNotice,
            .consentEnded,
            .consentGranted,
            .consentWithdrawn,
            .credentialCreated,
            .credentialRevoked,
            .creditEventRecorded,
            .creditEventsImported,
            .creditPolicyLoaded,
            .creditRead,
            .creditSubjectRegistered,
            .databaseBackedUp,
            .departmentCreated,
            .districtAreaChanged,
            .districtInitialized,
            .documentDownloaded,
            .documentIssued,
            .documentPdfLinkChanged,
            .documentPdfShared,
            .documentReuseDenied,
            .documentReused,
            .documentRevoked,
            .documentSuperseded,
            .documentVerified,
            .identityAssured,
            .identityChecked,
            .identityCodeAccepted,
            .identityCodeFailed,
            .identityCodeRefused,
            .identityDeviceBound,
            .identityDeviceLogin,
            .identityDeviceLoginFailed,
            .identityDeviceRevoked,
            .identityPersonalDataViewed,
            .identitySessionClaimed,
            .identitySessionEnded,
            .identityUnlocked,
            .identityVerificationRefused,
            .identityVerificationStarted,
            .identityVideoFailed,
            .identityVideoRefused,
            .identityWindowFailed,
            .keyActivated,
            .keyCreated,
            .keyMigrated,
            .keyDestroyed,
            .keyLimitsSet,
            .keyRevoked,
            .keyRotationStarted,
            .needStated,
            .obligationBreached,
            .obligationFulfilled,
            .obligationOpened,
            .obligationRectification,
            .personsImported,
            .pointsClaimDecided,
            .pointsClaimSubmitted,
            .pointsDisputeDecided,
            .pointsDisputeFiled,
            .pointsEvidenceCleared,
            .pointsEvidenceRead,
            .pointsPersonSkipped,
            .pointsPolicyLoaded,
            .pointsRunFinished,
            .pointsRunResumed,
            .pointsRunStarted,
            .ratingInvited,
            .ratingRecorded,
            .rootRenewed,
            .rootPassphraseSeparated,
            .rootOnlineKeyCertified,
            .staffAdded,
            .staffRemoved,
            .staffUpdated,
            .windowSignedIn,
            .windowSignedOut,
        ] + ApplicationState.allCases.filter { $0 != .submitted }.map(application)
}
