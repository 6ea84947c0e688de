import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
@testable import ZeroTripServer
import ZeroTripDomainTestSupport

@Suite("Points over HTTP: the person's statement, claims with a proof, disputes, the certificate; the reviewers' queue; the 积分 page")
struct PointsAPITests {
    struct Item: Decodable { var indicator: String; var name: String; var points: Int; var value: String; var basis: String; var inputs: [String] }
    struct Claimable: Decodable { var indicator: String; var options: [Option]; struct Option: Decodable { var name: String; var points: Int } }
    struct Applicant: Decodable { var name: String?; var idNumberMasked: String? }
    struct Claim: Decodable {
        var id: String; var indicator: String; var decision: String?; var evidenceType: String?; var decidedBy: String?; var applicant: Applicant?
    }
    struct Dispute: Decodable {
        var id: String; var indicator: String; var outcome: String?; var points: Int?; var disputedPoints: Int; var applicant: Applicant?
    }
    struct Statement: Decodable {
        var scheme: String?; var total: Int?; var items: [Item]; var claimable: [Claimable]; var claims: [Claim]; var disputes: [Dispute];
        var withheld: [String]
    }
    struct ClaimList: Decodable { var claims: [Claim] }
    struct DisputeList: Decodable { var disputes: [Dispute] }
    struct Certificate: Decodable {
        var verificationPage: String; var pdf: String; var document: Document; struct Document: Decodable { var id: String }
    }
    struct ErrorCode: Decodable { var error: Inner; struct Inner: Decodable { var code: String } }

    @Test(
        "Statement, claim (proof as base64), reviewer's queue and proof, decision, dispute and its decision, certificate; refusals by code, a clerk who is no reviewer is a 403 that is audited"
    )
    func flow() async throws {
        let fixture = try await ServerFixture()
        try await PointsFixtures.load(fixture.services, department: "RSJ")
        _ = try await fixture.services.supervision.putStaff(
            department: "RSJ", clerk: "RS-1", name: "孙丽", phone: "13900000031", role: .reviewer, actor: "test")
        _ = try await fixture.services.supervision.putStaff(
            department: "RSJ", clerk: "RS-9", name: "钱峰", phone: "13900000039", role: .supervisor, actor: "test")
        _ = try await fixture.services.points.run(actor: "test")
        let session = try await fixture.applicant().token
        let reviewer = try #require(fixture.tokens[.pointsReview])
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ token: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, Data, HTTPFields) {
                try await client.execute(
                    uri: uri, method: body == nil ? .get : .post, headers: ConsentAPITests.bearer(token),
                    body: body.map { ByteBuffer(string: $0) }
                ) { ($0.status, Data($0.body.readableBytesView), $0.headers) }
            }
            func code(_ data: Data) -> String? { (try? decoder.decode(ErrorCode.self, from: data))?.error.code }

            var (status, data, _) = try await call("/v1/applicant/points", session)
            var statement = try decoder.decode(Statement.self, from: data)
            #expect(status == .ok && statement.scheme == "禅城区新居民积分（演示）" && statement.total != nil)
            #expect(statement.items.contains { $0.indicator == "age" && $0.inputs == ["registry"] && $0.basis.contains("岁") })
            #expect(statement.claimable.map(\.indicator) == ["education", "skills", "volunteer"])

