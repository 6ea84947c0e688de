import Foundation
import Hummingbird
import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

/// `POST /v1/applicant/points/claims` body.
struct PointsClaimBody: Decodable, Sendable {
    /// A reviewed indicator of the scheme in force.
    var indicator: String
    /// One of its options.
    var option: String
    /// What the proof shows (at most 200 characters).
    var statement: String?
    /// The proof (PDF, JPEG or PNG, at most 700 KiB), base64.
    var evidence: String?
}

/// `POST /v1/applicant/points/disputes` body.
struct PointsDisputeBody: Decodable, Sendable {
    var indicator: String
    /// The claim whose decision is disputed; without: the item of the newest score.
    var claim: String?
    var reason: String
}

/// `POST /v1/points/claims/{id}/decision` body.
struct ClaimDecisionBody: Decodable, Sendable {
    var approve: Bool
    var reason: String
    /// The reviewer's clerk number (工号) in the staff directory.
    var clerk: String
}

/// `POST /v1/points/disputes/{id}/decision` body.
struct DisputeDecisionBody: Decodable, Sendable {
    /// The corrected points; absent or null: the score is upheld.
    var points: Int?
    var reason: String
    var clerk: String
}

/// A scored item as the API shows it.
struct PointsItemView: Codable, Sendable {
    var indicator: String
    var name: String
    var points: Int
    var value: String
    var basis: String
    var inputs: [String]
    var capped: Bool
}

/// A scoring run.
struct PointsRunView: Codable, Sendable {
    var id: Int64
    var period: String?
    var asOf: Date
    var policyVersion: Int
    var startedBy: String
    var finishedAt: Date?
    var persons: Int

    init(_ run: PointsRun) {
        id = run.id; period = run.period; asOf = run.asOf; policyVersion = run.policyVersion; startedBy = run.startedBy
        finishedAt = run.finishedAt; persons = run.persons
    }
}

/// A claim (后申请).
struct PointsClaimView: APIAnswer, Codable, Sendable {
    var id: String
    var indicator: String
    var option: String
    var statement: String
    var evidenceType: String?
    var department: String
    var policyVersion: Int
    var submittedAt: Date
    var decision: String?
    var decidedAt: Date?
    var reason: String?
    /// The reviewer, for the department only (the person sees the decision, not who made it).
    var decidedBy: String?
    /// Whose claim it is, in the reviewer's queue only.
    var applicant: ConcernedPersonView?

    init(_ claim: PointsClaim, reviewerShown: Bool, applicant: ConcernedPersonView? = nil) {
        self.applicant = applicant
        id = claim.id; indicator = claim.indicator; option = claim.option; statement = claim.statement; evidenceType = claim.evidenceType
        department = claim.department; policyVersion = claim.policyVersion; submittedAt = claim.submittedAt; decision = claim.decision
        decidedAt = claim.decidedAt; reason = claim.reason; decidedBy = reviewerShown ? claim.decidedBy : nil
    }
}

/// A dispute (复核).
struct PointsDisputeView: APIAnswer, Codable, Sendable {
    var id: String
    var indicator: String
    var run: Int64?
    var claim: String?
    var policyVersion: Int
    var disputedPoints: Int
    var reason: String
    var department: String
    var filedAt: Date
    var outcome: String?
    var points: Int?
    var decidedAt: Date?
    var decisionReason: String?
    var firstReviewer: String?
    var decidedBy: String?
    /// Whose dispute it is, in the reviewer's queue only.
    var applicant: ConcernedPersonView?

    init(_ dispute: PointsDispute, reviewerShown: Bool, applicant: ConcernedPersonView? = nil) {
        self.applicant = applicant
        id = dispute.id; indicator = dispute.indicator; run = dispute.run; claim = dispute.claim; policyVersion = dispute.policyVersion
        disputedPoints = dispute.disputedPoints; reason = dispute.reason; department = dispute.department; filedAt = dispute.filedAt
        outcome = dispute.outcome; points = dispute.points; decidedAt = dispute.decidedAt; decisionReason = dispute.decisionReason
        firstReviewer = reviewerShown ? dispute.firstReviewer : nil; decidedBy = reviewerShown ? dispute.decidedBy : nil
    }
}

