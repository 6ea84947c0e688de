import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripServer
import ZeroTripDomainTestSupport

@Suite("Results travel instead of the applicant: consent grants and their reuse")
struct ConsentAPITests {
    struct Reuse: Decodable {
        struct Item: Decodable {
            struct Document: Decodable { var id: String; var matterCode: String; var fields: [ResultField]; var pdfSha256: String }
            struct Verification: Decodable { var result: String }
            var document: Document
            var verification: Verification
            var pdf: String?
        }
        var grant: String
        var documents: [Item]
    }
    struct Grant: Decodable { var id: String; var department: String; var matter: String; var resultTypes: [String]; var live: Bool }
    struct Grants: Decodable { var grants: [Grant] }

    /// The error code of an error body.
    static func errorCode(_ data: Data) -> String? {
        let body = try? JSONDecoder().decode(ErrorBody.self, from: data)
        return body?.error.code
    }

    static func bearer(_ token: String) -> HTTPFields {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(token)"
        fields[.contentType] = "application/json"
        return fields
    }

    @Test("张三丰's 个人参保证明 (RSJ) for 居住登记 at GAJ: refused without consent (consent_required, audited), given with it (fields, verification, the exact PDF), listed for him, gone when revoked or withdrawn; other departments and other matters refused")
    func scenario() async throws {
        let fixture = try await ServerFixture()
        fixture.configurationMaxBody(1 << 20)
        try await fixture.loadCredit()
        let gaj = try await fixture.services.credentials.create(department: "GAJ", scopes: [.documentsReuse], label: "GAJ window", actor: "test").token
        let rsjReuse = fixture.tokens[.documentsReuse]!, rsjIssuer = fixture.tokens[.documentsIssue]!
        let zhang = IdentityFixtures.zhang
        let document = try await fixture.services.documents.issue(IssueDocumentRequest(
            departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: zhang.name, holderIDNumber: zhang.id,
            fields: [ResultField(label: "参保险种", value: "企业职工基本养老保险"), ResultField(label: "参保状态", value: "正常参保")],
            validDays: 90, pickupMode: .qrSelfPrint), actor: "test")
        let applicant = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
        let pull = #"{"idNumber": "\#(zhang.id)", "matter": "JZDJ", "includePdf": true}"#
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ token: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, Data) {
                try await client.execute(uri: uri, method: body == nil ? .get : .post, headers: Self.bearer(token), body: body.map { ByteBuffer(string: $0) }) {
                    ($0.status, Data($0.body.readableBytesView))
                }
            }

            // Without consent: 403 consent_required, and the refusal is in the audit log under the person.
            var (status, body) = try await call("/v1/reuse/documents", gaj, pull)
            #expect(status == .forbidden && Self.errorCode(body) == "consent_required", "\(String(decoding: body, as: UTF8.self))")
            // Outside its business: RSJ cannot pull for GAJ's matter, even with the scope.
            (status, body) = try await call("/v1/reuse/documents", rsjReuse, pull)
            #expect(status == .forbidden && Self.errorCode(body) == "forbidden")

