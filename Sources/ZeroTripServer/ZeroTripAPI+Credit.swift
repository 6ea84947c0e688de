import Hummingbird
import Foundation
import ZeroTrip

/// `POST /v1/applications` body.
struct NewApplicationBody: Decodable, Sendable {
    var matterCode: String; var idNumber: String; var name: String; var mode: String?; var provided: [String]
    /// Material code → id of the applicant's result that stands for it (under their consent).
    var documents: [String: String]?
}
/// `POST /v1/applications/{id}/commitment` body (window).
struct WindowCommitmentBody: Decodable, Sendable { var assuranceId: Int64 }
/// `POST /v1/applications/{id}/reject` body.
struct RejectBody: Decodable, Sendable { var reason: String }
/// `POST /v1/applications/{id}/issue` body.
struct IssueResultBody: Decodable, Sendable { var fields: [String: String] }
/// `POST /v1/applications/{id}/fulfil` body.
struct FulfilBody: Decodable, Sendable { var materials: [String] }
/// `POST /v1/credit-events` body.
struct CreditEventBody: Decodable, Sendable { var subject: String; var type: String; var effectiveAt: String?; var reference: String? }
/// `POST /v1/credit-events/{id}/repair` body.
struct RepairBody: Decodable, Sendable { var effectiveAt: String?; var reference: String? }
/// `POST /v1/credit-organizations` body.
struct OrganizationBody: Decodable, Sendable {
    var code: String; var name: String; var establishedOn: String; var dataComplete: Bool?
    /// ID number of the legal representative (in the registry), who consents to the reuse of its results.
    var legalRepresentativeIdNumber: String?
}
struct ApplicationList: APIAnswer, Codable, Sendable { var applications: [ApplicationView] }
struct IssuedResultView: APIAnswer, Codable, Sendable { var application: ApplicationView; var document: IssuedDocumentView }
struct SubjectView: APIAnswer, Codable, Sendable { var subject: String; var kind: String; var name: String; var establishedAt: Date }

extension ZeroTripAPI {
    /// A file sent as the body (catalogue, policy, credit-event CSV), up to the daemon's whole body limit.
    private func fileBody(_ request: Request) async throws -> [UInt8] {
        var request = request
        do { return Array(try await request.collectBody(upTo: bodyLimit).readableBytesView) } catch let error as HTTPError
            where error.status == .contentTooLarge
        {
            throw ZeroTripError(.payloadTooLarge, "the file exceeds the limit of \(bodyLimit) bytes; use the CLI for large files")
        }
    }

    /// A credit event's effective date: a China calendar day or an ISO 8601 time with a zone.
    private static func eventDate(_ text: String?) throws -> Date? {
        guard let text else { return nil }
        if let day = CivilDay(text) { return day.start }
        guard let date = ISOTime.parse(text) else { throw ZeroTripError(.invalidInput, "dates are YYYY-MM-DD or ISO 8601 with a zone") }
        return date
    }

    /// `GET /v1/credit/{subject}`.
    func checkCredit(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let credit = services.credit
        return { request, parameters, principal in
            guard let matter = request.uri.queryParameters.get("matter") else {
                throw ZeroTripError(.invalidInput, "the query needs matter=CODE")
            }
            let check = try await credit.windowCheck(
                subject: parameters.get("subject") ?? "", matter: matter, department: principal.departmentCode, actor: principal.actor)
            return try JSONResponse.make(check)
        }
    }

    /// `GET /v1/catalogue`.
    func showCatalogue(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let credit = services.credit
        return { _, _, _ in try await JSONResponse.make(try credit.currentCatalogue()) }
    }

    /// `PUT /v1/catalogue`.
    func loadCatalogue(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let credit = services.credit
        return { request, _, principal in
            try await JSONResponse.make(ConfigurationVersionView(try credit.loadCatalogue(try await fileBody(request), actor: principal.actor)))
        }
    }

    /// `GET /v1/credit-policy`.
    func showCreditPolicy(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let credit = services.credit
        return { _, _, _ in
            let (version, policy) = try await credit.currentPolicy()
            return try JSONResponse.make(PolicyView(version: version, policy: policy))
        }
    }

