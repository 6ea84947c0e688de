public import Hummingbird
import Foundation
public import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

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

    /// What an issuance (or re-issue) answer lets a client call next about the new document.
    static let documentLinks: [RouteSpec.Reply.Link] = [
        .init(name: "document", target: "GET /v1/documents/{id}", parameters: ["id": "$response.body#/document/id"]),
        .init(name: "pdf", target: "GET /v1/documents/{id}/pdf", parameters: ["id": "$response.body#/document/id"]),
        .init(name: "logProof", target: "GET /v1/log/documents/{id}", parameters: ["id": "$response.body#/document/id"]),
        .init(name: "revoke", target: "POST /v1/documents/{id}/revoke", parameters: ["id": "$response.body#/document/id"]),
        .init(name: "reissue", target: "POST /v1/documents/{id}/reissue", parameters: ["id": "$response.body#/document/id"]),
    ]

    /// What a new application's answer lets the window call next: its record and each step of its procedure.
    static let applicationLinks: [RouteSpec.Reply.Link] = [
        "GET /v1/applications/{id}", "GET /v1/applications/{id}/commitment", "POST /v1/applications/{id}/accept",
        "POST /v1/applications/{id}/review", "POST /v1/applications/{id}/approve", "POST /v1/applications/{id}/reject",
        "POST /v1/applications/{id}/issue", "POST /v1/applications/{id}/fulfil",
    ].map { target in
        let name = target.split(separator: "/").last.map { $0 == "{id}" ? "application" : String($0) } ?? target
        return .init(
            name: target.hasPrefix("GET") && name == "commitment" ? "commitmentText" : name, target: target, parameters: ["id": "$response.body#/id"])
    }

    /// Every route, each declared once: its access rule together with the handler that rule feeds (a department
    /// route's handler is given the checked ``Principal``, an applicant route's the session of the required tier), and
    /// what the API description says about it. Registration, the authorization test and `/openapi.json` all read it.
    public static let routes: [RouteSpec] = [
        RouteSpec(
            method: .get, path: "/healthz", handler: .open(Self.liveness), "The process answers (liveness)", reply: .json([String: String].self)),
        RouteSpec(
            method: .get, path: "/readyz", handler: .open(Self.readiness),
            "The database, keys and fonts are usable (readiness); 503 with the reason otherwise",
            reply: .json([String: String].self)),
        RouteSpec(method: .get, path: "/openapi.json", handler: .open(Self.apiDescription), "This description of the API (OpenAPI 3.1)"),
        RouteSpec(
            method: .get, path: "/metrics", handler: .scope(.auditRead, Self.metricsExposition),
            "Prometheus figures: requests by route, audit batches, pool waits, documents, verifications",
            reply: .other("text/plain", "Prometheus text exposition format 0.0.4")),
        RouteSpec(method: .get, path: "/v1/trust/root.pem", handler: .open(Self.rootCertificate), "The district root certificate", reply: .pem),
        RouteSpec(
            method: .get, path: "/v1/whoami", handler: .authenticated(Self.whoAmI), "The calling credential: its department and scopes",
            reply: .json(WhoAmI.self)),
        RouteSpec(
            method: .get, path: "/v1/departments", handler: .scope(.documentsVerify, Self.listDepartments), "Every department",
            reply: .json(DepartmentList.self)),
        RouteSpec(
            method: .get, path: "/v1/departments/{code}", handler: .scope(.documentsVerify, Self.showDepartment), "One department with its seal keys",
            reply: .json(DepartmentDetail.self)),
        RouteSpec(
            method: .post, path: "/v1/departments", handler: .scope(.admin, Self.addDepartment), "Adds a department and makes its first seal key",
            body: .json(CreateDepartment.self, example: ["code": "SWJ", "name": "区税务局"]), reply: .json(DepartmentView.self, 201)),
        RouteSpec(
            method: .get, path: "/v1/credentials", handler: .scope(.admin, Self.listCredentials), "Every API credential (never its secret)",
            reply: .json(CredentialList.self)),
        RouteSpec(
            method: .post, path: "/v1/credentials", handler: .scope(.admin, Self.createCredential), "Creates a credential; its token is shown once",
            body: .json(CreateCredential.self, example: ["department": "RSJ", "scopes": ["documents:verify"], "label": "窗口核验"]),
            reply: .json(CreatedCredential.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/credentials/{id}/revoke", handler: .scope(.admin, Self.revokeCredential), "Revokes a credential",
            reply: .json(CredentialView.self)),
        RouteSpec(
            method: .get, path: "/v1/audit/verify", handler: .scope(.auditRead, Self.verifyAuditChain), "Checks the audit log's hash chain",
            reply: .json(AuditReport.self)),
        RouteSpec(
            method: .get, path: "/v1/audit/events", handler: .scope(.auditRead, Self.auditEvents), "The latest audit events",
            query: [.integer("limit", minimum: 1, maximum: 1000, "how many, newest first (default 100)")], reply: .json(AuditEventList.self)),
        RouteSpec(
            method: .post, path: "/v1/documents", handler: .scope(.documentsIssue, Self.issueDocument),
            "Issues a signed result document of the caller's department",
            body: .json(
                IssueDocumentBody.self,
                example: [
                    "matterCode": "QZDJ", "matterName": "求职登记证明", "holderName": "张三丰", "holderIdNumber": "440104199001010010",
                    "fields": [["label": "求职意向", "value": "电子商务"]],
                ]), reply: .json(IssuedDocumentView.self, 201).linking(documentLinks)),
        RouteSpec(
            method: .get, path: "/v1/documents", handler: .scope(.documentsIssue, Self.listDocuments), "The department's latest documents",
            query: [.integer("limit", minimum: 1, maximum: 1000, "how many, newest first (default 50)")], reply: .json(DocumentList.self)),
        RouteSpec(
            method: .get, path: "/v1/documents/{id}", handler: .scope(.documentsIssue, Self.showDocument), "One document of the department",
            reply: .json(DocumentView.self)),
        RouteSpec(
            method: .get, path: "/v1/documents/{id}/pdf", handler: .scope(.documentsIssue, Self.documentPDF),
            "The signed PDF of one document of the department",
            reply: .pdf),
        RouteSpec(
            method: .post, path: "/v1/documents/{id}/revoke", handler: .scope(.documentsIssue, Self.revokeDocument),
            "Revokes a document of the department",
            body: .json(RevokeBody.self, example: ["reason": "issued_in_error"]), reply: .json(DocumentView.self)),
        RouteSpec(
            method: .post, path: "/v1/documents/{id}/reissue", handler: .scope(.documentsIssue, Self.reissueDocument),
            "Replaces a document by a corrected one",
            body: .json(IssueDocumentBody.self), reply: .json(IssuedDocumentView.self, 201).linking(documentLinks)),
        RouteSpec(
            method: .post, path: "/v1/verify", handler: .scope(.documentsVerify, Self.verifyToken),
            "Verifies a scanned QR token: signature, register, status, trust list", body: .json(VerifyTokenBody.self),
            reply: .json(VerificationReport.self)),
        RouteSpec(
            method: .post, path: "/v1/verify/pdf", handler: .scope(.documentsVerify, Self.verifyPDF),
            "Verifies a signed PDF: PAdES signature, seal certificate, register, status", body: .pdf, reply: .json(VerificationReport.self)),
        RouteSpec(
            method: .get, path: "/v", handler: .page(Self.verificationPage),
            "The verification page: how to check a document; `?n=<number>` checks a number as printed",
            query: [.text("n", "a document number as printed or typed (what is past 192 characters is not read)")], reply: .html),
        RouteSpec(
            method: .get, path: "/V", handler: .page(Self.verificationPage),
            "The verification page of a scanned QR code (`/V/?<token>`, the query is the token)",
            reply: .html),
        RouteSpec(
            method: .get, path: "/v/{id}", handler: .page(Self.verificationPage),
            "The verification page of a document number (the PDF footer's link)", reply: .html),
        RouteSpec(
            method: .get, path: "/V/{id}", handler: .page(Self.verificationPage), "The verification page of a document number or token", reply: .html),
        RouteSpec(
            method: .get, path: "/P", handler: .page(Self.originalPDF),
            "The original PDF behind a scanned QR code (`/P/?<token>`), when its holder allows it",
            reply: .pdf),
        // Trust infrastructure: public trust list, CRL and transparency log; key administration.
        RouteSpec(
            method: .get, path: "/v1/trust-list", handler: .open(Self.trustList),
            "The signed trust list of departments and seal keys (root or online key; `ZeroTrip-Signature` header, `ETag`)",
            reply: .json(TrustList.self)),
        RouteSpec(
            method: .get, path: "/v1/trust-list.sig", handler: .open(Self.trustList), "The trust list's detached signature",
            reply: .other("application/octet-stream", "the signature bytes")),
        RouteSpec(
            method: .get, path: "/v1/status-list", handler: .open(Self.statusList),
            "The signed status list of revoked documents (root or online key; `ETag`)",
            reply: .json(DocumentStatusList.self)),
        RouteSpec(
            method: .get, path: "/v1/status-list.sig", handler: .open(Self.statusList), "The status list's detached signature",
            reply: .other("application/octet-stream", "the signature bytes")),
        RouteSpec(
            method: .get, path: "/v1/crl", handler: .open(Self.revocationList),
            "The certificate revocation list of the current root, or of a previous one",
            query: [.string("root", maxLength: 16, "the key id of a previous root (16 hex digits)")],
            reply: .other("application/pkix-crl", "a DER CRL")),
        RouteSpec(
            method: .get, path: "/v1/log/sth", handler: .open(Self.signedTreeHead), "The transparency log's signed tree head",
            reply: .json(SignedTreeHead.self)),
        RouteSpec(
            method: .get, path: "/v1/log/proof/inclusion", handler: .open(Self.inclusionProof), "An inclusion proof of a log entry",
            query: [.integer("index", required: true, "the entry's index"), .integer("treeSize", required: true, "the tree size the proof is for")],
            reply: .json(InclusionProof.self)),
        RouteSpec(
            method: .get, path: "/v1/log/proof/consistency", handler: .open(Self.consistencyProof), "A consistency proof between two tree sizes",
            query: [.integer("first", required: true, "the older tree size"), .integer("second", required: true, "the newer tree size")],
            reply: .json(ConsistencyView.self)),
        RouteSpec(
            method: .get, path: "/v1/log/entries", handler: .open(Self.logEntries), "Log entries from start (inclusive) to end (exclusive)",
            query: [.integer("start", required: true, "the first index"), .integer("end", required: true, "one past the last index")],
            reply: .json(EntriesView.self)),
        RouteSpec(
            method: .get, path: "/v1/log/documents/{id}", handler: .open(Self.documentLogProof),
            "A document's issuance entry with its inclusion proof",
            reply: .json(InclusionProof.self)),
        RouteSpec(
            method: .get, path: "/v1/keys", handler: .scope(.admin, Self.listKeys), "Every seal key of the district with its state",
            reply: .json(KeyList.self)),
        RouteSpec(
            method: .post, path: "/v1/departments/{code}/keys/rotate", handler: .scope(.admin, Self.rotateKey),
            "Rotates a department's seal key, the old one kept for an overlap", body: .json(RotateBody.self), reply: .json(SigningKeyView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/departments/{code}/keys", handler: .scope(.admin, Self.createKey), "Adds a seal key to a department",
            reply: .json(SigningKeyView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/keys/{kid}/revoke", handler: .scope(.admin, Self.revokeKey), "Revokes a seal key",
            body: .json(RevokeKeyBody.self),
            reply: .json(SigningKeyView.self)),
        RouteSpec(
            method: .post, path: "/v1/keys/{kid}/limits", handler: .scope(.admin, Self.setKeyLimits), "Sets a seal key's signature limits",
            body: .json(KeyLimitsBody.self), reply: .json(SigningKeyView.self)),
        RouteSpec(
            method: .get, path: "/v1/roots", handler: .open(Self.listRoots),
            "The district roots, current and previous, their links and online signing keys", reply: .json(RootsView.self)),
        RouteSpec(
            method: .post, path: "/v1/roots/renew", handler: .scope(.admin, Self.renewRoot), "Renews the district root, cross-signed by the old one",
            reply: .json(RootRenewalView.self, 201)
        ),
        // Applicants: verification paths (public, rate-limited per client) and their own data (session).
        RouteSpec(
            method: .post, path: "/v1/applicant/verifications", handler: .applicantPublic(Self.startVerification),
            "Starts an identity check (ID number, registry, SMS code)",
            body: .json(StartVerificationBody.self, example: ["method": "sms", "idNumber": "440104199001010010", "name": "张三丰"]),
            reply: .json(StartView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/applicant/verifications/{id}/code", handler: .applicantPublic(Self.submitCode),
            "Submits the SMS code and opens a session",
            body: .json(SubmitCodeBody.self), reply: .json(SessionView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/applicant/verifications/{id}/session", handler: .applicantPublic(Self.openSession),
            "Claims the session of a check a clerk attested (202 while pending)", body: .json(ClaimBody.self), reply: .json(201, also: [202])),
        RouteSpec(
            method: .post, path: "/v1/applicant/device-challenges", handler: .applicantPublic(Self.deviceChallenge),
            "A challenge for a bound device key",
            body: .json(ChallengeBody.self), reply: .json(DeviceChallengeView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/applicant/device-sessions", handler: .applicantPublic(Self.deviceSession),
            "Opens a session with a bound device key's signature",
            body: .json(DeviceLoginBody.self), reply: .json(SessionView.self, 201)),
        RouteSpec(
            method: .get, path: "/v1/applicant/me", handler: .applicant(tier: 1, Self.applicantMe), "The applicant: masked name and ID number, tier",
            reply: .json(MeView.self)),
        RouteSpec(
            method: .get, path: "/v1/applicant/personal-data", handler: .applicant(tier: IdentityPolicy().tierForFullPersonalData, Self.personalData),
            "Everything held about the applicant, unmasked", reply: .json(PersonalDataView.self)),
        RouteSpec(
            method: .get, path: "/v1/applicant/assurance", handler: .applicant(tier: 1, Self.applicantAssurance),
            "The applicant's identity checks and tier",
            reply: .json(AssuranceList.self)),
        RouteSpec(
            method: .get, path: "/v1/applicant/devices", handler: .applicant(tier: 1, Self.applicantDevices), "The applicant's bound devices",
            reply: .json(DeviceList.self)),
        RouteSpec(
            method: .post, path: "/v1/applicant/devices", handler: .applicant(tier: IdentityPolicy().tierForDeviceBinding, Self.registerDevice),
            "Binds a device key",
            body: .json(RegisterDeviceBody.self), reply: .json(DeviceKeyView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/applicant/devices/{id}/revoke", handler: .applicant(tier: 1, Self.revokeDevice), "Unbinds a device",
            reply: .json(DeviceList.self)),
        RouteSpec(
            method: .get, path: "/v1/applicant/documents", handler: .applicant(tier: 1, Self.applicantDocuments), "The applicant's result documents",
            reply: .json(DocumentList.self)),
        RouteSpec(
            method: .get, path: "/v1/applicant/documents/{id}/pdf",
            handler: .applicant(tier: IdentityPolicy().tierForResultDownload, Self.applicantDocumentPDF),
            "The signed PDF of one of the applicant's results", reply: .pdf),
        RouteSpec(
            method: .put, path: "/v1/applicant/documents/{id}/pdf-link",
            handler: .applicant(tier: IdentityPolicy().tierForResultDownload, Self.pdfLink),
            "Turns the original-PDF link behind the QR code on or off", body: .json(PDFLinkBody.self, example: ["enabled": true]),
            reply: .json(PDFLinkView.self)),
        RouteSpec(
            method: .post, path: "/v1/applicant/logout", handler: .applicant(tier: 1, Self.logout), "Ends the session",
            reply: .json([String: String].self)),
        // Consent: the applicant grants the department handling a matter the use of their results for it, lists and
        // withdraws grants. Tier 1 (ID number, registry, SMS code) as in DigiLocker's OTP consent: a grant hands
        // nothing to whoever gives it, only lets the department read what it would otherwise ask for on paper.
        RouteSpec(
            method: .post, path: "/v1/applicant/consents", handler: .applicant(tier: 1, Self.grantConsent),
            "Grants a matter's department the use of the applicant's results", body: .json(GrantConsentBody.self, example: ["matter": "JZDJ"]),
            reply: .json(ConsentGrantView.self, 201).linking([
                .init(name: "withdraw", target: "POST /v1/applicant/consents/{id}/withdraw", parameters: ["id": "$response.body#/id"])
            ])),
        RouteSpec(
            method: .get, path: "/v1/applicant/consents", handler: .applicant(tier: 1, Self.applicantConsents), "The applicant's grants",
            reply: .json(ConsentGrantList.self)),
        RouteSpec(
            method: .post, path: "/v1/applicant/consents/{id}/withdraw", handler: .applicant(tier: 1, Self.withdrawConsent), "Withdraws a grant",
            reply: .json(ConsentGrantView.self)),
        RouteSpec(
            method: .post, path: "/v1/reuse/documents", handler: .scope(.documentsReuse, Self.reuseDocuments),
            "A department reads a holder's results under a grant",
            body: .json(ReuseBody.self), reply: .json(ReuseView.self)),
        // A grant given at a window, recorded with the clerk and the tier of the identity check behind it.
        RouteSpec(
            method: .post, path: "/v1/consents", handler: .scope(.applicationsProcess, Self.recordConsent), "Records a grant given at a window",
            body: .json(WindowConsentBody.self), reply: .json(ConsentGrantView.self, 201)),
        // 好差评: the applicant rates a finished service once; supervisors read the figures.
        RouteSpec(
            method: .get, path: "/v1/applicant/ratings", handler: .applicant(tier: 1, Self.applicantRatings),
            "The applicant's services to rate and ratings given",
            reply: .json(RatingList.self)),
        RouteSpec(
            method: .post, path: "/v1/applicant/ratings/{id}", handler: .applicant(tier: 1, Self.rateService),
            "Rates a finished service (1–5, tags, comment)",
            body: .json(RateBody.self), reply: .json(RatingView.self)),
        RouteSpec(
            method: .get, path: "/v1/ratings/figures", handler: .scope(.statisticsRead, Self.ratingFigures), "Rating figures by department and clerk",
            query: RouteSpec.Query.period + [RouteSpec.Query.format], reply: .json(RatingFiguresView.self)),
        // A window service without an application (consultation, pre-check, pickup) is rated too.
        RouteSpec(
            method: .post, path: "/v1/window-services", handler: .scope(.applicationsProcess, Self.recordWindowService),
            "Records a window service without an application, to be rated", body: .json(WindowServiceBody.self),
            reply: .json(WindowServiceView.self, 201)),
        // Complaints (投诉) and the follow-up of poor ratings: the person files, the department's supervisor answers.
        RouteSpec(
            method: .post, path: "/v1/applicant/complaints", handler: .applicant(tier: 1, Self.fileComplaint), "Files a complaint",
            body: .json(ComplaintBody.self, example: ["department": "RSJ", "cause": "waiting", "text": "窗口等候超过一小时，无人引导取号"]),
            reply: .json(ComplaintView.self, 201).linking([
                .init(name: "answer", target: "POST /v1/complaints/{id}/answer", parameters: ["id": "$response.body#/id"])
            ])),
        RouteSpec(
            method: .get, path: "/v1/applicant/complaints", handler: .applicant(tier: 1, Self.applicantComplaints),
            "The applicant's complaints and their answers",
            reply: .json(ComplaintList.self)),
        RouteSpec(
            method: .get, path: "/v1/complaints", handler: .scope(.applicationsProcess, Self.listComplaints), "The department's complaints",
            query: [.choice("state", ["open", "all"], "open ones only (default) or all")], reply: .json(ComplaintList.self)),
        RouteSpec(
            method: .post, path: "/v1/complaints/{id}/answer", handler: .scope(.applicationsProcess, Self.answerComplaint), "Answers a complaint",
            body: .json(ComplaintAnswerBody.self), reply: .json(ComplaintView.self)),
        RouteSpec(
            method: .get, path: "/v1/statistics/complaints", handler: .scope(.statisticsRead, Self.complaintFigures),
            "Complaint figures by department",
            query: RouteSpec.Query.period + [RouteSpec.Query.format], reply: .json(ComplaintFiguresView.self)),
        // Supervision (督办): the staff directory stalled-review notices go to, and review times per department.
        RouteSpec(
            method: .post, path: "/v1/staff", handler: .scope(.admin, Self.addStaff), "Adds a clerk or supervisor to the staff directory",
            body: .json(
                StaffBody.self,
                example: ["department": "RSJ", "clerk": "RS-0007", "name": "王芳", "phone": "13900000007", "role": "reviewer"]),
            reply: .json(StaffView.self, 201)),
        RouteSpec(
            method: .get, path: "/v1/staff", handler: .scope(.admin, Self.listStaff), "The staff directory",
            query: [.string("department", minLength: 1, maxLength: 16, "one department's staff")], reply: .json(StaffList.self)),
        RouteSpec(
            method: .post, path: "/v1/staff/{department}/{clerk}/remove", handler: .scope(.admin, Self.removeStaff),
            "Removes a person from the staff directory",
            reply: .json([String: Bool].self)),
        RouteSpec(
            method: .get, path: "/v1/statistics/reviews", handler: .scope(.statisticsRead, Self.reviewFigures),
            "Review times and stalled reviews by department",
            query: RouteSpec.Query.period + [RouteSpec.Query.format], reply: .json(ReviewFiguresView.self)),
        RouteSpec(
            method: .get, path: "/v1/statistics/volumes", handler: .scope(.statisticsRead, Self.volumeFigures),
            "Applications and documents by department",
            query: RouteSpec.Query.period + [RouteSpec.Query.format], reply: .json(VolumesView.self)),
        // Demand collection: residents say which services they expect to need, by year; planners read the counts.
        RouteSpec(
            method: .post, path: "/v1/applicant/needs", handler: .applicant(tier: 1, Self.reportNeed),
            "Says which service the applicant expects to need, and when",
            body: .json(NeedBody.self), reply: .json(NeedList.self, 201)),
        RouteSpec(
            method: .get, path: "/v1/applicant/needs", handler: .applicant(tier: 1, Self.applicantNeeds), "The needs the applicant declared",
            reply: .json(NeedList.self)),
        RouteSpec(
            method: .get, path: "/v1/statistics/needs", handler: .scope(.statisticsRead, Self.needFigures),
            "Declared needs counted by service and year",
            query: [RouteSpec.Query.format], reply: .json(NeedCountsView.self)),
        // Points (量化积分): the person reads their score, claims what needs a proof (后申请), disputes an item (复核) and
        // has a certificate issued; the reviewing department decides; supervisors read the runs.
        RouteSpec(
            method: .get, path: "/v1/applicant/points", handler: .applicant(tier: 1, Self.applicantPoints),
            "The applicant's points score and its items",
            reply: .json(PointsStatementView.self)),
        RouteSpec(
            method: .post, path: "/v1/applicant/points/claims", handler: .applicant(tier: 1, Self.claimPoints), "Claims points that need a proof",
            body: .json(PointsClaimBody.self), reply: .json(PointsClaimView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/applicant/points/disputes", handler: .applicant(tier: 1, Self.disputePoints), "Disputes an item of the score",
            body: .json(PointsDisputeBody.self), reply: .json(PointsDisputeView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/applicant/points/certificate", handler: .applicant(tier: 1, Self.pointsCertificate),
            "Has a points certificate issued as a signed document", reply: .json(PointsCertificateView.self)),
        RouteSpec(
            method: .get, path: "/v1/points/claims", handler: .scope(.pointsReview, Self.listPointClaims),
            "Claims waiting for the department's decision",
            reply: .json(PointsClaimList.self)),
        RouteSpec(
            method: .get, path: "/v1/points/claims/{id}/evidence", handler: .scope(.pointsReview, Self.claimEvidence), "A claim's uploaded proof",
            reply: .other("application/octet-stream", "the file, as an attachment of the type its first bytes proved")),
        RouteSpec(
            method: .post, path: "/v1/points/claims/{id}/decision", handler: .scope(.pointsReview, Self.decideClaim), "Decides a claim",
            body: .json(ClaimDecisionBody.self), reply: .json(PointsClaimView.self)),
        RouteSpec(
            method: .get, path: "/v1/points/disputes", handler: .scope(.pointsReview, Self.listPointDisputes), "Disputes waiting for a decision",
            reply: .json(PointsDisputeList.self)),
        RouteSpec(
            method: .post, path: "/v1/points/disputes/{id}/decision", handler: .scope(.pointsReview, Self.decideDispute), "Decides a dispute",
            body: .json(DisputeDecisionBody.self), reply: .json(PointsDisputeView.self)),
        RouteSpec(
            method: .get, path: "/v1/points/runs", handler: .scope(.statisticsRead, Self.listPointRuns), "The points calculation runs",
            reply: .json(PointsRunList.self)),
        // Clerks, departments and admins.
        RouteSpec(
            method: .get, path: "/v1/identity/verifications/{id}", handler: .scope(.identityAttest, Self.pendingVerification),
            "An applicant's identity check as a clerk sees it", reply: .json(PendingVerificationView.self)),
        RouteSpec(
            method: .post, path: "/v1/identity/verifications/{id}/video-attestation", handler: .scope(.identityAttest, Self.attestVideo),
            "A clerk attests a video identity check", body: .json(VideoAttestationBody.self), reply: .json(AssuranceView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/identity/window-checks", handler: .scope(.identityAttest, Self.windowCheck),
            "Records a card read and face check at a window",
            body: .json(WindowCheckBody.self), reply: .json(WindowCheckView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/identity/checks", handler: .scope(.identityRead, Self.checkIdentity),
            "Whether a person holds an identity check of at least a tier",
            body: .json(TierCheckBody.self, example: ["idNumber": "440104199001010010", "minimumTier": 1]), reply: .json(TierCheckView.self)),
        RouteSpec(
            method: .post, path: "/v1/persons/import", handler: .scope(.admin, Self.importPersons), "Imports population registry rows",
            body: .csv("registry rows under the header id_number,name,phone,card_valid_from,card_valid_until"), reply: .json(ImportView.self)),
        // Credit and trust-based approval: window credit checks, catalogue and policy, events, applications, obligations.
        RouteSpec(
            method: .get, path: "/v1/credit/{subject}", handler: .scope(.creditRead, Self.checkCredit),
            "A subject's credit level for a matter and whether 容缺 is open",
            query: [.string("matter", required: true, maxLength: 32, "the matter code")], reply: .json(WindowCreditCheck.self)),
        RouteSpec(
            method: .get, path: "/v1/catalogue", handler: .authenticated(Self.showCatalogue), "The matter catalogue",
            reply: .json(MatterCatalogue.self)),
        RouteSpec(
            method: .put, path: "/v1/catalogue", handler: .scope(.admin, Self.loadCatalogue), "Loads a matter catalogue",
            body: .yaml("the catalogue as YAML or JSON"),
            reply: .json(ConfigurationVersionView.self)),
        RouteSpec(
            method: .get, path: "/v1/credit-policy", handler: .authenticated(Self.showCreditPolicy), "The credit policy in force and its version",
            reply: .json(PolicyView.self)),
        RouteSpec(
            method: .put, path: "/v1/credit-policy", handler: .scope(.admin, Self.loadCreditPolicy),
            "Loads a credit policy (a new version only when it changed)",
            body: .yaml("the policy as YAML or JSON"), reply: .json(ConfigurationVersionView.self)),
        RouteSpec(
            method: .post, path: "/v1/credit-events", handler: .scope(.admin, Self.recordCreditEvent), "Records a credit event of a subject",
            body: .json(
                CreditEventBody.self,
                example: ["subject": "440104199001010010", "type": "administrative_penalty_minor", "reference": "禅罚〔2026〕0001号"]),
            reply: .json(CreditEventView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/credit-events/import", handler: .scope(.admin, Self.importCreditEvents),
            "Imports credit events from a source's CSV",
            body: .csv("events under the header subject,type,effective_date,reference"),
            query: [.string("source", required: true, maxLength: 64, "the source's name")], reply: .json(CreditImportView.self)),
        RouteSpec(
            method: .post, path: "/v1/credit-events/{id}/repair", handler: .scope(.admin, Self.repairCreditEvent),
            "Records a credit repair of an event",
            body: .json(RepairBody.self), reply: .json(CreditEventView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/credit-organizations", handler: .scope(.admin, Self.registerOrganization),
            "Registers an organization as a credit subject",
            body: .json(OrganizationBody.self), reply: .json(SubjectView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/applications", handler: .scope(.applicationsProcess, Self.openApplication),
            "Opens an application at a window (standard or 容缺)",
            body: .json(
                NewApplicationBody.self,
                example: ["matterCode": "GRCBZM", "idNumber": "440104199001010010", "name": "张三丰", "mode": "standard", "provided": ["ID_CARD"]]),
            reply: .json(ApplicationView.self, 201).linking(applicationLinks)),
        RouteSpec(
            method: .get, path: "/v1/applications", handler: .scope(.applicationsProcess, Self.listApplications), "The department's applications",
            query: [.choice("flagged", ["true", "false"], "only those with an overdue obligation")], reply: .json(ApplicationList.self)),
        RouteSpec(
            method: .get, path: "/v1/applications/{id}", handler: .scope(.applicationsProcess, Self.showApplication), "One application",
            reply: .json(ApplicationView.self)
        ),
        RouteSpec(
            method: .get, path: "/v1/applications/{id}/commitment", handler: .scope(.applicationsProcess, Self.commitmentText),
            "The 容缺 commitment text of an application",
            reply: .json(CommitmentView.self)),
        RouteSpec(
            method: .post, path: "/v1/applications/{id}/commitment", handler: .scope(.applicationsProcess, Self.recordWindowCommitment),
            "Records the applicant's signed commitment at the window", body: .json(WindowCommitmentBody.self), reply: .json(ApplicationView.self)),
        RouteSpec(
            method: .post, path: "/v1/applications/{id}/accept", handler: .scope(.applicationsProcess, Self.advanceApplication),
            "Accepts an application",
            reply: .json(ApplicationView.self)),
        RouteSpec(
            method: .post, path: "/v1/applications/{id}/review", handler: .scope(.applicationsProcess, Self.advanceApplication), "Starts the review",
            reply: .json(ApplicationView.self)),
        RouteSpec(
            method: .post, path: "/v1/applications/{id}/approve", handler: .scope(.applicationsProcess, Self.advanceApplication),
            "Approves an application",
            reply: .json(ApplicationView.self)),
        RouteSpec(
            method: .post, path: "/v1/applications/{id}/reject", handler: .scope(.applicationsProcess, Self.rejectApplication),
            "Rejects an application with a reason",
            body: .json(RejectBody.self), reply: .json(ApplicationView.self)),
        RouteSpec(
            method: .post, path: "/v1/applications/{id}/issue", handler: .scope(.applicationsProcess, Self.issueApplicationResult),
            "Issues the application's result document",
            body: .json(IssueResultBody.self), reply: .json(IssuedResultView.self, 201)),
        RouteSpec(
            method: .post, path: "/v1/applications/{id}/fulfil", handler: .scope(.applicationsProcess, Self.fulfilObligation),
            "Records materials handed in later (容缺 obligation)", body: .json(FulfilBody.self), reply: .json(ApplicationView.self)),
        RouteSpec(
            method: .get, path: "/v1/applicant/credit", handler: .applicant(tier: IdentityPolicy().tierForCreditLevel, Self.applicantCredit),
            "The applicant's own credit level and events", reply: .json(CreditHistoryView.self)),
        RouteSpec(
            method: .get, path: "/v1/applicant/applications", handler: .applicant(tier: 1, Self.applicantApplications),
            "The applicant's applications and obligations",
            reply: .json(ApplicationList.self)),
        RouteSpec(
            method: .get, path: "/v1/applicant/applications/{id}/commitment", handler: .applicant(tier: 2, Self.applicantCommitmentText),
            "The commitment the applicant is asked to sign", reply: .json(CommitmentView.self)),
        RouteSpec(
            method: .post, path: "/v1/applicant/applications/{id}/commitment", handler: .applicant(tier: 2, Self.signCommitment),
            "The applicant signs the 容缺 commitment",
            reply: .json(ApplicationView.self)),
    ]

    /// The methods of the routes whose pattern matches `path` (`nil` for a path no route has), sorted: the `Allow`
    /// header of a 405. Segments compare as the router does: empty ones are ignored, `{name}` matches any one.
    static func methods(allowedAt path: String) -> [String]? {
        let segments = path.split(separator: "/")
        guard segments.count <= 8 else { return nil }
        let methods = routePatterns.compactMap { pattern, method -> String? in
            guard pattern.count == segments.count else { return nil }
            for (expected, actual) in zip(pattern, segments) where !(expected.hasPrefix("{") || expected == actual) { return nil }
            return method
        }
        guard !methods.isEmpty else { return nil }
        // Every GET route answers HEAD too (the router's generated endpoints).
        return Set(methods + (methods.contains("GET") ? ["HEAD"] : [])).sorted()
    }

    /// Each route's path split into segments, with its method.
    private static let routePatterns: [([Substring], String)] = routes.map { (Substring($0.path).split(separator: "/"), $0.method.rawValue) }

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
            switch spec.handler {
            case .open(let factory):
                let handler = factory(self)(spec)
                router.on(RouterPath(spec.path), method: spec.method) { request, context in try await handler(request, context.parameters) }
            case .page(let factory):
                let handler = factory(self)(spec)
                router.on(RouterPath(spec.path), method: spec.method) { request, context in
                    let client = client(request, context)
                    if let wait = pageLimiter.secondsToWait(client) {
                        services.anonymousAudit.record(
                            AuditEntry(
                                actor: "client:\(client)", action: .authDenied, target: "route:\(spec)",
                                outcome: "denied", details: ["reason": "rate_limited"]))
                        return VerificationPage.tooManyRequests(retryAfter: wait, district: await districtName.get())
                    }
                    return try await handler(request, context.parameters)
                }
            case .authenticated(let factory), .scope(_, let factory):
                let handler = factory(self)(spec)
                router.on(RouterPath(spec.path), method: spec.method) { request, context in
                    let principal = try await authorize(request, spec: spec, client: client(request, context))
                    return try await auditingDenials(spec: spec, actor: principal.actor) { try await handler(request, context.parameters, principal) }
                }
            case .applicantPublic(let factory):
                let handler = factory(self)(spec)
                router.on(RouterPath(spec.path), method: spec.method) { request, context in
                    let client = client(request, context)
                    try limitAnonymousApplicant(client, spec: spec)
                    return try await auditingDenials(spec: spec, actor: "client:\(client)") { try await handler(request, context.parameters, client) }
                }
            case .applicant(let tier, let factory):
                let handler = factory(self)(spec)
                router.on(RouterPath(spec.path), method: spec.method) { request, context in
                    let client = client(request, context)
                    let session = try await authorizeApplicant(request, spec: spec, tier: tier, client: client)
                    return try await auditingDenials(spec: spec, actor: session.actor) {
                        try await handler(request, context.parameters, session, client)
                    }
                }
            }
        }
    }

    /// The client's IP address (the rate-limit and anonymous-audit key): the peer's, or the one a trusted proxy
    /// reports; `local` when there is no peer (router tests).
    func client(_ request: Request, _ context: ZeroTripRequestContext) -> String {
        clients.resolve(peer: context.remoteAddress?.ipAddress, headers: request.headers)
    }

    /// Runs an authenticated handler and audits any 403 it raises that was not audited where it was raised (a
    /// refusal from a check that does not audit its own), so that every denial of a known caller is in the audit log,
    /// once: a refusal already audited where it was made (``ZeroTripError/isAudited``) passes through.
    func auditingDenials(spec: RouteSpec, actor: String, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as ZeroTripError where (error.code == .forbidden || error.code == .notAReviewer) && !error.isAudited {
            try await services.audit(
                AuditEntry(
                    actor: actor, action: .authDenied, target: "route:\(spec)", outcome: "denied",
                    details: ["reason": error.code.rawValue, "message": String(error.message.prefix(200))]))
            throw error.audited()
        }
    }

    /// Serves a public route: anyone may call it.
    typealias OpenHandler = @Sendable (Request, Parameters) async throws -> Response
    /// Serves a department route, given the credential's principal once its scope has been checked.
    typealias DepartmentHandler = @Sendable (Request, Parameters, Principal) async throws -> Response
    /// Serves a rate-limited applicant route without a session, given the client's address.
    typealias AnonymousApplicantHandler = @Sendable (Request, Parameters, String) async throws -> Response
    /// Serves an applicant route, given the live session of the route's tier and the client's address.
    typealias ApplicantHandler = @Sendable (Request, Parameters, ApplicantSession, String) async throws -> Response

    /// `GET /healthz`.
    ///
    /// Monitors and load balancers probe it many times a second, so its constant answer is encoded once: the same
    /// bytes ``JSONResponse/make(_:status:)`` writes for `{"status":"ok"}`, with its headers.
    func liveness(_ spec: RouteSpec) -> OpenHandler {
        let alive = Response(status: .ok, headers: JSONResponse.headers, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        return { _, _ in alive }
    }

    /// `GET /readyz`.
    func readiness(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        return { _, _ in
            let signing: ListSigning
            do {
                signing = try await services.checkReadiness()
            } catch let error as ZeroTripError {
                throw ZeroTripError(.notReady, error.message)
            }
            // With an online key the root may be offline between ceremonies: ready all the same, and said so.
            guard let online = signing.onlineKid else { return try JSONResponse.make(["status": "ready", "root": "online"]) }
            var detail = ["status": "ready", "root": signing.rootConnected ? "online" : "offline", "listSigner": "online key \(online)"]
            // Time to hold the ceremony that certifies the next online key.
            if let ends = signing.onlineKeyEndsSoon { detail["listSignerEnds"] = AuditEvent.timestamp(ends) }
            // Issuance and verification go on; the lists go stale until a ceremony certifies a new key.
            if signing.onlineKeyEnded { detail["listSigner"] = "online key \(online) ended: lists and tree heads are not being signed" }
            return try JSONResponse.make(detail)
        }
    }

    /// `GET /openapi.json`.
    func apiDescription(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        // Built once from the route table; the district's address is its server.
        let bytes = OpenAPIDocument.build(routes: Self.routes, serverURL: services.documents.verificationBaseURL).bytes
        return { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            headers[.cacheControl] = "public, max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// `GET /metrics`.
    func metricsExposition(_ spec: RouteSpec) -> DepartmentHandler {
        let (metrics, database, documents) = (self.metrics, services.database, services.documents)
        return { _, _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition(database: database, documentsIssued: documents.issuedSinceStart))))
        }
    }

    /// `GET /v1/trust/root.pem`.
    func rootCertificate(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        return { _, _ in
            let pem = try await services.administration.rootCertificate().pemRepresentation
            var headers = HTTPFields()
            headers[.contentType] = "application/x-pem-file"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: pem)))
        }
    }

    /// `GET /v1/whoami`.
    func whoAmI(_ spec: RouteSpec) -> DepartmentHandler {
        return { _, _, principal in
            return try JSONResponse.make(
                WhoAmI(
                    credentialId: principal.credentialID, department: principal.departmentCode,
                    scopes: principal.scopes.sorted().map(\.rawValue)))
        }
    }

    /// `GET /v1/departments`.
    func listDepartments(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, _, _ in
            try JSONResponse.make(DepartmentList(departments: try await services.administration.departments().map(DepartmentView.init)))
        }
    }

    /// `GET /v1/departments/{code}`.
    func showDepartment(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, parameters, _ in
            let code = parameters.get("code") ?? ""
            guard let department = try await services.administration.department(code: code) else {
                throw ZeroTripError(.unknownDepartment, "no department \(code.prefix(16))")
            }
            let keys = try await services.administration.keys(department: department.code)
            return try JSONResponse.make(DepartmentDetail(department: DepartmentView(department), keys: keys.map(SigningKeyView.init)))
        }
    }

    /// `POST /v1/departments`.
    func addDepartment(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let limit = bodyLimit
        return { request, _, principal in
            let body = try await JSONResponse.decode(CreateDepartment.self, from: request, limit: limit)
            let algorithm = try body.algorithm.map(Validation.algorithm) ?? .p256
            let department = try await services.administration.addDepartment(
                code: body.code, name: body.name, algorithm: algorithm, actor: principal.actor)
            return try JSONResponse.make(DepartmentView(department), status: .created)
        }
    }

    /// `GET /v1/credentials`.
    func listCredentials(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, _, _ in try await JSONResponse.make(CredentialList(credentials: try services.credentials.list().map(CredentialView.init))) }
    }

    /// `POST /v1/credentials`.
    func createCredential(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let limit = bodyLimit
        return { request, _, principal in
            let body = try await JSONResponse.decode(CreateCredential.self, from: request, limit: limit)
            let scopes = try Scope.parse(body.scopes.joined(separator: ","))
            let issued = try await services.credentials.create(
                department: body.department, scopes: scopes, label: body.label ?? "", actor: principal.actor)
            return try JSONResponse.make(CreatedCredential(credential: CredentialView(issued.info), token: issued.token), status: .created)
        }
    }

    /// `POST /v1/credentials/{id}/revoke`.
    func revokeCredential(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, parameters, principal in
            let info = try await services.credentials.revoke(id: parameters.get("id") ?? "", actor: principal.actor)
            return try JSONResponse.make(CredentialView(info))
        }
    }

    /// `GET /v1/audit/verify`.
    func verifyAuditChain(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, _, _ in
            switch try await AuditLog.verify(services.database) {
            case .intact(let count, let head):
                return try JSONResponse.make(
                    AuditReport(intact: true, eventCount: count, headHash: Hex.encode(head), firstBadSeq: nil, reason: nil))
            case .broken(let seq, let reason):
                return try JSONResponse.make(AuditReport(intact: false, eventCount: nil, headHash: nil, firstBadSeq: seq, reason: reason))
            }
        }
    }

    /// `GET /v1/audit/events`.
    func auditEvents(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { request, _, _ in
            let raw = request.uri.queryParameters.get("limit") ?? "100"
            guard let limit = Int(raw), (1...1000).contains(limit) else { throw ZeroTripError(.invalidInput, "limit must be 1–1000") }
            let events = try await AuditLog.events(in: services.database, limit: limit)
            return try JSONResponse.make(AuditEventList(events: events.map(AuditEventView.init)))
        }
    }

    /// Applies the route's access rule; denials are audited without the presented token.
    ///
    /// A request without a valid credential is anonymous: it is counted per route, reason and client each minute
    /// (``AuditAggregator``) rather than written one row each, so unauthenticated floods cannot grow the log. A
    /// token naming a real credential id with a wrong secret is recorded as anonymous with the claimed id in the
    /// details: whoever sent it did not prove to be that credential.
    private func authorize(_ request: Request, spec: RouteSpec, client: String) async throws -> Principal {
        let token = Self.bearerToken(request)
        var principal: Principal?
        if let token { principal = try await services.credentials.authenticate(token: token) }
        guard let principal else {
            var details = ["reason": token == nil ? "missing_token" : "invalid_token", "client": client]
            if let claimed = token.flatMap(CredentialService.credentialID(inToken:)) { details["claimed_credential"] = claimed }
            services.anonymousAudit.record(
                AuditEntry(
                    actor: "anonymous", action: .authDenied, target: "route:\(spec)", outcome: "denied",
                    details: details))
            throw ZeroTripError(.unauthenticated, "a valid bearer token is required")
        }
        if case .scope(let scope) = spec.access, !principal.scopes.contains(scope) {
            try await services.audit(
                AuditEntry(
                    actor: principal.actor, action: .authDenied, target: "route:\(spec)", outcome: "denied",
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
