import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
@testable import ZeroTripServer
import ZeroTripTestSupport

@Suite("HTTP: documents, verification and the public page")
struct DocumentAPITests {
    static let issueBody = #"""
        {"matterCode": "JZDJ", "matterName": "居住登记凭证", "holderName": "王志强", "holderIdNumber": "44060419921130003X",
         "fields": [{"label": "居住地址", "value": "佛山市禅城区祖庙街道建新路12号"}], "validDays": 180, "pickupMode": "o2o_delivery"}
        """#

    struct Issued: Decodable {
        struct Document: Decodable { var id: String; var holderName: String; var holderIdNumber: String; var status: String }
        var document: Document
        var token: String
        var qrContent: String
        var qrVersion: Int
    }

    struct Report: Decodable {
        struct Reason: Decodable { var code: String }
        struct Summary: Decodable { var id: String; var holderName: String; var departmentName: String? }
        var result: String
        var reasons: [Reason]
        var document: Summary?
    }

    func headers(_ token: String?, contentType: String = "application/json") -> HTTPFields {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        headers[.contentType] = contentType
        return headers
    }

    @Test("Issue → metadata masked → own PDF → verify token, PDF and page; another department is refused and audited")
    func endToEnd() async throws {
        let fixture = try await ServerFixture()
        fixture.configurationMaxBody(1 << 20)
        let gaj = try await fixture.addDepartmentCredential(code: "GAJ", scopes: [.documentsIssue, .documentsVerify])
        let issuer = fixture.tokens[.documentsIssue]!, verifier = fixture.tokens[.documentsVerify]!
        try await fixture.application().test(.router) { client in
            let issued = try await client.execute(
                uri: "/v1/documents", method: .post, headers: headers(issuer), body: ByteBuffer(string: Self.issueBody)
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return try JSONDecoder().decode(Issued.self, from: Data(response.body.readableBytesView))
            }
            #expect(issued.document.holderIdNumber == "4406**********003X")
            #expect(issued.document.holderName == "王**")
            #expect(issued.qrVersion <= 13)

            let pdf = try await client.execute(uri: "/v1/documents/\(issued.document.id)/pdf", method: .get, headers: headers(issuer)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/pdf")
                return Data(response.body.readableBytesView)
            }
            #expect(pdf.starts(with: Data("%PDF-1.7".utf8)))

            // Another department: 403, audited.
            let denied = try await fixture.auditCount(action: "auth.denied")
            try await client.execute(uri: "/v1/documents/\(issued.document.id)/pdf", method: .get, headers: headers(gaj)) { response in
                #expect(response.status == .forbidden)
            }
            await #expect(try fixture.auditCount(action: "auth.denied") == denied + 1)

            // Token and PDF verification by any department with documents:verify.
            let body = try String(decoding: JSONEncoder().encode(["token": issued.qrContent]), as: UTF8.self)
            let tokenReport = try await client.execute(uri: "/v1/verify", method: .post, headers: headers(verifier), body: ByteBuffer(string: body)) {
                response in
                try JSONDecoder().decode(Report.self, from: Data(response.body.readableBytesView))
            }
            #expect(tokenReport.result == "valid")
            #expect(tokenReport.document?.holderName == "王**")
            let pdfReport = try await client.execute(
                uri: "/v1/verify/pdf", method: .post, headers: headers(verifier, contentType: "application/pdf"), body: ByteBuffer(bytes: pdf)
            ) { response in
                try JSONDecoder().decode(Report.self, from: Data(response.body.readableBytesView))
            }
            #expect(pdfReport.result == "valid")
            var tampered = pdf
            tampered[200] ^= 1
            let tamperedReport = try await client.execute(
                uri: "/v1/verify/pdf", method: .post, headers: headers(verifier, contentType: "application/pdf"), body: ByteBuffer(bytes: tampered)
            ) { response in
                try JSONDecoder().decode(Report.self, from: Data(response.body.readableBytesView))
            }
            #expect(tamperedReport.result == "invalid")

            // The public page, as a phone camera opens it: no login, Chinese, masked holder only.
            let path = String(issued.qrContent[issued.qrContent.range(of: "/V/")!.lowerBound...])
            let page = try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                return String(buffer: response.body)
            }
            #expect(page.contains("有效"))
            #expect(page.contains("居住登记凭证"))
            // The issuer by its full administrative name, under the district's full name, as a clerk in another city reads it.
            #expect(page.contains("<td>广东省佛山市禅城区人力资源和社会保障局</td>"), "\(page)")
            #expect(page.contains("广东省佛山市禅城区人民政府 · 电子文书核验"))
            // What was signed, for comparison with the paper: every field, the name and number masked in the middle only.
            #expect(page.contains("居住地址") && page.contains("佛山市禅城区祖庙街道建新路12号"))
            #expect(page.contains("王*强") && page.contains("440604********003X"))
            #expect(page.contains("逐项核对"))
            #expect(!page.contains("王志强") && !page.contains("44060419921130003X"))
            // The number as the paper prints it (groups of eight with dashes), in the path or typed into the box.
            let printed = ResultDocumentRenderer.groupedID(issued.document.id)
            #expect(printed.count == 35 && printed.filter { $0 == "-" }.count == 3)
            for uri in ["/v/\(printed)", "/v/?n=\(printed)", "/v/?n=\(printed.uppercased().replacingOccurrences(of: "-", with: "+"))"] {
                let byNumber = try await client.execute(uri: uri, method: .get) { String(buffer: $0.body) }
                #expect(byNumber.contains("有效") && byNumber.contains("佛山市禅城区祖庙街道建新路12号"), "\(uri)")
                #expect(byNumber.contains("按文书编号查询只能说明"), "a number lookup says what it proves: \(uri)")
            }
            let howTo = try await client.execute(uri: "/v/", method: .get) { String(buffer: $0.body) }
            #expect(howTo.contains("name=\"n\""))

            // Revocation shows everywhere.
            try await client.execute(
                uri: "/v1/documents/\(issued.document.id)/revoke", method: .post, headers: headers(issuer),
                body: ByteBuffer(string: #"{"reason": "facts_changed"}"#)
            ) { response in
                #expect(response.status == .ok)
            }
            let revokedPage = try await client.execute(uri: path, method: .get) { String(buffer: $0.body) }
            #expect(revokedPage.contains("已撤销"))
            let byID = try await client.execute(uri: "/v/\(issued.document.id)", method: .get) { String(buffer: $0.body) }
            #expect(byID.contains("已撤销"))
            let revokedReport = try await client.execute(uri: "/v1/verify", method: .post, headers: headers(verifier), body: ByteBuffer(string: body))
            { response in
                try JSONDecoder().decode(Report.self, from: Data(response.body.readableBytesView))
            }
            #expect(revokedReport.result == "revoked")
            let garbage = try await client.execute(uri: "/V/?ZT1:NOT-A-TOKEN", method: .get) { String(buffer: $0.body) }
            #expect(garbage.contains("无效"))
            // A genuine token with one character changed: invalid, and none of its (unverified) claims is shown.
            var forged = Array(path)
            forged[forged.count - 3] = forged[forged.count - 3] == "A" ? "B" : "A"
            let forgedPage = try await client.execute(uri: String(forged), method: .get) { String(buffer: $0.body) }
            #expect(forgedPage.contains("无效"))
            #expect(!forgedPage.contains("居住登记凭证") && !forgedPage.contains("签发机关") && !forgedPage.contains("文书编号</th>"))
        }
        // Department verifications are audited one by one; anonymous page views as counts per document once flushed.
        let departmental = try await AuditLog.events(in: fixture.services.database, limit: 200).filter { $0.action == "document.verified" }
        #expect(departmental.count >= 4)
        #expect(!departmental.contains { $0.actor == "public:page" })
        try await fixture.services.anonymousAudit.flush(to: fixture.services.database)
        let pages = try await AuditLog.events(in: fixture.services.database, limit: 200).filter {
            $0.action == "document.verified" && $0.actor == "public:page"
        }
        #expect(pages.reduce(0) { $0 + ServerFixture.count(of: $1) } >= 3)
    }

    @Test("Issuing for another department is refused; bad JSON and bad fields get codes")
    func badIssueRequests() async throws {
        let fixture = try await ServerFixture()
        let issuer = fixture.tokens[.documentsIssue]!
        try await fixture.application().test(.router) { client in
            let foreign = Self.issueBody.replacingOccurrences(of: #"{"matterCode""#, with: #"{"department": "ZSJ", "matterCode""#)
            try await client.execute(uri: "/v1/documents", method: .post, headers: headers(issuer), body: ByteBuffer(string: foreign)) { response in
                #expect(response.status == .forbidden)
            }
            // Refused in the document service, audited once where it is refused (not again by the route's wrapper, which
            // would add a second denial under route:POST /v1/documents).
            let denials = try await AuditLog.events(in: fixture.services.database, limit: 10_000).filter { $0.action == "auth.denied" }
            #expect(
                denials.count == 1 && denials.first?.target == "department:ZSJ" && denials.first?.details.contains("POST /v1/documents") == true,
                "\(denials.map { ($0.actor, $0.target) })")
            #expect(try await fixture.services.documents.records(department: "ZSJ", limit: 10).isEmpty)
            let badID = Self.issueBody.replacingOccurrences(of: "44060419921130003X", with: "440604199211300031")
            let (status, body) = try await client.execute(
                uri: "/v1/documents", method: .post, headers: headers(issuer), body: ByteBuffer(string: badID)
            ) { response in
                (response.status, Data(response.body.readableBytesView))
            }
            #expect(status == .badRequest)
            #expect(try JSONDecoder().decode(ErrorBody.self, from: body).error.code == "invalid_id_number")
            try await client.execute(uri: "/v1/documents", method: .post, headers: headers(issuer), body: ByteBuffer(string: "{")) { response in
                #expect(response.status == .badRequest)
            }
            let badType = Self.issueBody.replacingOccurrences(of: #""holderName""#, with: #""holderType": "robot", "holderName""#)
            let (typeStatus, typeBody) = try await client.execute(
                uri: "/v1/documents", method: .post, headers: headers(issuer), body: ByteBuffer(string: badType)
            ) { response in
                (response.status, Data(response.body.readableBytesView))
            }
            #expect(typeStatus == .badRequest)
            #expect(try JSONDecoder().decode(ErrorBody.self, from: typeBody).error.code == "invalid_input")
        }
        await #expect(try fixture.services.documents.records(department: nil, limit: 10).isEmpty)
    }

    @Test(
        "An organisation's result over HTTP: holderType organization, its registered name and code shown whole in the API and on the verification page; unknown code 404"
    )
    func organisationHolder() async throws {
        let fixture = try await ServerFixture()
        _ = try await fixture.services.credit.registerOrganization(
            code: "91440604MA4UH1234Y", name: "佛山市禅城区示例科技有限公司",
            establishedOn: CivilDay("2020-01-01")!, dataComplete: true, actor: "test")
        let issuer = fixture.tokens[.documentsIssue]!
        let body = #"""
            {"matterCode": "LDBZSC", "matterName": "劳动保障书面审查结果", "holderType": "organization", "holderName": "佛山市禅城区示例科技有限公司",
             "holderIdNumber": "91440604MA4UH1234Y", "fields": [{"label": "审查结论", "value": "合格"}]}
            """#
        try await fixture.application().test(.router) { client in
            let issued = try await client.execute(uri: "/v1/documents", method: .post, headers: headers(issuer), body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return try JSONDecoder().decode(Issued.self, from: Data(response.body.readableBytesView))
            }
            #expect(issued.document.holderName == "佛山市禅城区示例科技有限公司" && issued.document.holderIdNumber == "91440604MA4UH1234Y")
            let path = String(issued.qrContent[issued.qrContent.range(of: "/V/")!.lowerBound...])
            let page = try await client.execute(uri: path, method: .get) { String(buffer: $0.body) }
            #expect(page.contains("有效") && page.contains("<th>持证单位</th><td>佛山市禅城区示例科技有限公司</td>"), "\(page)")
            #expect(page.contains("<th>统一社会信用代码</th><td>91440604MA4UH1234Y</td>"))
            let unknown = body.replacingOccurrences(of: "91440604MA4UH1234Y", with: "91440604MA4UH12352")
            let (unknownStatus, unknownBody) = try await client.execute(
                uri: "/v1/documents", method: .post, headers: headers(issuer),
                body: ByteBuffer(string: unknown)
            ) { response in
                (response.status, Data(response.body.readableBytesView))
            }
            #expect(unknownStatus == .notFound)
            #expect(try JSONDecoder().decode(ErrorBody.self, from: unknownBody).error.code == "unknown_subject")
        }
    }

    @Test(
        "POST /v1/roots/renew (admin): the trust list is then signed by the new root, both roots are listed, each root's CRL is served; bad root ids get codes"
    )
    func rootRenewal() async throws {
        let fixture = try await ServerFixture()
        let admin = try #require(fixture.tokens[.admin])
        let oldRoot = try await fixture.services.administration.rootCertificate()
        try await fixture.application().test(.router) { client in
            struct Renewal: Decodable { struct Root: Decodable { var kid: String }; var root: Root; var previousKid: String }
            let renewal = try await client.execute(uri: "/v1/roots/renew", method: .post, headers: headers(admin)) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return try JSONDecoder().decode(Renewal.self, from: Data(response.body.readableBytesView))
            }
            #expect(renewal.previousKid == oldRoot.kidHex)
            struct Roots: Decodable { struct Root: Decodable { var kid: String; var status: String }; var roots: [Root]; var links: [String] }
            let roots = try await client.execute(uri: "/v1/roots", method: .get) { response in
                try JSONDecoder().decode(Roots.self, from: Data(response.body.readableBytesView))
            }
            #expect(roots.roots.map(\.kid) == [renewal.root.kid, oldRoot.kidHex] && roots.links.count == 2)
            let list = try await client.execute(uri: "/v1/trust-list", method: .get) { Array($0.body.readableBytesView) }
            let signature = try await client.execute(uri: "/v1/trust-list.sig", method: .get) { Array($0.body.readableBytesView) }
            guard case .usable(let opened) = TrustList.open(list, signature: signature, root: oldRoot, now: Date()) else {
                Issue.record("the renewed list does not open with the old root pinned"); return
            }
            #expect(opened.rootKid == renewal.root.kid)
            for (query, status) in [
                ("", HTTPResponse.Status.ok), ("?root=\(oldRoot.kidHex)", .ok), ("?root=0000000000000000", .notFound), ("?root=xyz", .badRequest),
            ] {
                try await client.execute(uri: "/v1/crl\(query)", method: .get) { response in
                    #expect(response.status == status, "\(query)")
                }
            }
        }
    }

    @Test("The page explains every reason code in Chinese, and the revocation reasons of documents and keys")
    func everyReasonExplained() throws {
        for code in VerificationReason.Code.all {
            #expect(VerificationPage.explanations[code.rawValue] != nil, "no Chinese explanation for \(code)")
        }
        #expect(Set(VerificationPage.explanations.keys) == Set(VerificationReason.Code.all.map(\.rawValue)))
        #expect(VerificationPage.explanation(VerificationReason.Code(rawValue: "something_new")).contains("something_new"))
        // `all` is every code declared.
        let declarations = try String(
            contentsOf: ExternalTool.repositoryRoot.appendingPathComponent("Sources/ZeroTripDocuments/Verification/VerificationResult.swift"),
            encoding: .utf8)
        let declared = Set(declarations.matches(of: /static let [A-Za-z0-9]+ =\s*Code\(rawValue: "([a-z0-9_]+)"\)/).map { String($0.1) })
        let listed = Set(VerificationReason.Code.all.map(\.rawValue))
        #expect(
            declared == listed && declared.count > 30,
            "declared only: \(declared.subtracting(listed)), listed only: \(listed.subtracting(declared))")
        // The codes other parts of the verifier name (a trust or status list's problems) are among them.
        for problem in TrustList.Problem.allCases { #expect(VerificationReason.Code.all.contains(problem.code), "\(problem)") }
        for problem in DocumentStatusList.Problem.allCases { #expect(VerificationReason.Code.all.contains(problem.code), "\(problem)") }
        let reasons =
            RevocationReason.allCases.filter { $0 != .other }.map(\.rawValue) + ["superseded"] + KeyRevocationReason.allCases.map(\.rawValue)
        for reason in reasons {
            #expect(VerificationPage.reasonText(reason) != "其他", "\(reason)")
        }
        // A key revocation is shown with its time and reason.
        var report = VerificationReport(
            result: .revoked, reasons: [VerificationReason(.keyRevoked, "…")], document: nil, registerChecked: true,
            method: .token, verifiedAt: Date(timeIntervalSince1970: 1_764_000_000))
        report.keyRevocation = KeyRevocationNotice(notAfter: Date(timeIntervalSince1970: 1_763_900_000), reason: "key_compromise")
        report.document = DocumentSummary(
            id: "a5607a0b98459b4dff2f671e0a3cbf76", departmentCode: "RSJ", departmentName: "区人力资源和社会保障局",
            matterCode: "GRCBZM", matterName: "个人参保证明", holderName: "张**", issuedAt: Date(timeIntervalSince1970: 1_763_950_000),
            validUntil: Date(timeIntervalSince1970: 1_793_950_000), status: .valid, statusChangedAt: nil, statusReason: nil,
            supersededBy: nil, kid: "00ff")
        let page = VerificationPage.render(report, district: "禅城区")
        #expect(page.contains("已撤销") && page.contains("印章停用时间") && page.contains("2025-11-23 20:13") && page.contains("印章密钥泄露"))
        #expect(page.contains(VerificationPage.explanations["key_revoked"]!))
        #expect(VerificationPage.normalizedNumber("A5607A0B-98459B4D-FF2F671E-0A3CBF76") == "a5607a0b98459b4dff2f671e0a3cbf76")
        #expect(VerificationPage.normalizedNumber("a5607a0b-98459b4d") == nil)
        #expect(VerificationPage.normalizedNumber("g5607a0b98459b4dff2f671e0a3cbf76") == nil)
    }
}
