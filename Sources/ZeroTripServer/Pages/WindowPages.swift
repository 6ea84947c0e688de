import Foundation
import Hummingbird
import Logging
import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

/// The window station at `/window/…`, for clerks at the counter on a desktop browser: a clerk signs in with the
/// department's credential and their own number, name and counter; reads a person (ID number) for one of the
/// department's matters — name to confirm the number was typed right, identity checks, credit level in Chinese with
/// what it allows — submits the application with the materials received (standard, or 容缺 when allowed), has the
/// applicant sign the commitment after a card read, moves it through acceptance, review, approval and issuance,
/// records materials handed in later, and lists the department's open obligations. Every step goes through the
/// same services as the JSON API, recorded under the credential and the clerk.
struct WindowPages: Sendable {
    let services: ZeroTripServices
    let limiter: RateLimiter
    let cookies: PageCookies
    let clients: ClientAddress
    let district: DistrictNameCache
    let renderer = PageRenderer()

    /// Every route these pages register (a test holds this list to `register(on:)` and walks it signed out).
    static let routes: [(HTTPRequest.Method, String)] = [
        (.get, "/window"), (.get, "/window/login"), (.post, "/window/login"), (.post, "/window/logout"), (.get, "/window/person"),
        (.post, "/window/person/card"), (.post, "/window/person/served"), (.post, "/window/applications"), (.post, "/window/consents"),
        (.get, "/window/applications"), (.get, "/window/obligations"), (.get, "/window/applications/{id}"), (.get, "/window/points"),
        (.get, "/window/points/claims/{id}/evidence"), (.post, "/window/points/claims/{id}"), (.post, "/window/points/disputes/{id}"),
        (.get, "/window/statistics"), (.get, "/window/statistics/{table}"), (.get, "/window/complaints"), (.post, "/window/complaints/{id}"),
        (.post, "/window/applications/{id}/{step}"),
    ]

    static let sessionCookie = "zt_window"
    static let preSessionCookie = "zt_wpre"

    func register(on router: Router<ZeroTripRequestContext>) {
        router.get("/window") { request, context in try await signedIn(request, context) { try await home($0) } }
        router.get("/window/login") { request, _ in try await loginPage(request) }
        router.post("/window/login") { request, context in
            do { return try await login(request, context) } catch let error as ZeroTripError {
                PageFailureLog.record(error, route: "POST /window/login")
                return notice(
                    await frame(title: "窗口登录"), title: "未能完成", message: ChineseMessages.text(for: error), back: "/window/login",
                    status: HTTPErrorMapping.status(for: error.code))
            }
        }
        router.post("/window/logout") { request, context in
            try await signedIn(request, context) { visit in
                try await posted(request, visit, route: "POST /window/logout") { _ in
                    try await services.windows.end(id: visit.session.id)
                    var headers = HTTPFields()
                    headers.setCookie(cookies.clearing(Self.sessionCookie, path: "/window"))
                    return PageRenderer.redirect("/window/login", headers: headers)
                }
            }
        }
        // Each page needs the scope its JSON route needs: the credential's scopes hold at the window too.
        router.get("/window/person") { request, context in
            try await signedIn(request, context, needs: [.creditRead], route: "GET /window/person") { try await person(request, $0) }
        }
        router.post("/window/person/card") { request, context in
            try await signedIn(request, context, needs: [.identityAttest], route: "POST /window/person/card") { visit in
                try await posted(request, visit, route: "POST /window/person/card") { try await cardCheck($0, visit) }
            }
        }
        router.post("/window/person/served") { request, context in
            try await signedIn(request, context, needs: [.applicationsProcess], route: "POST /window/person/served") { visit in
                try await posted(request, visit, route: "POST /window/person/served") { try await served($0, visit) }
            }
        }
        router.post("/window/applications") { request, context in
            try await signedIn(request, context, needs: [.applicationsProcess], route: "POST /window/applications") { visit in
                try await posted(request, visit, route: "POST /window/applications") { try await submit($0, visit) }
            }
        }
        router.post("/window/consents") { request, context in
            try await signedIn(request, context, needs: [.applicationsProcess], route: "POST /window/consents") { visit in
                try await posted(request, visit, route: "POST /window/consents") { try await recordConsent($0, visit) }
            }
        }
        router.get("/window/applications") { request, context in
            try await signedIn(request, context, needs: [.applicationsProcess], route: "GET /window/applications") {
                try await list($0, obligationsOnly: false)
            }
        }
        router.get("/window/obligations") { request, context in
            try await signedIn(request, context, needs: [.applicationsProcess], route: "GET /window/obligations") {
                try await list($0, obligationsOnly: true)
            }
        }
        router.get("/window/applications/{id}") { request, context in
            try await signedIn(request, context, needs: [.applicationsProcess], route: "GET /window/applications/{id}") {
                try await application($0, id: context.parameters.get("id") ?? "")
            }
        }
        router.get("/window/points") { request, context in
            try await signedIn(request, context, needs: [.pointsReview], route: "GET /window/points") { try await pointsQueue($0) }
        }
        router.get("/window/points/claims/{id}/evidence") { request, context in
            try await signedIn(request, context, needs: [.pointsReview], route: "GET /window/points/claims/{id}/evidence") {
                try await pointsEvidence(context.parameters.get("id") ?? "", $0)
            }
        }
        router.post("/window/points/claims/{id}") { request, context in
            let route = "POST /window/points/claims/{id}"
            return try await signedIn(request, context, needs: [.pointsReview], route: route) { visit in
                try await posted(request, visit, route: route) { try await decideClaim(context.parameters.get("id") ?? "", form: $0, visit) }
            }
        }
        router.post("/window/points/disputes/{id}") { request, context in
            let route = "POST /window/points/disputes/{id}"
            return try await signedIn(request, context, needs: [.pointsReview], route: route) { visit in
                try await posted(request, visit, route: route) { try await decideDispute(context.parameters.get("id") ?? "", form: $0, visit) }
            }
        }
        router.get("/window/statistics") { request, context in
            try await signedIn(request, context, needs: [.statisticsRead], route: "GET /window/statistics") { try await statistics(request, $0) }
        }
        router.get("/window/statistics/{table}") { request, context in
            try await signedIn(request, context, needs: [.statisticsRead], route: "GET /window/statistics/{table}") {
                try await statisticsTable(context.parameters.get("table") ?? "", request, $0)
            }
        }
        router.get("/window/complaints") { request, context in
            try await signedIn(request, context, needs: [.applicationsProcess], route: "GET /window/complaints") { try await complaintQueue($0) }
        }
        router.post("/window/complaints/{id}") { request, context in
            let route = "POST /window/complaints/{id}"
            return try await signedIn(request, context, needs: [.applicationsProcess], route: route) { visit in
                try await posted(request, visit, route: route) { try await answerComplaint(context.parameters.get("id") ?? "", form: $0, visit) }
            }
        }
        router.post("/window/applications/{id}/{step}") { request, context in
            let id = context.parameters.get("id") ?? "", step = context.parameters.get("step") ?? ""
            let route = "POST /window/applications/{id}/\(step.prefix(16))"
            // Taking the commitment includes the card check: it needs identity:attest as well.
            return try await signedIn(
                request, context, needs: step == "commit" ? [.applicationsProcess, .identityAttest] : [.applicationsProcess], route: route
            ) { visit in
                try await posted(request, visit, route: route) { try await advance(id, step: step, form: $0, visit) }
            }
        }
    }

