import Hummingbird
import Foundation
import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

/// `POST /v1/applicant/verifications` body.
struct StartVerificationBody: Decodable, Sendable { var method: String; var idNumber: String; var name: String }
/// `POST /v1/applicant/verifications/{id}/code` body.
struct SubmitCodeBody: Decodable, Sendable { var secret: String; var code: String }
/// `POST /v1/applicant/verifications/{id}/session` body.
struct ClaimBody: Decodable, Sendable { var secret: String }
/// `POST /v1/applicant/device-challenges` body.
struct ChallengeBody: Decodable, Sendable { var deviceId: String }
/// `POST /v1/applicant/device-sessions` body.
struct DeviceLoginBody: Decodable, Sendable { var challengeId: String; var signature: String }
/// `POST /v1/applicant/devices` body.
struct RegisterDeviceBody: Decodable, Sendable { var publicKey: String; var label: String? }
/// `POST /v1/identity/verifications/{id}/video-attestation` body.
struct VideoAttestationBody: Decodable, Sendable { var outcome: String; var clerk: ClerkBody; var reference: String? }
/// `POST /v1/identity/window-checks` body.
struct WindowCheckBody: Decodable, Sendable { var card: CardBody; var faceCheck: String; var clerk: ClerkBody; var station: String }
/// `POST /v1/identity/checks` body.
struct TierCheckBody: Decodable, Sendable { var idNumber: String; var minimumTier: Int; var maxAgeDays: Int? }

/// A new session as returned to the applicant.
struct SessionView: APIAnswer, Codable, Sendable {
    var token: String, tier: Int, method: String, expiresAt: Date, idleTimeoutSeconds: Int
    init(_ issued: IssuedSession) {
        token = issued.token; tier = issued.session.tier; method = issued.session.method
        expiresAt = issued.session.expiresAt; idleTimeoutSeconds = Int(issued.session.idleTimeout)
    }
}
struct StartView: APIAnswer, Codable, Sendable {
    var verificationId: String; var secret: String; var method: String; var expiresAt: Date; var message: String
}
struct ClaimPending: APIAnswer, Codable, Sendable { var status: String }
struct MeView: APIAnswer, Codable, Sendable { var person: PersonSummaryView; var session: SessionInfo }
struct SessionInfo: Codable, Sendable { var tier: Int; var method: String; var expiresAt: Date; var idleTimeoutSeconds: Int }
struct AssuranceList: APIAnswer, Codable, Sendable { var records: [AssuranceView] }
struct DeviceList: APIAnswer, Codable, Sendable { var devices: [DeviceKeyView] }
struct ImportView: APIAnswer, Codable, Sendable {
    var inserted: Int; var updated: Int; var unchanged: Int; var accepted: Int; var rejected: [RejectedLineView]
}
struct WindowCheckView: APIAnswer, Codable, Sendable { var assurance: AssuranceView; var handoff: StartView }

extension ZeroTripAPI {
    /// The session holder's own document `id`, when its PDF may leave the applicant's pages: one that prints the
    /// credit level needs a session whose tier sees it (a download, or a public link to it, would show the level).
    private func disclosableHolderDocument(_ id: String, holderIDNumber: String?, session: ApplicantSession, route: String) async throws
        -> ResultDocumentRecord
    {
        let record = try await services.documents.holderDocument(
            id: try DocumentID.named(id), holderIDNumber: holderIDNumber, actor: session.actor, route: route)
        try await services.points.checkDisclosure(
            of: record, disclosingCredit: services.identity.policy.seesCreditLevel(session), actor: session.actor, route: route)
        return record
    }

    /// `POST /v1/applicant/verifications`.
    func startVerification(_ spec: RouteSpec) -> AnonymousApplicantHandler {
        let identity = services.identity
        let limit = min(bodyLimit, 8192)
        return { request, _, client in
            let body = try await JSONResponse.decode(StartVerificationBody.self, from: request, limit: limit)
            guard let method = AssuranceMethod(rawValue: body.method), method != .windowCard else {
                throw ZeroTripError(.invalidInput, "method must be sms or video (window checks are made by a clerk)")
            }
            let start = try await identity.start(method: method, idNumber: body.idNumber, name: body.name, client: client)
            let message =
                method == .sms
                ? "If the ID number and name match the registry, a code was sent to the registered phone. It is valid for \(Int(identity.policy.codeLifetime / 60)) minutes."
                : "Give the reference \(start.verificationId) to the clerk on the video call; then claim your session with the secret."
            return try JSONResponse.make(
                StartView(
                    verificationId: start.verificationId, secret: start.secret, method: method.rawValue,
                    expiresAt: start.expiresAt, message: message), status: .created)
        }
    }

