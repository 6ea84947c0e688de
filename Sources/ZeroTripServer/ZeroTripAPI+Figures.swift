import Foundation
import Hummingbird
import ZeroTrip
import ZeroTripDocuments

/// `POST /v1/applicant/ratings/{id}` body.
struct RateBody: Decodable, Sendable {
    /// 1–5.
    var score: Int
    /// Known tags (`RatingTag` raw values).
    var tags: [String]?
    /// At most 200 characters.
    var comment: String?
}

/// An invitation to rate, and the rating once given, as the applicant sees it.
struct RatingView: APIAnswer, Codable, Sendable {
    var id: String
    /// The application rated, or
    var application: String?
    /// the window service rated (`consultation`, `material_precheck`, `document_pickup`, `identity_check`, `other`).
    var service: String?
    var department: String
    var matter: String
    var outcome: String
    var invitedAt: Date
    var closesAt: Date
    var ratedAt: Date?
    var score: Int?
    var tags: [String]
    var comment: String?

    init(_ rating: ServiceRating) {
        id = rating.id; application = rating.application; service = rating.service?.rawValue; department = rating.department; matter = rating.matter;
        outcome = rating.outcome
        invitedAt = rating.invitedAt; closesAt = rating.closesAt; ratedAt = rating.ratedAt; score = rating.score
        tags = rating.tags.map(\.rawValue); comment = rating.comment
    }
}

struct RatingList: APIAnswer, Codable, Sendable { var ratings: [RatingView] }

/// `POST /v1/window-services` body: a service given at a counter without an application, to be rated.
struct WindowServiceBody: Decodable, Sendable {
    var idNumber: String
    /// `consultation`, `material_precheck`, `document_pickup`, `identity_check` or `other`.
    var service: String
    /// The clerk who gave the service (employee number).
    var clerk: String
    /// The department's matter the service was about, if any.
    var matter: String?
    /// Only for an admin credential, which belongs to no department.
    var department: String?
}

/// The invitation as the department sees it: no person data.
struct WindowServiceView: APIAnswer, Codable, Sendable {
    var rating: String
    var service: String
    var department: String
    var matter: String?
    var clerk: String?
    var invitedAt: Date
    var closesAt: Date
    /// False when the person was invited for this clerk's service today already (nothing was sent again).
    var invited: Bool
}

/// `GET /v1/ratings/figures`: the district's ratings over a period, for supervisors.
struct RatingFiguresView: APIAnswer, Codable, Sendable {
    struct Group: Codable, Sendable {
        var key: String
        var name: String?
        var department: String?
        var count: Int
        var mean: Double
        var weighted: Double
        var poor: Int
    }
    var from: Date
    var to: Date
    var count: Int
    var districtMean: Double
    /// `weighted = (priorWeight × districtMean + Σ scores) / (priorWeight + count)`.
    var priorWeight: Int
    var departments: [Group]
    var clerks: [Group]
    var tags: [String: Int]
    /// Tags chosen with poor ratings (1–2): what complaints were about.
    var complaintCauses: [String: Int]
}

extension ZeroTripAPI {
    /// The period of a figures request: `from`/`to` as China calendar days (`to` inclusive), by default the 30 days
    /// ending with today.
    static func figuresPeriod(_ request: Request, now: Date) throws -> (from: Date, to: Date) {
        func day(_ name: String) throws -> Date? {
            guard let text = request.uri.queryParameters.get(name) else { return nil }
            guard let day = CivilDay(text), day.year >= 1970 else { throw ZeroTripError(.invalidInput, "\(name) must be a day YYYY-MM-DD") }
            return day.start
        }
        let to = try day("to").map { $0.addingTimeInterval(86_400) } ?? CivilDay(now).adding(days: 1).start
        let from = try day("from") ?? to.addingTimeInterval(-30 * 86_400)
        guard from < to, to.timeIntervalSince(from) <= 400 * 86_400 else {
            throw ZeroTripError(.invalidInput, "from must be before to, at most 400 days apart")
        }
        return (from, to)
    }

    /// `GET /v1/applicant/ratings`.
    func applicantRatings(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { _, _, session, _ in
            let ratings = try await services.ratings.ratings(subject: session.subjectID)
            return try JSONResponse.make(RatingList(ratings: ratings.map(RatingView.init)))
        }
    }

    /// `POST /v1/applicant/ratings/{id}`.
    func rateService(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { request, parameters, session, _ in
            let body = try await JSONResponse.decode(RateBody.self, from: request, limit: 2048)
            let rating = try await services.ratings.rate(
                id: parameters.get("id") ?? "", subject: session.subjectID, score: body.score,
                tags: body.tags ?? [], comment: body.comment, actor: session.actor)
            return try JSONResponse.make(RatingView(rating))
        }
    }

