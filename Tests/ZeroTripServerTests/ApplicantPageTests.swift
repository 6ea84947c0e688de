import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
import ZeroTripDocuments
@testable import ZeroTripServer
import ZeroTripDomainTestSupport

/// The applicant pages' sign-in, cookies, CSRF protection and session handling, through the production router.
/// (The browser test, `PageBrowserTests`, drives the same pages in Chromium.)
@Suite("Applicant pages: sign-in, cookies, CSRF and sessions")
struct ApplicantPageTests {
    /// `name=value` of the `Set-Cookie` fields of `response` named `name`, with their attributes.
    static func setCookie(_ response: TestResponse, _ name: String) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix("\(name)=") }
    }

    static func value(_ setCookie: String?) -> String {
        setCookie.map { String($0.prefix { $0 != ";" }.drop { $0 != "=" }.dropFirst()) } ?? ""
    }

    static func form(_ fields: [String: String], cookies: [String: String], origin: String? = nil) -> (HTTPFields, ByteBuffer) {
        var headers = HTTPFields()
        headers[.contentType] = "application/x-www-form-urlencoded"
        headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        if let origin { headers[.origin] = origin }
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return (headers, ByteBuffer(string: body))
    }

    static func cookieHeader(_ cookies: [String: String]) -> HTTPFields {
        var headers = HTTPFields()
        headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        return headers
    }

    @Test(
        "Signing in with ID number, name and SMS code sets an HttpOnly, SameSite=Strict session cookie; the pages then show the person's own results with the strict CSP"
    )
    func signIn() async throws {
        let fixture = try await ServerFixture()
        let issued = try await fixture.issueDocument()
        try await fixture.application().test(.router) { client in
            let login = try await client.execute(uri: "/my/login", method: .get) { $0 }
            let pre = try #require(Self.setCookie(login, PageCookies.preSession))
            #expect(pre.contains("HttpOnly") && pre.contains("SameSite=Strict") && pre.contains("Path=/my"))
            let csrf = Self.value(pre)
            #expect(String(buffer: login.body).contains("value=\"\(csrf)\""), "the form repeats the cookie's token")
            #expect(login.headers[.init("Content-Security-Policy")!]?.contains("default-src 'none'") == true)

            let (headers, body) = Self.form(
                ["csrf": csrf, "idNumber": IdentityFixtures.li.id, "name": IdentityFixtures.li.name],
                cookies: [PageCookies.preSession: csrf])
            let started = try await client.execute(uri: "/my/login", method: .post, headers: headers, body: body) { $0 }
            #expect(started.status == .seeOther && started.headers[.location] == "/my/login/code")
            let flow = Self.value(Self.setCookie(started, PageCookies.flow))
            let code = try await IdentityFixtures.lastCode(fixture.services)

            let (codeHeaders, codeBody) = Self.form(["csrf": csrf, "code": code], cookies: [PageCookies.preSession: csrf, PageCookies.flow: flow])
            let signedIn = try await client.execute(uri: "/my/login/code", method: .post, headers: codeHeaders, body: codeBody) { $0 }
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/my/")
            let sessionCookie = try #require(Self.setCookie(signedIn, PageCookies.session))
            #expect(sessionCookie.contains("HttpOnly") && sessionCookie.contains("SameSite=Strict") && sessionCookie.contains("Path=/"))
            #expect(!sessionCookie.contains("Secure"), "plain http: a Secure cookie would never come back")
            let session = Self.value(sessionCookie)
            #expect(session.hasPrefix("zta1."))

            try await client.execute(uri: "/my/", method: .get, headers: Self.cookieHeader([PageCookies.session: session])) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                #expect(page.contains("/my/documents/\(issued.record.id.rawValue)") && page.contains(issued.record.matterName))
                #expect(page.contains("李**") && !page.contains("李晓梅"), "the name in the frame is masked")
            }
            try await client.execute(
                uri: "/my/documents/\(issued.record.id.rawValue)", method: .get, headers: Self.cookieHeader([PageCookies.session: session])
            ) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("<svg"))
            }
        }
    }

    @Test(
        "The consent page: give a grant for a matter that accepts results, see it with what it lets the department read, withdraw it; a form without the token changes nothing"
    )
    func consents() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let holder = try await fixture.applicant()
        let cookies = [PageCookies.session: holder.token], csrf = PageCookies.csrfToken(session: holder.token)
        try await fixture.application().test(.router) { client in
            let empty = try await client.execute(uri: "/my/consents", method: .get, headers: Self.cookieHeader(cookies)) { String(buffer: $0.body) }
            #expect(empty.contains("<option value=\"JZDJ\">居住登记") && empty.contains("个人参保证明") && empty.contains("还没有授权"), "\(empty)")
            let (forged, forgedBody) = Self.form(["csrf": "forged", "matter": "JZDJ"], cookies: cookies)
            try await client.execute(uri: "/my/consents", method: .post, headers: forged, body: forgedBody) { #expect($0.status == .forbidden) }
            #expect(try await fixture.services.consent.grants(subject: holder.session.subjectID).isEmpty)

            let (headers, body) = Self.form(["csrf": csrf, "matter": "JZDJ", "days": "10"], cookies: cookies)
            try await client.execute(uri: "/my/consents", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/my/consents")
            }
            let grant = try #require(try await fixture.services.consent.grants(subject: holder.session.subjectID).first)
            #expect(grant.department == "GAJ" && grant.channel == .app && grant.expiresAt.timeIntervalSince(grant.grantedAt) == 10 * 86_400)
            let listed = try await client.execute(uri: "/my/consents", method: .get, headers: Self.cookieHeader(cookies)) { String(buffer: $0.body) }
            #expect(listed.contains("禅城区公安分局") && listed.contains("有效") && listed.contains("/my/consents/\(grant.id)/withdraw"))

            let (withdraw, withdrawBody) = Self.form(["csrf": csrf], cookies: cookies)
            try await client.execute(uri: "/my/consents/\(grant.id)/withdraw", method: .post, headers: withdraw, body: withdrawBody) {
                #expect($0.status == .seeOther)
            }
            let after = try await client.execute(uri: "/my/consents", method: .get, headers: Self.cookieHeader(cookies)) { String(buffer: $0.body) }
            #expect(after.contains("已撤回") && !after.contains("/my/consents/\(grant.id)/withdraw"))
            // A bad request is a page saying so, nothing stored.
            let (bad, badBody) = Self.form(["csrf": csrf, "matter": "GRCBZM"], cookies: cookies)
            try await client.execute(uri: "/my/consents", method: .post, headers: bad, body: badBody) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("返回授权"))
            }
        }
        #expect(try await fixture.services.consent.grants(subject: holder.session.subjectID).count == 1)
    }

    @Test(
        "A form without the matching token, or posted from another origin, is refused with 403 and changes nothing: no SMS is sent, the session stays"
    )
    func csrf() async throws {
        let fixture = try await ServerFixture()
        let holder = try await fixture.applicant()
        try await fixture.application().test(.router) { client in
            let before = try await fixture.services.identity.outbox(limit: 100).count
            for (fields, cookies, origin) in [
                (["csrf": "forged"], [PageCookies.preSession: "0123456789abcdef0123456789abcdef"], nil as String?),
                (["csrf": "0123456789abcdef0123456789abcdef"], [:], nil),
                (
                    ["csrf": "0123456789abcdef0123456789abcdef"], [PageCookies.preSession: "0123456789abcdef0123456789abcdef"],
                    "https://evil.example"
                ),
            ] {
                let (headers, body) = Self.form(
                    fields.merging(["idNumber": IdentityFixtures.li.id, "name": IdentityFixtures.li.name]) { a, _ in a },
                    cookies: cookies, origin: origin)
                try await client.execute(uri: "/my/login", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .forbidden)
                    #expect(String(buffer: response.body).contains("表单已失效"))
                }
            }
            #expect(try await fixture.services.identity.outbox(limit: 100).count == before, "no code was sent")

            // Logout needs the session's own token: without it the session survives, with it the session ends.
            let (forged, forgedBody) = Self.form(["csrf": "forged"], cookies: [PageCookies.session: holder.token])
            try await client.execute(uri: "/my/logout", method: .post, headers: forged, body: forgedBody) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/my/", method: .get, headers: Self.cookieHeader([PageCookies.session: holder.token])) {
                #expect($0.status == .ok)
            }
            let denied = try await AuditLog.events(in: fixture.services.database, limit: 50).filter {
                $0.action == "auth.denied" && $0.target == "route:POST /my/logout"
            }
            #expect(denied.count == 1 && denied[0].details.contains("csrf"), "the refused logout is audited under the person")

            let (headers, body) = Self.form(["csrf": PageCookies.csrfToken(session: holder.token)], cookies: [PageCookies.session: holder.token])
            try await client.execute(uri: "/my/logout", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/my/login")
                #expect(Self.setCookie(response, PageCookies.session)?.contains("Max-Age=0") == true, "the cookie is cleared")
            }
            // The ended session no longer opens a page: back to the login page, which says why.
            try await client.execute(uri: "/my/", method: .get, headers: Self.cookieHeader([PageCookies.session: holder.token])) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/my/login?expired=1")
            }
            try await client.execute(uri: "/my/login?expired=1", method: .get) { #expect(String(buffer: $0.body).contains("登录已过期或已退出")) }
        }
    }

    @Test(
        "Another person's result is refused (403) with a page naming nothing of it, and each attempt is audited; a tier-1 session is asked to step up for credit"
    )
    func othersAndTiers() async throws {
        let fixture = try await ServerFixture()
        let someoneElses = try await fixture.issueDocument()
        let zhang = try await IdentityFixtures.smsSession(fixture.services, person: IdentityFixtures.zhang)
        try await fixture.application().test(.router) { client in
            let cookie = Self.cookieHeader([PageCookies.session: zhang.token])
            for path in ["/my/documents/\(someoneElses.record.id.rawValue)", "/my/documents/\(someoneElses.record.id.rawValue)/pdf"] {
                try await client.execute(uri: path, method: .get, headers: cookie) { response in
                    #expect(response.status == .forbidden)
                    let page = String(buffer: response.body)
                    #expect(page.contains("找不到这份文书") && !page.contains(someoneElses.record.holderName) && !page.contains("%PDF"))
                }
            }
            let denials = try await AuditLog.events(in: fixture.services.database, limit: 50).filter {
                $0.actor == zhang.session.actor && $0.outcome == "denied" && $0.target == "document:\(someoneElses.record.id.rawValue)"
            }
            #expect(denials.count == 2)
            try await client.execute(uri: "/my/credit", method: .get, headers: cookie) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("需要认证等级 2"))
            }
            try await client.execute(uri: "/my/documents/not-a-number", method: .get, headers: cookie) { #expect($0.status == .notFound) }
        }
    }

    @Test(
        "A tier-2 applicant sees a pending 容缺 commitment with its text and signs it from the page; a tier-1 session is sent to step up and nothing is signed"
    )
    func signCommitment() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let chen = (id: "440604197803150419", name: "陈建国")
        let submitted = try await fixture.services.applications.submit(
            NewApplication(
                matterCode: "JZDJ", idNumber: chen.id, name: chen.name, mode: .trust,
                provided: ["ID_CARD", "RESIDENCE_PROOF", "PHOTO"]),
            department: "GAJ", actor: "test")
        let tier1 = try await IdentityFixtures.smsSession(fixture.services, person: chen)
        let tier2 = try await IdentityFixtures.videoSession(fixture.services, person: chen)
        try await fixture.application().test(.router) { client in
            let path = "/my/applications/\(submitted.id)/commitment"
            let (weak, weakBody) = Self.form(["csrf": PageCookies.csrfToken(session: tier1.token)], cookies: [PageCookies.session: tier1.token])
            try await client.execute(uri: path, method: .post, headers: weak, body: weakBody) { response in
                #expect(response.status == .unauthorized && String(buffer: response.body).contains("认证等级 2"))
            }
            #expect(try await fixture.services.applications.application(submitted.id).commitment == nil)

            try await client.execute(uri: "/my/credit", method: .get, headers: Self.cookieHeader([PageCookies.session: tier2.token])) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("待签署的信用承诺") && page.contains("action=\"\(path)\""))
            }
            let (headers, body) = Self.form(["csrf": PageCookies.csrfToken(session: tier2.token)], cookies: [PageCookies.session: tier2.token])
            try await client.execute(uri: path, method: .post, headers: headers, body: body) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/my/credit")
            }
            let signed = try await fixture.services.applications.application(submitted.id).commitment
            #expect(signed?.tier == 2)
        }
    }

    @Test("Every page, the public verification page included, passes the strict CSP (no inline style or script) and names the district")
    func strictPages() async throws {
        let fixture = try await ServerFixture()
        let issued = try await fixture.issueDocument()
        let holder = try await fixture.applicant()
        try await fixture.application().test(.router) { client in
            let verify = String(issued.qrContent[issued.qrContent.range(of: "/V/?")!.lowerBound...])
            for (path, cookie) in [
                (verify, nil), ("/v/", nil), ("/my/login", nil), ("/window/login", nil), ("/my/", holder.token),
                ("/my/documents/\(issued.record.id.rawValue)", holder.token), ("/my/access", holder.token),
            ] {
                let headers = cookie.map { Self.cookieHeader([PageCookies.session: $0]) } ?? [:]
                try await client.execute(uri: path, method: .get, headers: headers) { response in
                    #expect(response.status == .ok, "\(path)")
                    let csp = response.headers[.init("Content-Security-Policy")!] ?? ""
                    #expect(csp.contains("default-src 'none'") && csp.contains("style-src 'self'") && !csp.contains("unsafe"), "\(path): \(csp)")
                    let page = String(buffer: response.body)
                    #expect(!page.contains("<style") && !page.contains(" style=") && !page.contains("<script"), "\(path)")
                    #expect(page.contains("禅城区"), "\(path) names the district")
                }
            }
            for sheet in ["/static/zerotrip.css", "/static/verify.css"] {
                try await client.execute(uri: sheet, method: .get) {
                    #expect($0.status == .ok && $0.headers[.contentType]?.hasPrefix("text/css") == true)
                }
            }
        }
    }

    @Test("The form reader takes only url-encoded fields up to 4 KiB and the first value of a repeated name")
    func formReader() throws {
        #expect(try PageForm.parse("a=1&b=%E5%BC%A0+%E4%B8%89&a=2") == ["a": "1", "b": "张 三"])
        expectError(.invalidInput) { try PageForm.parse("a=%ZZ") }
        #expect((try? PageForm.parse("a=%ZZ")) == nil)
        do { _ = try PageForm.parse("a=%E5%BC"); Issue.record("a cut UTF-8 sequence must be refused") } catch let error as ZeroTripError {
            #expect(error.code == .invalidInput)
        }
        #expect(PageCookies(secure: true).cookie("x", "y", maxAge: 60).description.contains("Secure"))
    }
}