    /// `PUT /v1/credit-policy`.
    func loadCreditPolicy(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let credit = services.credit
        return { request, _, principal in
            try await JSONResponse.make(ConfigurationVersionView(try credit.loadPolicy(try await fileBody(request), actor: principal.actor)))
        }
    }

    /// `POST /v1/credit-events`.
    func recordCreditEvent(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let credit = services.credit
        let limit = min(bodyLimit, 65_536)
        return { request, _, principal in
            let body = try await JSONResponse.decode(CreditEventBody.self, from: request, limit: limit)
            let event = try await credit.recordEvent(
                subject: body.subject, type: body.type, effectiveAt: try Self.eventDate(body.effectiveAt) ?? services.clock.now(),
                reference: body.reference, actor: principal.actor)
            return try JSONResponse.make(CreditEventView(event), status: .created)
        }
    }

    /// `POST /v1/credit-events/import`.
    func importCreditEvents(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let credit = services.credit
        return { request, _, principal in
            guard let source = request.uri.queryParameters.get("source") else {
                throw ZeroTripError(.invalidInput, "the query needs source=NAME")
            }
            return try await JSONResponse.make(
                CreditImportView(try credit.importEvents(try await fileBody(request), source: source, actor: principal.actor)))
        }
    }

    /// `POST /v1/credit-events/{id}/repair`.
    func repairCreditEvent(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let credit = services.credit
        let limit = min(bodyLimit, 65_536)
        return { request, parameters, principal in
            guard let id = parameters.get("id").flatMap(Int64.init) else { throw ZeroTripError(.notFound, "no such credit event") }
            let body = try await JSONResponse.decode(RepairBody.self, from: request, limit: limit)
            let event = try await credit.repair(
                eventID: id, effectiveAt: try Self.eventDate(body.effectiveAt) ?? services.clock.now(), reference: body.reference,
                actor: principal.actor)
            return try JSONResponse.make(CreditEventView(event), status: .created)
        }
    }

    /// `POST /v1/credit-organizations`.
    func registerOrganization(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let credit = services.credit
        let limit = min(bodyLimit, 65_536)
        return { request, _, principal in
            let body = try await JSONResponse.decode(OrganizationBody.self, from: request, limit: limit)
            guard let day = CivilDay(body.establishedOn) else { throw ZeroTripError(.invalidInput, "establishedOn must be YYYY-MM-DD") }
            let subject = try await credit.registerOrganization(
                code: body.code, name: body.name, establishedOn: day, dataComplete: body.dataComplete ?? true,
                legalRepresentative: body.legalRepresentativeIdNumber, actor: principal.actor)
            return try JSONResponse.make(
                SubjectView(subject: subject.id, kind: subject.kind.rawValue, name: subject.displayName, establishedAt: subject.establishedAt),
                status: .created)
        }
    }

    /// `POST /v1/applications`.
    func openApplication(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let applications = services.applications
        let limit = min(bodyLimit, 65_536)
        return { request, _, principal in
            let body = try await JSONResponse.decode(NewApplicationBody.self, from: request, limit: limit)
            guard let mode = ApplicationMode(rawValue: body.mode ?? "standard") else {
                throw ZeroTripError(.invalidInput, "mode must be standard, trust or deferral")
            }
            let record = try await applications.submit(
                NewApplication(
                    matterCode: body.matterCode, idNumber: body.idNumber, name: body.name, mode: mode, provided: body.provided,
                    documents: body.documents ?? [:]),
                department: Self.windowDepartment(principal), actor: principal.actor)
            return try JSONResponse.make(ApplicationView(record), status: .created)
        }
    }

    /// `GET /v1/applications`.
    func listApplications(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let applications = services.applications
        return { request, _, principal in
            let values = request.uri.queryParameters.getAll("flagged")
            guard values.count <= 1, values.allSatisfy({ $0 == "true" || $0 == "false" }) else {
                throw ZeroTripError(.invalidInput, "flagged must be true or false, once")
            }
            let flagged = values.first == "true"
            return try await JSONResponse.make(
                ApplicationList(
                    applications: try applications.applications(department: Self.windowDepartment(principal), flaggedOnly: flagged).map(
                        ApplicationView.init)))
        }
    }

    /// `GET /v1/applications/{id}`.
    func showApplication(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let applications = services.applications
        return { _, parameters, principal in
            let record = try await applications.application(parameters.get("id") ?? "", department: Self.windowDepartment(principal))
            return try JSONResponse.make(ApplicationView(record))
        }
    }