    /// `POST /v1/applicant/verifications/{id}/code`.
    func submitCode(_ spec: RouteSpec) -> AnonymousApplicantHandler {
        let identity = services.identity
        let limit = min(bodyLimit, 8192)
        return { request, parameters, client in
            let body = try await JSONResponse.decode(SubmitCodeBody.self, from: request, limit: limit)
            let issued = try await identity.submitCode(
                verificationId: parameters.get("id") ?? "", secret: body.secret, code: body.code, client: client)
            return try JSONResponse.make(SessionView(issued), status: .created)
        }
    }

    /// `POST /v1/applicant/verifications/{id}/session`.
    func openSession(_ spec: RouteSpec) -> AnonymousApplicantHandler {
        let identity = services.identity
        let limit = min(bodyLimit, 8192)
        return { request, parameters, client in
            let body = try await JSONResponse.decode(ClaimBody.self, from: request, limit: limit)
            guard let issued = try await identity.claimSession(verificationId: parameters.get("id") ?? "", secret: body.secret, client: client)
            else {
                return try JSONResponse.make(ClaimPending(status: "pending"), status: .accepted)
            }
            return try JSONResponse.make(SessionView(issued), status: .created)
        }
    }

    /// `POST /v1/applicant/device-challenges`.
    func deviceChallenge(_ spec: RouteSpec) -> AnonymousApplicantHandler {
        let identity = services.identity
        let limit = min(bodyLimit, 8192)
        return { request, _, _ in
            let body = try await JSONResponse.decode(ChallengeBody.self, from: request, limit: limit)
            return try JSONResponse.make(DeviceChallengeView(try await identity.challenge(deviceID: body.deviceId)), status: .created)
        }
    }

    /// `POST /v1/applicant/device-sessions`.
    func deviceSession(_ spec: RouteSpec) -> AnonymousApplicantHandler {
        let identity = services.identity
        let limit = min(bodyLimit, 8192)
        return { request, _, client in
            let body = try await JSONResponse.decode(DeviceLoginBody.self, from: request, limit: limit)
            return try await JSONResponse.make(
                SessionView(try identity.login(challengeID: body.challengeId, signature: body.signature, client: client)), status: .created)
        }
    }

    /// `GET /v1/applicant/me`.
    func applicantMe(_ spec: RouteSpec) -> ApplicantHandler {
        let identity = services.identity
        return { _, _, session, _ in
            guard let person = try await identity.registry.summary(subject: session.subject) else {
                throw ZeroTripError(.sessionInvalid, "the session's person no longer exists")
            }
            return try JSONResponse.make(
                MeView(
                    person: PersonSummaryView(person),
                    session: SessionInfo(
                        tier: session.tier, method: session.method, expiresAt: session.expiresAt,
                        idleTimeoutSeconds: Int(session.idleTimeout))))
        }
    }

    /// `GET /v1/applicant/personal-data`.
    func personalData(_ spec: RouteSpec) -> ApplicantHandler {
        let identity = services.identity
        return { _, _, session, _ in
            guard let data = try await identity.registry.personalData(subject: session.subject) else {
                throw ZeroTripError(.sessionInvalid, "the session's person no longer exists")
            }
            try await services.audit(
                AuditEntry(
                    actor: session.actor, action: .identityPersonalDataViewed, target: session.subjectID.rawValue,
                    details: ["session": session.id, "tier": "\(session.tier)"]))
            return try JSONResponse.make(PersonalDataView(data))
        }
    }

    /// `GET /v1/applicant/assurance`.
    func applicantAssurance(_ spec: RouteSpec) -> ApplicantHandler {
        let identity = services.identity
        return { _, _, session, _ in
            try await JSONResponse.make(AssuranceList(records: try identity.assuranceRecords(subject: session.subject).map(AssuranceView.init)))
        }
    }

    /// `GET /v1/applicant/devices`.
    func applicantDevices(_ spec: RouteSpec) -> ApplicantHandler {
        let identity = services.identity
        return { _, _, session, _ in
            try await JSONResponse.make(DeviceList(devices: try identity.devices(subject: session.subject).map(DeviceKeyView.init)))
        }
    }

    /// `POST /v1/applicant/devices`.
    func registerDevice(_ spec: RouteSpec) -> ApplicantHandler {
        let identity = services.identity
        let limit = min(bodyLimit, 8192)
        return { request, _, session, _ in
            let body = try await JSONResponse.decode(RegisterDeviceBody.self, from: request, limit: limit)
            return try await JSONResponse.make(
                DeviceKeyView(
                    try identity.registerDevice(session: session, publicKey: body.publicKey, label: body.label ?? "")), status: .created)
        }
    }

