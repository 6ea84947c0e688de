import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
import ZeroTripDocuments
@testable import ZeroTripServer
import ZeroTripDomainTestSupport

@Suite("Complaints (投诉) and the follow-up of poor ratings: filed, answered once by a supervisor, overdue ones sent up, counted by cause")
struct ComplaintAPITests {
    struct View: Decodable {
        var id: String; var department: String; var rating: String?; var source: String; var cause: String; var text: String
        var dueAt: Date; var answeredAt: Date?; var finding: String?; var reply: String?; var clerk: String?; var action: String?
        var applicant: Applicant?
        struct Applicant: Decodable { var name: String?; var idNumberMasked: String? }
    }
    struct List: Decodable { var complaints: [View] }
    struct Figures: Decodable {
        struct Department: Decodable {
            var department: String; var filed: Int; var answered: Int; var answeredInTime: Int; var substantiated: Int; var overdue: Int
            var causes: [String: Int]
        }
        var answerWorkingDays: Int; var departments: [Department]; var causes: [String: Int]
    }

    @Test(
        "A rating of 1–2 opens a complaint for the department; the person files others (one per rated service, five open at most); refusals by code; a supervisor other than the clerk complained about answers once, the person is told; unanswered past 15 working days the supervisors get an SMS once; figures per department and cause; the ratings page files one"
    )
    func lifecycle() async throws {
        let clock = VerificationPageBrowserTests.MovableClock()
        let fixture = try await ServerFixture(clock: ZeroTripClock { clock.now })
        try await fixture.loadCredit()
        let services = fixture.services, start = clock.now
        let zhang = IdentityFixtures.zhang, li = IdentityFixtures.li
        _ = try await RatingAPITests.closedApplication(services, zhang, clerk: "GA-0042")
        let liApplication = try await RatingAPITests.closedApplication(services, li, clerk: "GA-0007")
        for (clerk, role) in [("GA-0042", StaffRole.supervisor), ("GA-0100", .supervisor), ("GA-0007", .reviewer)] {
            _ = try await services.supervision.putStaff(
                department: "GAJ", clerk: clerk, name: "赵文静", phone: "1390000\(clerk.suffix(4))", role: role,
                actor: "test")
        }
        _ = try await services.supervision.putStaff(
            department: "RSJ", clerk: "RS-9", name: "钱峰", phone: "13900000039", role: .supervisor, actor: "test")
        let gaj = try await services.credentials.create(department: "GAJ", scopes: [.applicationsProcess], label: "w", actor: "test").token
        let rsj = try await services.credentials.create(department: "RSJ", scopes: [.applicationsProcess], label: "r", actor: "test").token
        let statistics = try await services.credentials.create(department: "RSJ", scopes: [.statisticsRead], label: "s", actor: "test").token
        let zhangSession = try await IdentityFixtures.windowSession(services, person: zhang)
        let liSession = try await IdentityFixtures.windowSession(services, person: li)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ token: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, Data) {
                try await client.execute(
                    uri: uri, method: body == nil ? .get : .post, headers: ConsentAPITests.bearer(token),
                    body: body.map { ByteBuffer(string: $0) }
                ) { ($0.status, Data($0.body.readableBytesView)) }
            }
            // 差评: a rating of 1 opens a complaint about the clerk's service, its cause from the tag.
            var (status, data) = try await call("/v1/applicant/ratings", zhangSession.token)
            let invitation = try #require(try decoder.decode(RatingAPITests.List.self, from: data).ratings.first)
            (status, _) = try await call(
                "/v1/applicant/ratings/\(invitation.id)", zhangSession.token, #"{"score": 1, "tags": ["discourteous"], "comment": "态度很差"}"#)
            #expect(status == .ok)
            (status, data) = try await call("/v1/applicant/complaints", zhangSession.token)
            let poor = try #require(try decoder.decode(List.self, from: data).complaints.first)
            #expect(
                poor.source == "poor_rating" && poor.cause == "attitude" && poor.rating == invitation.id && poor.text == "态度很差"
                    && poor.department == "GAJ")
            #expect(poor.clerk == nil && poor.action == nil, "the person does not see the clerk or the internal action")
            let calendar = try await services.credit.currentPolicy().policy.calendar
            #expect(poor.dueAt == calendar.deadline(workingDays: 15, from: clock.now), "due in 15 working days of the district's calendar")