    /// `POST /v1/window-services`.
    func recordWindowService(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, principal in
            let body = try await JSONResponse.decode(WindowServiceBody.self, from: request, limit: 1024)
            guard let service = WindowService(rawValue: body.service) else {
                throw ZeroTripError(.invalidInput, "service must be one of \(WindowService.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let department = Self.windowDepartment(principal) ?? body.department?.uppercased() else {
                throw ZeroTripError(.invalidInput, "an admin credential names the department")
            }
            let (rating, created) = try await services.ratings.invite(
                windowService: service, idNumber: body.idNumber, matter: body.matter,
                department: department, clerk: body.clerk,
                actor: "\(principal.actor)/clerk:\(body.clerk.prefix(32))")
            return try JSONResponse.make(
                WindowServiceView(
                    rating: rating.id, service: service.rawValue, department: rating.department,
                    matter: rating.matter.isEmpty ? nil : rating.matter, clerk: rating.clerk,
                    invitedAt: rating.invitedAt, closesAt: rating.closesAt, invited: created),
                status: created ? .created : .ok)
        }
    }

    /// `GET /v1/ratings/figures`.
    func ratingFigures(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, _ in
            let period = try Self.figuresPeriod(request, now: services.clock.now())
            let figures = try await services.ratings.figures(from: period.from, to: period.to)
            let names = try await services.administration.departmentNames()
            func view(_ group: RatingFigures.Group, clerk: Bool) -> RatingFiguresView.Group {
                .init(
                    key: group.key, name: clerk ? nil : names[group.key], department: group.department, count: group.count,
                    mean: (group.mean * 100).rounded() / 100, weighted: (group.weighted * 100).rounded() / 100, poor: group.poor)
            }
            return try StatisticsFormat.answer(
                request, name: "ratings",
                json: {
                    try JSONResponse.make(
                        RatingFiguresView(
                            from: figures.from, to: figures.to, count: figures.count, districtMean: (figures.districtMean * 100).rounded() / 100,
                            priorWeight: RatingFigures.priorWeight, departments: figures.departments.map { view($0, clerk: false) },
                            clerks: figures.clerks.map { view($0, clerk: true) }, tags: figures.tags, complaintCauses: figures.complaintCauses))
                }
            ) {
                StatisticsFormat.ratings(figures, names: names)
            }
        }
    }
}

/// `POST /v1/staff` body.
struct StaffBody: Decodable, Sendable {
    var department: String
    var clerk: String
    var name: String
    var phone: String
    /// `reviewer` or `supervisor`.
    var role: String
}

/// A staff member as admins see them: the number masked.
struct StaffView: APIAnswer, Codable, Sendable {
    var department: String
    var clerk: String
    var name: String
    var phoneMasked: String
    var role: String
    var addedAt: Date

    init(_ member: StaffMember) {
        department = member.department; clerk = member.clerk; name = member.name; phoneMasked = PersonalDataMask.phone(member.phone)
        role = member.role.rawValue; addedAt = member.addedAt
    }
}

struct StaffList: APIAnswer, Codable, Sendable { var staff: [StaffView] }

/// `GET /v1/statistics/reviews`.
struct ReviewFiguresView: APIAnswer, Codable, Sendable {
    struct Department: APIAnswer, Codable, Sendable {
        var department: String
        var name: String?
        var reviewed: Int
        var meanWorkingDays: Double
        var maximumWorkingDays: Int
        var waiting: Int
        var stalled: Int
    }
    var from: Date
    var to: Date
    var stallWorkingDays: Int
    var departments: [Department]
}

