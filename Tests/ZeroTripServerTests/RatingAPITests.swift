import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
import ZeroTripDocuments
@testable import ZeroTripServer
import ZeroTripDomainTestSupport

@Suite("好差评: ratings of finished services and their figures")
struct RatingAPITests {
    /// A standard 居住登记 for `person` taken at window clerk `clerk` of GAJ, carried through to its result (closed).
    static func closedApplication(_ services: ZeroTripServices, _ person: (id: String, name: String), clerk: String) async throws -> String {
        let applications = services.applications, actor = "credential:gaj/clerk:\(clerk)"
        let submitted = try await applications.submit(
            NewApplication(
                matterCode: "JZDJ", idNumber: person.id, name: person.name, mode: .standard,
                provided: ["ID_CARD", "RESIDENCE_PROOF", "EMPLOYMENT_PROOF", "PHOTO"]),
            department: "GAJ", actor: actor)
        _ = try await applications.accept(submitted.id, department: "GAJ", actor: actor)
        _ = try await applications.startReview(submitted.id, department: "GAJ", actor: actor)
        _ = try await applications.approve(submitted.id, department: "GAJ", actor: actor)
        let (done, _) = try await applications.issueResult(
            submitted.id, values: ["居住地址": "佛山市禅城区祖庙街道建新路12号", "居住事由": "务工"],
            department: "GAJ", actor: actor)
        #expect(done.state == .closed)
        return submitted.id
    }

    struct View: Decodable {
        var id: String; var application: String?; var department: String; var score: Int?; var tags: [String]; var ratedAt: Date?
    }
    struct List: Decodable { var ratings: [View] }
    struct Figures: Decodable {
        struct Group: Decodable {
            var key: String; var name: String?; var department: String?; var count: Int; var mean: Double; var weighted: Double; var poor: Int
        }
        var count: Int; var districtMean: Double; var priorWeight: Int; var departments: [Group]; var clerks: [Group]; var tags: [String: Int]
        var complaintCauses: [String: Int]
    }

