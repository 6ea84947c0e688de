import Synchronization
import Foundation
import Hummingbird
import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

/// The applicant's pages at `/my/…`, phone first: sign in with ID number, name and SMS code, then see and download
/// one's own results (with a large QR code for a kiosk or a counter), one's credit level and open commitments,
/// messages, and who looked at one's data. Server-rendered Chinese HTML without scripts over the same services,
/// sessions, tiers and rate limits as the JSON API.
struct ApplicantPages: Sendable {
    let services: ZeroTripServices
    let limiter: RateLimiter
    /// The public pages' per-client limit (the ranking page), apart from the login budget.
    let publicLimiter: RateLimiter
    /// The ranking page's figures, computed at most once a minute whatever the traffic.
    let publicFigures = PublicFiguresCache()
    let cookies: PageCookies
    let clients: ClientAddress
    let district: DistrictNameCache
    let renderer = PageRenderer()

    /// Every route these pages register (a test holds this list to `register(on:)` and walks it signed out).
    static let routes: [(HTTPRequest.Method, String)] = [
        (.get, "/static/zerotrip.css"), (.get, "/my"), (.get, "/my/login"), (.post, "/my/login"), (.get, "/my/login/code"),
        (.post, "/my/login/code"), (.get, "/my/handoff"), (.post, "/my/handoff"), (.get, "/my/documents/{id}"), (.get, "/my/documents/{id}/pdf"),
        (.get, "/my/credit"),
        (.get, "/my/messages"), (.get, "/my/access"), (.post, "/my/logout"), (.get, "/my/consents"), (.post, "/my/consents"),
        (.post, "/my/consents/{id}/withdraw"), (.get, "/my/ratings"), (.post, "/my/ratings/{id}"), (.get, "/figures"),
        (.get, "/my/needs"), (.post, "/my/needs"), (.get, "/my/points"), (.post, "/my/points/claims"), (.post, "/my/points/disputes"),
        (.post, "/my/points/certificate"), (.post, "/my/complaints"), (.post, "/my/applications/{id}/commitment"),
    ]

    func register(on router: Router<ZeroTripRequestContext>) {
        router.get("/static/zerotrip.css") { _, _ in PageRenderer.styleSheet() }
        router.get("/my") { request, context in try await signedIn(request, context) { try await home($0) } }
        router.get("/my/login") { request, _ in try await loginPage(request) }
        router.post("/my/login") { request, context in try await page { try await startLogin(request, context) } }
        router.get("/my/login/code") { request, _ in await codePage(request) }
        router.get("/my/handoff") { request, _ in try await handoffPage(request) }
        router.post("/my/handoff") { request, context in try await page { try await claimHandoff(request, context) } }
        router.post("/my/login/code") { request, context in try await page { try await submitCode(request, context) } }
        router.get("/my/documents/{id}") { request, context in
            try await signedIn(request, context) { try await document($0, id: context.parameters.get("id") ?? "", route: "GET /my/documents/{id}") }
        }
        router.get("/my/documents/{id}/pdf") { request, context in
            try await signedIn(request, context) { try await pdf($0, id: context.parameters.get("id") ?? "") }
        }
        router.get("/my/credit") { request, context in try await signedIn(request, context) { try await credit($0) } }
        router.get("/my/messages") { request, context in try await signedIn(request, context) { try await messages($0) } }
        router.get("/my/access") { request, context in try await signedIn(request, context) { try await access($0) } }
        router.get("/my/consents") { request, context in try await signedIn(request, context) { try await consents($0) } }
        router.post("/my/consents") { request, context in try await signedIn(request, context) { try await grantConsent(request, $0) } }
        router.post("/my/consents/{id}/withdraw") { request, context in
            try await signedIn(request, context) { try await withdrawConsent(request, $0, id: context.parameters.get("id") ?? "") }
        }
        router.get("/my/ratings") { request, context in try await signedIn(request, context) { try await ratings($0) } }
        router.post("/my/ratings/{id}") { request, context in
            try await signedIn(request, context) { try await rate(request, $0, id: context.parameters.get("id") ?? "") }
        }
        router.post("/my/complaints") { request, context in try await signedIn(request, context) { try await complain(request, $0) } }
        router.get("/figures") { request, context in try await figures(request, context) }
        router.get("/my/needs") { request, context in try await signedIn(request, context) { try await needs($0) } }
        router.post("/my/needs") { request, context in try await signedIn(request, context) { try await stateNeed(request, $0) } }
        router.get("/my/points") { request, context in try await signedIn(request, context) { try await points($0) } }
        router.post("/my/points/claims") { request, context in try await signedIn(request, context) { try await claimPoints(request, $0) } }
        router.post("/my/points/disputes") { request, context in try await signedIn(request, context) { try await disputePoints(request, $0) } }
        router.post("/my/points/certificate") { request, context in try await signedIn(request, context) { try await pointsCertificate(request, $0) }
        }
        router.post("/my/logout") { request, context in try await logout(request, context) }
        router.post("/my/applications/{id}/commitment") { request, context in
            try await signedIn(request, context) { try await signCommitment(request, $0, id: context.parameters.get("id") ?? "") }
        }
    }

    // MARK: Signing in

    /// What every signed-in page needs: the session, its token (for the CSRF token) and the page frame's values.
    struct Visit {
        let session: ApplicantSession
        let token: String
        let base: [String: Any]
    }

    private func frame(title: String, service: String = "我的办事") async -> [String: Any] {
        ["title": title, "district": await district.get(), "service": service]
    }