@Suite("Who looked at my data")
struct DataAccessTests {
    @Test(
        "Lists other departments' verifications and tier checks of the person and counted public page views; not the person's own actions, not refusals, not other people's results"
    )
    func accesses() async throws {
        let fixture = try await ServerFixture()
        let services = fixture.services
        let mine = try await fixture.issueDocument()
        let holder = try await fixture.applicant()
        let others = try await services.documents.issue(
            IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "QZDJ", matterName: "求职登记证明", holderName: "张三丰", holderIDNumber: IdentityFixtures.zhang.id,
                fields: [ResultField(label: "求职意向", value: "会计")], validDays: 90, pickupMode: .kioskPrint), actor: "test")
        let wjj = try await fixture.addDepartmentCredential(code: "WJJ", scopes: [.documentsVerify, .identityRead])
        let wjjActor = "credential:\(try #require(CredentialService.credentialID(inToken: wjj)))"

        _ = try await services.documents.verifyToken(mine.record.token, actor: wjjActor)
        _ = try await services.documents.verifyToken(others.record.token, actor: wjjActor)
        _ = try await services.identity.check(idNumber: IdentityFixtures.li.id, minimumTier: 1, maxAge: 86400, actor: wjjActor)
        _ = try await services.documents.verifyToken(mine.record.token, actor: holder.session.actor)
        try await services.audit(
            AuditEntry(actor: wjjActor, action: .documentVerified, target: "document:\(mine.record.id.rawValue)", outcome: "denied"))
        for _ in 0..<3 {
            services.anonymousAudit.record(
                DocumentService.auditEntry(
                    for: try await services.documents.verifyToken(mine.record.token, actor: "public:page", audit: false), actor: "public:page"))
        }
        _ = try await services.anonymousAudit.flush(to: services.database)

        let accesses = try await services.dataAccesses(subject: holder.session.subject)
        // The holder's own tier-3 check at a window (the fixture's session) is listed too: a clerk confirmed who they are.
        #expect(accesses.count == 4, "\(accesses)")
        #expect(accesses.filter { $0.action == "identity.assured" }.count == 1)
        let department = accesses.filter { $0.viewer == .department(code: "WJJ", name: "测试WJJ") }
        #expect(Set(department.map(\.action)) == ["document.verified", "identity.checked"], "the tier check names the person, not a masked number")
        #expect(department.first { $0.action == "document.verified" }?.documentID == mine.record.id.rawValue)
        let page = try #require(accesses.first { $0.viewer == .publicPage })
        #expect(page.count == 3 && page.documentID == mine.record.id.rawValue)
        #expect(!accesses.contains { $0.documentID == others.record.id.rawValue })
        #expect(try await services.dataAccesses(subject: "P0000000000000000").isEmpty, "an unknown subject has nothing")
    }
}