    /// `POST /v1/applicant/devices/{id}/revoke`.
    func revokeDevice(_ spec: RouteSpec) -> ApplicantHandler {
        let identity = services.identity
        return { _, parameters, session, _ in
            try await identity.revokeDevice(parameters.get("id") ?? "", subject: session.subject, actor: session.actor)
            return try await JSONResponse.make(DeviceList(devices: try identity.devices(subject: session.subject).map(DeviceKeyView.init)))
        }
    }

    /// `GET /v1/applicant/documents`.
    func applicantDocuments(_ spec: RouteSpec) -> ApplicantHandler {
        let identity = services.identity
        let documents = services.documents
        return { _, _, session, _ in
            let records = try await ownRecords(session)
            let links = try await documents.pdfLinks(for: records)
            let policy = identity.policy
            let withheld = policy.seesCreditLevel(session) ? [] : try await services.points.printingCreditLevel(records)
            return try JSONResponse.make(
                DocumentList(
                    documents: records.map { record in
                        withheld.contains(record.id)
                            ? DocumentView(withholdingFieldsOf: record, tier: policy.tierForCreditLevel, pdfLink: links[record.id])
                            : DocumentView(record, pdfLink: links[record.id])
                    }))
        }
    }

    /// `PUT /v1/applicant/documents/{id}/pdf-link`.
    func pdfLink(_ spec: RouteSpec) -> ApplicantHandler {
        let identity = services.identity
        let documents = services.documents
        return { request, parameters, session, _ in
            let body = try await JSONResponse.decode(PDFLinkBody.self, from: request, limit: 1024)
            let person = try await identity.registry.personalData(subject: session.subject)
            if body.enabled {
                // A public link to a PDF that prints the credit level would show it to whoever holds the link.
                _ = try await disclosableHolderDocument(
                    parameters.get("id") ?? "", holderIDNumber: person?.idNumber, session: session, route: spec.description)
            }
            let enabled = try await documents.setPDFLink(
                id: try DocumentID.named(parameters.get("id")), enabled: body.enabled, holderIDNumber: person?.idNumber,
                actor: session.actor, route: spec.description)
            return try JSONResponse.make(PDFLinkView(id: (parameters.get("id") ?? "").lowercased(), pdfLink: enabled))
        }
    }

    /// `GET /v1/applicant/documents/{id}/pdf`.
    func applicantDocumentPDF(_ spec: RouteSpec) -> ApplicantHandler {
        let identity = services.identity
        let documents = services.documents
        return { _, parameters, session, _ in
            let person = try await identity.registry.personalData(subject: session.subject)
            let record = try await disclosableHolderDocument(
                parameters.get("id") ?? "", holderIDNumber: person?.idNumber, session: session, route: spec.description)
            guard let pdf = try await documents.pdf(id: record.id) else { throw ZeroTripError(.notFound, "no document \(record.id)") }
            try await services.audit(
                AuditEntry(actor: session.actor, action: .documentDownloaded, target: "document:\(record.id)", details: ["session": session.id])
            )
            return PDFResponse.make(pdf, id: record.id)
        }
    }

    /// `POST /v1/applicant/logout`.
    func logout(_ spec: RouteSpec) -> ApplicantHandler {
        let identity = services.identity
        return { _, _, session, _ in
            try await identity.sessions.end(id: session.id)
            return try JSONResponse.make(["status": "ended"])
        }
    }

    private func ownRecords(_ session: ApplicantSession) async throws -> [ResultDocumentRecord] {
        guard let person = try await services.identity.registry.personalData(subject: session.subject) else { return [] }
        return try await services.documents.records(holderIDNumber: person.idNumber, limit: 200)
    }

    /// `GET /v1/identity/verifications/{id}`.
    func pendingVerification(_ spec: RouteSpec) -> DepartmentHandler {
        let identity = services.identity
        return { _, parameters, _ in
            try await JSONResponse.make(PendingVerificationView(try identity.pending(verificationId: parameters.get("id") ?? "")))
        }
    }

