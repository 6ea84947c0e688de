import Foundation
import Hummingbird
import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

/// `POST /v1/applicant/consents` body.
struct GrantConsentBody: Decodable, Sendable {
    /// The matter the results are for (its department receives the grant).
    var matter: String
    /// Optional: must be the matter's department when given.
    var department: String?
    /// Result types (matter codes); default: every type the matter accepts.
    var resultTypes: [String]?
    /// Days the grant lasts (at most 365). Without: for the life of one application (`application`, or the first
    /// that names a result under it, within 30 days).
    var days: Int?
    /// The applicant's open application of `matter` the grant is for.
    var application: String?
    /// A unified social credit code: the grant is that organisation's, given by its legal representative.
    var organization: String?
}

/// `POST /v1/consents` body: a grant given at a window, backed by the clerk's identity check.
struct WindowConsentBody: Decodable, Sendable {
    var idNumber: String
    var matter: String
    var resultTypes: [String]?
    var days: Int?
    var application: String?
    var assuranceId: Int64
}

/// `POST /v1/reuse/documents` body: the ID number rides in the body, never in a path that logs keep.
struct ReuseBody: Decodable, Sendable {
    /// A person's ID number, or
    var idNumber: String?
    /// an organisation's unified social credit code (exactly one of the two).
    var creditCode: String?
    var matter: String
    var includePdf: Bool?
}

/// A consent grant as its holder sees it.
struct ConsentGrantView: APIAnswer, Codable, Sendable {
    var id: String
    var department: String
    var matter: String
    var resultTypes: [String]
    var grantedAt: Date
    var expiresAt: Date
    var channel: String
    var assuranceTier: Int
    var withdrawnAt: Date?
    /// `days` or `application`.
    var lifetime: String
    /// The application an application-long grant lasts for, once bound.
    var application: String?
    /// When that application ended, ending the grant.
    var endedAt: Date?
    var live: Bool

    init(_ grant: ConsentGrant, now: Date) {
        id = grant.id; department = grant.department; matter = grant.matter; resultTypes = grant.resultTypes
        grantedAt = grant.grantedAt; expiresAt = grant.expiresAt; channel = grant.channel.rawValue; assuranceTier = grant.assuranceTier
        withdrawnAt = grant.withdrawnAt; lifetime = grant.lifetime.rawValue; application = grant.application; endedAt = grant.endedAt
        live = grant.isLive(at: now)
    }
}

struct ConsentGrantList: APIAnswer, Codable, Sendable { var grants: [ConsentGrantView] }

/// What a department receives instead of paper.
struct ReuseView: APIAnswer, Codable, Sendable {
    struct Verification: Codable, Sendable {
        var result: String
        var reasons: [String]
        var verifiedAt: Date
    }
    struct Item: Codable, Sendable {
        var document: DocumentView
        var verification: Verification
        /// Base64 of the exact signed PDF, when asked for.
        var pdf: String?
    }
    var grant: String
    var matter: String
    /// When the grant lapses; for an application-long grant bound to an application, it lasts until that
    /// application ends instead (`grantApplication`).
    var grantExpiresAt: Date
    var grantLifetime: String
    var grantApplication: String?
    var documents: [Item]
}

extension ZeroTripAPI {
    /// The department a window credential acts for: its own, or every department (nil) for one that also holds `admin`.
    static func windowDepartment(_ principal: Principal) -> String? {
        principal.scopes.contains(.admin) ? nil : principal.departmentCode
    }

    /// `POST /v1/applicant/consents`.
    func grantConsent(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { request, _, session, _ in
            let body = try await JSONResponse.decode(GrantConsentBody.self, from: request, limit: 4096)
            let grant = try await services.consent.grant(
                subject: session.subjectID, department: body.department, matter: body.matter,
                resultTypes: body.resultTypes, days: body.days, application: body.application,
                channel: .app, actor: session.actor,
                assuranceTier: session.tier, organization: body.organization)
            return try JSONResponse.make(ConsentGrantView(grant, now: services.clock.now()), status: .created)
        }
    }

    /// `GET /v1/applicant/consents`.
    func applicantConsents(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { _, _, session, _ in
            let now = services.clock.now()
            return try await JSONResponse.make(
                ConsentGrantList(grants: try services.consent.grants(subject: session.subjectID).map { ConsentGrantView($0, now: now) }))
        }
    }

    /// `POST /v1/applicant/consents/{id}/withdraw`.
    func withdrawConsent(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { _, parameters, session, _ in
            let grant = try await services.consent.withdraw(id: parameters.get("id") ?? "", subject: session.subjectID, actor: session.actor)
            return try JSONResponse.make(ConsentGrantView(grant, now: services.clock.now()))
        }
    }

    /// `POST /v1/consents`.
    func recordConsent(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, principal in
            let body = try await JSONResponse.decode(WindowConsentBody.self, from: request, limit: 2048)
            let grant = try await services.applications.grantConsentAtWindow(
                idNumber: body.idNumber, matter: body.matter, resultTypes: body.resultTypes,
                days: body.days, application: body.application, assuranceID: body.assuranceId, department: Self.windowDepartment(principal),
                actor: principal.actor)
            return try JSONResponse.make(ConsentGrantView(grant, now: services.clock.now()), status: .created)
        }
    }

    /// `POST /v1/reuse/documents`.
    func reuseDocuments(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, principal in
            let body = try await JSONResponse.decode(ReuseBody.self, from: request, limit: 2048)
            let result: ReuseResult
            switch (body.idNumber, body.creditCode) {
            case (let number?, nil):
                result = try await services.consent.reuse(
                    idNumber: number, matter: body.matter, department: principal.departmentCode,
                    includePDF: body.includePdf ?? false, actor: principal.actor)
            case (nil, let code?):
                result = try await services.consent.reuse(
                    creditCode: code, matter: body.matter, department: principal.departmentCode,
                    includePDF: body.includePdf ?? false, actor: principal.actor)
            default:
                throw ZeroTripError(.invalidInput, "give exactly one of idNumber (a person) and creditCode (an organisation)")
            }
            return try JSONResponse.make(
                ReuseView(
                    grant: result.grant.id, matter: result.grant.matter, grantExpiresAt: result.grant.expiresAt,
                    grantLifetime: result.grant.lifetime.rawValue, grantApplication: result.grant.application,
                    documents: result.documents.map { reused in
                        ReuseView.Item(
                            document: DocumentView(reused.record),
                            verification: .init(
                                result: reused.verification.result.rawValue, reasons: reused.verification.reasons.map(\.code.rawValue),
                                verifiedAt: reused.verification.verifiedAt),
                            pdf: reused.pdf.map { Data($0).base64EncodedString() })
                    }))
        }
    }
}
