import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
import ZeroTripDocuments
@testable import ZeroTripServer
import ZeroTripDomainTestSupport

/// The window station's sign-in and sessions through the production router (the browser test drives the whole
/// counter flow).
@Suite("Window station: clerk sign-in, sessions and refusals")
struct WindowPageTests {
    static let clerk = ["clerkId": "GA-0042", "clerkName": "赵文静", "station": "3号窗口"]

    /// Signs a clerk (default: ``clerk``) in with `credential`; the response.
    static func signIn(_ client: some TestClientProtocol, credential: String, clerkId: String? = nil) async throws -> TestResponse {
        let login = try await client.execute(uri: "/window/login", method: .get) { $0 }
        let pre = ApplicantPageTests.value(ApplicantPageTests.setCookie(login, WindowPages.preSessionCookie))
        let who = clerk.merging(clerkId.map { ["clerkId": $0] } ?? [:]) { _, new in new }
        let (headers, body) = ApplicantPageTests.form(
            who.merging(["csrf": pre, "credential": credential]) { a, _ in a },
            cookies: [WindowPages.preSessionCookie: pre])
        return try await client.execute(uri: "/window/login", method: .post, headers: headers, body: body) { $0 }
    }

    @Test(
        "A clerk signs in with a department credential (HttpOnly, SameSite=Strict cookie on /window); a wrong credential is 401, one without window scopes 403 and audited; every step is recorded under the credential and the clerk"
    )
    func signIn() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let window = try await fixture.services.credentials.create(
            department: "RSJ", scopes: [.creditRead, .applicationsProcess], label: "window", actor: "test")
        try await fixture.application().test(.router) { client in
            let wrong = try await Self.signIn(client, credential: "zt_0000000000000000_wrong")
            #expect(wrong.status == .unauthorized && String(buffer: wrong.body).contains("凭证无效"))
            #expect(ApplicantPageTests.setCookie(wrong, WindowPages.sessionCookie) == nil)

            let issuer = try #require(fixture.tokens[.documentsIssue])
            let noWindowScope = try await Self.signIn(client, credential: issuer)
            #expect(noWindowScope.status == .forbidden)
            let refused = try await AuditLog.events(in: fixture.services.database, limit: 20).filter {
                $0.target == "route:POST /window/login" && $0.outcome == "denied"
            }
            #expect(refused.count == 1 && refused[0].details.contains("missing_scope"))

            let signedIn = try await Self.signIn(client, credential: window.token)
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/window/")
            let cookie = try #require(ApplicantPageTests.setCookie(signedIn, WindowPages.sessionCookie))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/window"))
            let session = ApplicantPageTests.value(cookie)
            let headers = ApplicantPageTests.cookieHeader([WindowPages.sessionCookie: session])
            try await client.execute(uri: "/window/person?idNumber=440604197803150419&matter=GRCBZM", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                #expect(page.contains("陈建国") && page.contains("信用等级"))
            }
            let reads = try await AuditLog.events(in: fixture.services.database, limit: 20).filter { $0.action == "credit.read" }
            #expect(reads.last?.actor == "credential:\(window.info.id)/clerk:GA-0042", "the read names the credential and the clerk")

            // A step posted without the session's token changes nothing and is audited under the clerk.
            let (forged, body) = ApplicantPageTests.form(
                [
                    "csrf": "forged", "matter": "GRCBZM", "idNumber": "440604197803150419", "name": "陈建国",
                    "m_ID_CARD": "1", "mode": "standard",
                ], cookies: [WindowPages.sessionCookie: session])
            try await client.execute(uri: "/window/applications", method: .post, headers: forged, body: body) { #expect($0.status == .forbidden) }
            #expect(try await fixture.services.applications.applications(department: "RSJ").isEmpty)

            // Revoking the credential ends the station's session at its very next request (a station's session reads its
            // credential afresh: no cache to outlast).
            _ = try await fixture.services.credentials.revoke(id: window.info.id, actor: "test")
            try await client.execute(uri: "/window/", method: .get, headers: headers) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/window/login?expired=1")
            }
        }
    }

    @Test("Another department's application is refused with a page and audited; a matter of another department cannot be read at this window")
    func otherDepartments() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let gaj = try await fixture.services.credentials.create(
            department: "GAJ", scopes: [.creditRead, .applicationsProcess], label: "gaj", actor: "test")
        let theirs = try await fixture.services.applications.submit(
            NewApplication(
                matterCode: "GRCBZM", idNumber: "440604197803150419", name: "陈建国",
                mode: .standard, provided: ["ID_CARD"]), department: "RSJ", actor: "test")
        try await fixture.application().test(.router) { client in
            let signedIn = try await Self.signIn(client, credential: gaj.token)
            let headers = ApplicantPageTests.cookieHeader([
                WindowPages.sessionCookie: ApplicantPageTests.value(ApplicantPageTests.setCookie(signedIn, WindowPages.sessionCookie))
            ])
            try await client.execute(uri: "/window/applications/\(theirs.id)", method: .get, headers: headers) { response in
                #expect(response.status == .forbidden && !String(buffer: response.body).contains("陈建国"))
            }
            let denied = try await AuditLog.events(in: fixture.services.database, limit: 20).filter {
                $0.outcome == "denied" && $0.actor.hasSuffix("/clerk:GA-0042")
            }
            #expect(!denied.isEmpty, "the refusal is audited under the clerk")
            try await client.execute(uri: "/window/person?idNumber=440604197803150419&matter=GRCBZM", method: .get, headers: headers) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("请选择本部门的办理事项"))
            }
        }
    }

    @Test(
        "The card check at the counter records a tier-3 identity check under the clerk and hands the applicant's phone a one-time code; the phone must confirm with a POST, and the code works once"
    )
    func handOff() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let window = try await fixture.services.credentials.create(
            department: "GAJ", scopes: [.creditRead, .applicationsProcess, .identityAttest],
            label: "w", actor: "test")
        try await fixture.application().test(.router) { client in
            let signedIn = try await Self.signIn(client, credential: window.token)
            let session = ApplicantPageTests.value(ApplicantPageTests.setCookie(signedIn, WindowPages.sessionCookie))
            let csrf = PageCookies.csrfToken(session: session)
            let (headers, body) = ApplicantPageTests.form(
                [
                    "csrf": csrf, "idNumber": "440604197803150419", "name": "陈建国", "matter": "JZDJ",
                    "validFrom": "2018-04-15", "validUntil": "2038-04-15", "faceMatched": "1",
                ],
                cookies: [WindowPages.sessionCookie: session])
            let page = try await client.execute(uri: "/window/person/card", method: .post, headers: headers, body: body) { String(buffer: $0.body) }
            let link = try #require(
                page.firstMatch(of: /\/my\/handoff\?v=([0-9a-f]+)&amp;s=([A-Za-z0-9_-]+)|\/my\/handoff\?v=([0-9a-f]+)&s=([A-Za-z0-9_-]+)/))
            let v = String(link.1 ?? link.3!), s = String(link.2 ?? link.4!)
            let checks = try await fixture.services.identity.assuranceRecords(
                subject: try #require(try await fixture.services.identity.registry.subject(idNumber: "440604197803150419")))
            #expect(checks.last?.tier == 3 && checks.last?.agent.hasSuffix("/clerk:GA-0042") == true)

            // Opening the link signs nobody in; the confirmation does, once.
            let landing = try await client.execute(uri: "/my/handoff?v=\(v)&s=\(s)", method: .get) { $0 }
            #expect(landing.status == .ok && ApplicantPageTests.setCookie(landing, PageCookies.session) == nil)
            let pre = ApplicantPageTests.value(ApplicantPageTests.setCookie(landing, PageCookies.preSession))
            for expected in [HTTPResponse.Status.seeOther, .unauthorized] {
                let (claim, claimBody) = ApplicantPageTests.form(["csrf": pre, "v": v, "s": s], cookies: [PageCookies.preSession: pre])
                try await client.execute(uri: "/my/handoff", method: .post, headers: claim, body: claimBody) { response in
                    #expect(response.status == expected)
                    if expected == .seeOther { #expect(ApplicantPageTests.setCookie(response, PageCookies.session)?.contains("zta1.") == true) }
                }
            }
        }
    }

    @Test("A page's back link stays on the station whatever the Referer says")
    func backLink() {
        #expect(WindowPages.localPath("http://127.0.0.1:8080/window/person?idNumber=1&matter=JZDJ") == "/window/person?idNumber=1&matter=JZDJ")
        let quoted = WindowPages.localPath("http://127.0.0.1:8080/window/person?x=\"><script>")
        #expect(quoted.hasPrefix("/window/person") && !quoted.contains("<") && !quoted.contains("\""), "\(quoted)")
        #expect(WindowPages.localPath("/window/applications/abc") == "/window/applications/abc")
        for hostile in ["//evil.example/window", "https://evil.example/", "/\\evil.example", "/my/", "javascript:alert(1)", "/window//evil"] {
            #expect(WindowPages.localPath(hostile) == "/window/", "\(hostile)")
        }
    }

    @Test(
        "At the counter a clerk records the applicant's consent after a fresh card check, sees the applicant's valid results for the materials that accept them, and submits naming one: the material counts as provided with the document, the grant lasts for that application, each read is audited; without documents:reuse the page says so"
    )
    func namingResults() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let window = try await fixture.services.credentials.create(
            department: "GAJ", scopes: [.creditRead, .applicationsProcess, .identityAttest, .documentsReuse],
            label: "w", actor: "test")
        let narrow = try await fixture.services.credentials.create(
            department: "GAJ", scopes: [.creditRead, .applicationsProcess], label: "n", actor: "test")
        let idNumber = "440604197803150419"
        let proof = try await fixture.services.documents.issue(
            IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: "陈建国", holderIDNumber: idNumber,
                fields: [ResultField(label: "参保状态", value: "正常参保")], validDays: 90, pickupMode: .qrSelfPrint), actor: "test")
        let subject = try #require(try await fixture.services.identity.registry.subject(idNumber: idNumber))
        try await fixture.application().test(.router) { client in
            let session = ApplicantPageTests.value(
                ApplicantPageTests.setCookie(try await Self.signIn(client, credential: window.token), WindowPages.sessionCookie))
            let csrf = PageCookies.csrfToken(session: session)
            func page(_ cookie: String) async throws -> String {
                try await client.execute(
                    uri: "/window/person?idNumber=\(idNumber)&matter=JZDJ", method: .get,
                    headers: ApplicantPageTests.cookieHeader([WindowPages.sessionCookie: cookie])
                ) { String(buffer: $0.body) }
            }
            func post(_ path: String, _ fields: [String: String]) async throws -> TestResponse {
                let (headers, body) = ApplicantPageTests.form(
                    fields.merging(["csrf": csrf]) { a, _ in a }, cookies: [WindowPages.sessionCookie: session])
                return try await client.execute(uri: path, method: .post, headers: headers, body: body) { $0 }
            }
            var text = try await page(session)
            #expect(
                text.contains("尚未授权") && text.contains("请先读卡核验") && !text.contains("action=\"/window/consents\""), "no fresh check: no consent form")
            _ = try await post(
                "/window/person/card",
                [
                    "idNumber": idNumber, "name": "陈建国", "matter": "JZDJ", "validFrom": "2018-04-15",
                    "validUntil": "2038-04-15", "faceMatched": "1",
                ])
            text = try await page(session)
            let assurance = try #require(text.firstMatch(of: /name="assuranceId" value="([0-9]+)"/)).1
            let recorded = try await post("/window/consents", ["idNumber": idNumber, "matter": "JZDJ", "assuranceId": String(assurance)])
            #expect(recorded.status == .seeOther && recorded.headers[.location] == "/window/person?idNumber=\(idNumber)&matter=JZDJ")
            text = try await page(session)
            #expect(text.contains("办事人已授权本部门调用") && text.contains("窗口授权") && text.contains("至本次办件办结"))
            #expect(
                text.contains("name=\"d_EMPLOYMENT_PROOF\"") && text.contains("<option value=\"\(proof.record.id.rawValue)\" selected>"),
                "the result is offered for the material")
            let narrowSession = ApplicantPageTests.value(
                ApplicantPageTests.setCookie(try await Self.signIn(client, credential: narrow.token), WindowPages.sessionCookie))
            let narrowPage = try await page(narrowSession)
            #expect(narrowPage.contains("documents:reuse") && !narrowPage.contains(proof.record.id.rawValue), "without the scope nothing is read")

            let submitted = try await post(
                "/window/applications",
                [
                    "matter": "JZDJ", "idNumber": idNumber, "name": "陈建国", "m_ID_CARD": "1",
                    "m_RESIDENCE_PROOF": "1", "m_PHOTO": "1", "d_EMPLOYMENT_PROOF": proof.record.id.rawValue, "mode": "standard",
                ])
            #expect(submitted.status == .seeOther)
            let applicationID = String(try #require(submitted.headers[.location]).dropFirst("/window/applications/".count))
            let application = try await fixture.services.applications.application(applicationID)
            #expect(
                application.materials.first { $0.code == "EMPLOYMENT_PROOF" }.map { $0.provided && $0.documentID == proof.record.id } == true
            )
            let grants = try await fixture.services.consent.grants(subject: .person(subject))
            #expect(
                grants.count == 1 && grants[0].channel == .window && grants[0].application == applicationID
                    && grants[0].grantedBy.hasSuffix("/clerk:GA-0042"))
            // The grant served this application: the page no longer offers the result for a new one.
            text = try await page(session)
            #expect(text.contains("尚未授权") && !text.contains("<option value=\"\(proof.record.id.rawValue)\""))
        }
        let reads = try await AuditLog.events(in: fixture.services.database, limit: 200).filter {
            $0.action == "document.reused" && $0.target == "document:\(proof.record.id.rawValue)"
        }
        #expect(reads.count == 2, "the page view under the grant and the application: \(reads.map(\.details))")
    }

    @Test(
        "积分审核 at the window: the department's claims and disputes with whose they are (masked), the proof, decisions under the signed-in clerk's number; a clerk outside the staff directory is refused and audited, the claim's reviewer cannot decide its dispute, a credential without points:review sees no queue"
    )
    func pointsReview() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let services = fixture.services
        try await PointsFixtures.load(services)
        _ = try await services.supervision.putStaff(
            department: "GAJ", clerk: "GA-0042", name: "赵文静", phone: "13900000042", role: .reviewer, actor: "test")
        _ = try await services.supervision.putStaff(
            department: "GAJ", clerk: "GA-0001", name: "周建华", phone: "13900000001", role: .supervisor, actor: "test")
        let reviewer = try await services.credentials.create(
            department: "GAJ", scopes: [.applicationsProcess, .pointsReview], label: "w", actor: "test")
        let processing = try await services.credentials.create(department: "GAJ", scopes: [.applicationsProcess], label: "p", actor: "test")
        let li = try await PointsFixtures.subject(services, IdentityFixtures.li.id)
        let claim = try await services.points.claim(
            subject: li, indicator: "education", option: "本科", statement: "毕业证书", evidence: PointsFixtures.png,
            actor: "person:li")
        try await fixture.application().test(.router) { client in
            func session(_ token: String, clerk: String? = nil) async throws -> String {
                ApplicantPageTests.value(
                    ApplicantPageTests.setCookie(try await Self.signIn(client, credential: token, clerkId: clerk), WindowPages.sessionCookie))
            }
            func get(_ path: String, _ cookie: String) async throws -> TestResponse {
                try await client.execute(uri: path, method: .get, headers: ApplicantPageTests.cookieHeader([WindowPages.sessionCookie: cookie])) {
                    $0
                }
            }
            func post(_ path: String, _ cookie: String, _ fields: [String: String]) async throws -> TestResponse {
                let (headers, body) = ApplicantPageTests.form(
                    fields.merging(["csrf": PageCookies.csrfToken(session: cookie)]) { a, _ in a },
                    cookies: [WindowPages.sessionCookie: cookie])
                return try await client.execute(uri: path, method: .post, headers: headers, body: body) { $0 }
            }
            let first = try await session(reviewer.token)
            var page = String(buffer: try await get("/window/points", first).body)
            #expect(
                page.contains(IdentityFixtures.li.name) && page.contains("学历：本科") && page.contains("/window/points/claims/\(claim.id)/evidence")
                    && !page.contains(IdentityFixtures.li.id) && page.contains("*"), "whose claim, masked: \(page)")
            let proof = try await get("/window/points/claims/\(claim.id)/evidence", first)
            #expect(
                proof.status == .ok && [UInt8](buffer: proof.body) == PointsFixtures.png && proof.headers[.contentType] == "image/png"
                    && proof.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(
                String(buffer: try await get("/window/points", try await session(processing.token)).body).contains("points:review"),
                "without the scope the page says which one is missing")

            // A clerk outside the staff directory: refused, audited, nothing decided.
            let deniedBefore = try await fixture.auditCount(action: "auth.denied")
            let stranger = try await session(reviewer.token, clerk: "GA-0099")
            let refused = try await post("/window/points/claims/\(claim.id)", stranger, ["decision": "approve", "reason": "核验原件"])
            #expect(refused.status == .forbidden && String(buffer: refused.body).contains("不是本部门登记的审核人员"))
            #expect(try await fixture.auditCount(action: "auth.denied") == deniedBefore + 1)
            #expect(try await services.points.pendingClaims(department: "GAJ").map(\.item.id) == [claim.id])

            let decided = try await post("/window/points/claims/\(claim.id)", first, ["decision": "reject", "reason": "学信网查无此证"])
            #expect(decided.status == .seeOther && decided.headers[.location] == "/window/points")
            #expect(try await services.points.pendingClaims(department: "GAJ").isEmpty)
            #expect(try await services.points.statement(subject: li, disclosingCredit: true).claims.first?.decision == "rejected")

            // The dispute: not by the claim's reviewer; the supervisor corrects it, within the cap.
            let dispute = try await services.points.dispute(
                subject: li, indicator: "education", claim: claim.id, reason: "学信网可查", actor: "person:li",
                disclosingCredit: true)
            page = String(buffer: try await get("/window/points", first).body)
            #expect(page.contains("原审核：工号 GA-0042") && page.contains("/window/points/disputes/\(dispute.id)"))
            let same = try await post("/window/points/disputes/\(dispute.id)", first, ["points": "30", "reason": "改判"])
            #expect(same.status == .conflict && String(buffer: same.body).contains("另一位审核人员"))
            let supervisor = try await session(reviewer.token, clerk: "GA-0001")
            let bad = try await post("/window/points/disputes/\(dispute.id)", supervisor, ["points": "三十", "reason": "改判"])
            #expect(bad.status == .badRequest)
            let corrected = try await post("/window/points/disputes/\(dispute.id)", supervisor, ["points": "30", "reason": "经学信网核实属实"])
            #expect(corrected.status == .seeOther)
            let outcome = try await services.points.statement(subject: li, disclosingCredit: true).disputes.first
            #expect(outcome?.outcome == "corrected" && outcome?.points == 30 && outcome?.decidedBy?.hasSuffix("/clerk:GA-0001") == true)
        }
    }

    @Test(
        "Each window page needs the scope of its JSON route: a credit-only credential cannot submit, take a commitment or check a card, a processing-only one cannot read credit; refusals are pages, audited, and change nothing"
    )
    func scopes() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let creditOnly = try await fixture.services.credentials.create(department: "GAJ", scopes: [.creditRead], label: "c", actor: "test")
        let processOnly = try await fixture.services.credentials.create(department: "GAJ", scopes: [.applicationsProcess], label: "p", actor: "test")
        try await fixture.application().test(.router) { client in
            func session(_ token: String) async throws -> String {
                ApplicantPageTests.value(ApplicantPageTests.setCookie(try await Self.signIn(client, credential: token), WindowPages.sessionCookie))
            }
            let reader = try await session(creditOnly.token), processor = try await session(processOnly.token)
            for (path, fields) in [
                (
                    "/window/applications",
                    [
                        "matter": "JZDJ", "idNumber": "440604197803150419", "name": "陈建国", "m_ID_CARD": "1",
                        "m_RESIDENCE_PROOF": "1", "m_EMPLOYMENT_PROOF": "1", "m_PHOTO": "1", "mode": "standard",
                    ]
                ),
                (
                    "/window/person/card",
                    [
                        "idNumber": "440604197803150419", "name": "陈建国", "validFrom": "2018-04-15",
                        "validUntil": "2038-04-15", "faceMatched": "1", "matter": "JZDJ",
                    ]
                ),
            ] {
                let (headers, body) = ApplicantPageTests.form(
                    fields.merging(["csrf": PageCookies.csrfToken(session: reader)]) { a, _ in a },
                    cookies: [WindowPages.sessionCookie: reader])
                try await client.execute(uri: path, method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .forbidden && response.headers[.contentType]?.hasPrefix("text/html") == true, "\(path)")
                }
            }
            #expect(try await fixture.services.applications.applications(department: "GAJ").isEmpty)
            let subject = try #require(try await fixture.services.identity.registry.subject(idNumber: "440604197803150419"))
            #expect(try await fixture.services.identity.assuranceRecords(subject: subject).isEmpty, "no card check was recorded")
            try await client.execute(
                uri: "/window/person?idNumber=440604197803150419&matter=JZDJ", method: .get,
                headers: ApplicantPageTests.cookieHeader([WindowPages.sessionCookie: processor])
            ) { response in
                #expect(response.status == .forbidden && String(buffer: response.body).contains("credit:read"))
            }
            let denied = try await AuditLog.events(in: fixture.services.database, limit: 50).filter {
                $0.action == "auth.denied" && $0.details.contains("missing_scope")
            }
            #expect(denied.count == 3, "\(denied.map(\.target))")
            // A form over the limit is a page too, never the JSON error body.
            let (big, bigBody) = ApplicantPageTests.form(
                ["csrf": PageCookies.csrfToken(session: processor), "filler": String(repeating: "a", count: 20_000)],
                cookies: [WindowPages.sessionCookie: processor])
            try await client.execute(uri: "/window/applications", method: .post, headers: big, body: bigBody) { response in
                #expect(response.status == .contentTooLarge && response.headers[.contentType]?.hasPrefix("text/html") == true)
            }
        }
    }

    @Test(
        "A supervisor's credential (statistics:read) signs in at the station and sees the 统计 tab: volumes, review times, ratings and complaints by cause drawn as SVG, each table as CSV; a window without the scope has no tab and is refused, audited"
    )
    func statistics() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let services = fixture.services
        _ = try await RatingAPITests.closedApplication(services, IdentityFixtures.zhang, clerk: "GA-0042")
        let subject = SubjectID.person(try #require(try await services.identity.registry.subject(idNumber: IdentityFixtures.zhang.id)))
        let invitation = try #require(try await services.ratings.ratings(subject: subject).first)
        _ = try await services.ratings.rate(
            id: invitation.id, subject: subject, score: 1, tags: ["too_many_materials"], comment: nil, actor: "person:zhang")
        let supervisor = try await services.credentials.create(department: "GAJ", scopes: [.statisticsRead], label: "督办", actor: "test").token
        let window = try await services.credentials.create(department: "GAJ", scopes: [.applicationsProcess], label: "w", actor: "test").token
        try await fixture.application().test(.router) { client in
            let session = ApplicantPageTests.value(
                ApplicantPageTests.setCookie(try await Self.signIn(client, credential: supervisor), WindowPages.sessionCookie))
            let cookies = ApplicantPageTests.cookieHeader([WindowPages.sessionCookie: session])
            let page = try await client.execute(uri: "/window/statistics?days=90", method: .get, headers: cookies) {
                ($0.status, String(buffer: $0.body))
            }
            #expect(page.0 == .ok && page.1.contains("aria-current=\"page\">统计</a>") && page.1.contains("<strong>近 90 天</strong>"))
            #expect(
                page.1.contains("禅城区公安分局") && page.1.contains("材料要求过多或重复提交") && page.1.components(separatedBy: "<svg").count >= 4,
                "tables and charts: \(page.1.suffix(1500))")
            let csv = try await client.execute(uri: "/window/statistics/complaints.csv?days=90", method: .get, headers: cookies) { $0 }
            #expect(
                csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8"
                    && String(buffer: csv.body).hasPrefix("\u{FEFF}department,name,filed") && String(buffer: csv.body).contains("GAJ,\"禅城区公安分局\",1,"))
            let unknown = try await client.execute(uri: "/window/statistics/secrets.csv", method: .get, headers: cookies) { $0.status }
            #expect(unknown == .notFound)

            let clerk = ApplicantPageTests.value(
                ApplicantPageTests.setCookie(try await Self.signIn(client, credential: window), WindowPages.sessionCookie))
            let clerkCookies = ApplicantPageTests.cookieHeader([WindowPages.sessionCookie: clerk])
            let home = try await client.execute(uri: "/window/complaints", method: .get, headers: clerkCookies) { String(buffer: $0.body) }
            #expect(!home.contains("href=\"/window/statistics\""), "no tab without the scope")
            let deniedBefore = try await fixture.auditCount(action: "auth.denied")
            let refused = try await client.execute(uri: "/window/statistics", method: .get, headers: clerkCookies) { $0.status }
            #expect(refused == .forbidden)
            #expect(try await fixture.auditCount(action: "auth.denied") == deniedBefore + 1)
        }
    }
}
