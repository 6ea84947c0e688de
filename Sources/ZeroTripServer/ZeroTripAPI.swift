public import Hummingbird
import Foundation
public import ZeroTrip
import ZeroTripCrypto

/// Registers ZeroTrip's routes on a router, enforcing each route's access rule, and keeps the
/// route table.
public struct ZeroTripAPI: Sendable {
    let services: ZeroTripServices
    let bodyLimit: Int
    let applicantLimiter: RateLimiter
    let pageLimiter: RateLimiter
    /// The figures served at `GET /metrics`.
    let metrics: DaemonMetrics
    /// Who the client of a request is (the peer, or what a trusted proxy reports).
    let clients: ClientAddress
    /// Whether page cookies are marked `Secure`: the daemon serves TLS, or the district's public address is https.
    let secureCookies: Bool
    /// The district's name on every page.
    let districtName: DistrictNameCache

    /// Creates the API over `services`, reading at most `bodyLimit` bytes of any request body and allowing
    /// `applicantRequestsPerMinute` unauthenticated applicant requests per client address (bursts of 10) and
    /// `publicRequestsPerMinute` verification page views (bursts of a quarter of it).
    /// `trustedProxies`: addresses or CIDR networks whose `X-Forwarded-For` names the client.
    public init(
        services: ZeroTripServices, bodyLimit: Int, applicantRequestsPerMinute: Int = 30, publicRequestsPerMinute: Int = 120,
        trustedProxies: [String] = []
    ) {
        self.init(
            services: services, bodyLimit: bodyLimit, applicantRequestsPerMinute: applicantRequestsPerMinute,
            publicRequestsPerMinute: publicRequestsPerMinute, trustedProxies: trustedProxies, metrics: DaemonMetrics())
    }

    init(
        services: ZeroTripServices, bodyLimit: Int, applicantRequestsPerMinute: Int, publicRequestsPerMinute: Int, trustedProxies: [String],
        metrics: DaemonMetrics, tls: Bool = false
    ) {
        self.metrics = metrics
        self.secureCookies = tls || services.documents.verificationBaseURL.lowercased().hasPrefix("https://")
        self.districtName = DistrictNameCache(services: services)
        self.clients = ClientAddress(trustedProxies: trustedProxies)
        self.services = services
        self.bodyLimit = bodyLimit
        self.applicantLimiter = RateLimiter(perMinute: applicantRequestsPerMinute, burst: min(10, applicantRequestsPerMinute), clock: services.clock)
        self.pageLimiter = RateLimiter(perMinute: publicRequestsPerMinute, burst: max(1, publicRequestsPerMinute / 4), clock: services.clock)
    }

    /// The public verification pages: anonymous, so rate-limited per client and audited as counts per minute.
    static let pageRoutes: Set<String> = ["GET /v", "GET /V", "GET /v/{id}", "GET /V/{id}", "GET /P"]