            // Filed by the person: refusals by code, then one per rated service and five open at most.
            (status, data) = try await call("/v1/applicant/ratings", liSession.token)
            let liInvitation = try #require(
                try decoder.decode(RatingAPITests.List.self, from: data).ratings.first { $0.application == liApplication })
            for (body, expectedStatus, expectedCode) in [
                (#"{"department": "RSJ", "cause": "bribe", "text": "x"}"#, HTTPResponse.Status.badRequest, "invalid_input"),
                (#"{"department": "RSJ", "cause": "waiting", "text": "  "}"#, .badRequest, "invalid_input"),
                (#"{"department": "RSJ", "cause": "waiting", "text": "\#(String(repeating: "等", count: 501))"}"#, .badRequest, "invalid_input"),
                (#"{"department": "RSJ", "cause": "waiting", "text": "x", "score": 1}"#, .badRequest, "invalid_input"),
                (#"{"department": "XXJ", "cause": "waiting", "text": "排队"}"#, .notFound, "unknown_department"),
                (#"{"rating": "\#(liInvitation.id)", "cause": "waiting", "text": "排队"}"#, .notFound, "not_found"),
                (#"{"rating": "\#(invitation.id)", "cause": "waiting", "text": "排队"}"#, .conflict, "already_complained"),
            ] {
                (status, data) = try await call("/v1/applicant/complaints", zhangSession.token, body)
                #expect(
                    status == expectedStatus && ConsentAPITests.errorCode(data) == expectedCode, "\(body): \(String(decoding: data, as: UTF8.self))")
            }
            for index in 1...4 {
                (status, data) = try await call(
                    "/v1/applicant/complaints", zhangSession.token, #"{"department": "rsj", "cause": "waiting", "text": "排队两小时（\#(index)）"}"#)
                #expect(status == .created, "\(String(decoding: data, as: UTF8.self))")
            }
            // Five filed by the person wait (the poor rating's complaint is not counted): a sixth is refused.
            (status, data) = try await call(
                "/v1/applicant/complaints", zhangSession.token, #"{"department": "RSJ", "cause": "waiting", "text": "第五件"}"#)
            #expect(status == .created)
            (status, data) = try await call(
                "/v1/applicant/complaints", zhangSession.token, #"{"department": "RSJ", "cause": "waiting", "text": "第六件"}"#)
            #expect(status == .conflict && ConsentAPITests.errorCode(data) == "too_many_open_complaints")

            // The department's queue: its own complaints with whose they are (masked), and the clerk complained about.
            (status, data) = try await call("/v1/complaints", gaj)
            let queue = try decoder.decode(List.self, from: data).complaints
            #expect(status == .ok && queue.map(\.id) == [poor.id] && queue[0].clerk == "GA-0042" && queue[0].applicant?.name == zhang.name)
            #expect(queue[0].applicant?.idNumberMasked?.contains("*") == true && !String(decoding: data, as: UTF8.self).contains(zhang.id))
            (status, data) = try await call("/v1/complaints?state=closed", gaj)
            #expect(status == .badRequest && ConsentAPITests.errorCode(data) == "invalid_input")

            // Answered by a supervisor who is not the clerk complained about, once; another department cannot.
            let answer = #"{"clerk": "GA-0100", "finding": "substantiated", "action": "已对窗口人员批评教育并调整排班", "reply": "经核实情况属实，已整改，感谢监督。"}"#
            let deniedBefore = try await fixture.auditCount(action: "auth.denied")
            for (token, body, expectedStatus, expectedCode) in [
                (gaj, answer.replacingOccurrences(of: "GA-0100", with: "GA-0007"), HTTPResponse.Status.forbidden, "not_a_supervisor"),
                (gaj, answer.replacingOccurrences(of: "GA-0100", with: "ga-0042"), .conflict, "complained_clerk"),
                (gaj, answer.replacingOccurrences(of: "substantiated", with: "maybe"), .badRequest, "invalid_input"),
                (gaj, answer.replacingOccurrences(of: "\"action\"", with: "\"cause\": \"bribe\", \"action\""), .badRequest, "invalid_input"),
                (rsj, answer, .notFound, "not_found"),
            ] {
                (status, data) = try await call("/v1/complaints/\(poor.id)/answer", token, body)
                #expect(
                    status == expectedStatus && ConsentAPITests.errorCode(data) == expectedCode, "\(body): \(String(decoding: data, as: UTF8.self))")
            }
            #expect(try await fixture.auditCount(action: "auth.denied") == deniedBefore + 1, "the clerk who is no supervisor is audited")
            (status, data) = try await call("/v1/complaints/\(poor.id)/answer", gaj, answer)
            let answered = try decoder.decode(View.self, from: data)
            #expect(status == .ok && answered.finding == "substantiated" && answered.cause == "attitude" && answered.answeredAt != nil)
            (status, data) = try await call("/v1/complaints/\(poor.id)/answer", gaj, answer)
            #expect(status == .conflict && ConsentAPITests.errorCode(data) == "already_decided")
            (status, data) = try await call("/v1/applicant/complaints", zhangSession.token)
            let mine = try decoder.decode(List.self, from: data).complaints
            #expect(mine.first { $0.id == poor.id }?.reply == "经核实情况属实，已整改，感谢监督。" && !String(decoding: data, as: UTF8.self).contains("GA-0100"))
            let zhangSubject = SubjectID.person(try #require(try await services.identity.registry.subject(idNumber: zhang.id)))
            #expect(
                try await services.applications.notifications(subject: zhangSubject).contains {
                    $0.kind == "complaint_answer" && $0.message.contains("情况属实")
                })

            // Unanswered past the deadline: RSJ's supervisor is told once; the figures count it.
            clock.advance(by: 30 * 86_400)
            _ = try await services.applications.sweep()
            _ = try await services.applications.sweep()
            let notices = try await services.identity.outbox(limit: 100).filter { $0.subject == "staff:RSJ/RS-9" && $0.message.contains("投诉") }
            #expect(notices.count == 5, "one per overdue complaint, once: \(notices.map(\.message))")
            (status, data) = try await call("/v1/statistics/complaints?from=\(CivilDay(start))", statistics)
            let figures = try decoder.decode(Figures.self, from: data)
            #expect(status == .ok && figures.answerWorkingDays == 15 && figures.causes == ["attitude": 1, "waiting": 5])
            let gajFigures = try #require(figures.departments.first { $0.department == "GAJ" })
            let rsjFigures = try #require(figures.departments.first { $0.department == "RSJ" })
            #expect(
                gajFigures.filed == 1 && gajFigures.answered == 1 && gajFigures.answeredInTime == 1 && gajFigures.substantiated == 1
                    && gajFigures.overdue == 0)
            #expect(rsjFigures.filed == 5 && rsjFigures.answered == 0 && rsjFigures.overdue == 5 && rsjFigures.causes == ["waiting": 5])
            // Counted as they happened = counted afresh from the stored complaints.
            let asCounted = try await services.complaints.figures(from: CivilDay(start).start, to: CivilDay(clock.now).adding(days: 1).start)
            try await services.database.write { db in try db.executeScript("DELETE FROM daily_figures; DELETE FROM figures_built") }
            #expect(try await services.complaints.figures(from: CivilDay(start).start, to: CivilDay(clock.now).adding(days: 1).start) == asCounted)
            (status, data) = try await call("/v1/statistics/complaints?from=\(CivilDay(start))&format=csv", statistics)
            let csv = String(decoding: data, as: UTF8.self).split(separator: "\r\n")
            #expect(
                status == .ok
                    && csv.first?.hasPrefix("\u{FEFF}department,name,filed,answered,answered_in_time,substantiated,overdue,attitude,waiting") == true
                    && csv.contains { $0.hasPrefix("RSJ,\"") && $0.hasSuffix(",5,0,0,0,5,0,5,0,0,0,0,0,0,0") }, "\(csv)")
            (status, _) = try await call("/v1/statistics/complaints", gaj)
            #expect(status == .forbidden)

            // The ratings page lists the person's complaints and files one (CSRF-checked).
            let liLater = try await IdentityFixtures.windowSession(services, person: li)
            let cookies = [PageCookies.session: liLater.token]
            let page = try await client.execute(uri: "/my/ratings", method: .get, headers: ApplicantPageTests.cookieHeader(cookies)) {
                String(buffer: $0.body)
            }
            #expect(page.contains("action=\"/my/complaints\"") && page.contains("等候时间长"))
            var (headers, form) = ApplicantPageTests.form(
                ["csrf": "forged", "department": "GAJ", "cause": "materials", "text": "要求重复提交材料"], cookies: cookies)
            _ = try await client.execute(uri: "/my/complaints", method: .post, headers: headers, body: form) { $0.status }
            let liSubject = SubjectID.person(try #require(try await services.identity.registry.subject(idNumber: li.id)))
            #expect(try await services.complaints.complaints(subject: liSubject).isEmpty, "a forged form files nothing")
            (headers, form) = ApplicantPageTests.form(
                [
                    "csrf": PageCookies.csrfToken(session: liLater.token), "department": "GAJ", "cause": "materials",
                    "text": "要求重复提交材料",
                ], cookies: cookies)
            let filed = try await client.execute(uri: "/my/complaints", method: .post, headers: headers, body: form) { $0.status }
            #expect(filed == .seeOther)
            let after = try await client.execute(uri: "/my/ratings", method: .get, headers: ApplicantPageTests.cookieHeader(cookies)) {
                String(buffer: $0.body)
            }
            #expect(after.contains("要求重复提交材料") && after.contains("办理中") && !after.contains("答复（"), "no answer line before the answer")
        }
        let events = try await AuditLog.events(in: services.database, limit: 500)
        #expect(
            events.filter { $0.action == "complaint.filed" }.count == 7 && !events.contains { $0.details.contains("排队两小时") },
            "filed, without the text")
        #expect(
            events.filter { $0.action == "complaint.answered" }.count == 1 && events.filter { $0.action == "complaint.overdue_notice" }.count == 5)
        let error = await #expect(throws: SQLFailure.self) {
            try await services.database.write { db in try db.execute(sql: "UPDATE complaints SET reply = 'x' WHERE answered_at IS NOT NULL") }
        }
        #expect(error?.kind == .ruleViolation, "an answer is kept as given")
    }

    @Test(
        "At the window station the 投诉 tab lists the department's open complaints with whose they are and the clerk complained about; a supervisor answers under their own number, a reviewer is refused with a page and audited"
    )
    func station() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let services = fixture.services
        _ = try await RatingAPITests.closedApplication(services, IdentityFixtures.zhang, clerk: "GA-0042")
        _ = try await services.supervision.putStaff(
            department: "GAJ", clerk: "GA-0100", name: "钱峰", phone: "13900000100", role: .supervisor, actor: "test")
        _ = try await services.supervision.putStaff(
            department: "GAJ", clerk: "GA-0007", name: "孙丽", phone: "13900000007", role: .reviewer, actor: "test")
        let subject = SubjectID.person(try #require(try await services.identity.registry.subject(idNumber: IdentityFixtures.zhang.id)))
        let invitation = try #require(try await services.ratings.ratings(subject: subject).first)
        _ = try await services.ratings.rate(
            id: invitation.id, subject: subject, score: 2, tags: ["long_wait"], comment: "等了两个小时", actor: "person:zhang")
        let complaint = try #require(try await services.complaints.complaints(subject: subject).first)
        let window = try await services.credentials.create(department: "GAJ", scopes: [.applicationsProcess], label: "w", actor: "test").token
        try await fixture.application().test(.router) { client in
            func signedIn(_ clerk: String) async throws -> String {
                ApplicantPageTests.value(
                    ApplicantPageTests.setCookie(
                        try await WindowPageTests.signIn(client, credential: window, clerkId: clerk),
                        WindowPages.sessionCookie))
            }
            func answer(_ session: String) async throws -> (HTTPResponse.Status, String) {
                let (headers, body) = ApplicantPageTests.form(
                    [
                        "csrf": PageCookies.csrfToken(session: session), "finding": "partly_substantiated",
                        "cause": "waiting", "action": "高峰期增开窗口", "reply": "已增开窗口，感谢反映。",
                    ],
                    cookies: [WindowPages.sessionCookie: session])
                return try await client.execute(uri: "/window/complaints/\(complaint.id)", method: .post, headers: headers, body: body) {
                    ($0.status, String(buffer: $0.body))
                }
            }
            let reviewer = try await signedIn("GA-0007")
            let page = try await client.execute(
                uri: "/window/complaints", method: .get,
                headers: ApplicantPageTests.cookieHeader([WindowPages.sessionCookie: reviewer])
            ) { String(buffer: $0.body) }
            #expect(page.contains("差评回访") && page.contains("等了两个小时") && page.contains("被投诉工号 GA-0042") && page.contains(IdentityFixtures.zhang.name))
            #expect(!page.contains(IdentityFixtures.zhang.id), "masked ID number only")
            let deniedBefore = try await fixture.auditCount(action: "auth.denied")
            let refused = try await answer(reviewer)
            #expect(refused.0 == .forbidden && refused.1.contains("督办人员"))
            #expect(try await fixture.auditCount(action: "auth.denied") == deniedBefore + 1)
            let supervisor = try await signedIn("GA-0100")
            let answered = try await answer(supervisor)
            #expect(answered.0 == .seeOther, "\(answered.1.suffix(400))")
            let after = try await client.execute(
                uri: "/window/complaints", method: .get,
                headers: ApplicantPageTests.cookieHeader([WindowPages.sessionCookie: supervisor])
            ) { String(buffer: $0.body) }
            #expect(after.contains("没有待答复的投诉"))
        }
        let stored = try #require(try await services.complaints.complaints(subject: subject).first)
        #expect(stored.finding == .partlySubstantiated && stored.cause == .waiting && stored.answeredBy?.hasSuffix("/clerk:GA-0100") == true)
    }
}
