import Foundation
import Hummingbird
import ZeroTrip

/// `POST /v1/applicant/complaints` body: about a department's service, or the service of one's rating.
struct ComplaintBody: Decodable, Sendable {
    var department: String?
    var rating: String?
    /// One of ``ComplaintCause``.
    var cause: String
    var text: String
}

/// `POST /v1/complaints/{id}/answer` body.
struct ComplaintAnswerBody: Decodable, Sendable {
    /// The supervisor answering (employee number in the staff directory).
    var clerk: String
    /// `substantiated`, `partly_substantiated` or `unsubstantiated`.
    var finding: String
    /// The cause as the department classifies it (default: as filed).
    var cause: String?
    /// What the department did (整改).
    var action: String
    /// What the person is told.
    var reply: String
}

/// A complaint as the person sees it: the answer, not who gave it nor the internal action.
struct ComplaintView: APIAnswer, Codable, Sendable {
    var id: String
    var department: String
    var rating: String?
    var source: String
    var cause: String
    var text: String
    var filedAt: Date
    var dueAt: Date
    var answeredAt: Date?
    var finding: String?
    var reply: String?
    /// For the department only: the clerk complained about, what was done, who answered, and whose complaint it is.
    var clerk: String?
    var action: String?
    var answeredBy: String?
    var applicant: ConcernedPersonView?

    init(_ complaint: Complaint, department view: Concerning<Complaint>? = nil) {
        id = complaint.id; department = complaint.department; rating = complaint.rating; source = complaint.source
        cause = complaint.cause.rawValue; text = complaint.text; filedAt = complaint.filedAt; dueAt = complaint.dueAt
        answeredAt = complaint.answeredAt; finding = complaint.finding?.rawValue; reply = complaint.reply
        if let view {
            clerk = complaint.clerk; action = complaint.action; answeredBy = complaint.answeredBy; applicant = ConcernedPersonView(view)
        }
    }
}

struct ComplaintList: APIAnswer, Codable, Sendable { var complaints: [ComplaintView] }

/// `GET /v1/statistics/complaints`.
struct ComplaintFiguresView: APIAnswer, Codable, Sendable {
    struct Department: Codable, Sendable {
        var department: String
        var name: String?
        var filed: Int
        var answered: Int
        var answeredInTime: Int
        var substantiated: Int
        var overdue: Int
        var causes: [String: Int]
    }
    var from: Date
    var to: Date
    var answerWorkingDays: Int
    var departments: [Department]
    var causes: [String: Int]
}

extension ZeroTripAPI {
    /// `POST /v1/applicant/complaints`.
    func fileComplaint(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { request, _, session, _ in
            let body = try await JSONResponse.decode(ComplaintBody.self, from: request, limit: 4096)
            let complaint = try await services.complaints.file(
                subject: session.subjectID, department: body.department, rating: body.rating,
                cause: body.cause, text: body.text, actor: session.actor)
            return try JSONResponse.make(ComplaintView(complaint), status: .created)
        }
    }

    /// `GET /v1/applicant/complaints`.
    func applicantComplaints(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { _, _, session, _ in
            let complaints = try await services.complaints.complaints(subject: session.subjectID)
            return try JSONResponse.make(ComplaintList(complaints: complaints.map { ComplaintView($0) }))
        }
    }

    /// `GET /v1/complaints`.
    func listComplaints(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, principal in
            let state = request.uri.queryParameters.get("state") ?? "open"
            guard state == "open" || state == "all" else { throw ZeroTripError(.invalidInput, "state must be open or all") }
            let complaints = try await services.complaints.complaints(department: principal.departmentCode, open: state == "open")
            return try JSONResponse.make(ComplaintList(complaints: complaints.map { ComplaintView($0.item, department: $0) }))
        }
    }

    /// `POST /v1/complaints/{id}/answer`.
    func answerComplaint(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(ComplaintAnswerBody.self, from: request, limit: 4096)
            let complaint = try await services.complaints.answer(
                id: parameters.get("id") ?? "", department: principal.departmentCode, clerk: body.clerk,
                finding: body.finding, cause: body.cause, action: body.action, reply: body.reply,
                actor: principal.actor)
            return try JSONResponse.make(ComplaintView(complaint))
        }
    }

    /// `GET /v1/statistics/complaints`.
    func complaintFigures(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, _ in
            let period = try Self.figuresPeriod(request, now: services.clock.now())
            let figures = try await services.complaints.figures(from: period.from, to: period.to)
            let names = try await services.administration.departmentNames()
            return try StatisticsFormat.answer(
                request, name: "complaints",
                json: {
                    try JSONResponse.make(
                        ComplaintFiguresView(
                            from: figures.from, to: figures.to, answerWorkingDays: ComplaintService.answerWorkingDays,
                            departments: figures.departments.map {
                                .init(
                                    department: $0.department, name: names[$0.department], filed: $0.filed, answered: $0.answered,
                                    answeredInTime: $0.answeredInTime, substantiated: $0.substantiated, overdue: $0.overdue, causes: $0.causes)
                            }, causes: figures.causes))
                }
            ) {
                StatisticsFormat.complaints(figures, names: names)
            }
        }
    }
}