    /// Every route with the access it requires.
    public static let routes: [RouteSpec] = [
        RouteSpec(method: .get, path: "/healthz", access: .public),
        RouteSpec(method: .get, path: "/readyz", access: .public),
        RouteSpec(method: .get, path: "/metrics", access: .scope(.auditRead)),
        RouteSpec(method: .get, path: "/v1/trust/root.pem", access: .public),
        RouteSpec(method: .get, path: "/v1/whoami", access: .authenticated),
        RouteSpec(method: .get, path: "/v1/departments", access: .scope(.documentsVerify)),
        RouteSpec(method: .get, path: "/v1/departments/{code}", access: .scope(.documentsVerify)),
        RouteSpec(method: .post, path: "/v1/departments", access: .scope(.admin)),
        RouteSpec(method: .get, path: "/v1/credentials", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/credentials", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/credentials/{id}/revoke", access: .scope(.admin)),
        RouteSpec(method: .get, path: "/v1/audit/verify", access: .scope(.auditRead)),
        RouteSpec(method: .get, path: "/v1/audit/events", access: .scope(.auditRead)),
        RouteSpec(method: .post, path: "/v1/documents", access: .scope(.documentsIssue)),
        RouteSpec(method: .get, path: "/v1/documents", access: .scope(.documentsIssue)),
        RouteSpec(method: .get, path: "/v1/documents/{id}", access: .scope(.documentsIssue)),
        RouteSpec(method: .get, path: "/v1/documents/{id}/pdf", access: .scope(.documentsIssue)),
        RouteSpec(method: .post, path: "/v1/documents/{id}/revoke", access: .scope(.documentsIssue)),
        RouteSpec(method: .post, path: "/v1/documents/{id}/reissue", access: .scope(.documentsIssue)),
        RouteSpec(method: .post, path: "/v1/verify", access: .scope(.documentsVerify)),
        RouteSpec(method: .post, path: "/v1/verify/pdf", access: .scope(.documentsVerify)),
        RouteSpec(method: .get, path: "/v", access: .public),
        RouteSpec(method: .get, path: "/V", access: .public),
        RouteSpec(method: .get, path: "/v/{id}", access: .public),
        RouteSpec(method: .get, path: "/V/{id}", access: .public),
        RouteSpec(method: .get, path: "/P", access: .public),
        // Trust infrastructure: public trust list, CRL and transparency log; key administration.
        RouteSpec(method: .get, path: "/v1/trust-list", access: .public),
        RouteSpec(method: .get, path: "/v1/trust-list.sig", access: .public),
        RouteSpec(method: .get, path: "/v1/status-list", access: .public),
        RouteSpec(method: .get, path: "/v1/status-list.sig", access: .public),
        RouteSpec(method: .get, path: "/v1/crl", access: .public),
        RouteSpec(method: .get, path: "/v1/log/sth", access: .public),
        RouteSpec(method: .get, path: "/v1/log/proof/inclusion", access: .public),
        RouteSpec(method: .get, path: "/v1/log/proof/consistency", access: .public),
        RouteSpec(method: .get, path: "/v1/log/entries", access: .public),
        RouteSpec(method: .get, path: "/v1/log/documents/{id}", access: .public),
        RouteSpec(method: .get, path: "/v1/keys", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/departments/{code}/keys/rotate", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/departments/{code}/keys", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/keys/{kid}/revoke", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/keys/{kid}/limits", access: .scope(.admin)),
        RouteSpec(method: .get, path: "/v1/roots", access: .public),
        RouteSpec(method: .post, path: "/v1/roots/renew", access: .scope(.admin)),
        // Applicants: verification paths (public, rate-limited per client) and their own data (session).
        RouteSpec(method: .post, path: "/v1/applicant/verifications", access: .applicantPublic),
        RouteSpec(method: .post, path: "/v1/applicant/verifications/{id}/code", access: .applicantPublic),
        RouteSpec(method: .post, path: "/v1/applicant/verifications/{id}/session", access: .applicantPublic),
        RouteSpec(method: .post, path: "/v1/applicant/device-challenges", access: .applicantPublic),
        RouteSpec(method: .post, path: "/v1/applicant/device-sessions", access: .applicantPublic),
        RouteSpec(method: .get, path: "/v1/applicant/me", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/applicant/personal-data", access: .applicant(tier: IdentityPolicy().tierForFullPersonalData)),
        RouteSpec(method: .get, path: "/v1/applicant/assurance", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/applicant/devices", access: .applicant(tier: 1)),
        RouteSpec(method: .post, path: "/v1/applicant/devices", access: .applicant(tier: IdentityPolicy().tierForDeviceBinding)),
        RouteSpec(method: .post, path: "/v1/applicant/devices/{id}/revoke", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/applicant/documents", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/applicant/documents/{id}/pdf", access: .applicant(tier: IdentityPolicy().tierForResultDownload)),
        RouteSpec(method: .put, path: "/v1/applicant/documents/{id}/pdf-link", access: .applicant(tier: IdentityPolicy().tierForResultDownload)),
        RouteSpec(method: .post, path: "/v1/applicant/logout", access: .applicant(tier: 1)),
        // Consent: the applicant grants the department handling a matter the use of their results for it, lists and
        // withdraws grants. Tier 1 (ID number, registry, SMS code) as in DigiLocker's OTP consent: a grant hands
        // nothing to whoever gives it, only lets the department read what it would otherwise ask for on paper.
        RouteSpec(method: .post, path: "/v1/applicant/consents", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/applicant/consents", access: .applicant(tier: 1)),
        RouteSpec(method: .post, path: "/v1/applicant/consents/{id}/withdraw", access: .applicant(tier: 1)),
        RouteSpec(method: .post, path: "/v1/reuse/documents", access: .scope(.documentsReuse)),
        // A grant given at a window, recorded with the clerk and the tier of the identity check behind it.
        RouteSpec(method: .post, path: "/v1/consents", access: .scope(.applicationsProcess)),
        // 好差评: the applicant rates a finished service once; supervisors read the figures.
        RouteSpec(method: .get, path: "/v1/applicant/ratings", access: .applicant(tier: 1)),
        RouteSpec(method: .post, path: "/v1/applicant/ratings/{id}", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/ratings/figures", access: .scope(.statisticsRead)),
        // A window service without an application (consultation, pre-check, pickup) is rated too.
        RouteSpec(method: .post, path: "/v1/window-services", access: .scope(.applicationsProcess)),
        // Complaints (投诉) and the follow-up of poor ratings: the person files, the department's supervisor answers.
        RouteSpec(method: .post, path: "/v1/applicant/complaints", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/applicant/complaints", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/complaints", access: .scope(.applicationsProcess)),
        RouteSpec(method: .post, path: "/v1/complaints/{id}/answer", access: .scope(.applicationsProcess)),
        RouteSpec(method: .get, path: "/v1/statistics/complaints", access: .scope(.statisticsRead)),
        // Supervision (督办): the staff directory stalled-review notices go to, and review times per department.
        RouteSpec(method: .post, path: "/v1/staff", access: .scope(.admin)),
        RouteSpec(method: .get, path: "/v1/staff", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/staff/{department}/{clerk}/remove", access: .scope(.admin)),
        RouteSpec(method: .get, path: "/v1/statistics/reviews", access: .scope(.statisticsRead)),
        RouteSpec(method: .get, path: "/v1/statistics/volumes", access: .scope(.statisticsRead)),
        // Demand collection: residents say which services they expect to need, by year; planners read the counts.
        RouteSpec(method: .post, path: "/v1/applicant/needs", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/applicant/needs", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/statistics/needs", access: .scope(.statisticsRead)),
        // Points (量化积分): the person reads their score, claims what needs a proof (后申请), disputes an item (复核) and
        // has a certificate issued; the reviewing department decides; supervisors read the runs.
        RouteSpec(method: .get, path: "/v1/applicant/points", access: .applicant(tier: 1)),
        RouteSpec(method: .post, path: "/v1/applicant/points/claims", access: .applicant(tier: 1)),
        RouteSpec(method: .post, path: "/v1/applicant/points/disputes", access: .applicant(tier: 1)),
        RouteSpec(method: .post, path: "/v1/applicant/points/certificate", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/points/claims", access: .scope(.pointsReview)),
        RouteSpec(method: .get, path: "/v1/points/claims/{id}/evidence", access: .scope(.pointsReview)),
        RouteSpec(method: .post, path: "/v1/points/claims/{id}/decision", access: .scope(.pointsReview)),
        RouteSpec(method: .get, path: "/v1/points/disputes", access: .scope(.pointsReview)),
        RouteSpec(method: .post, path: "/v1/points/disputes/{id}/decision", access: .scope(.pointsReview)),
        RouteSpec(method: .get, path: "/v1/points/runs", access: .scope(.statisticsRead)),
        // Clerks, departments and admins.
        RouteSpec(method: .get, path: "/v1/identity/verifications/{id}", access: .scope(.identityAttest)),
        RouteSpec(method: .post, path: "/v1/identity/verifications/{id}/video-attestation", access: .scope(.identityAttest)),
        RouteSpec(method: .post, path: "/v1/identity/window-checks", access: .scope(.identityAttest)),
        RouteSpec(method: .post, path: "/v1/identity/checks", access: .scope(.identityRead)),
        RouteSpec(method: .post, path: "/v1/persons/import", access: .scope(.admin)),
        // Credit and trust-based approval: window credit checks, catalogue and policy, events, applications, obligations.
        RouteSpec(method: .get, path: "/v1/credit/{subject}", access: .scope(.creditRead)),
        RouteSpec(method: .get, path: "/v1/catalogue", access: .authenticated),
        RouteSpec(method: .put, path: "/v1/catalogue", access: .scope(.admin)),
        RouteSpec(method: .get, path: "/v1/credit-policy", access: .authenticated),
        RouteSpec(method: .put, path: "/v1/credit-policy", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/credit-events", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/credit-events/import", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/credit-events/{id}/repair", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/credit-organizations", access: .scope(.admin)),
        RouteSpec(method: .post, path: "/v1/applications", access: .scope(.applicationsProcess)),
        RouteSpec(method: .get, path: "/v1/applications", access: .scope(.applicationsProcess)),
        RouteSpec(method: .get, path: "/v1/applications/{id}", access: .scope(.applicationsProcess)),
        RouteSpec(method: .get, path: "/v1/applications/{id}/commitment", access: .scope(.applicationsProcess)),
        RouteSpec(method: .post, path: "/v1/applications/{id}/commitment", access: .scope(.applicationsProcess)),
        RouteSpec(method: .post, path: "/v1/applications/{id}/accept", access: .scope(.applicationsProcess)),
        RouteSpec(method: .post, path: "/v1/applications/{id}/review", access: .scope(.applicationsProcess)),
        RouteSpec(method: .post, path: "/v1/applications/{id}/approve", access: .scope(.applicationsProcess)),
        RouteSpec(method: .post, path: "/v1/applications/{id}/reject", access: .scope(.applicationsProcess)),
        RouteSpec(method: .post, path: "/v1/applications/{id}/issue", access: .scope(.applicationsProcess)),
        RouteSpec(method: .post, path: "/v1/applications/{id}/fulfil", access: .scope(.applicationsProcess)),
        RouteSpec(method: .get, path: "/v1/applicant/credit", access: .applicant(tier: IdentityPolicy().tierForCreditLevel)),
        RouteSpec(method: .get, path: "/v1/applicant/applications", access: .applicant(tier: 1)),
        RouteSpec(method: .get, path: "/v1/applicant/applications/{id}/commitment", access: .applicant(tier: 2)),
        RouteSpec(method: .post, path: "/v1/applicant/applications/{id}/commitment", access: .applicant(tier: 2)),
    ]

    /// Adds every route to `router`.
    public func register(on router: Router<ZeroTripRequestContext>) {
        ApplicantPages(
            services: services, limiter: applicantLimiter, publicLimiter: pageLimiter, cookies: PageCookies(secure: secureCookies), clients: clients,
            district: districtName
        ).register(on: router)
        WindowPages(
            services: services, limiter: applicantLimiter, cookies: PageCookies(secure: secureCookies), clients: clients,
            district: districtName
        ).register(on: router)
        router.get("/static/verify.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "public, max-age=86400"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: VerificationPage.css)))
        }
        for spec in Self.routes {
            if let handler = applicantHandler(for: spec) ?? creditApplicantHandler(for: spec) ?? consentApplicantHandler(for: spec)
                ?? ratingApplicantHandler(for: spec) ?? needApplicantHandler(for: spec) ?? pointsApplicantHandler(for: spec)
                ?? complaintApplicantHandler(for: spec)
            {
                router.on(RouterPath(spec.path), method: spec.method) { request, context in
                    let client = client(request, context)
                    let session = try await authorizeApplicant(request, spec: spec, client: client)
                    return try await auditingDenials(spec: spec, actor: session?.actor ?? "client:\(client)") {
                        try await handler(request, context.parameters, session, client)
                    }
                }
                continue
            }
            let handler = self.handler(for: spec)
            if Self.pageRoutes.contains(spec.description) {
                router.on(RouterPath(spec.path), method: spec.method) { request, context in
                    let client = client(request, context)
                    if let wait = pageLimiter.secondsToWait(client) {
                        services.anonymousAudit.record(
                            AuditEntry(
                                actor: "client:\(client)", action: "auth.denied", target: "route:\(spec)",
                                outcome: "denied", details: ["reason": "rate_limited"]))
                        return VerificationPage.tooManyRequests(retryAfter: wait, district: await districtName.get())
                    }
                    return try await handler(request, context.parameters, nil)
                }
                continue
            }
            router.on(RouterPath(spec.path), method: spec.method) { request, context in
                let principal = try await authorize(request, spec: spec, client: client(request, context))
                guard let principal else { return try await handler(request, context.parameters, nil) }
                return try await auditingDenials(spec: spec, actor: principal.actor) { try await handler(request, context.parameters, principal) }
            }
        }
    }

    /// The client's IP address (the rate-limit and anonymous-audit key): the peer's, or the one a trusted proxy
    /// reports; `local` when there is no peer (router tests).
    func client(_ request: Request, _ context: ZeroTripRequestContext) -> String {
        clients.resolve(peer: context.remoteAddress?.ipAddress, headers: request.headers)
    }

    /// Runs an authenticated handler and audits any 403 it raises that was not audited where it was raised
    /// (another department's application, another person's commitment, issuing with another department's code…),
    /// so that every denial of a known caller is in the audit log.
    func auditingDenials(spec: RouteSpec, actor: String, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as ZeroTripError where (error.code == .forbidden || error.code == .notAReviewer) && !error.isAudited {
            try await services.audit(
                AuditEntry(
                    actor: actor, action: "auth.denied", target: "route:\(spec)", outcome: "denied",
                    details: ["reason": error.code.rawValue, "message": String(error.message.prefix(200))]))
            throw error.audited()
        }
    }

    typealias Handler = @Sendable (Request, Parameters, Principal?) async throws -> Response

    private func handler(for spec: RouteSpec) -> Handler {
        let services = self.services
        let limit = bodyLimit
        if let handler = documentHandler(for: spec) { return handler }
        if let handler = identityHandler(for: spec) { return handler }
        if let handler = trustHandler(for: spec) { return handler }
        if let handler = creditHandler(for: spec) { return handler }
        if let handler = consentHandler(for: spec) { return handler }
        if let handler = ratingHandler(for: spec) { return handler }
        if let handler = supervisionHandler(for: spec) { return handler }
        if let handler = pointsHandler(for: spec) { return handler }
        if let handler = complaintHandler(for: spec) { return handler }
        switch spec.description {
        case "GET /healthz":
            return { _, _, _ in try JSONResponse.make(["status": "ok"]) }
        case "GET /readyz":
            return { _, _, _ in
                do {
                    try await services.checkReadiness()
                } catch let error as ZeroTripError {
                    throw ZeroTripError(.notReady, error.message)
                }
                return try JSONResponse.make(["status": "ready"])
            }
        case "GET /metrics":
            let metrics = self.metrics
            return { _, _, _ in
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
            }
        case "GET /v1/trust/root.pem":
            return { _, _, _ in
                let pem = try await services.administration.rootCertificate().pemRepresentation
                var headers = HTTPFields()
                headers[.contentType] = "application/x-pem-file"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: pem)))
            }
        case "GET /v1/whoami":
            return { _, _, principal in
                let principal = principal!
                return try JSONResponse.make(
                    WhoAmI(
                        credentialId: principal.credentialID, department: principal.departmentCode,
                        scopes: principal.scopes.sorted().map(\.rawValue)))
            }
        case "GET /v1/departments":
            return { _, _, _ in try JSONResponse.make(DepartmentList(departments: try await services.administration.departments())) }
        case "GET /v1/departments/{code}":
            return { _, parameters, _ in
                let code = parameters.get("code") ?? ""
                guard let department = try await services.administration.department(code: code) else {
                    throw ZeroTripError(.unknownDepartment, "no department \(code.prefix(16))")
                }
                let keys = try await services.administration.keys(department: department.code)
                return try JSONResponse.make(DepartmentDetail(department: department, keys: keys))
            }
        case "POST /v1/departments":
            return { request, _, principal in
                let body = try await JSONResponse.decode(CreateDepartment.self, from: request, limit: limit)
                let algorithm = try body.algorithm.map(Validation.algorithm) ?? .p256
                let department = try await services.administration.addDepartment(
                    code: body.code, name: body.name, algorithm: algorithm, actor: principal!.actor)
                return try JSONResponse.make(department, status: .created)
            }
        case "GET /v1/credentials":
            return { _, _, _ in try await JSONResponse.make(CredentialList(credentials: try services.credentials.list())) }
        case "POST /v1/credentials":
            return { request, _, principal in
                let body = try await JSONResponse.decode(CreateCredential.self, from: request, limit: limit)
                let scopes = try Scope.parse(body.scopes.joined(separator: ","))
                let issued = try await services.credentials.create(
                    department: body.department, scopes: scopes, label: body.label ?? "", actor: principal!.actor)
                return try JSONResponse.make(CreatedCredential(credential: issued.info, token: issued.token), status: .created)
            }
        case "POST /v1/credentials/{id}/revoke":
            return { _, parameters, principal in
                let info = try await services.credentials.revoke(id: parameters.get("id") ?? "", actor: principal!.actor)
                return try JSONResponse.make(info)
            }
        case "GET /v1/audit/verify":
            return { _, _, _ in
                switch try await AuditLog.verify(services.database) {
                case .intact(let count, let head):
                    return try JSONResponse.make(
                        AuditReport(intact: true, eventCount: count, headHash: Hex.encode(head), firstBadSeq: nil, reason: nil))
                case .broken(let seq, let reason):
                    return try JSONResponse.make(AuditReport(intact: false, eventCount: nil, headHash: nil, firstBadSeq: seq, reason: reason))
                }
            }
        case "GET /v1/audit/events":
            return { request, _, _ in
                let raw = request.uri.queryParameters.get("limit") ?? "100"
                guard let limit = Int(raw), (1...1000).contains(limit) else { throw ZeroTripError(.invalidInput, "limit must be 1–1000") }
                let events = try await AuditLog.events(in: services.database, limit: limit)
                return try JSONResponse.make(AuditEventList(events: events.map(AuditEventView.init)))
            }
        default:
            preconditionFailure("route \(spec) has no handler")
        }
    }

    /// Applies the route's access rule; denials are audited without the presented token.
    ///
    /// A request without a valid credential is anonymous: it is counted per route, reason and client each minute
    /// (``AuditAggregator``) rather than written one row each, so unauthenticated floods cannot grow the log. A
    /// token naming a real credential id with a wrong secret is recorded as anonymous with the claimed id in the
    /// details: whoever sent it did not prove to be that credential.
    private func authorize(_ request: Request, spec: RouteSpec, client: String) async throws -> Principal? {
        if spec.access == .public { return nil }
        let token = Self.bearerToken(request)
        var principal: Principal?
        if let token { principal = try await services.credentials.authenticate(token: token) }
        guard let principal else {
            var details = ["reason": token == nil ? "missing_token" : "invalid_token", "client": client]
            if let claimed = token.flatMap(CredentialService.credentialID(inToken:)) { details["claimed_credential"] = claimed }
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "anonymous", action: "auth.denied", target: "route:\(spec)", outcome: "denied",
                    details: details))
            throw ZeroTripError(.unauthenticated, "a valid bearer token is required")
        }
        if case .scope(let scope) = spec.access, !principal.scopes.contains(scope) {
            try await services.audit(
                AuditEntry(
                    actor: principal.actor, action: "auth.denied", target: "route:\(spec)", outcome: "denied",
                    details: ["reason": "missing_scope", "required": scope.rawValue]))
            throw ZeroTripError(.forbidden, "this credential lacks the scope \(scope.rawValue)").audited()
        }
        return principal
    }

    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization],
            header.utf8.count <= max(CredentialService.maximumTokenLength, ApplicantSessions.maximumTokenLength) + 16
        else { return nil }
        let parts = header.utf8.split(separator: UInt8(ascii: " "), maxSplits: 1)
        guard parts.count == 2, parts[0].count == 6, String(Substring(parts[0])).lowercased() == "bearer" else { return nil }
        // Trimmed by hand: Foundation's trimmingCharacters bridges through NSString, a measurable cost on every request.
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = parts[1].firstIndex(where: { !isBlank($0) }), let last = parts[1].lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(Substring(parts[1][first...last]))
    }
}