/// The person a case in a department's queue (claim, dispute, complaint) concerns: name and masked ID number.
struct ConcernedPersonView: Codable, Sendable {
    var name: String?
    var idNumberMasked: String?

    init<Item>(_ pending: Concerning<Item>) {
        name = pending.name
        idNumberMasked = pending.idNumberMasked
    }
}

/// `GET /v1/applicant/points`.
struct PointsStatementView: APIAnswer, Codable, Sendable {
    struct Claimable: Codable, Sendable {
        struct Option: Codable, Sendable { var name: String; var points: Int }
        var indicator: String
        var name: String
        var department: String
        var options: [Option]
    }
    var scheme: String?
    var run: PointsRunView?
    var total: Int?
    var items: [PointsItemView]
    var claimable: [Claimable]
    var claims: [PointsClaimView]
    var disputes: [PointsDisputeView]
    /// Items left out (and the total with them) because they disclose the credit level: a session of
    /// `tierForCreditLevel` sees them.
    var withheld: [String]

    init(_ statement: PointsStatement) {
        withheld = statement.withheld
        scheme = statement.scheme; run = statement.run.map(PointsRunView.init); total = statement.total
        items = statement.items.map {
            PointsItemView(
                indicator: $0.item.indicator, name: $0.name, points: $0.item.points, value: $0.item.value, basis: $0.basis,
                inputs: $0.item.inputs, capped: $0.item.capped)
        }
        claimable = statement.claimable.map {
            Claimable(
                indicator: $0.indicator, name: $0.name, department: $0.department, options: $0.options.map { .init(name: $0.name, points: $0.points) }
            )
        }
        claims = statement.claims.map { PointsClaimView($0, reviewerShown: false) }
        disputes = statement.disputes.map { PointsDisputeView($0, reviewerShown: false) }
    }
}

/// `POST /v1/applicant/points/certificate`: the signed 积分证明.
struct PointsCertificateView: APIAnswer, Codable, Sendable {
    var document: DocumentView
    var verificationPage: String
    var pdf: String
}

struct PointsClaimList: APIAnswer, Codable, Sendable { var claims: [PointsClaimView] }
struct PointsDisputeList: APIAnswer, Codable, Sendable { var disputes: [PointsDisputeView] }
struct PointsRunList: APIAnswer, Codable, Sendable { var runs: [PointsRunView] }