    /// Runs `page` for a live session from the cookie, or sends the browser to the login page. An expired or ended
    /// session is counted (not written one row each), like the API's.
    private func signedIn(_ request: Request, _ context: ZeroTripRequestContext, _ page: (Visit) async throws -> Response) async throws -> Response {
        guard let token = request.cookies[PageCookies.session]?.value, token.hasPrefix("zta1."),
            token.utf8.count <= ApplicantSessions.maximumTokenLength
        else {
            return PageRenderer.redirect("/my/login")
        }
        let session: ApplicantSession
        do {
            session = try await services.identity.sessions.authenticate(token: token)
        } catch let error as ZeroTripError where error.code == .sessionInvalid {
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "client:\(client(request, context))", action: .authDenied, target: "route:GET /my",
                    outcome: "denied", details: ["reason": "invalid_session"]))
            var headers = HTTPFields()
            headers.setCookie(cookies.clearing(PageCookies.session))
            return PageRenderer.redirect("/my/login?expired=1", headers: headers)
        }
        // Masked: the page may be open on a shared screen at a counter; the person knows their own name.
        let name = ((try? await services.identity.registry.summary(subject: session.subject))??.name).map(PersonalDataMask.name)
        var base = await frame(title: "")
        base["signedIn"] = true
        base["csrf"] = PageCookies.csrfToken(session: token)
        base["person"] = name ?? ""
        base["tier"] = session.tier
        do {
            return try await page(Visit(session: session, token: token, base: base))
        } catch let error as ZeroTripError {
            return await errorPage(error, base: base)
        }
    }

    /// Any refusal or failure on a page, as a page: never the JSON error body with its English detail.
    private func errorPage(_ error: ZeroTripError, base: [String: Any]? = nil) async -> Response {
        PageFailureLog.record(error, route: base == nil ? "applicant pages (signed out)" : "applicant pages")
        if let base { return renderer.notice(base, for: error, back: "/my/") }
        return renderer.notice(await frame(title: ""), for: error, back: "/my/login")
    }

    /// Runs a page handler of the signed-out pages, turning a thrown error into a page.
    private func page(_ body: () async throws -> Response) async throws -> Response {
        do { return try await body() } catch let error as ZeroTripError { return await errorPage(error) }
    }

    private func client(_ request: Request, _ context: ZeroTripRequestContext) -> String {
        clients.resolve(peer: context.remoteAddress?.ipAddress, headers: request.headers)
    }

    private func loginPage(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok, idNumber: String = "", name: String = "")
        async throws -> Response
    {
        var context = await frame(title: "登录", service: "我的办事 · 身份核验")
        var headers = HTTPFields()
        context["csrf"] = try cookies.preSessionToken(request, name: PageCookies.preSession, path: "/my", headers: &headers)
        context["idNumber"] = idNumber
        context["name"] = name
        if let error {
            context["error"] = error
        } else if request.uri.queryParameters.get("expired") != nil {
            context["error"] = "登录已过期或已退出，请重新登录。"
        }
        return renderer.response("login", context, status: status, headers: headers)
    }

    private func loginPage(_ request: Request) async throws -> Response { try await loginPage(request, error: nil) }

    /// Checks a pre-login form: same origin, the double-submitted token, and the per-address rate limit of the
    /// API's applicant routes. Returns the form, or the page to answer instead.
    private func preLoginForm(_ request: Request, _ context: ZeroTripRequestContext, route: String) async throws -> Result<
        [String: String], PageRefusal
    > {
        let client = client(request, context)
        if let wait = limiter.secondsToWait(client) {
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "client:\(client)", action: .authDenied, target: "route:\(route)", outcome: "denied",
                    details: ["reason": "rate_limited"]))
            return .failure(.rateLimited(wait))
        }
        let form = try await PageForm.fields(of: request)
        guard PageCookies.isGenuine(request, form: form, expected: request.cookies[PageCookies.preSession]?.value ?? "") else {
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "client:\(client)", action: .authDenied, target: "route:\(route)", outcome: "denied",
                    details: ["reason": "csrf"]))
            return .failure(.csrf)
        }
        return .success(form)
    }

    enum PageRefusal: Error {
        case rateLimited(Int)
        case csrf
    }

    private func refusal(_ refusal: PageRefusal, back: String) async -> Response {
        let frame = await frame(title: "")
        switch refusal {
        case .rateLimited(let wait):
            return renderer.notice(frame, title: "无法处理请求", message: "您所在网络的请求过多。", back: back, status: .tooManyRequests, retryAfter: wait)
        case .csrf:
            return renderer.notice(
                frame, title: "无法处理请求", message: "表单已失效（页面停留过久，或不是从本站页面提交的）。请返回重新填写。",
                back: back, status: .forbidden)
        }
    }

    private func startLogin(_ request: Request, _ context: ZeroTripRequestContext) async throws -> Response {
        let form: [String: String]
        switch try await preLoginForm(request, context, route: "POST /my/login") {
        case .failure(let refused): return await refusal(refused, back: "/my/login")
        case .success(let fields): form = fields
        }
        let idNumber = String((form["idNumber"] ?? "").trimmingCharacters(in: .whitespaces).prefix(18))
        let name = String((form["name"] ?? "").trimmingCharacters(in: .whitespaces).prefix(30))
        do {
            let start = try await services.identity.start(method: .sms, idNumber: idNumber, name: name, client: client(request, context))
            var headers = HTTPFields()
            let lifetime = max(60, Int(start.expiresAt.timeIntervalSince(services.clock.now())))
            headers.setCookie(cookies.cookie(PageCookies.flow, "\(start.verificationId).\(start.secret)", path: "/my/login", maxAge: lifetime))
            return PageRenderer.redirect("/my/login/code", headers: headers)
        } catch let error as ZeroTripError {
            PageFailureLog.record(error, route: "POST /my/login")
            return try await loginPage(
                request, error: Self.chinese(error), status: HTTPErrorMapping.status(for: error.code), idNumber: idNumber, name: name)
        }
    }

    private func codePage(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok) async -> Response {
        guard request.cookies[PageCookies.flow] != nil else { return PageRenderer.redirect("/my/login") }
        var context = await frame(title: "输入验证码", service: "我的办事 · 身份核验")
        context["csrf"] = request.cookies[PageCookies.preSession]?.value ?? ""
        context["message"] = "如果身份证号码和姓名与户籍登记一致，验证码已发送到登记的手机号，\(Int(services.identity.policy.codeLifetime / 60)) 分钟内有效。"
        if let error { context["error"] = error }
        return renderer.response("code", context, status: status)
    }

    private func codePage(_ request: Request) async -> Response { await codePage(request, error: nil) }

    private func submitCode(_ request: Request, _ context: ZeroTripRequestContext) async throws -> Response {
        let form: [String: String]
        switch try await preLoginForm(request, context, route: "POST /my/login/code") {
        case .failure(let refused): return await refusal(refused, back: "/my/login/code")
        case .success(let fields): form = fields
        }
        let flow = (request.cookies[PageCookies.flow]?.value ?? "").split(separator: ".", maxSplits: 1).map(String.init)
        guard flow.count == 2 else { return PageRenderer.redirect("/my/login") }
        do {
            let issued = try await services.identity.submitCode(
                verificationId: flow[0], secret: flow[1], code: String((form["code"] ?? "").prefix(12)),
                client: client(request, context))
            var headers = HTTPFields()
            let lifetime = max(60, Int(issued.session.expiresAt.timeIntervalSince(services.clock.now())))
            headers.setCookie(cookies.cookie(PageCookies.session, issued.token, maxAge: lifetime))
            headers.setCookie(cookies.clearing(PageCookies.flow, path: "/my/login"))
            return PageRenderer.redirect("/my/", headers: headers)
        } catch let error as ZeroTripError {
            PageFailureLog.record(error, route: "POST /my/login/code")
            return await codePage(request, error: Self.chinese(error), status: HTTPErrorMapping.status(for: error.code))
        }
    }

    /// The page a phone opens from the hand-off code a window shows after a card check: it asks to confirm (a GET
    /// never signs in, so a link preview or a prefetch cannot use the code).
    private func handoffPage(_ request: Request) async throws -> Response {
        var context = await frame(title: "窗口核验登录", service: "我的办事 · 身份核验")
        var headers = HTTPFields()
        context["csrf"] = try cookies.preSessionToken(request, name: PageCookies.preSession, path: "/my", headers: &headers)
        // Only the characters a hand-off code has (hex id, base64url secret): nothing else is echoed into the form.
        let plain = { (text: String?) in
            String((text ?? "").prefix(64).filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        }
        context["v"] = plain(request.uri.queryParameters.get("v"))
        context["s"] = plain(request.uri.queryParameters.get("s"))
        // The code is in the address; the pages' `Referrer-Policy: same-origin` keeps it from other sites (not
        // `no-referrer`, under which the browser would post the form with `Origin: null`).
        return renderer.response("handoff", context, headers: headers)
    }

    private func claimHandoff(_ request: Request, _ context: ZeroTripRequestContext) async throws -> Response {
        let form: [String: String]
        switch try await preLoginForm(request, context, route: "POST /my/handoff") {
        case .failure(let refused): return await refusal(refused, back: "/my/login")
        case .success(let fields): form = fields
        }
        do {
            guard
                let issued = try await services.identity.claimSession(
                    verificationId: form["v"] ?? "", secret: form["s"] ?? "",
                    client: client(request, context))
            else {
                throw ZeroTripError(.verificationFailed, "the hand-off is not complete")
            }
            var headers = HTTPFields()
            let lifetime = max(60, Int(issued.session.expiresAt.timeIntervalSince(services.clock.now())))
            headers.setCookie(cookies.cookie(PageCookies.session, issued.token, maxAge: lifetime))
            return PageRenderer.redirect("/my/", headers: headers)
        } catch let error as ZeroTripError where HTTPErrorMapping.status(for: error.code).code < 500 {
            return try await loginPage(
                request, error: "窗口登录码无效、已使用或已过期，请工作人员重新核验，或用短信验证码登录。",
                status: HTTPErrorMapping.status(for: error.code))
        }
    }

    private func logout(_ request: Request, _ context: ZeroTripRequestContext) async throws -> Response {
        try await signedIn(request, context) { visit in
            let form = try await PageForm.fields(of: request)
            guard PageCookies.isGenuine(request, form: form, expected: PageCookies.csrfToken(session: visit.token)) else {
                try await services.audit(
                    AuditEntry(
                        actor: visit.session.actor, action: .authDenied, target: "route:POST /my/logout", outcome: "denied",
                        details: ["reason": "csrf"]))
                return await refusal(.csrf, back: "/my/")
            }
            try await services.identity.sessions.end(id: visit.session.id)
            var headers = HTTPFields()
            headers.setCookie(cookies.clearing(PageCookies.session))
            return PageRenderer.redirect("/my/login", headers: headers)
        }
    }

    // MARK: Pages

    private func ownDocuments(_ session: ApplicantSession) async throws -> (idNumber: String?, records: [ResultDocumentRecord]) {
        guard let person = try await services.identity.registry.personalData(subject: session.subject) else { return (nil, []) }
        return (person.idNumber, try await services.documents.records(holderIDNumber: person.idNumber, limit: 200))
    }

    private func home(_ visit: Visit) async throws -> Response {
        let (_, records) = try await ownDocuments(visit.session)
        let names = try await services.administration.departmentNames()
        let now = services.clock.now()
        var context = visit.base
        context["title"] = "我的文书"
        context["tabResults"] = true
        let documents: [[String: Any]] = records.map { record in
            let (status, style) = Self.status(record, now: now)
            return [
                "id": record.id, "matterName": record.matterName, "department": names[record.departmentCode] ?? record.departmentCode,
                "issuedAt": ChinaTime(record.issuedAt).minuteText, "status": status, "statusClass": style,
            ]
        }
        context["documents"] = documents
        context["hasDocuments"] = !documents.isEmpty
        return renderer.response("home", context)
    }

    private func document(_ visit: Visit, id: String, route: String) async throws -> Response {
        let person = try await services.identity.registry.personalData(subject: visit.session.subject)
        let record: ResultDocumentRecord
        do {
            record = try await services.documents.holderDocument(
                id: try DocumentID.named(id), holderIDNumber: person?.idNumber, actor: visit.session.actor, route: route)
        } catch let error as ZeroTripError where error.code == .forbidden || error.code == .notFound {
            return notYours(visit, error)
        }
        let names = try await services.administration.departmentNames()
        let department = names[record.departmentCode] ?? record.departmentCode
        let (status, style) = Self.status(record, now: services.clock.now())
        let policy = services.identity.policy
        let withheld = policy.seesCreditLevel(visit.session) ? false : try await services.points.printingCreditLevel([record]).contains(record.id)
        var rows: [[String: String]] = [["label": "签发部门", "value": department], ["label": "持证人", "value": record.holderName]]
        for field in record.fields where !withheld { rows.append(["label": field.label, "value": field.value]) }
        rows.append(["label": "签发时间", "value": ChinaTime(record.issuedAt).minuteText])
        rows.append(["label": "有效期至", "value": ChinaTime(record.validUntil).minuteText])
        rows.append(["label": "文书编号", "value": ResultDocumentRenderer.groupedID(record.id.rawValue)])
        var context = visit.base
        context["title"] = record.matterName
        context["tabResults"] = true
        context["id"] = record.id
        context["status"] = status
        context["statusClass"] = style
        context["rows"] = rows
        context["department"] = department
        if withheld {
            // Its QR code opens a verification page that shows the fields: withheld with them.
            context["withheld"] = policy.tierForCreditLevel
        } else {
            let url = ResultToken.verificationURL(base: services.documents.verificationBaseURL, token: record.token)
            context["qrSVG"] = QRCodeSVG.svg(encoding: url, errorCorrection: .quartile, label: "核验二维码：\(record.matterName)")
        }
        return renderer.response("document", context)
    }

    /// The page for a result that does not exist or is another person's (the refusal was audited where it was
    /// raised): it says neither which, nor anything of the document.
    private func notYours(_ visit: Visit, _ error: ZeroTripError) -> Response {
        renderer.notice(
            visit.base, title: "找不到这份文书", message: "这份文书不存在，或不是签发给您的。", back: "/my/", backText: "返回我的文书",
            status: HTTPErrorMapping.status(for: error.code))
    }

    private func pdf(_ visit: Visit, id: String) async throws -> Response {
        let route = "GET /my/documents/{id}/pdf"
        if visit.session.tier < services.identity.policy.tierForResultDownload {
            return try await stepUp(visit, needed: services.identity.policy.tierForResultDownload, route: route)
        }
        let person = try await services.identity.registry.personalData(subject: visit.session.subject)
        let record: ResultDocumentRecord
        do {
            record = try await services.documents.holderDocument(
                id: try DocumentID.named(id), holderIDNumber: person?.idNumber, actor: visit.session.actor, route: route)
        } catch let error as ZeroTripError where error.code == .forbidden || error.code == .notFound {
            return notYours(visit, error)
        }
        do {
            try await services.points.checkDisclosure(
                of: record, disclosingCredit: services.identity.policy.seesCreditLevel(visit.session),
                actor: visit.session.actor, route: route)
        } catch let error as ZeroTripError where error.code == .stepUpRequired {
            return stepUpNotice(visit, needed: services.identity.policy.tierForCreditLevel)
        }
        guard let bytes = try await services.documents.pdf(id: record.id) else { throw ZeroTripError(.notFound, "no document \(record.id)") }
        try await services.audit(
            AuditEntry(
                actor: visit.session.actor, action: .documentDownloaded, target: "document:\(record.id)",
                details: ["session": visit.session.id, "channel": "page"]))
        return PDFResponse.page(bytes, id: record.id)
    }

    private func stepUp(_ visit: Visit, needed: Int, route: String) async throws -> Response {
        try await services.audit(
            AuditEntry(
                actor: visit.session.actor, action: .authDenied, target: "route:\(route)", outcome: "denied",
                details: ["reason": "step_up_required", "required_tier": "\(needed)", "session_tier": "\(visit.session.tier)"]))
        return stepUpNotice(visit, needed: needed)
    }

    /// The page saying which tier `needed` is and how to reach it (the refusal is audited by the caller).
    private func stepUpNotice(_ visit: Visit, needed: Int) -> Response {
        renderer.notice(
            visit.base, title: "需要更高的认证等级",
            message: "此操作需要认证等级 \(needed)，您当前是等级 \(visit.session.tier)。请在线视频核验，或到任一政务服务窗口刷身份证。",
            back: "/my/", backText: "返回我的文书", status: .unauthorized)
    }

    private func credit(_ visit: Visit) async throws -> Response {
        var context = visit.base
        context["title"] = "信用与承诺"
        context["tabCredit"] = true
        let needed = services.identity.policy.tierForCreditLevel
        guard services.identity.policy.seesCreditLevel(visit.session) else {
            try await services.audit(
                AuditEntry(
                    actor: visit.session.actor, action: .authDenied, target: "route:GET /my/credit", outcome: "denied",
                    details: ["reason": "step_up_required", "required_tier": "\(needed)", "session_tier": "\(visit.session.tier)"]))
            context["stepUp"] = true
            return renderer.response("credit", context)
        }
        let subject = visit.session.subjectID.rawValue
        if let history = try? await services.credit.history(subject: subject) {
            let assessment = history.assessment
            context["assessment"] =
                [
                    "level": assessment.level.rawValue, "levelText": Self.levelText(assessment.level),
                    "asOf": ChinaTime(assessment.asOf).minuteText, "policyVersion": assessment.policyVersion,
                ] as [String: Any]
        }
        let applications = try await services.applications.applications(department: nil, subject: visit.session.subjectID)
        let now = services.clock.now()
        var commitments: [[String: Any]] = []
        for application in applications {
            guard let obligation = application.obligation, obligation.state == .open || obligation.state == .rectification else { continue }
            let matterName = (try? await services.credit.catalogue(version: application.catalogueVersion))?.matters.first {
                $0.code == application.matterCode
            }?.name
            let items = obligation.items.map { code in application.materials.first { $0.code == code }?.name ?? code }
            let overdue = obligation.deadline < now
            commitments.append([
                "matterName": matterName ?? application.matterCode, "items": items.joined(separator: "、"),
                "deadline": ChinaTime(obligation.rectificationDeadline ?? obligation.deadline).minuteText,
                "state": obligation.state == .rectification ? "整改期" : (overdue ? "已逾期" : "待补交"),
                "statusClass": obligation.state == .rectification || overdue ? "bad" : "warn",
            ])
        }
        var pending: [[String: Any]] = []
        let departments = try await services.administration.departmentNames()
        for application in applications where application.mode == .trust && application.commitment == nil && application.state == .submitted {
            guard let draft = try? await services.applications.commitmentDraft(application.id) else { continue }
            let matterName = (try? await services.credit.catalogue(version: application.catalogueVersion))?.matters.first {
                $0.code == application.matterCode
            }?.name
            pending.append([
                "id": application.id, "matterName": matterName ?? application.matterCode, "text": draft.consequences,
                "department": departments[application.department] ?? application.department,
            ])
        }
        context["pending"] = pending
        context["hasPending"] = !pending.isEmpty
        context["commitments"] = commitments
        context["hasCommitments"] = !commitments.isEmpty
        context["noCommitments"] = commitments.isEmpty
        return renderer.response("credit", context)
    }

    /// Signs a pending 容缺 commitment from the phone (tier 2, like the API's).
    private func signCommitment(_ request: Request, _ visit: Visit, id: String) async throws -> Response {
        let route = "POST /my/applications/{id}/commitment"
        let form = try await PageForm.fields(of: request)
        guard PageCookies.isGenuine(request, form: form, expected: PageCookies.csrfToken(session: visit.token)) else {
            try await services.audit(
                AuditEntry(
                    actor: visit.session.actor, action: .authDenied, target: "route:\(route)", outcome: "denied",
                    details: ["reason": "csrf"]))
            return await refusal(.csrf, back: "/my/credit")
        }
        if visit.session.tier < 2 { return try await stepUp(visit, needed: 2, route: route) }
        do {
            _ = try await services.applications.commit(id, session: visit.session)
        } catch let error as ZeroTripError where HTTPErrorMapping.status(for: error.code).code < 500 {
            if error.code == .forbidden && !error.isAudited {
                try await services.audit(
                    AuditEntry(
                        actor: visit.session.actor, action: .authDenied, target: "route:\(route)", outcome: "denied",
                        details: ["reason": "forbidden"]))
            }
            return renderer.notice(visit.base, for: error, title: "未能签署", back: "/my/credit", backText: "返回信用与承诺")
        }
        return PageRenderer.redirect("/my/credit")
    }

    private func messages(_ visit: Visit) async throws -> Response {
        let notifications = try await services.applications.notifications(subject: visit.session.subjectID, limit: 100)
        var context = visit.base
        context["title"] = "消息"
        context["tabMessages"] = true
        let rows: [[String: String]] = notifications.reversed().map { ["createdAt": ChinaTime($0.createdAt).minuteText, "message": $0.message] }
        context["messages"] = rows
        context["hasMessages"] = !rows.isEmpty
        return renderer.response("messages", context)
    }

    private func access(_ visit: Visit) async throws -> Response {
        let accesses = try await services.dataAccesses(subject: visit.session.subject, limit: 100)
        var context = visit.base
        context["title"] = "谁查看了我的数据"
        context["tabAccess"] = true
        let rows: [[String: String]] = accesses.map { access in
            let who: String =
                switch access.viewer {
                case .department(let code, let name): name.map { "\($0)（\(code)）" } ?? code
                case .publicPage: "扫码核验的公众"
                case .district: "区政务服务系统"
                }
            let document = access.documentID.map { _ in "《\(access.matterName ?? "电子文书")》" } ?? ""
            let times = access.count > 1 ? "，共 \(access.count) 次" : ""
            let what: String =
                switch access.action {
                case "document.verified": "核验了您的文书\(document)\(times)"
                case "document.pdf_shared": "通过公开链接下载了您的文书原件\(document)\(times)"
                case "credit.read": "查询了您的信用等级（事项 \(access.details["matter"] ?? "")）\(times)"
                case "identity.checked": "确认了您的身份认证等级（是否达到等级 \(access.details["minimum_tier"] ?? "")）"
                case "identity.assured": "核验了您的身份（视频或窗口刷证），记为认证等级 \(access.details["tier"] ?? "")"
                case "document.reused": "经您授权调用了您的文书\(document)，用于办理事项 \(access.details["matter"] ?? "")"
                default: access.action
                }
            return ["at": ChinaTime(access.occurredAt).minuteText, "who": who, "what": what]
        }
        context["accesses"] = rows
        context["hasAccesses"] = !rows.isEmpty
        return renderer.response("access", context)
    }

    // MARK: Consent

    /// The person's grants, and a form to give one for any matter whose materials accept results.
    private func consents(_ visit: Visit) async throws -> Response {
        let catalogue = try? await services.credit.currentCatalogue()
        let departments = try await services.administration.departmentNames()
        func resultNames(_ codes: [String]) -> String {
            codes.map { code in catalogue?.matter(code)?.result.title ?? code }.joined(separator: "、")
        }
        let now = services.clock.now()
        var context = visit.base
        context["title"] = "授权调用电子证照"
        context["tabConsents"] = true
        let matters: [[String: String]] = (catalogue?.matters ?? []).filter { !$0.acceptedResults.isEmpty }.map { matter in
            [
                "code": matter.code, "name": matter.name, "department": departments[matter.department] ?? matter.department,
                "results": resultNames(matter.acceptedResults),
            ]
        }
        context["matters"] = matters
        context["hasMatters"] = !matters.isEmpty
        let grants: [[String: Any]] = try await services.consent.grants(subject: visit.session.subjectID).map { grant in
            let live = grant.isLive(at: now)
            let until: String
            switch (grant.lifetime, grant.application) {
            case (.days, _): until = "至 \(ChinaTime(grant.expiresAt).minuteText)"
            case (.application, let application?): until = "至办件（编号 \(application.prefix(8))）办结"
            case (.application, nil): until = "用于下一次办件，至该办件办结（\(ChinaTime(grant.expiresAt).minuteText) 前未用则失效）"
            }
            let status = live ? "有效" : grant.withdrawnAt != nil ? "已撤回" : grant.endedAt != nil ? "办件已办结" : "已到期"
            return [
                "id": grant.id, "matterName": catalogue?.matter(grant.matter)?.name ?? grant.matter,
                "department": departments[grant.department] ?? grant.department, "results": resultNames(grant.resultTypes),
                "grantedAt": ChinaTime(grant.grantedAt).minuteText, "until": until,
                "channel": grant.channel == .window ? "窗口办理" : "手机授权", "live": live,
                "status": status, "statusClass": live ? "ok" : "warn",
            ]
        }
        context["grants"] = grants
        context["hasGrants"] = !grants.isEmpty
        return renderer.response("consents", context)
    }

    private func grantConsent(_ request: Request, _ visit: Visit) async throws -> Response {
        try await changeForm(request, visit, route: "POST /my/consents") { form in
            _ = try await services.consent.grant(
                subject: visit.session.subjectID, department: nil, matter: form["matter"] ?? "", resultTypes: nil,
                days: try Self.days(form["days"]), channel: .app,
                actor: visit.session.actor, assuranceTier: visit.session.tier)
        }
    }

    private func withdrawConsent(_ request: Request, _ visit: Visit, id: String) async throws -> Response {
        try await changeForm(request, visit, route: "POST /my/consents/{id}/withdraw") { _ in
            _ = try await services.consent.withdraw(id: id, subject: visit.session.subjectID, actor: visit.session.actor)
        }
    }

    /// The form's `days`: empty for the life of one application, else a whole number of days.
    private static func days(_ value: String?) throws -> Int? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        guard let days = Int(value.prefix(4)) else { throw ZeroTripError(.invalidInput, "days must be a whole number of days") }
        return days
    }

    /// A form that changes something of the person's: genuine (CSRF token and origin, refusals audited), then
    /// `change`, then back to `back`; its refusals as a page.
    private func changeForm(
        _ request: Request, _ visit: Visit, route: String, back: String = "/my/consents", backText: String = "返回授权",
        _ change: ([String: String]) async throws -> Void
    ) async throws -> Response {
        try await checkedChange(request, form: try await PageForm.fields(of: request), visit, route: route, back: back, backText: backText, change)
    }

    /// Checks the form's CSRF token (a refusal is audited), makes the change, and shows a refusal as a page.
    private func checkedChange(
        _ request: Request, form: [String: String], _ visit: Visit, route: String, back: String, backText: String,
        _ change: ([String: String]) async throws -> Void
    ) async throws -> Response {
        guard PageCookies.isGenuine(request, form: form, expected: PageCookies.csrfToken(session: visit.token)) else {
            try await services.audit(
                AuditEntry(
                    actor: visit.session.actor, action: .authDenied, target: "route:\(route)", outcome: "denied",
                    details: ["reason": "csrf"]))
            return await refusal(.csrf, back: back)
        }
        do {
            try await change(form)
        } catch let error as ZeroTripError where HTTPErrorMapping.status(for: error.code).code < 500 {
            return renderer.notice(visit.base, for: error, title: "未能完成", back: back, backText: backText)
        }
        return PageRenderer.redirect(back)
    }

    // MARK: Ratings (好差评)

    static let scoreWords = [5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"]

    /// The person's invitations to rate finished services: a form for each open one, the ratings given.
    private func ratings(_ visit: Visit) async throws -> Response {
        let catalogue = try? await services.credit.currentCatalogue()
        let departments = try await services.administration.departmentNames()
        let now = services.clock.now()
        let all = try await services.ratings.ratings(subject: visit.session.subjectID)
        func row(_ rating: ServiceRating) -> [String: Any] {
            let matter = rating.matter.isEmpty ? nil : catalogue?.matter(rating.matter)?.name ?? rating.matter
            let name = rating.service.map { service in matter.map { "\(service.chinese)：\($0)" } ?? service.chinese } ?? matter ?? ""
            let outcome = rating.service != nil ? "窗口服务" : rating.outcome == "closed" ? "已办结" : "未予批准"
            return [
                "id": rating.id, "matterName": name, "department": departments[rating.department] ?? rating.department, "outcome": outcome,
                "closesAt": ChinaTime(rating.closesAt).minuteText, "ratedAt": rating.ratedAt.map { ChinaTime($0).minuteText } ?? "",
                "stars": rating.score.map {
                    String(repeating: "★", count: $0) + String(repeating: "☆", count: 5 - $0) + " " + (Self.scoreWords[$0] ?? "")
                } ?? "",
                "tagText": rating.tags.map(\.chinese).joined(separator: "、"),
            ]
        }
        let pending = all.filter { $0.ratedAt == nil && $0.closesAt >= now }.map(row)
        let done = all.filter { $0.ratedAt != nil }.map(row)
        var context = visit.base
        context["title"] = "服务评价"
        context["tabRatings"] = true
        context["pending"] = pending
        context["done"] = done
        context["hasDone"] = !done.isEmpty
        context["hasAny"] = !pending.isEmpty || !done.isEmpty
        context["scores"] = (1...5).reversed().map {
            ["value": $0, "label": "\(String(repeating: "★", count: $0)) \(Self.scoreWords[$0] ?? "")"] as [String: Any]
        }
        context["tags"] = RatingTag.allCases.map { ["value": $0.rawValue, "label": $0.chinese] }
        // Complaints: the person's, with the answers; and a form naming the department (or rated service) and cause.
        let complaints = try await services.complaints.complaints(subject: visit.session.subjectID)
        context["complaints"] = complaints.map { complaint -> [String: Any] in
            // An empty string is true to the template: what is absent is `false`.
            [
                "department": departments[complaint.department] ?? complaint.department, "cause": complaint.cause.chinese,
                "text": complaint.text.isEmpty ? false : complaint.text,
                "filedAt": ChinaTime(complaint.filedAt).minuteText, "source": complaint.source == "poor_rating" ? "差评回访" : "投诉",
                "state": complaint.answeredAt == nil ? "办理中，\(CivilDay(complaint.dueAt.addingTimeInterval(-1)).chinese)前答复" : "已答复",
                "reply": complaint.reply ?? false, "finding": complaint.finding?.chinese ?? "",
                "answeredAt": complaint.answeredAt.map { ChinaTime($0).minuteText } ?? "",
            ]
        }
        context["departments"] = departments.sorted { $0.key < $1.key }.map { ["code": $0.key, "name": $0.value] }
        context["causes"] = ComplaintCause.allCases.map { ["value": $0.rawValue, "label": $0.chinese] }
        context["answerDays"] = ComplaintService.answerWorkingDays
        return renderer.response("ratings", context)
    }

    /// Files a complaint from the ratings page.
    private func complain(_ request: Request, _ visit: Visit) async throws -> Response {
        try await changeForm(request, visit, route: "POST /my/complaints", back: "/my/ratings", backText: "返回评价") { form in
            _ = try await services.complaints.file(
                subject: visit.session.subjectID, department: form["department"], rating: nil,
                cause: form["cause"] ?? "", text: form["text"] ?? "", actor: visit.session.actor)
        }
    }

    private func rate(_ request: Request, _ visit: Visit, id: String) async throws -> Response {
        try await changeForm(request, visit, route: "POST /my/ratings/{id}", back: "/my/ratings", backText: "返回评价") { form in
            guard let score = Int(form["score"] ?? "") else { throw ZeroTripError(.invalidInput, "choose a score from 1 to 5") }
            let tags = form.keys.filter { $0.hasPrefix("t_") && form[$0] == "1" }.map { String($0.dropFirst(2)) }.sorted()
            _ = try await services.ratings.rate(
                id: id, subject: visit.session.subjectID, score: score, tags: tags, comment: form["comment"],
                actor: visit.session.actor)
        }
    }

    /// The services the person expects to need (demand collection), and a form to say more.
    private func needs(_ visit: Visit) async throws -> Response {
        let thisYear = ChinaTime(services.clock.now()).year
        let stated = try await services.supervision.needs(subject: visit.session.subjectID)
        var context = visit.base
        context["title"] = "今后需要的服务"
        context["kinds"] = ServiceNeedKind.allCases.map { ["value": $0.rawValue, "label": $0.chinese] }
        context["years"] = (thisYear...thisYear + SupervisionService.needYearsAhead).map { ["year": $0] }
        let rows: [[String: Any]] = stated.map { ["year": $0.year, "kind": $0.kind.chinese, "detail": $0.detail, "hasDetail": !$0.detail.isEmpty] }
        context["stated"] = rows
        context["hasStated"] = !rows.isEmpty
        return renderer.response("needs", context)
    }

    private func stateNeed(_ request: Request, _ visit: Visit) async throws -> Response {
        try await changeForm(request, visit, route: "POST /my/needs", back: "/my/needs", backText: "返回") { form in
            guard let kind = ServiceNeedKind(rawValue: form["kind"] ?? "") else { throw ZeroTripError(.invalidInput, "choose a kind of service") }
            let years = form.keys.filter { $0.hasPrefix("y_") && form[$0] == "1" }.compactMap { Int($0.dropFirst(2)) }.sorted()
            _ = try await services.supervision.stateNeed(
                subject: visit.session.subjectID, kind: kind, years: years, detail: form["detail"],
                actor: visit.session.actor)
        }
    }

    // MARK: Points (量化积分)

    /// The person's points: the newest score with each item explained (and a dispute form), the items they may
    /// claim with a proof, their claims and disputes, and the certificate.
    private func points(_ visit: Visit) async throws -> Response {
        let statement = try await services.points.statement(
            subject: visit.session.subjectID,
            disclosingCredit: services.identity.policy.seesCreditLevel(visit.session))
        let departments = try await services.administration.departmentNames()
        let catalogue = try? await services.credit.currentCatalogue()
        let disputedItems = Set(statement.disputes.filter { $0.run != nil && $0.run == statement.run?.id }.map(\.indicator))
        let disputedClaims = Set(statement.disputes.compactMap(\.claim))
        let names = Dictionary(
            statement.items.map { ($0.item.indicator, $0.name) } + statement.claimable.map { ($0.indicator, $0.name) },
            uniquingKeysWith: { first, _ in first })
        func source(_ input: String) -> [String: Any] {
            if input.hasPrefix("document:") {
                let id = String(input.dropFirst(9))
                return ["text": "电子证照 \(id.prefix(8))…", "link": "/my/documents/\(id)"]
            }
            if input.hasPrefix("claim:") { return ["text": "经审核的申报材料"] }
            if input.hasPrefix("dispute:") { return ["text": "复核决定"] }
            if input.hasPrefix("credit:") { return ["text": "信用等级评价"] }
            return ["text": input == "registry" ? "人口登记信息" : input]
        }
        let items: [[String: Any]] = statement.items.map { item in
            [
                "indicator": item.item.indicator, "name": item.name, "points": item.item.points, "value": item.item.value, "basis": item.basis,
                "capped": item.item.capped, "sources": item.item.inputs.map(source), "disputable": !disputedItems.contains(item.item.indicator),
            ]
        }
        let disputable =
            statement.run == nil
            ? []
            : statement.items.filter { !disputedItems.contains($0.item.indicator) }
                .map { ["indicator": $0.item.indicator, "name": $0.name] }
        let claims: [[String: Any]] = statement.claims.map { claim in
            [
                "id": claim.id, "name": names[claim.indicator] ?? claim.indicator, "option": claim.option,
                "submittedAt": ChinaTime(claim.submittedAt).minuteText,
                "department": departments[claim.department] ?? claim.department,
                "status": claim.decision == nil ? "审核中" : claim.decision == "approved" ? "已通过" : "未通过", "reason": claim.reason ?? false,
                "indicator": claim.indicator, "disputable": claim.decision != nil && !disputedClaims.contains(claim.id),
            ]
        }
        let disputes: [[String: Any]] = statement.disputes.map { dispute in
            let outcome: String
            switch dispute.outcome {
            case "upheld": outcome = "维持原分"
            case "corrected": outcome = "改为 \(dispute.points ?? 0) 分"
            default: outcome = "复核中"
            }
            return [
                "name": names[dispute.indicator] ?? dispute.indicator, "filedAt": ChinaTime(dispute.filedAt).minuteText, "outcome": outcome,
                "reason": dispute.decisionReason ?? false, "disputed": dispute.disputedPoints,
            ]
        }
        var context = visit.base
        context["title"] = "我的积分"
        context["tabPoints"] = true
        context["scheme"] = statement.scheme ?? ""
        context["hasScheme"] = statement.scheme != nil
        context["hasScore"] = statement.run != nil
        context["total"] = statement.total.map { "\($0) 分" } ?? ""
        context["withheld"] = statement.withheld.joined(separator: "、")
        context["hasWithheld"] = !statement.withheld.isEmpty
        context["creditTier"] = services.identity.policy.tierForCreditLevel
        context["asOf"] = statement.run.map { CivilDay($0.asOf).chinese } ?? ""
        context["policyVersion"] = statement.run?.policyVersion ?? 0
        context["runID"] = statement.run.map { "\($0.id)" } ?? ""
        context["items"] = items
        context["disputable"] = disputable
        context["hasDisputable"] = !disputable.isEmpty
        context["claimable"] = statement.claimable.map { indicator -> [String: Any] in
            [
                "indicator": indicator.indicator, "name": indicator.name, "department": departments[indicator.department] ?? indicator.department,
                "options": indicator.options.map { ["name": $0.name, "points": $0.points] },
            ]
        }
        context["hasClaimable"] = !statement.claimable.isEmpty
        context["claims"] = claims
        context["hasClaims"] = !claims.isEmpty
        context["disputes"] = disputes
        context["hasDisputes"] = !disputes.isEmpty
        context["evidenceKiB"] = PointsService.evidenceLimit / 1024
        context["certificateMatter"] = catalogue?.matter("JFZM")?.name ?? "积分证明"
        return renderer.response("points", context)
    }

    private func claimPoints(_ request: Request, _ visit: Visit) async throws -> Response {
        let form = try await PageForm.multipart(of: request, limit: PointsService.evidenceLimit + PageForm.maximumBytes)
        return try await checkedChange(request, form: form.fields, visit, route: "POST /my/points/claims", back: "/my/points", backText: "返回积分") {
            fields in
            _ = try await services.points.claim(
                subject: visit.session.subjectID, indicator: fields["indicator"] ?? "", option: fields["option"] ?? "",
                statement: fields["statement"] ?? "", evidence: form.files["evidence"], actor: visit.session.actor)
        }
    }

    private func disputePoints(_ request: Request, _ visit: Visit) async throws -> Response {
        try await changeForm(request, visit, route: "POST /my/points/disputes", back: "/my/points", backText: "返回积分") { form in
            let claim = form["claim"].flatMap { $0.isEmpty ? nil : $0 }
            _ = try await services.points.dispute(
                subject: visit.session.subjectID, indicator: form["indicator"] ?? "", claim: claim,
                reason: form["reason"] ?? "", actor: visit.session.actor,
                disclosingCredit: services.identity.policy.seesCreditLevel(visit.session))
        }
    }

    private func pointsCertificate(_ request: Request, _ visit: Visit) async throws -> Response {
        var issued: String?
        let response = try await changeForm(request, visit, route: "POST /my/points/certificate", back: "/my/points", backText: "返回积分") { _ in
            issued = try await services.points.certificate(
                subject: visit.session.subjectID, actor: visit.session.actor,
                disclosingCredit: services.identity.policy.seesCreditLevel(visit.session)
            ).record.id.rawValue
        }
        return issued.map { PageRenderer.redirect("/my/documents/\($0)") } ?? response
    }

    /// The public ranking of departments by their ratings over the last 90 days, phone-sized, with the formula.
    private func figures(_ request: Request, _ context: ZeroTripRequestContext) async throws -> Response {
        let client = client(request, context)
        if let wait = publicLimiter.secondsToWait(client) {
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "client:\(client)", action: .authDenied, target: "route:GET /figures", outcome: "denied",
                    details: ["reason": "rate_limited"]))
            return await refusal(.rateLimited(wait), back: "/figures")
        }
        let now = services.clock.now()
        let days = 90
        let to = CivilDay(now).adding(days: 1).start
        let (figures, reviews, volumes) = try await publicFigures.get {
            (
                try await services.ratings.figures(from: to.addingTimeInterval(-Double(days) * 86_400), to: to),
                try await services.supervision.reviewFigures(from: to.addingTimeInterval(-Double(days) * 86_400), to: to),
                try await services.supervision.volumes(from: to.addingTimeInterval(-365 * 86_400), to: to)
            )
        }
        let names = try await services.administration.departmentNames()
        func two(_ value: Double) -> String { String(format: "%.2f", value) }
        var page = await frame(title: "服务评价排行", service: "政务服务 · 好差评")
        page["days"] = days
        page["from"] = ChinaTime(figures.from).chineseDate
        page["to"] = ChinaTime(now).chineseDate
        page["count"] = figures.count
        page["mean"] = two(figures.districtMean)
        page["prior"] = RatingFigures.priorWeight
        let rows: [[String: Any]] = figures.departments.enumerated().map { index, group in
            [
                "rank": index + 1, "name": names[group.key] ?? group.key, "weighted": two(group.weighted), "mean": two(group.mean),
                "count": group.count,
                "poor": group.poor,
            ]
        }
        page["departments"] = rows
        page["hasDepartments"] = !rows.isEmpty
        let reviewRows: [[String: Any]] = reviews.departments.map { row in
            [
                "name": names[row.department] ?? row.department, "mean": String(format: "%.1f", row.meanWorkingDays), "reviewed": row.reviewed,
                "waiting": row.waiting, "stalled": row.stalled, "hasStalled": row.stalled > 0,
            ]
        }
        page["reviews"] = reviewRows
        page["hasReviews"] = !reviewRows.isEmpty
        page["stallDays"] = reviews.stallWorkingDays
        let lastMonths = Array(volumes.months.suffix(12))
        page["chart"] = Charts.monthlyBars(lastMonths)
        page["yearTotal"] = volumes.departments.reduce(0) { $0 + $1.submitted }
        var headers = HTTPFields()
        headers[.cacheControl] = "public, max-age=60"
        return renderer.response("figures", page, headers: headers)
    }

    // MARK: Words

    static func status(_ record: ResultDocumentRecord, now: Date) -> (String, String) {
        switch record.status {
        case .valid where record.isExpired(at: now): ("已过期", "warn")
        case .valid: ("有效", "ok")
        case .revoked where record.statusReason == "superseded": ("已被新文书替代", "bad")
        case .revoked: ("已撤销", "bad")
        default: (record.status.rawValue, "warn")
        }
    }

    static func levelText(_ level: CreditLevel) -> String {
        switch level {
        case .a: "守信良好：可申请容缺受理（先办结果、后补材料）。"
        case .b: "守信：可申请容缺受理（先办结果、后补材料）。"
        case .m: "一般：按常规材料办理。"
        case .c: "失信记录未修复：需按常规材料办理，修复后可恢复。"
        case .d: "严重失信：需按常规材料办理。"
        }
    }

    /// The Chinese text a page shows for a domain error of the sign-in flow.
    static func chinese(_ error: ZeroTripError) -> String {
        switch error.code {
        case .invalidIDNumber: "身份证号码格式不正确，请核对 18 位号码（末位可以是 X）。"
        case .invalidInput: "请填写身份证号码和姓名。"
        case .verificationFailed: "验证码不正确或已过期。请核对短信，或重新获取验证码。"
        case .locked: "验证失败次数过多，已暂时锁定，请稍后再试。"
        case .rateLimited: "请求过于频繁，请稍后再试。"
        default: "暂时无法完成核验，请稍后再试。"
        }
    }
}

/// The public ranking's figures, computed at most once a minute: the page is anonymous, and each computation reads
/// every rating and review of the period.
final class PublicFiguresCache: Sendable {
    typealias Figures = (RatingFigures, ReviewFigures, VolumeFigures)
    private let cached = Mutex<(figures: Figures, at: ContinuousClock.Instant)?>(nil)

    func get(_ compute: () async throws -> Figures) async throws -> Figures {
        if let entry = cached.withLock({ $0 }), ContinuousClock.now - entry.at < .seconds(60) { return entry.figures }
        let fresh = try await compute()
        cached.withLock { $0 = (fresh, ContinuousClock.now) }
        return fresh
    }
}