    @Test(
        "A finished application invites its applicant to rate it (a message with the link, in the same commit); the rating is taken once, for one's own service only, 1–5 with known tags and a short comment; the figures weigh departments and clerks by the documented formula; refusals by code; the public ranking page shows it"
    )
    func rateOnce() async throws {
        let clock = VerificationPageBrowserTests.MovableClock()
        let fixture = try await ServerFixture(clock: ZeroTripClock { clock.now })
        try await fixture.loadCredit()
        let zhang = IdentityFixtures.zhang, li = IdentityFixtures.li
        let first = try await Self.closedApplication(fixture.services, zhang, clerk: "GA-0042")
        let second = try await Self.closedApplication(fixture.services, li, clerk: "GA-0007")
        let rejected = try await fixture.services.applications.submit(
            NewApplication(
                matterCode: "JZDJ", idNumber: zhang.id, name: zhang.name, mode: .standard,
                provided: ["ID_CARD", "RESIDENCE_PROOF", "EMPLOYMENT_PROOF", "PHOTO"]),
            department: "GAJ", actor: "credential:gaj")
        _ = try await fixture.services.applications.reject(rejected.id, reason: "住所证明与实际不符", department: "GAJ", actor: "credential:gaj")
        let zhangSubject = try #require(try await fixture.services.identity.registry.subject(idNumber: zhang.id))
        let notices = try await fixture.services.applications.notifications(subject: .person(zhangSubject))
        #expect(
            notices.filter { $0.kind == "rating_invitation" }.count == 2
                && notices.contains { $0.message.contains("/my/ratings") && $0.message.contains("居住登记") },
            "\(notices.map(\.message))")
        let statistics = try await fixture.services.credentials.create(
            department: "RSJ", scopes: [.statisticsRead], label: "supervisor", actor: "test"
        ).token
        let gaj = try await fixture.services.credentials.create(department: "GAJ", scopes: [.applicationsProcess], label: "w", actor: "test").token
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let zhangSession = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
        let liSession = try await IdentityFixtures.windowSession(fixture.services, person: li)
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ token: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, Data) {
                try await client.execute(
                    uri: uri, method: body == nil ? .get : .post, headers: ConsentAPITests.bearer(token),
                    body: body.map { ByteBuffer(string: $0) }
                ) { ($0.status, Data($0.body.readableBytesView)) }
            }
            var (status, data) = try await call("/v1/applicant/ratings", zhangSession.token)
            let mine = try decoder.decode(List.self, from: data).ratings
            #expect(status == .ok && Set(mine.map(\.application)) == [first, rejected.id] && mine.allSatisfy { $0.score == nil })
            let invitation = try #require(mine.first { $0.application == first })
            let liInvitation = try #require(
                try decoder.decode(List.self, from: try await call("/v1/applicant/ratings", liSession.token).1).ratings.first)

            // Refusals by code: another person's, out of range, unknown tag, a comment too long.
            for (token, id, body, expected) in [
                (liSession.token, invitation.id, #"{"score": 5}"#, "not_found"),
                (zhangSession.token, invitation.id, #"{"score": 6}"#, "invalid_input"),
                (zhangSession.token, invitation.id, #"{"score": 0}"#, "invalid_input"),
                (zhangSession.token, invitation.id, #"{"score": 4, "tags": ["fast", "bribe"]}"#, "invalid_input"),
                (zhangSession.token, invitation.id, #"{"score": 4, "tags": ["fast", "fast"]}"#, "invalid_input"),
                (zhangSession.token, invitation.id, #"{"score": 4, "comment": "\#(String(repeating: "慢", count: 201))"}"#, "invalid_input"),
                // 41 family emoji: 41 characters to Swift, 205 scalars to the database's limit.
                (zhangSession.token, invitation.id, #"{"score": 4, "comment": "\#(String(repeating: "👨‍👩‍👧", count: 41))"}"#, "invalid_input"),
                (zhangSession.token, String(repeating: "0", count: 32), #"{"score": 4}"#, "not_found"),
            ] {
                (status, data) = try await call("/v1/applicant/ratings/\(id)", token, body)
                #expect(ConsentAPITests.errorCode(data) == expected && status.code < 500, "\(body): \(String(decoding: data, as: UTF8.self))")
            }
            (status, data) = try await call(
                "/v1/applicant/ratings/\(invitation.id)", zhangSession.token,
                #"{"score": 5, "tags": ["done_in_one_visit", "fast"], "comment": "一次办成，很快"}"#)
            #expect(status == .ok && (try? decoder.decode(View.self, from: data))?.score == 5)
            (status, data) = try await call("/v1/applicant/ratings/\(invitation.id)", zhangSession.token, #"{"score": 1}"#)
            #expect(status == .conflict && ConsentAPITests.errorCode(data) == "already_rated", "rated once")
            // A browser's line break (CR LF) is a line break, not a control character.
            (status, data) = try await call(
                "/v1/applicant/ratings/\(liInvitation.id)", liSession.token, #"{"score": 2, "tags": ["long_wait"], "comment": "等了很久\r\n窗口太少"}"#)
            #expect(status == .ok && (try? decoder.decode(View.self, from: data))?.score == 2, "\(String(decoding: data, as: UTF8.self))")

            // Figures: supervisors only; the formula as documented.
            (status, _) = try await call("/v1/ratings/figures", gaj)
            #expect(status == .forbidden)
            (status, data) = try await call("/v1/ratings/figures?from=2026-13-01", statistics)
            #expect(status == .badRequest && ConsentAPITests.errorCode(data) == "invalid_input")
            (status, data) = try await call("/v1/ratings/figures", statistics)
            let figures = try decoder.decode(Figures.self, from: data)
            #expect(figures.count == 2 && figures.districtMean == 3.5 && figures.priorWeight == 10)
            let department = try #require(figures.departments.first)
            // (10 × 3.5 + 5 + 2) / (10 + 2) = 3.5
            #expect(department.key == "GAJ" && department.name != nil && department.count == 2 && department.weighted == 3.5 && department.poor == 1)
            // GA-0042: (35 + 5) / 11 = 3.64; GA-0007: (35 + 2) / 11 = 3.36 — the better first.
            #expect(figures.clerks.map(\.key) == ["GA-0042", "GA-0007"] && figures.clerks.map(\.weighted) == [3.64, 3.36], "\(figures.clerks)")
            #expect(figures.tags == ["done_in_one_visit": 1, "fast": 1, "long_wait": 1])
            #expect(figures.complaintCauses == ["long_wait": 1], "the poor rating's tag is the complaint's cause")
            // The same figures counted afresh from the stored ratings (a database upgraded from before the daily figures).
            try await fixture.services.database.write { db in try db.executeScript("DELETE FROM daily_figures; DELETE FROM figures_built") }
            (status, data) = try await call("/v1/ratings/figures", statistics)
            let again = try await call("/v1/ratings/figures", statistics)
            #expect(status == .ok && data == again.1, "the recount happens once")
            let recounted = try decoder.decode(Figures.self, from: data)
            #expect(recounted.count == 2 && recounted.clerks.map(\.weighted) == [3.64, 3.36] && recounted.complaintCauses == ["long_wait": 1])

            // Volumes: three 居住登记 submitted at GAJ, two closed, one rejected; as JSON and as CSV.
            struct Volumes: Decodable {
                struct Department: Decodable {
                    var department: String; var submitted: Int; var closed: Int; var rejected: Int; var trust: Int; var revoked: Int
                }
                struct Month: Decodable { var month: String; var submitted: Int }
                var departments: [Department]; var months: [Month]
            }
            (status, data) = try await call("/v1/statistics/volumes", statistics)
            let volumes = try decoder.decode(Volumes.self, from: data)
            let gajVolume = try #require(volumes.departments.first { $0.department == "GAJ" })
            #expect(gajVolume.submitted == 3 && gajVolume.closed == 2 && gajVolume.rejected == 1 && gajVolume.trust == 0, "\(gajVolume)")
            #expect(volumes.months.reduce(0) { $0 + $1.submitted } >= 3 && volumes.months.last?.submitted ?? 0 >= 3)
            (status, data) = try await call("/v1/statistics/volumes?format=csv", statistics)
            let csv = String(decoding: data, as: UTF8.self).split(separator: "\r\n")
            #expect(
                status == .ok && csv.first?.hasPrefix("\u{FEFF}department,name,submitted") == true
                    && csv.contains { $0.hasPrefix("GAJ,\"") && $0.contains(",3,0,0,2,1,0,") },
                "\(csv)")
            // The ratings, reviews and needs as CSV too, one table each.
            for (path, header, row) in [
                ("/v1/ratings/figures", "level,key,department,name,count,mean,weighted,poor", "department,\"GAJ\",GAJ,\""),
                ("/v1/statistics/reviews", "department,name,reviewed,mean_working_days", "GAJ,\""),
                ("/v1/statistics/needs", "kind,name,year,count", nil),
            ] {
                let answer = try await client.execute(uri: path + "?format=csv", method: .get, headers: ConsentAPITests.bearer(statistics)) { $0 }
                let lines = String(buffer: answer.body).split(separator: "\r\n")
                #expect(
                    answer.status == .ok && answer.headers[.contentType] == "text/csv; charset=utf-8"
                        && lines.first?.hasPrefix("\u{FEFF}" + header) == true,
                    "\(path): \(lines)")
                if let row { #expect(lines.contains { $0.hasPrefix(row) }, "\(path): \(lines)") }
            }
            (status, data) = try await call("/v1/statistics/volumes?format=xml", statistics)
            #expect(status == .badRequest && ConsentAPITests.errorCode(data) == "invalid_input")

            // The public ranking page: no sign-in, the department and its score.
            let page = try await client.execute(uri: "/figures", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(
                page.0 == .ok && page.1.contains("第 1 名") && page.1.contains("综合得分 <strong>3.50</strong>") && page.1.contains("2 条评价"),
                "\(page.1.suffix(1200))")
            #expect(page.1.contains("每月受理量") && page.1.contains("<svg") && page.1.contains("近 12 个月共受理 3 件"), "the monthly chart")

            // Thirty days on, the rejected application's invitation is closed.
            clock.advance(by: 31 * 86_400)
            let later = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
            let open = try #require(mine.first { $0.application == rejected.id })
            (status, data) = try await call("/v1/applicant/ratings/\(open.id)", later.token, #"{"score": 3}"#)
            #expect(status == .conflict && ConsentAPITests.errorCode(data) == "rating_closed")
        }
        let events = try await AuditLog.events(in: fixture.services.database, limit: 300).filter { $0.action == "rating.recorded" }
        #expect(events.count == 2 && events.allSatisfy { !$0.details.contains("一次办成") }, "recorded, without the comment")
        let error = await #expect(throws: SQLFailure.self) {
            try await fixture.services.database.write { db in try db.execute(sql: "UPDATE service_ratings SET score = 1 WHERE score = 5") }
        }
        #expect(error?.kind == .ruleViolation, "a rating is kept as given")
        _ = second
    }

    @Test(
        "A window service without an application invites the person to rate it: by the API (201; again the same day 200, the same invitation, nothing sent) and from the station's person page; rated like an application and counted for the clerk; refusals by code, a matter of another department audited"
    )
    func windowService() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let zhang = IdentityFixtures.zhang, li = IdentityFixtures.li
        let gaj = try await fixture.services.credentials.create(
            department: "GAJ", scopes: [.applicationsProcess, .creditRead], label: "w", actor: "test"
        ).token
        let statistics = try await fixture.services.credentials.create(department: "RSJ", scopes: [.statisticsRead], label: "s", actor: "test").token
        let zhangSubject = SubjectID.person(try #require(try await fixture.services.identity.registry.subject(idNumber: zhang.id)))
        let liSubject = SubjectID.person(try #require(try await fixture.services.identity.registry.subject(idNumber: li.id)))
        struct Invitation: Decodable {
            var rating: String; var service: String; var department: String; var matter: String?; var clerk: String?; var invited: Bool
        }
        struct Mine: Decodable { var ratings: [Rated]; struct Rated: Decodable { var id: String; var application: String?; var service: String? } }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ token: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, Data) {
                try await client.execute(
                    uri: uri, method: body == nil ? .get : .post, headers: ConsentAPITests.bearer(token),
                    body: body.map { ByteBuffer(string: $0) }
                ) { ($0.status, Data($0.body.readableBytesView)) }
            }
            let body = #"{"idNumber": "\#(zhang.id)", "service": "consultation", "matter": "JZDJ", "clerk": "ga-0042"}"#
            var (status, data) = try await call("/v1/window-services", gaj, body)
            #expect(status == .created, "\(String(decoding: data, as: UTF8.self))")
            let invitation = try decoder.decode(Invitation.self, from: data)
            #expect(
                invitation.invited && invitation.service == "consultation" && invitation.department == "GAJ" && invitation.matter == "JZDJ"
                    && invitation.clerk == "GA-0042")
            #expect(!String(decoding: data, as: UTF8.self).contains(zhang.id), "no person data in the answer")
            (status, data) = try await call("/v1/window-services", gaj, body)
            let again = try decoder.decode(Invitation.self, from: data)
            #expect(status == .ok && !again.invited && again.rating == invitation.rating, "once a day per clerk")
            let notices = try await fixture.services.applications.notifications(subject: zhangSubject).filter { $0.kind == "rating_invitation" }
            #expect(
                notices.count == 1 && notices[0].message.contains("咨询：居住登记") && notices[0].message.contains("/my/ratings"),
                "\(notices.map(\.message))")

            let deniedBefore = try await fixture.auditCount(action: "auth.denied")
            for (request, expectedStatus, expectedCode) in [
                (#"{"idNumber": "\#(zhang.id)", "service": "bribe", "clerk": "GA-0042"}"#, HTTPResponse.Status.badRequest, "invalid_input"),
                (#"{"idNumber": "\#(zhang.id)", "service": "other", "clerk": "GA 42"}"#, .badRequest, "invalid_input"),
                (#"{"idNumber": "\#(zhang.id)", "service": "other", "clerk": "GA-0042", "score": 5}"#, .badRequest, "invalid_input"),
                (#"{"idNumber": "110101199003078515", "service": "other", "clerk": "GA-0042"}"#, .notFound, "unknown_person"),
                (#"{"idNumber": "\#(zhang.id)", "service": "other", "clerk": "GA-0042", "matter": "NOPE"}"#, .notFound, "unknown_matter"),
                (#"{"idNumber": "\#(zhang.id)", "service": "other", "clerk": "GA-0042", "matter": "GRCBZM"}"#, .forbidden, "forbidden"),
            ] {
                (status, data) = try await call("/v1/window-services", gaj, request)
                #expect(
                    status == expectedStatus && ConsentAPITests.errorCode(data) == expectedCode,
                    "\(request): \(String(decoding: data, as: UTF8.self))")
            }
            #expect(try await fixture.auditCount(action: "auth.denied") == deniedBefore + 1, "the other department's matter is audited")
            (status, _) = try await call("/v1/window-services", statistics, body)
            #expect(status == .forbidden)
            // However many clerk numbers are named, one department invites one person at most three times a day.
            for clerk in ["GA-0002", "GA-0003"] {
                (status, _) = try await call("/v1/window-services", gaj, body.replacingOccurrences(of: "ga-0042", with: clerk))
                #expect(status == .created)
            }
            let limited = try await client.execute(
                uri: "/v1/window-services", method: .post, headers: ConsentAPITests.bearer(gaj),
                body: ByteBuffer(string: body.replacingOccurrences(of: "ga-0042", with: "GA-0004"))
            ) { $0 }
            #expect(
                limited.status == .tooManyRequests && ConsentAPITests.errorCode(Data(limited.body.readableBytesView)) == "rate_limited"
                    && Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
            #expect(try await fixture.auditCount(action: "auth.denied") == deniedBefore + 3, "the refused fourth is audited")

            // At the station: the person page offers the form; the clerk signed in is the one rated.
            let session = ApplicantPageTests.value(
                ApplicantPageTests.setCookie(
                    try await WindowPageTests.signIn(client, credential: gaj, clerkId: "GA-0007"),
                    WindowPages.sessionCookie))
            let cookies = [WindowPages.sessionCookie: session]
            let page = try await client.execute(
                uri: "/window/person?idNumber=\(li.id)&matter=JZDJ", method: .get,
                headers: ApplicantPageTests.cookieHeader(cookies)
            ) { String(buffer: $0.body) }
            #expect(page.contains("action=\"/window/person/served\"") && page.contains("value=\"document_pickup\""))
            var (headers, form) = ApplicantPageTests.form(
                [
                    "csrf": PageCookies.csrfToken(session: session), "idNumber": li.id, "matter": "JZDJ",
                    "service": "document_pickup",
                ], cookies: cookies)
            let served = try await client.execute(uri: "/window/person/served", method: .post, headers: headers, body: form) {
                ($0.status, String(buffer: $0.body))
            }
            #expect(served.0 == .created && served.1.contains("已向办事人发送评价邀请"))
            (headers, form) = ApplicantPageTests.form(["csrf": "forged", "idNumber": zhang.id, "service": "other"], cookies: cookies)
            #expect(try await client.execute(uri: "/window/person/served", method: .post, headers: headers, body: form) { $0.status } == .forbidden)

            // The person rates it like an application; the figures count it for the clerk.
            let liSession = try await IdentityFixtures.windowSession(fixture.services, person: li)
            (status, data) = try await call("/v1/applicant/ratings", liSession.token)
            let liRatings = try decoder.decode(Mine.self, from: data).ratings
            #expect(liRatings.count == 1 && liRatings[0].application == nil && liRatings[0].service == "document_pickup")
            (status, data) = try await call("/v1/applicant/ratings/\(liRatings[0].id)", liSession.token, #"{"score": 4, "tags": ["fast"]}"#)
            #expect(status == .ok, "\(String(decoding: data, as: UTF8.self))")
            let ratingsPage = try await client.execute(
                uri: "/my/ratings", method: .get,
                headers: ApplicantPageTests.cookieHeader([PageCookies.session: liSession.token])
            ) { String(buffer: $0.body) }
            #expect(ratingsPage.contains("证照领取：居住登记") && ratingsPage.contains("★★★★☆"))
            (status, data) = try await call("/v1/ratings/figures", statistics)
            #expect(try decoder.decode(Figures.self, from: data).clerks.map(\.key) == ["GA-0007"])
        }
        #expect(try await fixture.services.applications.notifications(subject: liSubject).contains { $0.message.contains("证照领取：居住登记") })
        let invited = try await AuditLog.events(in: fixture.services.database, limit: 300).filter { $0.action == "rating.invited" }
        #expect(invited.count == 4 && invited.allSatisfy { !$0.details.contains(zhang.id) && !$0.details.contains(li.id) })
        #expect(invited.contains { $0.actor.hasSuffix("/clerk:GA-0007") })
    }

    @Test(
        "Residents state the services they expect to need by year (schooling for the coming years, housing, a loan, other with what); restating replaces; planners read the counts per kind and year; bad kinds, years and details refused by code"
    )
    func needs() async throws {
        let fixture = try await ServerFixture()
        let statistics = try await fixture.services.credentials.create(department: "RSJ", scopes: [.statisticsRead], label: "planner", actor: "test")
            .token
        let zhang = try await IdentityFixtures.windowSession(fixture.services, person: IdentityFixtures.zhang)
        let li = try await IdentityFixtures.windowSession(fixture.services, person: IdentityFixtures.li)
        let year = ChinaTime(Date()).year
        struct Counts: Decodable { struct Row: Decodable { var kind: String; var year: Int; var count: Int }; var needs: [Row] }
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ token: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, Data) {
                try await client.execute(
                    uri: uri, method: body == nil ? .get : .post, headers: ConsentAPITests.bearer(token),
                    body: body.map { ByteBuffer(string: $0) }
                ) { ($0.status, Data($0.body.readableBytesView)) }
            }
            for (body, expected) in [
                (#"{"kind": "space_station", "years": [\#(year)]}"#, "invalid_input"),
                (#"{"kind": "schooling", "years": [\#(year + 6)]}"#, "invalid_input"),
                (#"{"kind": "schooling", "years": [\#(year - 1)]}"#, "invalid_input"),
                (#"{"kind": "schooling", "years": [\#(year), \#(year)]}"#, "invalid_input"),
                (#"{"kind": "other", "years": [\#(year)]}"#, "invalid_input"),
                (#"{"kind": "other", "years": [\#(year)], "detail": "\#(String(repeating: "需", count: 201))"}"#, "invalid_input"),
            ] {
                let (status, data) = try await call("/v1/applicant/needs", zhang.token, body)
                #expect(
                    status == .badRequest && ConsentAPITests.errorCode(data) == expected,
                    "\(body.prefix(80)): \(String(decoding: data, as: UTF8.self))")
            }
            var (status, _) = try await call(
                "/v1/applicant/needs", zhang.token, #"{"kind": "schooling", "years": [\#(year + 1), \#(year + 2)], "detail": "小学"}"#)
            #expect(status == .created)
            (status, _) = try await call("/v1/applicant/needs", zhang.token, #"{"kind": "schooling", "years": [\#(year + 1)], "detail": "小学一年级"}"#)
            #expect(status == .created, "restating replaces")
            (status, _) = try await call("/v1/applicant/needs", li.token, #"{"kind": "schooling", "years": [\#(year + 1)]}"#)
            (status, _) = try await call("/v1/applicant/needs", li.token, #"{"kind": "public_housing", "years": [\#(year)]}"#)
            let (_, mine) = try await call("/v1/applicant/needs", zhang.token)
            #expect(String(decoding: mine, as: UTF8.self).contains("小学一年级") && !String(decoding: mine, as: UTF8.self).contains("public_housing"))
            (status, _) = try await call("/v1/statistics/needs", zhang.token)
            #expect(status == .unauthorized || status == .forbidden, "an applicant's session is not a planner's credential")
            let (_, data) = try await call("/v1/statistics/needs", statistics)
            let counts = try JSONDecoder().decode(Counts.self, from: data).needs
            #expect(
                counts.first { $0.kind == "schooling" && $0.year == year + 1 }?.count == 2
                    && counts.first { $0.kind == "schooling" && $0.year == year + 2 }?.count == 1
                    && counts.first { $0.kind == "public_housing" }?.count == 1 && counts.count == 3, "\(counts)")
        }
        let stated = try await AuditLog.events(in: fixture.services.database, limit: 100).filter { $0.action == "need.stated" }
        #expect(stated.count == 4 && stated.allSatisfy { !$0.details.contains("小学") }, "audited without the detail")
    }
}