            let proof = Base64.encode(PointsFixtures.png)
            for (body, expectedStatus, expectedCode) in [
                (#"{"indicator": "phd", "option": "本科"}"#, HTTPResponse.Status.badRequest, "unknown_indicator"),
                (#"{"indicator": "education", "option": "本科", "evidence": "%%%"}"#, .badRequest, "invalid_input"),
                (#"{"indicator": "education", "option": "本科", "evidance": "x"}"#, .badRequest, "invalid_input"),
                (#"{"indicator": "education", "option": "本科", "evidence": ""}"#, .badRequest, "invalid_input"),
            ] {
                (status, data, _) = try await call("/v1/applicant/points/claims", session, body)
                #expect(status == expectedStatus && code(data) == expectedCode, "\(body): \(String(decoding: data, as: UTF8.self))")
            }
            (status, data, _) = try await call(
                "/v1/applicant/points/claims", session,
                #"{"indicator": "education", "option": "本科", "statement": "毕业证书 1056", "evidence": "\#(proof)"}"#)
            #expect(status == .created, "\(String(decoding: data, as: UTF8.self))")
            let claim = try decoder.decode(Claim.self, from: data)
            #expect(claim.evidenceType == "image/png" && claim.decidedBy == nil)
            (status, data, _) = try await call("/v1/applicant/points/claims", session, #"{"indicator": "education", "option": "大专"}"#)
            #expect(status == .conflict && code(data) == "claim_pending")

            (status, data, _) = try await call("/v1/points/claims", reviewer)
            let queue = try decoder.decode(ClaimList.self, from: data).claims
            #expect(queue.map(\.id) == [claim.id])
            #expect(queue.first?.applicant?.name == IdentityFixtures.li.name && queue.first?.applicant?.idNumberMasked?.contains("*") == true)
            #expect(!String(decoding: data, as: UTF8.self).contains(IdentityFixtures.li.id), "never the full ID number")
            let evidence = try await call("/v1/points/claims/\(claim.id)/evidence", reviewer)
            #expect(evidence.0 == .ok && [UInt8](evidence.1) == PointsFixtures.png && evidence.2[.contentType] == "image/png")
            #expect(evidence.2[HTTPField.Name("X-Content-Type-Options")!] == "nosniff" && evidence.2[.contentDisposition] == "attachment")

            let deniedBefore = try await fixture.auditCount(action: "auth.denied")
            (status, data, _) = try await call(
                "/v1/points/claims/\(claim.id)/decision", reviewer, #"{"approve": true, "reason": "核验原件", "clerk": "RS-77"}"#)
            #expect(status == .forbidden && code(data) == "not_a_reviewer")
            let deniedAfter = try await fixture.auditCount(action: "auth.denied")
            #expect(deniedAfter == deniedBefore + 1, "the refused decision is audited")
            (status, data, _) = try await call(
                "/v1/points/claims/\(claim.id)/decision", reviewer, #"{"approve": false, "reason": "证书编号查无此证", "clerk": "RS-1"}"#)
            let decided = try decoder.decode(Claim.self, from: data)
            #expect(status == .ok && decided.decidedBy?.hasSuffix("/clerk:RS-1") == true)
            (status, data, _) = try await call(
                "/v1/points/claims/\(claim.id)/decision", reviewer, #"{"approve": true, "reason": "再审", "clerk": "RS-9"}"#)
            #expect(status == .conflict && code(data) == "already_decided")

            (status, data, _) = try await call(
                "/v1/applicant/points/disputes", session, #"{"indicator": "education", "claim": "\#(claim.id)", "reason": "学信网可查"}"#)
            #expect(status == .created)
            let dispute = try decoder.decode(Dispute.self, from: data)
            (status, data, _) = try await call(
                "/v1/applicant/points/disputes", session, #"{"indicator": "education", "claim": "\#(claim.id)", "reason": "再次"}"#)
            #expect(status == .conflict && code(data) == "already_disputed")
            (status, data, _) = try await call("/v1/points/disputes", reviewer)
            #expect(
                try decoder.decode(DisputeList.self, from: data).disputes.map { [$0.id, $0.applicant?.name] } == [
                    [dispute.id, IdentityFixtures.li.name]
                ])
            (status, data, _) = try await call(
                "/v1/points/disputes/\(dispute.id)/decision", reviewer, #"{"points": 30, "reason": "改判", "clerk": "RS-1"}"#)
            #expect(status == .conflict && code(data) == "same_reviewer")
            (status, data, _) = try await call(
                "/v1/points/disputes/\(dispute.id)/decision", reviewer, #"{"points": 30, "reason": "学信网核实属实", "clerk": "RS-9"}"#)
            let corrected = try decoder.decode(Dispute.self, from: data)
            #expect(status == .ok && corrected.outcome == "corrected")

            (status, data, _) = try await call("/v1/applicant/points", session)
            statement = try decoder.decode(Statement.self, from: data)
            #expect(statement.claims.first?.decision == "rejected" && statement.disputes.first?.points == 30)
            #expect(!String(decoding: data, as: UTF8.self).contains("clerk:"), "the person sees decisions, not who made them")

            (status, data, _) = try await call("/v1/applicant/points/certificate", session, "")
            #expect(status == .created, "\(String(decoding: data, as: UTF8.self))")
            let certificate = try decoder.decode(Certificate.self, from: data)
            #expect(certificate.pdf == "/v1/applicant/documents/\(certificate.document.id)/pdf" && certificate.verificationPage.contains("/V"))
            (status, data, _) = try await call("/v1/applicant/points/certificate", session, "")
            let again = try decoder.decode(Certificate.self, from: data)
            #expect(
                status == .ok && again.document.id == certificate.document.id,
                "asked again: the same run's certificate, not a second one")

            // An SMS session (tier 1) may not see the credit level: the credit item and the total are withheld, and
            // the certificate (which prints them) asks for a higher tier.
            let sms = try await IdentityFixtures.smsSession(fixture.services, person: IdentityFixtures.li).token
            (status, data, _) = try await call("/v1/applicant/points", sms)
            statement = try decoder.decode(Statement.self, from: data)
            #expect(
                status == .ok && statement.total == nil && statement.withheld == ["信用等级"] && !statement.items.contains { $0.indicator == "credit" })
            let headers: HTTPFields
            (status, data, headers) = try await call("/v1/applicant/points/certificate", sms, "")
            #expect(
                status == .unauthorized && code(data) == "step_up_required"
                    && headers[.wwwAuthenticate]?.contains("insufficient_user_authentication") == true)

            // The certificate issued in the tier-2 session prints the credit level: the SMS session lists it without its
            // fields, and its PDF and a public link to it ask for a higher tier, audited. Switching the link off is allowed.
            struct Listed: Decodable { var id: String; var fields: [ResultField]; var fieldsNeedTier: Int? }
            struct Documents: Decodable { var documents: [Listed] }
            (_, data, _) = try await call("/v1/applicant/documents", sms)
            let withheld = try #require(try decoder.decode(Documents.self, from: data).documents.first { $0.id == certificate.document.id })
            (_, data, _) = try await call("/v1/applicant/documents", session)
            let shown = try #require(try decoder.decode(Documents.self, from: data).documents.first { $0.id == certificate.document.id })
            #expect(withheld.fields.isEmpty && withheld.fieldsNeedTier == 2)
            #expect(shown.fields.contains { $0.label == "信用等级" } && shown.fieldsNeedTier == nil)
            let deniedBeforePDF = try await fixture.auditCount(action: "auth.denied")
            (status, data, _) = try await call(certificate.pdf, sms)
            #expect(status == .unauthorized && code(data) == "step_up_required")
            func link(_ enabled: Bool, _ token: String) async throws -> (HTTPResponse.Status, String?) {
                try await client.execute(
                    uri: "/v1/applicant/documents/\(certificate.document.id)/pdf-link", method: .put, headers: ConsentAPITests.bearer(token),
                    body: ByteBuffer(string: #"{"enabled": \#(enabled)}"#)
                ) { ($0.status, code(Data($0.body.readableBytesView))) }
            }
            #expect(try await link(true, sms) == (.unauthorized, "step_up_required"))
            #expect(try await link(false, sms).0 == .ok)
            #expect(try await fixture.auditCount(action: "auth.denied") == deniedBeforePDF + 2, "both refusals are audited")
            (status, data, _) = try await call(certificate.pdf, session)
            #expect(status == .ok && data.starts(with: Array("%PDF".utf8)))
            (status, _, _) = try await call("/v1/points/runs", try #require(fixture.tokens[.statisticsRead]))
            #expect(status == .ok)
        }
    }

    @Test(
        "The 积分 page shows the score with its sources, takes a claim with a photo as multipart form data (CSRF-checked) and a dispute, and issues the certificate"
    )
    func page() async throws {
        let fixture = try await ServerFixture()
        try await PointsFixtures.load(fixture.services, department: "RSJ")
        _ = try await fixture.services.points.run(actor: "test")
        let holder = try await fixture.applicant()
        let cookies = [PageCookies.session: holder.token], csrf = PageCookies.csrfToken(session: holder.token)
        let subject = holder.session.subjectID
        try await fixture.application().test(.router) { client in
            let page = try await client.execute(uri: "/my/points", method: .get, headers: ApplicantPageTests.cookieHeader(cookies)) {
                String(buffer: $0.body)
            }
            #expect(page.contains("我的积分") && page.contains("合计") && page.contains("人口登记信息") && page.contains("enctype=\"multipart/form-data\""))
            #expect(page.contains("aria-current=\"page\">积分</a>"))

            func multipart(_ fields: [String: String], file: [UInt8]?) -> (HTTPFields, ByteBuffer) {
                let boundary = "----zt\(UUID().uuidString.prefix(8))"
                var body = [UInt8]()
                for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
                    body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
                }
                body += Array(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"证书.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
                body += (file ?? []) + Array("\r\n--\(boundary)--\r\n".utf8)
                var headers = ApplicantPageTests.cookieHeader(cookies)
                headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
                return (headers, ByteBuffer(bytes: body))
            }
            var (headers, body) = multipart(["csrf": "forged", "indicator": "skills", "option": "技师"], file: PointsFixtures.png)
            var status = try await client.execute(uri: "/my/points/claims", method: .post, headers: headers, body: body) { $0.status }
            #expect(
                try await fixture.services.points.statement(subject: subject, disclosingCredit: true).claims.isEmpty,
                "a forged form changes nothing (\(status))")
            (headers, body) = multipart(["csrf": csrf, "indicator": "skills", "option": "技师", "statement": "证书编号 S-1"], file: PointsFixtures.png)
            status = try await client.execute(uri: "/my/points/claims", method: .post, headers: headers, body: body) { $0.status }
            #expect(status == .seeOther || status == .found, "\(status)")
            var statement = try await fixture.services.points.statement(subject: subject, disclosingCredit: true)
            #expect(statement.claims.count == 1 && statement.claims[0].evidenceType == "image/png" && statement.claims[0].statement == "证书编号 S-1")
            let pending = try await client.execute(uri: "/my/points", method: .get, headers: ApplicantPageTests.cookieHeader(cookies)) {
                String(buffer: $0.body)
            }
            #expect(pending.contains("<strong>审核中</strong>") && !pending.contains("（）"), "a claim not yet decided shows no empty reason")
            (headers, body) = multipart(["csrf": csrf, "indicator": "skills", "option": "技师"], file: nil)
            let refusal = try await client.execute(uri: "/my/points/claims", method: .post, headers: headers, body: body) { String(buffer: $0.body) }
            #expect(refusal.contains("已有一份申请在审核中"), "a refusal is a page in Chinese")

            (headers, body) = ApplicantPageTests.form(["csrf": csrf, "indicator": "age", "reason": "出生日期有误"], cookies: cookies)
            status = try await client.execute(uri: "/my/points/disputes", method: .post, headers: headers, body: body) { $0.status }
            statement = try await fixture.services.points.statement(subject: subject, disclosingCredit: true)
            #expect(statement.disputes.count == 1 && statement.disputes[0].indicator == "age", "\(status)")

            (headers, body) = ApplicantPageTests.form(["csrf": csrf], cookies: cookies)
            let location = try await client.execute(uri: "/my/points/certificate", method: .post, headers: headers, body: body) {
                $0.headers[.location]
            }
            #expect(location?.hasPrefix("/my/documents/") == true, "\(location ?? "no redirect")")

            // Back with an SMS session (tier 1): the certificate's page shows neither its fields nor its QR code, and
            // its PDF asks for a higher tier.
            let sms = try await IdentityFixtures.smsSession(fixture.services, person: IdentityFixtures.li).token
            let smsCookies = ApplicantPageTests.cookieHeader([PageCookies.session: sms])
            let documentPage = try await client.execute(uri: location ?? "/my/", method: .get, headers: smsCookies) { String(buffer: $0.body) }
            #expect(documentPage.contains("这份文书载有您的信用等级") && !documentPage.contains("积分总分") && !documentPage.contains("<svg"))
            let pdfStatus = try await client.execute(uri: (location ?? "/my/") + "/pdf", method: .get, headers: smsCookies) { $0.status }
            #expect(pdfStatus == .unauthorized)
            let fullPage = try await client.execute(uri: location ?? "/my/", method: .get, headers: ApplicantPageTests.cookieHeader(cookies)) {
                String(buffer: $0.body)
            }
            #expect(fullPage.contains("积分总分") && fullPage.contains("<svg") && !fullPage.contains("这份文书载有您的信用等级"))
        }
    }

    @Test("Multipart bodies: fields and files by name; a missing closing boundary is invalid_input")
    func multipartParser() throws {
        let body = Array(
            "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n一\r\n--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n\r\n\u{1}\r\n--b--\r\n"
                .utf8)
        let form = try PageForm.parseMultipart(body, boundary: "b")
        #expect(form.fields == ["a": "一"] && form.files == ["f": [0x0D, 0x0A, 0x01]])
        let empty = try PageForm.parseMultipart(Array("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--b--\r\n".utf8), boundary: "b")
        #expect(empty.fields == ["a": ""])
        for broken in [
            "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1",
            // The delimiter right after the blank line, without the CRLF that must precede it.
            "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n--b--\r\n",
            "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--b",
            "--b", "--bX", "", "--b\r\n\r\n\r\n--b--",
        ] {
            expectError(.invalidInput, "\(broken.debugDescription)") { _ = try PageForm.parseMultipart(Array(broken.utf8), boundary: "b") }
        }
        // Cut and mutated at random, a valid body parses or is refused, never traps (a trap would end the daemon).
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var mutated = body
            mutated.removeLast(Int.random(in: 0..<mutated.count, using: &generator))
            for _ in 0..<Int.random(in: 0...3, using: &generator) where !mutated.isEmpty {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] =
                    [0x0D, 0x0A, 0x2D, 0x62, 0x22][Int.random(in: 0..<5, using: &generator)]
            }
            _ = try? PageForm.parseMultipart(mutated, boundary: "b")
        }
    }
}