    /// `GET /v1/applications/{id}/commitment`.
    func commitmentText(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let applications = services.applications
        return { _, parameters, principal in
            let record = try await applications.application(parameters.get("id") ?? "", department: Self.windowDepartment(principal))
            return try await JSONResponse.make(CommitmentView(try applications.commitmentDraft(record.id)))
        }
    }

    /// `POST /v1/applications/{id}/commitment`.
    func recordWindowCommitment(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let applications = services.applications
        let limit = min(bodyLimit, 65_536)
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(WindowCommitmentBody.self, from: request, limit: limit)
            return try await JSONResponse.make(
                ApplicationView(
                    try applications.commit(
                        parameters.get("id") ?? "", assuranceID: body.assuranceId, department: Self.windowDepartment(principal),
                        actor: principal.actor)))
        }
    }

    /// `POST /v1/applications/{id}/accept`, `POST /v1/applications/{id}/review`, `POST /v1/applications/{id}/approve`.
    func advanceApplication(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let applications = services.applications
        let step = spec.path.split(separator: "/").last!
        return { _, parameters, principal in
            let id = parameters.get("id") ?? ""
            let record =
                switch step {
                case "accept": try await applications.accept(id, department: Self.windowDepartment(principal), actor: principal.actor)
                case "review": try await applications.startReview(id, department: Self.windowDepartment(principal), actor: principal.actor)
                default: try await applications.approve(id, department: Self.windowDepartment(principal), actor: principal.actor)
                }
            return try JSONResponse.make(ApplicationView(record))
        }
    }

    /// `POST /v1/applications/{id}/reject`.
    func rejectApplication(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let applications = services.applications
        let limit = min(bodyLimit, 65_536)
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(RejectBody.self, from: request, limit: limit)
            return try await JSONResponse.make(
                ApplicationView(
                    try applications.reject(
                        parameters.get("id") ?? "", reason: body.reason, department: Self.windowDepartment(principal), actor: principal.actor)))
        }
    }

    /// `POST /v1/applications/{id}/issue`.
    func issueApplicationResult(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let applications = services.applications
        let limit = min(bodyLimit, 65_536)
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(IssueResultBody.self, from: request, limit: limit)
            let (record, issued) = try await applications.issueResult(
                parameters.get("id") ?? "", values: body.fields, department: Self.windowDepartment(principal), actor: principal.actor)
            return try JSONResponse.make(
                IssuedResultView(
                    application: ApplicationView(record), document: IssuedDocumentView(issued, baseURL: services.documents.verificationBaseURL)),
                status: .created)
        }
    }

    /// `POST /v1/applications/{id}/fulfil`.
    func fulfilObligation(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let applications = services.applications
        let limit = min(bodyLimit, 65_536)
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(FulfilBody.self, from: request, limit: limit)
            return try await JSONResponse.make(
                ApplicationView(
                    try applications.fulfil(
                        parameters.get("id") ?? "", materials: body.materials, department: Self.windowDepartment(principal), actor: principal.actor)))
        }
    }

    /// `GET /v1/applicant/credit`.
    func applicantCredit(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { _, _, session, _ in try await JSONResponse.make(CreditHistoryView(try services.credit.history(subject: session.subjectID.rawValue)))
        }
    }

    /// `GET /v1/applicant/applications`.
    func applicantApplications(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { _, _, session, _ in
            try await JSONResponse.make(
                ApplicationList(
                    applications: try services.applications.applications(department: nil, subject: session.subjectID).map(ApplicationView.init)))
        }
    }

    /// `GET /v1/applicant/applications/{id}/commitment`.
    func applicantCommitmentText(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { _, parameters, session, _ in
            let draft = try await services.applications.commitmentDraft(parameters.get("id") ?? "", session: session, route: spec.description)
            return try JSONResponse.make(CommitmentView(draft))
        }
    }

    /// `POST /v1/applicant/applications/{id}/commitment`.
    func signCommitment(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { _, parameters, session, _ in
            try await JSONResponse.make(ApplicationView(try services.applications.commit(parameters.get("id") ?? "", session: session)))
        }
    }
}

struct PolicyView: APIAnswer, Codable, Sendable { var version: Int; var policy: CreditPolicy }