extension ZeroTripAPI {
    /// A file a person uploaded (a points claim's proof), for a reviewer: an attachment of the type its first bytes
    /// proved, never sniffed into HTML or run (`nosniff`, a sandboxing CSP), never cached.
    static func uploadedFile(type: String, bytes: [UInt8]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.contentDisposition] = "attachment"
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.contentSecurityPolicy] = "default-src 'none'; sandbox"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `GET /v1/applicant/points`.
    func applicantPoints(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        let identityPolicy = services.identity.policy
        return { _, _, session, _ in
            try JSONResponse.make(
                PointsStatementView(
                    try await services.points.statement(
                        subject: session.subjectID,
                        disclosingCredit: identityPolicy.seesCreditLevel(session))))
        }
    }

    /// `POST /v1/applicant/points/claims`.
    func claimPoints(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        let limit = bodyLimit
        return { request, _, session, _ in
            let body = try await JSONResponse.decode(PointsClaimBody.self, from: request, limit: limit)
            let evidence = try body.evidence.map { text throws(ZeroTripError) in
                guard text.utf8.count <= (PointsService.evidenceLimit / 3 + 1) * 4, let bytes = Base64.decodeStandard(text) else {
                    throw ZeroTripError(.invalidInput, "evidence must be base64 of at most \(PointsService.evidenceLimit / 1024) KiB")
                }
                return bytes
            }
            let claim = try await services.points.claim(
                subject: session.subjectID, indicator: body.indicator, option: body.option,
                statement: body.statement ?? "", evidence: evidence, actor: session.actor)
            return try JSONResponse.make(PointsClaimView(claim, reviewerShown: false), status: .created)
        }
    }

    /// `POST /v1/applicant/points/disputes`.
    func disputePoints(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        let identityPolicy = services.identity.policy
        return { request, _, session, _ in
            let body = try await JSONResponse.decode(PointsDisputeBody.self, from: request, limit: 4096)
            let dispute = try await services.points.dispute(
                subject: session.subjectID, indicator: body.indicator, claim: body.claim,
                reason: body.reason, actor: session.actor,
                disclosingCredit: identityPolicy.seesCreditLevel(session))
            return try JSONResponse.make(PointsDisputeView(dispute, reviewerShown: false), status: .created)
        }
    }

    /// `POST /v1/applicant/points/certificate`.
    func pointsCertificate(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        let identityPolicy = services.identity.policy
        return { request, _, session, _ in
            let certificate = try await services.points.certificate(
                subject: session.subjectID, actor: session.actor,
                disclosingCredit: identityPolicy.seesCreditLevel(session))
            return try JSONResponse.make(
                PointsCertificateView(
                    document: DocumentView(certificate.record), verificationPage: certificate.verificationPage,
                    pdf: "/v1/applicant/documents/\(certificate.record.id)/pdf"),
                status: certificate.reused ? .ok : .created)
        }
    }

    /// `GET /v1/points/claims`.
    func listPointClaims(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, _, principal in
            let claims = try await services.points.pendingClaims(department: principal.departmentCode)
            return try JSONResponse.make(
                PointsClaimList(claims: claims.map { PointsClaimView($0.item, reviewerShown: true, applicant: ConcernedPersonView($0)) }))
        }
    }

    /// `GET /v1/points/claims/{id}/evidence`.
    func claimEvidence(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, parameters, principal in
            let evidence = try await services.points.evidence(
                claim: (parameters.get("id") ?? "").lowercased(), department: principal.departmentCode,
                actor: principal.actor)
            return Self.uploadedFile(type: evidence.type, bytes: evidence.bytes)
        }
    }

    /// `POST /v1/points/claims/{id}/decision`.
    func decideClaim(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(ClaimDecisionBody.self, from: request, limit: 2048)
            let claim = try await services.points.decide(
                claim: parameters.get("id") ?? "", department: principal.departmentCode, clerk: body.clerk,
                approve: body.approve, reason: body.reason, actor: principal.actor)
            return try JSONResponse.make(PointsClaimView(claim, reviewerShown: true))
        }
    }

    /// `GET /v1/points/disputes`.
    func listPointDisputes(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, _, principal in
            let disputes = try await services.points.pendingDisputes(department: principal.departmentCode)
            return try JSONResponse.make(
                PointsDisputeList(disputes: disputes.map { PointsDisputeView($0.item, reviewerShown: true, applicant: ConcernedPersonView($0)) }))
        }
    }

    /// `POST /v1/points/disputes/{id}/decision`.
    func decideDispute(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(DisputeDecisionBody.self, from: request, limit: 2048)
            let dispute = try await services.points.decide(
                dispute: parameters.get("id") ?? "", department: principal.departmentCode,
                clerk: body.clerk, points: body.points, reason: body.reason, actor: principal.actor)
            return try JSONResponse.make(PointsDisputeView(dispute, reviewerShown: true))
        }
    }

    /// `GET /v1/points/runs`.
    func listPointRuns(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, _, _ in try JSONResponse.make(PointsRunList(runs: try await services.points.runs().map(PointsRunView.init))) }
    }
}