    /// `POST /v1/identity/verifications/{id}/video-attestation`.
    func attestVideo(_ spec: RouteSpec) -> DepartmentHandler {
        let identity = services.identity
        let limit = min(bodyLimit, 8192)
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(VideoAttestationBody.self, from: request, limit: limit)
            guard ["match", "no_match"].contains(body.outcome) else { throw ZeroTripError(.invalidInput, "outcome must be match or no_match") }
            let record = try await identity.attestVideo(
                verificationId: parameters.get("id") ?? "", matched: body.outcome == "match", clerk: body.clerk.clerk,
                reference: body.reference ?? "", actor: principal.actor)
            return try JSONResponse.make(AssuranceView(record), status: .created)
        }
    }

    /// `POST /v1/identity/window-checks`.
    func windowCheck(_ spec: RouteSpec) -> DepartmentHandler {
        let identity = services.identity
        let limit = min(bodyLimit, 8192)
        return { request, _, principal in
            let body = try await JSONResponse.decode(WindowCheckBody.self, from: request, limit: limit)
            guard ["match", "no_match"].contains(body.faceCheck) else {
                throw ZeroTripError(.invalidInput, "faceCheck must be match or no_match")
            }
            let result = try await identity.windowCheck(
                card: body.card.card, faceMatched: body.faceCheck == "match", clerk: body.clerk.clerk, station: body.station, actor: principal.actor)
            let handoff = StartView(
                verificationId: result.handoff.verificationId, secret: result.handoff.secret, method: result.handoff.method.rawValue,
                expiresAt: result.handoff.expiresAt, message: "Show this hand-off to the applicant's phone; it opens a tier-3 session once.")
            return try JSONResponse.make(WindowCheckView(assurance: AssuranceView(result.assurance), handoff: handoff), status: .created)
        }
    }

    /// `POST /v1/identity/checks`.
    func checkIdentity(_ spec: RouteSpec) -> DepartmentHandler {
        let identity = services.identity
        let limit = min(bodyLimit, 8192)
        return { request, _, principal in
            let body = try await JSONResponse.decode(TierCheckBody.self, from: request, limit: limit)
            let days = body.maxAgeDays ?? 365
            guard (1...3650).contains(days) else { throw ZeroTripError(.invalidInput, "maxAgeDays must be 1–3650") }
            return try await JSONResponse.make(
                TierCheckView(
                    try identity.check(
                        idNumber: body.idNumber, minimumTier: body.minimumTier, maxAge: TimeInterval(days) * 86400,
                        actor: principal.actor)))
        }
    }

    /// `POST /v1/persons/import`.
    func importPersons(_ spec: RouteSpec) -> DepartmentHandler {
        let identity = services.identity
        return { request, _, principal in
            var request = request
            let buffer: ByteBuffer
            do { buffer = try await request.collectBody(upTo: bodyLimit) } catch let error as HTTPError where error.status == .contentTooLarge {
                throw ZeroTripError(
                    .payloadTooLarge, "registry file exceeds the limit of \(bodyLimit) bytes; use zerotrip persons import for large files")
            }
            let report = try await identity.registry.importCSV(Array(buffer.readableBytesView), actor: principal.actor)
            return try JSONResponse.make(
                ImportView(
                    inserted: report.inserted, updated: report.updated, unchanged: report.unchanged,
                    accepted: report.accepted, rejected: report.rejected.map(RejectedLineView.init)))
        }
    }

    /// Rate-limits an applicant route open to anyone, per client address; the refusals are counted, not logged one by
    /// one.
    func limitAnonymousApplicant(_ client: String, spec: RouteSpec) throws {
        if let wait = applicantLimiter.secondsToWait(client) {
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "client:\(client)", action: .authDenied, target: "route:\(spec)", outcome: "denied",
                    details: ["reason": "rate_limited"]))
            throw ZeroTripError(.rateLimited, "too many requests from this address; retry in \(wait) s").retryingAfter(wait)
        }
    }

    /// Applies an applicant session route's rule: a live session of at least `tier`. Denials are audited without the
    /// token.
    func authorizeApplicant(_ request: Request, spec: RouteSpec, tier: Int, client: String) async throws -> ApplicantSession {
        let token = Self.bearerToken(request)
        let session: ApplicantSession
        do {
            guard let token, token.hasPrefix("zta1.") else { throw ZeroTripError(.sessionInvalid, "an applicant session token is required") }
            session = try await services.identity.sessions.authenticate(token: token)
        } catch let error as ZeroTripError where error.code == .sessionInvalid {
            // Anonymous: counted per minute, not one row each.
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "client:\(client)", action: .authDenied, target: "route:\(spec)", outcome: "denied",
                    details: ["reason": token == nil ? "missing_session" : "invalid_session"]))
            throw error
        }
        do {
            try services.identity.sessions.require(session, tier: tier, for: "\(spec)")
        } catch {
            try await services.audit(
                AuditEntry(
                    actor: session.actor, action: .authDenied, target: "route:\(spec)", outcome: "denied",
                    details: ["reason": "step_up_required", "required_tier": "\(tier)", "session_tier": "\(session.tier)"]))
            throw error
        }
        return session
    }
}