    // MARK: Session

    struct Visit {
        let session: WindowSession
        let token: String
        let base: [String: Any]
        var department: String { session.principal.departmentCode }
    }

    private func client(_ request: Request, _ context: ZeroTripRequestContext) -> String {
        clients.resolve(peer: context.remoteAddress?.ipAddress, headers: request.headers)
    }

    private func frame(title: String) async -> [String: Any] {
        ["title": title, "district": await district.get(), "service": "窗口工作台"]
    }

    private func signedIn(
        _ request: Request, _ context: ZeroTripRequestContext, needs scopes: [Scope] = [], route: String = "",
        _ page: (Visit) async throws -> Response
    ) async throws -> Response {
        guard let token = request.cookies[Self.sessionCookie]?.value, token.utf8.count <= WindowSessions.maximumTokenLength else {
            return PageRenderer.redirect("/window/login")
        }
        let session: WindowSession
        do {
            session = try await services.windows.authenticate(token: token)
        } catch let error as ZeroTripError where error.code == .sessionInvalid {
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "client:\(client(request, context))", action: .authDenied, target: "route:/window",
                    outcome: "denied", details: ["reason": "invalid_window_session"]))
            var headers = HTTPFields()
            headers.setCookie(cookies.clearing(Self.sessionCookie, path: "/window"))
            return PageRenderer.redirect("/window/login?expired=1", headers: headers)
        }
        var base = await frame(title: "")
        base["window"] = true
        base["csrf"] = PageCookies.csrfToken(session: token)
        base["departmentName"] =
            (try? await services.administration.department(code: session.principal.departmentCode)?.name) ?? session.principal.departmentCode
        base["station"] = session.station
        base["clerkName"] = session.clerk.name
        base["clerkId"] = session.clerk.id
        base["canStatistics"] = session.principal.scopes.contains(.statisticsRead)
        let visit = Visit(session: session, token: token, base: base)
        if let missing = scopes.first(where: { !session.principal.scopes.contains($0) }) {
            try await services.audit(
                AuditEntry(
                    actor: session.actor, action: .authDenied, target: "route:\(route)", outcome: "denied",
                    details: ["reason": "missing_scope", "required": missing.rawValue]))
            return notice(
                base, title: "无权操作", message: "本窗口所用的部门凭证没有这项权限（\(missing.rawValue)），请向本部门管理员申请。",
                back: "/window/", status: .forbidden)
        }
        do {
            return try await page(visit)
        } catch let error as ZeroTripError {
            // Never the JSON error body on a page: the clerk reads Chinese; the detail goes to the log.
            context.logger.info("window page refused", metadata: ["code": "\(error.code.rawValue)", "route": "\(route)"])
            PageFailureLog.record(error, route: route)
            return notice(
                base, title: "未能完成", message: ChineseMessages.text(for: error), back: "/window/", status: HTTPErrorMapping.status(for: error.code))
        }
    }

    /// A signed-in form post: same origin and the session's CSRF token, or a 403 page (audited under the clerk).
    private func posted(_ request: Request, _ visit: Visit, route: String, _ body: ([String: String]) async throws -> Response) async throws
        -> Response
    {
        let form = try await PageForm.fields(of: request)
        guard PageCookies.isGenuine(request, form: form, expected: PageCookies.csrfToken(session: visit.token)) else {
            try await services.audit(
                AuditEntry(
                    actor: visit.session.actor, action: .authDenied, target: "route:\(route)", outcome: "denied",
                    details: ["reason": "csrf"]))
            return notice(
                visit.base, title: "无法处理请求", message: "表单已失效（页面停留过久，或不是从本站页面提交的）。请返回重新操作。",
                back: "/window/", status: .forbidden)
        }
        do {
            return try await body(form)
        } catch let error as ZeroTripError where HTTPErrorMapping.status(for: error.code).code < 500 {
            if (error.code == .forbidden || error.code == .notAReviewer || error.code == .notASupervisor) && !error.isAudited {
                try await services.audit(
                    AuditEntry(
                        actor: visit.session.actor, action: .authDenied, target: "route:\(route)", outcome: "denied",
                        details: ["reason": "forbidden", "message": String(error.message.prefix(200))]))
            }
            return notice(
                visit.base, title: "未能完成", message: ChineseMessages.text(for: error), back: request.headers[.referer] ?? "/window/",
                status: HTTPErrorMapping.status(for: error.code))
        }
    }

    private func notice(_ base: [String: Any], title: String, message: String, back: String, status: HTTPResponse.Status) -> Response {
        renderer.notice(base, title: title, message: message, back: Self.localPath(back), status: status)
    }

    private func loginPage(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok, form: [String: String] = [:]) async throws
        -> Response
    {
        var context = await frame(title: "窗口登录")
        var headers = HTTPFields()
        context["csrf"] = try cookies.preSessionToken(request, name: Self.preSessionCookie, path: "/window", headers: &headers)
        // Echoed back only without marks that could join a quote into one character the escaper does not see.
        for key in ["clerkId", "clerkName", "station"] {
            context[key] = String(
                (form[key] ?? "").prefix(40).unicodeScalars.filter {
                    $0.properties.generalCategory != .nonspacingMark && $0.properties.generalCategory != .enclosingMark && $0.value >= 0x20
                }.map(Character.init))
        }
        if let error {
            context["error"] = error
        } else if request.uri.queryParameters.get("expired") != nil {
            context["error"] = "登录已过期或已退出，请重新登录。"
        }
        return renderer.response("window-login", context, status: status, headers: headers)
    }

    private func login(_ request: Request, _ context: ZeroTripRequestContext) async throws -> Response {
        let client = client(request, context)
        if let wait = limiter.secondsToWait(client) {
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "client:\(client)", action: .authDenied, target: "route:POST /window/login", outcome: "denied",
                    details: ["reason": "rate_limited"]))
            return renderer.notice(
                await frame(title: ""), title: "请求过于频繁", message: "本机的登录请求过多。", back: "/window/login",
                status: .tooManyRequests, retryAfter: wait)
        }
        let form = try await PageForm.fields(of: request)
        guard PageCookies.isGenuine(request, form: form, expected: request.cookies[Self.preSessionCookie]?.value ?? "") else {
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "client:\(client)", action: .authDenied, target: "route:POST /window/login", outcome: "denied",
                    details: ["reason": "csrf"]))
            return try await loginPage(request, error: "表单已失效，请重新填写。", status: .forbidden, form: form)
        }
        do {
            let (token, _) = try await services.windows.signIn(
                credentialToken: (form["credential"] ?? "").trimmingCharacters(in: .whitespaces),
                clerk: ClerkIdentity(id: form["clerkId"] ?? "", name: form["clerkName"] ?? ""),
                station: form["station"] ?? "")
            var headers = HTTPFields()
            headers.setCookie(cookies.cookie(Self.sessionCookie, token, path: "/window", maxAge: Int(WindowSessions.absoluteLifetime)))
            return PageRenderer.redirect("/window/", headers: headers)
        } catch let error as ZeroTripError where HTTPErrorMapping.status(for: error.code).code < 500 {
            if error.code == .unauthenticated {
                services.anonymousAudit.record(
                    AuditEntry(
                        actor: "client:\(client)", action: .authDenied, target: "route:POST /window/login", outcome: "denied",
                        details: ["reason": "invalid_token"]))
            }
            return try await loginPage(request, error: ChineseMessages.text(for: error), status: HTTPErrorMapping.status(for: error.code), form: form)
        }
    }

    // MARK: Pages

    private func matters(of department: String) async -> [Matter] {
        ((try? await services.credit.currentCatalogue())?.matters ?? []).filter { $0.department == department }
    }

    private func home(_ visit: Visit) async throws -> Response {
        var context = visit.base
        context["title"] = "查询办事人"
        context["tabLookup"] = true
        context["matters"] = await matters(of: visit.department).map { ["code": $0.code, "name": $0.name] }
        return renderer.response("window-home", context)
    }

    private func person(_ request: Request, _ visit: Visit) async throws -> Response {
        let idNumber = String((request.uri.queryParameters.get("idNumber") ?? "").trimmingCharacters(in: .whitespaces).uppercased().prefix(18))
        let matterCode = String((request.uri.queryParameters.get("matter") ?? "").prefix(32))
        guard let matter = await matters(of: visit.department).first(where: { $0.code == matterCode }) else {
            try await services.audit(
                AuditEntry(
                    actor: visit.session.actor, action: .authDenied, target: "route:GET /window/person", outcome: "denied",
                    details: ["reason": "matter_not_of_department", "matter": String(matterCode.prefix(32))]))
            return notice(visit.base, title: "查询办事人", message: "请选择本部门的办理事项。", back: "/window/", status: .badRequest)
        }
        let subject: String?
        do { subject = try await services.identity.registry.subject(idNumber: idNumber) } catch let error as ZeroTripError {
            PageFailureLog.record(error, route: "GET /window/person")
            return notice(
                visit.base, title: "查询办事人", message: ChineseMessages.text(for: error), back: "/window/",
                status: HTTPErrorMapping.status(for: error.code))
        }
        guard let subject, let summary = try await services.identity.registry.summary(subject: subject) else {
            return notice(
                visit.base, title: "查询办事人", message: ChineseMessages.text(for: ZeroTripError(.unknownPerson, "")), back: "/window/", status: .notFound
            )
        }
        let check: WindowCreditCheck
        do {
            check = try await services.credit.windowCheck(
                subject: idNumber, matter: matter.code, department: visit.department, actor: visit.session.actor)
        } catch let error as ZeroTripError where HTTPErrorMapping.status(for: error.code).code < 500 {
            return notice(
                visit.base, title: "查询办事人", message: ChineseMessages.text(for: error), back: "/window/",
                status: HTTPErrorMapping.status(for: error.code))
        }
        let records = try await services.identity.assuranceRecords(subject: subject)
        var context = visit.base
        context["title"] = "办事人：\(summary.name)"
        context["tabLookup"] = true
        context["name"] = summary.name
        context["idNumber"] = idNumber
        context["idMasked"] = summary.idNumberMasked
        context["assurance"] =
            records.last.map { "最近一次 \(ChinaTime($0.verifiedAt).minuteText)，等级 \($0.tier)（\(Self.method($0.method.rawValue))）" } ?? "尚无核验记录"
        context["matter"] = matter.code
        context["matterName"] = matter.name
        context["level"] = check.level.rawValue
        context["levelText"] = ApplicantPages.levelText(check.level)
        context["asOf"] = ChinaTime(check.asOf).minuteText
        context["policyVersion"] = check.policyVersion
        if check.trustApproval.available {
            context["trust"] = true
            context["deadlineDays"] = matter.trustDeadlineDays ?? 0
            context["deferrable"] = matter.materials.filter(\.trustEligible).map(\.name).joined(separator: "、")
        } else {
            context["refusal"] = check.trustApproval.reasons.map { ChineseMessages.trustRefusal($0, level: check.level.rawValue) }.joined()
        }
        context["materials"] = matter.materials.map {
            ["code": $0.code, "name": $0.name, "primary": $0.kind == .primary, "trustEligible": $0.trustEligible] as [String: Any]
        }
        // Consent at the counter stands on a card check made at this department's stations (not the applicant's own login).
        let cardCheck = records.last { $0.method == .windowCard && $0.agent.hasPrefix("\(visit.session.principal.actor)/") }
        try await reuseSection(into: &context, matter: matter, subject: subject, idNumber: idNumber, assurance: cardCheck, visit)
        context["windowServices"] = WindowService.allCases.map { ["value": $0.rawValue, "label": $0.chinese] }
        return renderer.response("window-person", context)
    }

    /// The person leaves the counter after a service without an application: they are invited to rate it (once a
    /// day for this clerk), and the clerk is told whether a message went out.
    private func served(_ form: [String: String], _ visit: Visit) async throws -> Response {
        guard let service = WindowService(rawValue: form["service"] ?? "") else { throw ZeroTripError(.invalidInput, "service") }
        let (rating, created) = try await services.ratings.invite(
            windowService: service, idNumber: form["idNumber"] ?? "", matter: form["matter"],
            department: visit.department, clerk: visit.session.clerk.id, actor: visit.session.actor)
        let message =
            created
            ? "已向办事人发送评价邀请（\(service.chinese)），\(RatingService.ratingDays) 天内有效。"
            : "今天已邀请过该办事人评价您的服务（\(ChinaTime(rating.invitedAt).minuteText)），没有再次发送。"
        return notice(visit.base, title: "服务结束", message: message, back: "/window/", status: created ? .created : .ok)
    }

    /// Materials other departments' results stand for: under the person's consent (given on the phone or recorded
    /// here after a fresh identity check), their valid results of the accepted types to choose from instead of paper.
    /// Listing them is a use (audited one by one, seen by the person); looking for a grant is not.
    private func reuseSection(
        into context: inout [String: Any], matter: Matter, subject: String, idNumber: String, assurance: AssuranceRecord?,
        _ visit: Visit
    ) async throws {
        let reusable = matter.materials.filter { !$0.acceptedResults.isEmpty }
        guard !reusable.isEmpty else { return }
        let catalogue = try? await services.credit.currentCatalogue()
        func titles(_ codes: [String]) -> String { codes.map { catalogue?.matter($0)?.result.title ?? $0 }.joined(separator: "、") }
        context["reuse"] = true
        context["acceptedText"] = reusable.map { "\($0.name) ← \(titles($0.acceptedResults))" }.joined(separator: "；")
        guard let grant = try await services.consent.grantForNewApplication(subject: .person(subject), matter: matter.code) else {
            if let assurance, services.clock.now().timeIntervalSince(assurance.verifiedAt) <= ApplicationService.windowAssuranceMaxAge {
                context["hasConsentAssurance"] = true
                context["consentAssurance"] = String(assurance.id)
            }
            return
        }
        context["granted"] = true
        let until = grant.lifetime == .days ? "至 \(ChinaTime(grant.expiresAt).minuteText)" : "至本次办件办结"
        context["grantText"] = "办事人已授权本部门调用：\(titles(grant.resultTypes))（\(grant.channel == .window ? "窗口授权" : "手机授权")，\(until)）"
        guard visit.session.principal.scopes.contains(.documentsReuse) else {
            context["reuseScopeMissing"] = true
            return
        }
        let pulled = try await services.consent.reuse(
            idNumber: idNumber, matter: matter.code, department: visit.department, includePDF: false,
            forNewApplication: true, actor: visit.session.actor)
        context["reuseMaterials"] = reusable.map { material -> [String: Any] in
            let options = pulled.documents.filter { material.acceptedResults.contains($0.record.matterCode) }.enumerated().map { index, reused in
                [
                    "id": reused.record.id, "selected": index == 0,
                    "label": "\(reused.record.matterName)（有效至 \(ChinaTime(reused.record.validUntil).chineseDate)）",
                ] as [String: Any]
            }
            return ["code": material.code, "name": material.name, "options": options, "none": options.isEmpty]
        }
    }

    /// The tier-3 path at the counter: the card read and the face check record the applicant's identity, and a
    /// one-time code (as a QR code) lets the applicant's own phone open a tier-3 session on the applicant pages.
    private func cardCheck(_ form: [String: String], _ visit: Visit) async throws -> Response {
        let idNumber = form["idNumber"] ?? "", name = form["name"] ?? ""
        let card = CardRead(idNumber: idNumber, name: name, validFrom: form["validFrom"] ?? "", validUntil: form["validUntil"] ?? "")
        let result = try await services.identity.windowCheck(
            card: card, faceMatched: form["faceMatched"] == "1", clerk: visit.session.clerk,
            station: visit.session.station, actor: visit.session.principal.actor)
        var base = services.documents.verificationBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        let link = "\(base)/my/handoff?v=\(result.handoff.verificationId)&s=\(result.handoff.secret)"
        var context = visit.base
        context["title"] = "身份核验：\(name)"
        context["tabLookup"] = true
        context["name"] = name
        context["idNumber"] = idNumber
        context["matter"] = form["matter"] ?? ""
        context["link"] = link
        context["minutes"] = max(1, Int(result.handoff.expiresAt.timeIntervalSince(services.clock.now()) / 60))
        context["qrSVG"] = QRCodeSVG.svg(encoding: link, errorCorrection: .medium, label: "手机登录码")
        return renderer.response("window-card", context)
    }

    /// Records the person's consent given at the counter (for the life of the application about to be submitted),
    /// on the identity check the page offered; then back to the person.
    private func recordConsent(_ form: [String: String], _ visit: Visit) async throws -> Response {
        let idNumber = form["idNumber"] ?? "", matter = form["matter"] ?? ""
        guard let assurance = Int64(form["assuranceId"] ?? "") else { throw ZeroTripError(.invalidInput, "assuranceId") }
        _ = try await services.applications.grantConsentAtWindow(
            idNumber: idNumber, matter: matter, resultTypes: nil, days: nil, assuranceID: assurance,
            department: visit.department, actor: visit.session.actor)
        var query = URLComponents()
        query.queryItems = [URLQueryItem(name: "idNumber", value: idNumber), URLQueryItem(name: "matter", value: matter)]
        return PageRenderer.redirect("/window/person?\(query.percentEncodedQuery ?? "")")
    }

    private func submit(_ form: [String: String], _ visit: Visit) async throws -> Response {
        let matter = form["matter"] ?? ""
        let provided = Self.ticked(form)
        guard let mode = ApplicationMode(rawValue: form["mode"] ?? "standard") else { throw ZeroTripError(.invalidInput, "mode") }
        let record = try await services.applications.submit(
            NewApplication(
                matterCode: matter, idNumber: form["idNumber"] ?? "", name: form["name"] ?? "",
                mode: mode, provided: provided, documents: Self.namedResults(form)),
            department: visit.department, actor: visit.session.actor)
        return PageRenderer.redirect("/window/applications/\(record.id)")
    }

    private func advance(_ id: String, step: String, form: [String: String], _ visit: Visit) async throws -> Response {
        let applications = services.applications, department = visit.department, actor = visit.session.actor
        switch step {
        case "accept": _ = try await applications.accept(id, department: department, actor: actor)
        case "review": _ = try await applications.startReview(id, department: department, actor: actor)
        case "approve": _ = try await applications.approve(id, department: department, actor: actor)
        case "reject": _ = try await applications.reject(id, reason: form["reason"] ?? "", department: department, actor: actor)
        case "fulfil":
            let materials = Self.ticked(form)
            _ = try await applications.fulfil(id, materials: materials, department: department, actor: actor)
        case "issue":
            let record = try await applications.application(id, department: department)
            let matter = try await services.credit.catalogue(version: record.catalogueVersion).matters.first { $0.code == record.matterCode }
            var values: [String: String] = [:]
            for (index, label) in (matter?.result.fields ?? []).enumerated() { values[label] = form["f_\(index)"] ?? "" }
            _ = try await applications.issueResult(id, values: values, department: department, actor: actor)
        case "commit":
            let record = try await applications.application(id, department: department)
            guard let person = try await services.identity.registry.personalData(subject: record.subject.personID ?? "") else {
                throw ZeroTripError(.unknownPerson, "the applicant is no longer in the registry")
            }
            let card = CardRead(
                idNumber: person.idNumber, name: person.name, validFrom: form["validFrom"] ?? "", validUntil: form["validUntil"] ?? "")
            let check = try await services.identity.windowCheck(
                card: card, faceMatched: form["faceMatched"] == "1", clerk: visit.session.clerk,
                station: visit.session.station, actor: visit.session.principal.actor)
            _ = try await applications.commit(id, assuranceID: check.assurance.id, department: department, actor: actor)
        default:
            throw ZeroTripError(.notFound, "no such step")
        }
        return PageRenderer.redirect("/window/applications/\(id)")
    }

    private func application(_ visit: Visit, id: String) async throws -> Response {
        let record: ApplicationRecord
        do { record = try await services.applications.application(id, department: visit.department) } catch let error as ZeroTripError
            where [.notFound, .unknownApplication, .forbidden].contains(error.code)
        {
            if error.code == .forbidden {
                try await services.audit(
                    AuditEntry(
                        actor: visit.session.actor, action: .authDenied, target: "route:GET /window/applications/{id}",
                        outcome: "denied", details: ["reason": "forbidden"]))
            }
            return notice(
                visit.base, title: "办件", message: ChineseMessages.text(for: ZeroTripError(.unknownApplication, "")), back: "/window/applications",
                status: HTTPErrorMapping.status(for: error.code))
        }
        let matter = try? await services.credit.catalogue(version: record.catalogueVersion).matters.first { $0.code == record.matterCode }
        let now = services.clock.now()
        var context = visit.base
        context["title"] = "办件 \(record.id.prefix(8))"
        context["tabApplications"] = true
        context["id"] = record.id
        context["applicant"] = record.applicantName
        context["matterName"] = matter?.name ?? record.matterCode
        context["mode"] = Self.mode(record.mode)
        let (state, style) = Self.state(record)
        context["state"] = state
        context["stateClass"] = style
        context["timeLimit"] = record.timeLimitDue.map { ChinaTime($0).minuteText } ?? "受理后计算"
        context["materials"] = record.materials.map { ["name": $0.name, "provided": $0.provided] as [String: Any] }
        if let obligation = record.obligation, obligation.state == .open || obligation.state == .rectification {
            let names = obligation.items.map { code in record.materials.first { $0.code == code }?.name ?? code }
            context["obligation"] =
                [
                    "items": names.joined(separator: "、"), "deadline": ChinaTime(obligation.rectificationDeadline ?? obligation.deadline).minuteText,
                    "overdue": obligation.deadline < now,
                ] as [String: Any]
            context["canFulfil"] = true
            context["missing"] = obligation.items.map { code in ["code": code, "name": record.materials.first { $0.code == code }?.name ?? code] }
        }
        if let documentID = record.documentID, let document = try await services.documents.record(id: documentID) {
            // The verification page of this daemon, as the QR code opens it (relative: the station is on this site).
            let url = ResultToken.verificationURL(base: "", token: document.token)
            context["document"] = [
                "link": String(url[(url.range(of: "/V/?")?.lowerBound ?? url.startIndex)...]),
                "number": ResultDocumentRenderer.groupedID(document.id.rawValue),
            ]
        }
        if record.mode == .trust || record.mode == .deferral, let draft = try? await services.applications.commitmentDraft(record.id) {
            context["commitmentText"] = draft.consequences
            if let commitment = record.commitment {
                context["signed"] = true
                context["signedTier"] = commitment.tier
            } else if record.mode == .trust {
                context["needsSignature"] = true
            }
        }
        let signedOrNotNeeded = record.mode != .trust || record.commitment != nil
        context["canAccept"] = record.state == .submitted && signedOrNotNeeded
        context["canReview"] = record.state == .accepted
        context["canApprove"] = record.state == .underReview
        if record.state == .approved, let matter {
            context["canIssue"] = true
            context["resultTitle"] = matter.result.title
            context["resultFields"] = matter.result.fields.enumerated().map { ["index": $0.offset, "label": $0.element] as [String: Any] }
        }
        return renderer.response("window-application", context)
    }

    private func list(_ visit: Visit, obligationsOnly: Bool) async throws -> Response {
        var records = try await services.applications.applications(department: visit.department, limit: 200)
        let now = services.clock.now()
        if obligationsOnly {
            records = records.filter { $0.obligation.map { $0.state == .open || $0.state == .rectification } ?? false }
                .sorted { ($0.obligation?.deadline ?? now) < ($1.obligation?.deadline ?? now) }
        }
        var names: [String: String] = [:]
        for record in records where names[record.matterCode] == nil {
            names[record.matterCode] =
                (try? await services.credit.catalogue(version: record.catalogueVersion))?.matters.first { $0.code == record.matterCode }?.name
        }
        var context = visit.base
        context["title"] = obligationsOnly ? "待补材料（容缺承诺）" : "本部门办件"
        context[obligationsOnly ? "tabObligations" : "tabApplications"] = true
        let rows: [[String: Any]] = records.map { record in
            var (state, style) = Self.state(record)
            var detail = "提交于 \(ChinaTime(record.submittedAt).minuteText)"
            if let obligation = record.obligation, obligation.state == .open || obligation.state == .rectification {
                let overdue = obligation.deadline < now
                detail = "补交截止 \(ChinaTime(obligation.rectificationDeadline ?? obligation.deadline).minuteText)"
                if obligationsOnly {
                    state = obligation.state == .rectification ? "整改期" : (overdue ? "已逾期" : "未到期")
                    style = obligation.state == .rectification || overdue ? "bad" : "warn"
                }
            }
            return [
                "id": record.id, "applicant": record.applicantName, "matterName": names[record.matterCode] ?? record.matterCode,
                "detail": detail, "state": state, "stateClass": style,
            ]
        }
        context["rows"] = rows
        context["hasRows"] = !rows.isEmpty
        context["empty"] = obligationsOnly ? "没有待补材料的办件。" : "本部门还没有办件。"
        return renderer.response("window-list", context)
    }

    // MARK: Points review (积分审核)

    /// The department's queue of points claims (后申请) and disputes (复核), each with whose it is (name, masked ID
    /// number), the proof to open and the decision form. The signed-in clerk decides under their own number, which
    /// the staff directory must list as a reviewer or supervisor of the department.
    private func pointsQueue(_ visit: Visit) async throws -> Response {
        let claims = try await services.points.pendingClaims(department: visit.department)
        let disputes = try await services.points.pendingDisputes(department: visit.department)
        let policy = try? await services.points.policy(at: services.clock.now())
        func indicatorName(_ code: String) -> String { policy?.policy.indicator(code)?.name ?? code }
        var context = visit.base
        context["title"] = "积分审核"
        context["tabPoints"] = true
        context["claims"] = claims.map { pending -> [String: Any] in
            let claim = pending.item
            return [
                "id": claim.id, "applicant": pending.name ?? "（已不在人口库）", "idMasked": pending.idNumberMasked ?? "",
                "indicatorName": indicatorName(claim.indicator),
                "option": claim.option, "statement": claim.statement.isEmpty ? false : claim.statement,
                "submittedAt": ChinaTime(claim.submittedAt).minuteText,
                "evidence": claim.evidenceType.map(Self.evidenceName) ?? false,
            ]
        }
        context["claimCount"] = claims.count
        context["hasClaims"] = !claims.isEmpty
        context["disputes"] = disputes.map { pending -> [String: Any] in
            let dispute = pending.item
            return [
                "id": dispute.id, "applicant": pending.name ?? "（已不在人口库）", "idMasked": pending.idNumberMasked ?? "",
                "indicatorName": indicatorName(dispute.indicator), "disputedPoints": dispute.disputedPoints, "reason": dispute.reason,
                "filedAt": ChinaTime(dispute.filedAt).minuteText,
                "firstReviewer": dispute.firstReviewer.flatMap(SupervisionService.clerkNumber) ?? false,
                "cap": policy?.policy.indicator(dispute.indicator)?.cap ?? false,
            ]
        }
        context["disputeCount"] = disputes.count
        context["hasDisputes"] = !disputes.isEmpty
        return renderer.response("window-points", context)
    }

    static func evidenceName(_ type: String) -> String {
        switch type {
        case "application/pdf": "PDF"
        case "image/jpeg": "JPEG 照片"
        default: "PNG 图片"
        }
    }

    /// The proof of a claim, as an attachment of the type its first bytes proved (audited `points.evidence.read`).
    private func pointsEvidence(_ id: String, _ visit: Visit) async throws -> Response {
        let evidence = try await services.points.evidence(claim: id.lowercased(), department: visit.department, actor: visit.session.actor)
        return ZeroTripAPI.uploadedFile(type: evidence.type, bytes: evidence.bytes)
    }

    private func decideClaim(_ id: String, form: [String: String], _ visit: Visit) async throws -> Response {
        guard let decision = form["decision"], decision == "approve" || decision == "reject" else {
            throw ZeroTripError(.invalidInput, "decision must be approve or reject")
        }
        _ = try await services.points.decide(
            claim: id, department: visit.department, clerk: visit.session.clerk.id, approve: decision == "approve",
            reason: form["reason"] ?? "", actor: visit.session.principal.actor)
        return PageRenderer.redirect("/window/points")
    }

    private func decideDispute(_ id: String, form: [String: String], _ visit: Visit) async throws -> Response {
        let text = (form["points"] ?? "").trimmingCharacters(in: .whitespaces)
        var points: Int?
        if !text.isEmpty {
            guard text.utf8.count <= 5, let value = Int(text) else { throw ZeroTripError(.invalidInput, "points must be a whole number") }
            points = value
        }
        _ = try await services.points.decide(
            dispute: id, department: visit.department, clerk: visit.session.clerk.id, points: points,
            reason: form["reason"] ?? "", actor: visit.session.principal.actor)
        return PageRenderer.redirect("/window/points")
    }

    /// The department's complaints waiting for an answer, by deadline, each with the form a supervisor answers on.
    private func complaintQueue(_ visit: Visit) async throws -> Response {
        let open = try await services.complaints.complaints(department: visit.department, open: true)
        let now = services.clock.now()
        var context = visit.base
        context["title"] = "投诉办理"
        context["tabComplaints"] = true
        context["complaints"] = open.map { pending -> [String: Any] in
            let complaint = pending.item
            return [
                "id": complaint.id, "applicant": pending.name ?? "（已不在人口库）", "idMasked": pending.idNumberMasked ?? "",
                "cause": complaint.cause.chinese, "text": complaint.text.isEmpty ? false : complaint.text,
                "source": complaint.source == "poor_rating" ? "差评回访" : "投诉",
                "filedAt": ChinaTime(complaint.filedAt).minuteText, "dueAt": CivilDay(complaint.dueAt.addingTimeInterval(-1)).chinese,
                "overdue": complaint.dueAt < now,
                "clerk": complaint.clerk ?? false,
                "causes": ComplaintCause.allCases.map {
                    ["value": $0.rawValue, "label": $0.chinese, "selected": $0 == complaint.cause] as [String: Any]
                },
            ]
        }
        context["count"] = open.count
        context["hasComplaints"] = !open.isEmpty
        context["findings"] = ComplaintFinding.allCases.map { ["value": $0.rawValue, "label": $0.chinese] }
        context["answerDays"] = ComplaintService.answerWorkingDays
        return renderer.response("window-complaints", context)
    }

    private func answerComplaint(_ id: String, form: [String: String], _ visit: Visit) async throws -> Response {
        _ = try await services.complaints.answer(
            id: id, department: visit.department, clerk: visit.session.clerk.id, finding: form["finding"] ?? "",
            cause: form["cause"], action: form["action"] ?? "", reply: form["reply"] ?? "",
            actor: visit.session.principal.actor)
        return PageRenderer.redirect("/window/complaints")
    }

    // MARK: Statistics (supervisors: statistics:read)

    /// The periods the statistics page offers, in days ending today.
    static let statisticsPeriods = [30, 90, 365]

    /// The period of `days=` (30 by default), as China days ending with today.
    private func statisticsPeriod(_ request: Request) -> (days: Int, from: Date, to: Date) {
        let days = Int(request.uri.queryParameters.get("days") ?? "").flatMap { Self.statisticsPeriods.contains($0) ? $0 : nil } ?? 30
        let to = CivilDay(services.clock.now()).adding(days: 1).start
        return (days, to.addingTimeInterval(-Double(days) * 86_400), to)
    }

    /// The district's figures for supervisors, drawn on the server: volumes with 容缺 share and time limits passed,
    /// review times, ratings, complaints by cause, applications per month; each table downloadable as CSV.
    private func statistics(_ request: Request, _ visit: Visit) async throws -> Response {
        let period = statisticsPeriod(request)
        let names = try await services.administration.departmentNames()
        async let volumesRead = services.supervision.volumes(from: period.from, to: period.to)
        async let reviewsRead = services.supervision.reviewFigures(from: period.from, to: period.to)
        async let ratingsRead = services.ratings.figures(from: period.from, to: period.to)
        async let complaintsRead = services.complaints.figures(from: period.from, to: period.to)
        let (volumes, reviews, ratings, complaints) = try await (volumesRead, reviewsRead, ratingsRead, complaintsRead)
        func name(_ code: String) -> String { names[code] ?? code }
        func percent(_ part: Int, _ whole: Int) -> String { whole == 0 ? "—" : String(format: "%.1f%%", Double(part) * 100 / Double(whole)) }
        var context = visit.base
        context["title"] = "统计"
        context["tabStatistics"] = true
        context["days"] = period.days
        context["periods"] = Self.statisticsPeriods.map { ["days": $0, "current": $0 == period.days] as [String: Any] }
        context["volumes"] = volumes.departments.map { row -> [String: Any] in
            [
                "name": name(row.department), "submitted": row.submitted, "trustShare": percent(row.trust, row.submitted), "closed": row.closed,
                "rejected": row.rejected, "handling": StatisticsFormat.tenths(row.meanHandlingWorkingDays),
                "overdueRate": percent(row.overdue, row.submitted),
                "revoked": row.revoked,
            ]
        }
        context["monthlyChart"] = Charts.monthlyBars(Array(volumes.months.suffix(12)))
        context["reviewChart"] = Charts.horizontalBars(
            reviews.departments.map {
                (name($0.department), $0.meanWorkingDays, "\(StatisticsFormat.tenths($0.meanWorkingDays)) 天")
            }, title: "各部门平均审查工作日")
        context["reviews"] = reviews.departments.map {
            ["name": name($0.department), "reviewed": $0.reviewed, "waiting": $0.waiting, "stalled": $0.stalled] as [String: Any]
        }
        context["stallDays"] = reviews.stallWorkingDays
        context["ratingChart"] = Charts.horizontalBars(
            ratings.departments.map { (name($0.key), $0.weighted, String(format: "%.2f（%d 条）", $0.weighted, $0.count)) },
            title: "各部门服务评价综合得分")
        context["ratingCount"] = ratings.count
        context["causeChart"] = Charts.horizontalBars(
            ComplaintCause.allCases.compactMap { cause in
                complaints.causes[cause.rawValue].map { (cause.chinese, Double($0), "\($0) 件") }
            }, title: "投诉按问题类型")
        context["complaints"] = complaints.departments.map { row -> [String: Any] in
            [
                "name": name(row.department), "filed": row.filed, "inTime": percent(row.answeredInTime, row.filed),
                "substantiated": row.substantiated,
                "overdue": row.overdue,
            ]
        }
        context["answerDays"] = ComplaintService.answerWorkingDays
        return renderer.response("window-statistics", context)
    }

    /// One of the page's tables as CSV (the API's `format=csv` table), for the same period.
    private func statisticsTable(_ table: String, _ request: Request, _ visit: Visit) async throws -> Response {
        let period = statisticsPeriod(request)
        let names = try await services.administration.departmentNames()
        let csv: StatisticsFormat.Table
        switch table {
        case "volumes.csv": csv = StatisticsFormat.volumes(try await services.supervision.volumes(from: period.from, to: period.to), names: names)
        case "reviews.csv":
            csv = StatisticsFormat.reviews(try await services.supervision.reviewFigures(from: period.from, to: period.to), names: names)
        case "ratings.csv": csv = StatisticsFormat.ratings(try await services.ratings.figures(from: period.from, to: period.to), names: names)
        case "complaints.csv":
            csv = StatisticsFormat.complaints(try await services.complaints.figures(from: period.from, to: period.to), names: names)
        case "needs.csv": csv = StatisticsFormat.needs(try await services.supervision.needCounts())
        default: return notice(visit.base, title: "统计", message: "没有这张统计表。", back: "/window/statistics", status: .notFound)
        }
        return StatisticsFormat.download(csv, name: String(table.dropLast(4)))
    }

    /// The results chosen for materials (selects named `d_<code>`, empty for paper): material code → document id.
    static func namedResults(_ form: [String: String]) -> [String: String] {
        Dictionary(
            form.compactMap { key, value in
                key.hasPrefix("d_") && !value.isEmpty ? (String(key.dropFirst(2)), value) : nil
            }, uniquingKeysWith: { a, _ in a })
    }

    /// The material codes ticked on a form (checkboxes named `m_<code>`), sorted.
    static func ticked(_ form: [String: String]) -> [String] {
        form.keys.filter { $0.hasPrefix("m_") && form[$0] == "1" }.map { String($0.dropFirst(2)) }.sorted()
    }

    /// A path under `/window/` taken from `text` (a path or the Referer's URL), or `/window/`: the back link never
    /// leads to another site (`//host` or `/\host`) or outside the station.
    static func localPath(_ text: String) -> String {
        let url = URL(string: text)
        let path = text.hasPrefix("/") ? String(text.prefix { $0 != "?" }) : (url?.path ?? "")
        guard path.hasPrefix("/window"), !path.contains("//"), !path.contains("\\"), path.utf8.count <= 200 else { return "/window/" }
        // The query too (the person page needs its number and matter), when it is plain.
        guard let query = url?.query, query.utf8.count <= 200, query.allSatisfy({ $0.isLetter || $0.isNumber || "=&-_%".contains($0) }) else {
            return path
        }
        return path + "?" + query
    }

    // MARK: Words

    static func state(_ record: ApplicationRecord) -> (String, String) {
        switch record.state {
        case .submitted: ("已提交，待受理", "warn")
        case .accepted: ("已受理", "warn")
        case .underReview: ("审查中", "warn")
        case .approved: ("已批准，待出具结果", "ok")
        case .resultIssued: ("已出结果", "ok")
        case .closed: ("已办结", "ok")
        case .rejected: ("不予批准", "bad")
        default: (record.state.rawValue, "warn")
        }
    }

    static func mode(_ mode: ApplicationMode) -> String {
        switch mode {
        case .standard: "常规受理"
        case .trust: "容缺受理（先出结果，后补材料）"
        case .deferral: "容缓受理（先受理，补齐后出结果）"
        }
    }

    static func method(_ method: String) -> String {
        switch method {
        case "sms": "短信"
        case "video": "视频核验"
        case "window_card": "窗口刷证"
        case "device": "设备密钥"
        default: method
        }
    }
}