extension ZeroTripAPI {
    /// `POST /v1/staff`.
    func addStaff(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, principal in
            let body = try await JSONResponse.decode(StaffBody.self, from: request, limit: 1024)
            guard let role = StaffRole(rawValue: body.role) else { throw ZeroTripError(.invalidInput, "role must be reviewer or supervisor") }
            let member = try await services.supervision.putStaff(
                department: body.department, clerk: body.clerk, name: body.name, phone: body.phone,
                role: role, actor: principal.actor)
            return try JSONResponse.make(StaffView(member), status: .created)
        }
    }

    /// `GET /v1/staff`.
    func listStaff(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, _ in
            let department = request.uri.queryParameters.get("department").map { String($0) }
            if let department, department.isEmpty || department.utf8.count > 16 {
                throw ZeroTripError(.invalidInput, "department must be a department code of 1–16 characters")
            }
            return try JSONResponse.make(StaffList(staff: try await services.supervision.staff(department: department).map(StaffView.init)))
        }
    }

    /// `POST /v1/staff/{department}/{clerk}/remove`.
    func removeStaff(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, parameters, principal in
            try await services.supervision.removeStaff(
                department: parameters.get("department") ?? "", clerk: parameters.get("clerk") ?? "",
                actor: principal.actor)
            return try JSONResponse.make(["removed": true])
        }
    }

    /// `GET /v1/statistics/volumes`.
    func volumeFigures(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, _ in
            let period = try Self.figuresPeriod(request, now: services.clock.now())
            let figures = try await services.supervision.volumes(from: period.from, to: period.to)
            let names = try await services.administration.departmentNames()
            return try StatisticsFormat.answer(request, name: "volumes", json: { try JSONResponse.make(VolumesView(figures, names: names)) }) {
                StatisticsFormat.volumes(figures, names: names)
            }
        }
    }

    /// `GET /v1/statistics/needs`.
    func needFigures(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, _ in
            let counts = try await services.supervision.needCounts()
            return try StatisticsFormat.answer(
                request, name: "needs",
                json: {
                    try JSONResponse.make(
                        NeedCountsView(needs: counts.map { .init(kind: $0.kind.rawValue, name: $0.kind.chinese, year: $0.year, count: $0.count) })
                    )
                }
            ) {
                StatisticsFormat.needs(counts)
            }
        }
    }

    /// `GET /v1/statistics/reviews`.
    func reviewFigures(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, _ in
            let period = try Self.figuresPeriod(request, now: services.clock.now())
            let figures = try await services.supervision.reviewFigures(from: period.from, to: period.to)
            let names = try await services.administration.departmentNames()
            return try StatisticsFormat.answer(
                request, name: "reviews",
                json: {
                    try JSONResponse.make(
                        ReviewFiguresView(
                            from: figures.from, to: figures.to, stallWorkingDays: figures.stallWorkingDays,
                            departments: figures.departments.map {
                                .init(
                                    department: $0.department, name: names[$0.department], reviewed: $0.reviewed,
                                    meanWorkingDays: ($0.meanWorkingDays * 10).rounded() / 10, maximumWorkingDays: $0.maximumWorkingDays,
                                    waiting: $0.waiting, stalled: $0.stalled)
                            }))
                }
            ) {
                StatisticsFormat.reviews(figures, names: names)
            }
        }
    }
}

/// `GET /v1/statistics/volumes` as JSON.
struct VolumesView: APIAnswer, Codable, Sendable {
    struct Department: APIAnswer, Codable, Sendable {
        var department: String
        var name: String?
        var submitted: Int, trust: Int, deferral: Int, trustShare: Double
        var closed: Int, rejected: Int, terminated: Int
        var meanHandlingWorkingDays: Double
        var overdue: Int
        var revoked: Int
    }
    var from: Date
    var to: Date
    var departments: [Department]
    var months: [MonthView]

    init(_ figures: VolumeFigures, names: [String: String]) {
        from = figures.from; to = figures.to; months = figures.months.map(MonthView.init)
        departments = figures.departments.map {
            Department(
                department: $0.department, name: names[$0.department], submitted: $0.submitted, trust: $0.trust, deferral: $0.deferral,
                trustShare: ($0.trustShare * 1000).rounded() / 1000, closed: $0.closed, rejected: $0.rejected, terminated: $0.terminated,
                meanHandlingWorkingDays: ($0.meanHandlingWorkingDays * 10).rounded() / 10, overdue: $0.overdue, revoked: $0.revoked)
        }
    }
}

/// `POST /v1/applicant/needs` body.
struct NeedBody: Decodable, Sendable {
    /// `schooling`, `public_housing`, `settlement`, `business_loan` or `other`.
    var kind: String
    /// The years it arises in (this year to five years on).
    var years: [Int]
    var detail: String?
}

struct NeedView: Codable, Sendable {
    var kind: String
    var year: Int
    var detail: String
    var statedAt: Date
    init(_ need: ServiceNeed) { kind = need.kind.rawValue; year = need.year; detail = need.detail; statedAt = need.statedAt }
}

struct NeedList: APIAnswer, Codable, Sendable { var needs: [NeedView] }

struct NeedCountsView: APIAnswer, Codable, Sendable {
    struct Row: Codable, Sendable { var kind: String; var name: String; var year: Int; var count: Int }
    var needs: [Row]
}

extension ZeroTripAPI {
    /// `POST /v1/applicant/needs`.
    func reportNeed(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { request, _, session, _ in
            let body = try await JSONResponse.decode(NeedBody.self, from: request, limit: 1024)
            guard let kind = ServiceNeedKind(rawValue: body.kind) else {
                throw ZeroTripError(.invalidInput, "kind must be one of \(ServiceNeedKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let needs = try await services.supervision.stateNeed(
                subject: session.subjectID, kind: kind, years: body.years,
                detail: body.detail, actor: session.actor)
            return try JSONResponse.make(NeedList(needs: needs.map(NeedView.init)), status: .created)
        }
    }

    /// `GET /v1/applicant/needs`.
    func applicantNeeds(_ spec: RouteSpec) -> ApplicantHandler {
        let services = self.services
        return { _, _, session, _ in
            let needs = try await services.supervision.needs(subject: session.subjectID)
            return try JSONResponse.make(NeedList(needs: needs.map(NeedView.init)))
        }
    }
}