            // Bad grants are refused by code.
            for (bad, expected) in [(#"{"matter": "JZDJ", "resultTypes": ["QZDJ"]}"#, "invalid_input"), (#"{"matter": "NOPE"}"#, "unknown_matter"),
                                    (#"{"matter": "JZDJ", "department": "RSJ"}"#, "invalid_input"), (#"{"matter": "GRCBZM"}"#, "invalid_input"),
                                    (#"{"matter": "JZDJ", "days": 400}"#, "invalid_input")] {
                (status, body) = try await call("/v1/applicant/consents", applicant.token, bad)
                #expect(Self.errorCode(body) == expected, "\(bad): \(String(decoding: body, as: UTF8.self))")
            }
            // The applicant grants GAJ his 个人参保证明 for 居住登记 from the phone.
            (status, body) = try await call("/v1/applicant/consents", applicant.token, #"{"matter": "JZDJ", "resultTypes": ["GRCBZM"], "days": 10}"#)
            #expect(status == .created, "\(String(decoding: body, as: UTF8.self))")
            let grant = try JSONDecoder().decode(Grant.self, from: body)
            #expect(grant.department == "GAJ" && grant.matter == "JZDJ" && grant.resultTypes == ["GRCBZM"] && grant.live)

            // GAJ pulls it: the fields it needed the paper for, the register's answer, and the exact signed PDF.
            (status, body) = try await call("/v1/reuse/documents", gaj, pull)
            #expect(status == .ok, "\(String(decoding: body, as: UTF8.self))")
            let reused = try JSONDecoder().decode(Reuse.self, from: body)
            #expect(reused.grant == grant.id && reused.documents.count == 1)
            let item = try #require(reused.documents.first)
            #expect(item.document.id == document.record.id && item.document.matterCode == "GRCBZM" && item.verification.result == "valid")
            #expect(item.document.fields.contains(ResultField(label: "参保状态", value: "正常参保")))
            let pdf = try #require(item.pdf.flatMap { Data(base64Encoded: $0) })
            #expect(Hex.encode(Digest.sha256(Array(pdf))) == document.record.pdfSHA256)
            // Another matter without a grant is still refused (RSJ's 就业失业登记 takes 居住登记凭证, not granted).
            (status, body) = try await call("/v1/reuse/documents", rsjReuse, #"{"idNumber": "\#(zhang.id)", "matter": "JYSYDJ"}"#)
            #expect(status == .forbidden && Self.errorCode(body) == "consent_required")
            // Unknown and malformed persons.
            (status, body) = try await call("/v1/reuse/documents", gaj, #"{"idNumber": "440104199303030076", "matter": "JZDJ"}"#)
            #expect(status == .notFound && Self.errorCode(body) == "unknown_person")
            (status, body) = try await call("/v1/reuse/documents", gaj, #"{"idNumber": "440104199303030075", "matter": "JZDJ"}"#)
            #expect(status == .badRequest && Self.errorCode(body) == "invalid_id_number")

            // The applicant sees the grant and the read.
            (status, body) = try await call("/v1/applicant/consents", applicant.token)
            #expect(try JSONDecoder().decode(Grants.self, from: body).grants.map(\.id) == [grant.id])
            let accesses = try await fixture.services.dataAccesses(subject: applicant.session.subject)
            #expect(accesses.contains { $0.action == "document.reused" && $0.documentID == document.record.id })

            // Revoked by RSJ: no longer given.
            (status, _) = try await call("/v1/documents/\(document.record.id)/revoke", rsjIssuer, #"{"reason": "facts_changed"}"#)
            #expect(status == .ok)
            (status, body) = try await call("/v1/reuse/documents", gaj, pull)
            #expect(status == .ok)
            #expect(try JSONDecoder().decode(Reuse.self, from: body).documents.isEmpty, "a revoked result is not given")

            // Withdrawn: refused again; withdrawing twice is a conflict; someone else's grant is not found.
            (status, body) = try await call("/v1/applicant/consents/\(grant.id)/withdraw", applicant.token, "")
            #expect(status == .ok)
            #expect(try JSONDecoder().decode(Grant.self, from: body).live == false)
            (status, body) = try await call("/v1/reuse/documents", gaj, pull)
            #expect(status == .forbidden && Self.errorCode(body) == "consent_required")
            (status, body) = try await call("/v1/applicant/consents/\(grant.id)/withdraw", applicant.token, "")
            #expect(status == .conflict && Self.errorCode(body) == "consent_withdrawn")
            let stranger = try await fixture.applicant()
            (status, body) = try await call("/v1/applicant/consents/\(grant.id)/withdraw", stranger.token, "")
            #expect(status == .notFound)
        }
        let events = try await AuditLog.events(in: fixture.services.database, limit: 500)
        #expect(events.filter { $0.action == "document.reuse_denied" && $0.outcome == "denied" }.count == 3)
        #expect(events.filter { $0.action == "document.reused" }.count == 1)
        #expect(events.contains { $0.action == "consent.granted" } && events.contains { $0.action == "consent.withdrawn" })
        #expect(events.contains { $0.action == "auth.denied" && $0.target == "route:POST /v1/reuse/documents" })
        // Grants are kept: never deleted, changed only by one withdrawal.
        let error = await #expect(throws: SQLFailure.self) {
            try await fixture.services.database.write { db in try db.execute(sql: "DELETE FROM consent_grants") }
        }
        #expect(error?.kind == .ruleViolation)
    }
}
