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

    @Test(
        "An organisation's results are reused under its legal representative's consent: only that person can grant (and withdraw) for it; GAJ then pulls them by unified social credit code; without the grant 403"
    )
    func organisation() async throws {
        let fixture = try await ServerFixture()
        try await fixture.loadCredit()
        let zhang = IdentityFixtures.zhang
        _ = try await fixture.services.credit.registerOrganization(
            code: "91440604MA4UH1234Y", name: "佛山市禅城区示例科技有限公司", establishedOn: CivilDay("2020-01-01")!,
            dataComplete: true, legalRepresentative: zhang.id, actor: "test")
        var request = IssueDocumentRequest(
            departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "单位参保证明", holderName: "佛山市禅城区示例科技有限公司",
            holderIDNumber: "91440604MA4UH1234Y", fields: [ResultField(label: "参保人数", value: "12人")], validDays: 90, pickupMode: .qrSelfPrint)
        request.holderKind = .organization
        let document = try await fixture.services.documents.issue(request, actor: "test")
        let gaj = try await fixture.services.credentials.create(department: "GAJ", scopes: [.documentsReuse], label: "GAJ", actor: "test").token
        let representative = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
        let stranger = try await fixture.applicant()
        let pull = #"{"creditCode": "91440604MA4UH1234Y", "matter": "JZDJ"}"#
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ token: String, _ body: String) async throws -> (HTTPResponse.Status, Data) {
                try await client.execute(uri: uri, method: .post, headers: Self.bearer(token), body: ByteBuffer(string: body)) {
                    ($0.status, Data($0.body.readableBytesView))
                }
            }
            var (status, data) = try await call("/v1/reuse/documents", gaj, pull)
            #expect(status == .forbidden && Self.errorCode(data) == "consent_required")
            (status, data) = try await call("/v1/applicant/consents", stranger.token, #"{"matter": "JZDJ", "organization": "91440604MA4UH1234Y"}"#)
            #expect(status == .forbidden, "only the legal representative consents for the organisation")
            (status, data) = try await call(
                "/v1/applicant/consents", representative.token, #"{"matter": "JZDJ", "organization": "91440604MA4UH1234Y"}"#)
            #expect(status == .created, "\(String(decoding: data, as: UTF8.self))")
            let grant = try JSONDecoder().decode(Grant.self, from: data)
            (status, data) = try await call("/v1/reuse/documents", gaj, pull)
            #expect(status == .ok, "\(String(decoding: data, as: UTF8.self))")
            #expect(try JSONDecoder().decode(Reuse.self, from: data).documents.map(\.document.id) == [document.record.id.rawValue])
            // The person's own results are not the organisation's: pulling him under his own number finds no grant.
            (status, data) = try await call("/v1/reuse/documents", gaj, #"{"idNumber": "\#(zhang.id)", "matter": "JZDJ"}"#)
            #expect(status == .forbidden && Self.errorCode(data) == "consent_required")
            (status, data) = try await call(
                "/v1/reuse/documents", gaj, #"{"idNumber": "\#(zhang.id)", "creditCode": "91440604MA4UH1234Y", "matter": "JZDJ"}"#)
            #expect(status == .badRequest)
            // The representative sees and withdraws it.
            let listed = try await fixture.services.consent.grants(subject: representative.session.subjectID)
            #expect(listed.map(\.id) == [grant.id])
            (status, _) = try await call("/v1/applicant/consents/\(grant.id)/withdraw", representative.token, "")
            #expect(status == .ok)
            (status, data) = try await call("/v1/reuse/documents", gaj, pull)
            #expect(status == .forbidden)
        }
        let events = try await AuditLog.events(in: fixture.services.database, limit: 100)
        #expect(events.contains { $0.action == "consent.granted" && $0.target == "organization:91440604MA4UH1234Y" })
    }

    @Test(
        "A grant given at a window: recorded with the clerk and the tier of a fresh identity check; another person's check, the applicant's own SMS login, another department's matter and an old check are refused"
    )
    func windowGrant() async throws {
        let clock = VerificationPageBrowserTests.MovableClock()
        let fixture = try await ServerFixture(clock: ZeroTripClock { clock.now })
        try await fixture.loadCredit()
        let gajWindow = try await fixture.services.credentials.create(
            department: "GAJ", scopes: [.applicationsProcess, .documentsReuse], label: "GAJ window", actor: "test"
        ).token
        let zhang = IdentityFixtures.zhang, li = IdentityFixtures.li
        func check(_ person: (id: String, name: String)) async throws -> Int64 {
            try await fixture.services.identity.windowCheck(
                card: CardRead(idNumber: person.id, name: person.name, validFrom: "2018-01-15", validUntil: "2038-01-15"),
                faceMatched: true, clerk: IdentityFixtures.clerk, station: "w1", actor: "test"
            ).assurance.id
        }
        let zhangCheck = try await check((zhang.id, zhang.name)), liCheck = try await check((li.id, li.name))
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ body: String) async throws -> (HTTPResponse.Status, Data) {
                try await client.execute(uri: uri, method: .post, headers: Self.bearer(gajWindow), body: ByteBuffer(string: body)) {
                    ($0.status, Data($0.body.readableBytesView))
                }
            }
            var (status, data) = try await call("/v1/consents", #"{"idNumber": "\#(zhang.id)", "matter": "JZDJ", "assuranceId": \#(liCheck)}"#)
            #expect(status == .forbidden, "another person's identity check")
            (status, data) = try await call("/v1/consents", #"{"idNumber": "\#(zhang.id)", "matter": "JYSYDJ", "assuranceId": \#(zhangCheck)}"#)
            #expect(status == .forbidden, "RSJ's matter, from a GAJ window")
            (status, data) = try await call("/v1/consents", #"{"idNumber": "\#(zhang.id)", "matter": "JZDJ", "assuranceId": \#(zhangCheck)}"#)
            #expect(status == .created, "\(String(decoding: data, as: UTF8.self))")
            let grant = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            #expect(grant["channel"] as? String == "window" && grant["assuranceTier"] as? Int == 3 && grant["department"] as? String == "GAJ")
            (status, data) = try await call("/v1/reuse/documents", #"{"idNumber": "\#(zhang.id)", "matter": "JZDJ"}"#)
            #expect(status == .ok, "the window's grant lets GAJ pull: \(String(decoding: data, as: UTF8.self))")
            // The applicant's own SMS login a moment ago is not a check at the counter.
            _ = try await IdentityFixtures.smsSession(fixture.services, person: zhang)
            let subject = try #require(try await fixture.services.identity.registry.subject(idNumber: zhang.id))
            let sms = try #require(try await fixture.services.identity.assuranceRecords(subject: subject).last { $0.method == .sms })
            (status, data) = try await call("/v1/consents", #"{"idNumber": "\#(zhang.id)", "matter": "JZDJ", "assuranceId": \#(sms.id)}"#)
            #expect(status == .unauthorized && Self.errorCode(data) == "step_up_required", "an SMS login: \(String(decoding: data, as: UTF8.self))")
            clock.advance(by: 31 * 60)
            (status, data) = try await call("/v1/consents", #"{"idNumber": "\#(zhang.id)", "matter": "JZDJ", "assuranceId": \#(zhangCheck)}"#)
            #expect(status == .unauthorized && Self.errorCode(data) == "step_up_required", "an identity check older than 30 minutes")
        }
        let granted = try await AuditLog.events(in: fixture.services.database, limit: 100).filter { $0.action == "consent.granted" }
        #expect(granted.count == 1 && granted[0].details.contains("window") && granted[0].actor.hasPrefix("credential:"))
    }

    @Test(
        "An application names the applicant's result for a material: refused without consent; with it the material counts as provided and the matter is accepted without 容缺; unknown, another person's, superseded (naming the new one), revoked and wrong-type documents refused by code"
    )
    func applicationNamesDocuments() async throws {
        let clock = VerificationPageBrowserTests.MovableClock()
        let fixture = try await ServerFixture(clock: ZeroTripClock { clock.now })
        try await fixture.loadCredit()
        let gaj = try await fixture.services.credentials.create(department: "GAJ", scopes: [.applicationsProcess], label: "GAJ window", actor: "test")
            .token
        let zhang = IdentityFixtures.zhang, li = IdentityFixtures.li
        func issue(_ matter: String, _ title: String, for person: (id: String, name: String)) async throws -> IssuedDocument {
            try await fixture.services.documents.issue(
                IssueDocumentRequest(
                    departmentCode: "RSJ", matterCode: matter, matterName: title, holderName: person.name, holderIDNumber: person.id,
                    fields: [ResultField(label: "参保状态", value: "正常参保")], validDays: 90, pickupMode: .qrSelfPrint), actor: "test")
        }
        let proof = try await issue("GRCBZM", "个人参保证明", for: (zhang.id, zhang.name))
        let other = try await issue("GRCBZM", "个人参保证明", for: (li.id, li.name))
        let wrongType = try await issue("QZDJ", "求职登记证明", for: (zhang.id, zhang.name))
        let old = try await issue("GRCBZM", "个人参保证明", for: (zhang.id, zhang.name))
        let newer = try await fixture.services.documents.reissue(
            old.record.id,
            with: IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: zhang.name, holderIDNumber: zhang.id,
                fields: [ResultField(label: "参保状态", value: "正常参保")], validDays: 90, pickupMode: .qrSelfPrint), actor: "test")
        let revoked = try await issue("GRCBZM", "个人参保证明", for: (zhang.id, zhang.name))
        let shortLived = try await fixture.services.documents.issue(
            IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: zhang.name, holderIDNumber: zhang.id,
                fields: [ResultField(label: "参保状态", value: "正常参保")], validDays: 1, pickupMode: .qrSelfPrint), actor: "test")
        _ = try await fixture.services.documents.revoke(revoked.record.id, reason: .factsChanged, actor: "test")
        let applicant = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
        @Sendable func body(_ document: String) -> String {
            #"{"matterCode": "JZDJ", "idNumber": "\#(zhang.id)", "name": "\#(zhang.name)", "provided": ["ID_CARD", "RESIDENCE_PROOF", "PHOTO"], "documents": {"EMPLOYMENT_PROOF": "\#(document)"}}"#
        }
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ token: String, _ body: String) async throws -> (HTTPResponse.Status, Data) {
                try await client.execute(uri: uri, method: .post, headers: Self.bearer(token), body: ByteBuffer(string: body)) {
                    ($0.status, Data($0.body.readableBytesView))
                }
            }
            var (status, data) = try await call("/v1/applications", gaj, body(proof.record.id.rawValue))
            #expect(status == .forbidden && Self.errorCode(data) == "consent_required", "\(String(decoding: data, as: UTF8.self))")
            (status, data) = try await call("/v1/applicant/consents", applicant.token, #"{"matter": "JZDJ"}"#)
            #expect(status == .created)
            for (document, expected) in [
                (String(repeating: "0", count: 32), "not_found"), (other.record.id.rawValue, "holder_mismatch"),
                (old.record.id.rawValue, "document_not_valid"), (revoked.record.id.rawValue, "document_not_valid"),
                (wrongType.record.id.rawValue, "invalid_input"),
            ] {
                (status, data) = try await call("/v1/applications", gaj, body(document))
                #expect(Self.errorCode(data) == expected, "\(document): \(String(decoding: data, as: UTF8.self))")
                if document == old.record.id.rawValue {
                    #expect(String(decoding: data, as: UTF8.self).contains(newer.record.id.rawValue), "the superseded one names its successor")
                }
            }
            (status, data) = try await call("/v1/applications", gaj, body(proof.record.id.rawValue))
            #expect(status == .created, "\(String(decoding: data, as: UTF8.self))")
            let application = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            #expect(application["mode"] as? String == "standard")
            let materials = application["materials"] as? [[String: Any]] ?? []
            let employment = materials.first { $0["code"] as? String == "EMPLOYMENT_PROOF" }
            #expect(employment?["provided"] as? Bool == true && employment?["documentID"] as? String == proof.record.id.rawValue, "\(materials)")
            let id = try #require(application["id"] as? String)
            (status, data) = try await call("/v1/applications/\(id)/accept", gaj, "")
            #expect(status == .ok, "accepted without 容缺: \(String(decoding: data, as: UTF8.self))")

            // RSJ revokes the result: the material is owed again, as under 容缺, with a deadline and a notice.
            _ = try await fixture.services.documents.revoke(proof.record.id, reason: .factsChanged, actor: "test")
            let reopened = try await fixture.services.applications.application(id)
            #expect(reopened.materials.first { $0.code == "EMPLOYMENT_PROOF" }.map { !$0.provided && $0.documentID == nil } == true)
            let obligation = try #require(reopened.obligation)
            #expect(obligation.items == ["EMPLOYMENT_PROOF"] && obligation.state == .open && obligation.deadline > Date())
            let notices = try await fixture.services.applications.notifications(subject: applicant.session.subjectID)
            #expect(
                notices.contains { $0.message.contains("已被签发部门撤销") && $0.message.contains("就业或就读证明") && $0.message.contains("前补交") },
                "\(notices.map(\.message))")

            // Two days later the one-day result has expired: refused by code, and it says so (under a new grant: the
            // first lasts for the application it served).
            clock.advance(by: 2 * 86_400)
            (status, data) = try await call("/v1/applications", gaj, body(shortLived.record.id.rawValue))
            #expect(status == .forbidden && Self.errorCode(data) == "consent_required", "\(String(decoding: data, as: UTF8.self))")
            let later = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
            (status, data) = try await call("/v1/applicant/consents", later.token, #"{"matter": "JZDJ"}"#)
            #expect(status == .created)
            (status, data) = try await call("/v1/applications", gaj, body(shortLived.record.id.rawValue))
            #expect(
                status == .conflict && Self.errorCode(data) == "document_not_valid" && String(decoding: data, as: UTF8.self).contains("expired"),
                "\(String(decoding: data, as: UTF8.self))")
        }
        let reopenedEvents = try await AuditLog.events(in: fixture.services.database, limit: 200).filter {
            $0.action == "application.material_reopened"
        }
        #expect(reopenedEvents.count == 1 && reopenedEvents[0].details.contains("EMPLOYMENT_PROOF"))
        let uses = try await AuditLog.events(in: fixture.services.database, limit: 200).filter { $0.action == "document.reused" }
        #expect(uses.count == 1 && uses[0].target == "document:\(proof.record.id.rawValue)" && uses[0].details.contains("EMPLOYMENT_PROOF"))
        let accesses = try await fixture.services.dataAccesses(subject: applicant.session.subject)
        #expect(accesses.contains { $0.action == "document.reused" && $0.documentID == proof.record.id.rawValue }, "the applicant sees the read")
        let nothingForLi = try await fixture.services.applications.applications(
            department: nil, subject: .person(try await fixture.services.identity.registry.subject(idNumber: li.id)!))
        #expect(nothingForLi.isEmpty)
    }

    struct LifetimeGrant: Decodable {
        var id: String; var lifetime: String; var application: String?; var endedAt: Date?; var expiresAt: Date; var live: Bool
    }

    @Test(
        "By default a grant lasts for one application: bound by the first application that names a result under it (or named when given), no use for a second one, ended with its application (consent.ended); unbound it lapses after 30 days; a grant of N days serves several; bad combinations refused by code"
    )
    func grantForTheLifeOfAnApplication() async throws {
        let clock = VerificationPageBrowserTests.MovableClock()
        let fixture = try await ServerFixture(clock: ZeroTripClock { clock.now })
        try await fixture.loadCredit()
        let gaj = try await fixture.services.credentials.create(
            department: "GAJ", scopes: [.applicationsProcess, .documentsReuse], label: "GAJ window",
            actor: "test"
        ).token
        let zhang = IdentityFixtures.zhang
        let proof = try await fixture.services.documents.issue(
            IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: zhang.name, holderIDNumber: zhang.id,
                fields: [ResultField(label: "参保状态", value: "正常参保")], validDays: 365, pickupMode: .qrSelfPrint), actor: "test")
        let applicant = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
        let apply =
            #"{"matterCode": "JZDJ", "idNumber": "\#(zhang.id)", "name": "\#(zhang.name)", "provided": ["ID_CARD", "RESIDENCE_PROOF", "PHOTO"], "documents": {"EMPLOYMENT_PROOF": "\#(proof.record.id.rawValue)"}}"#
        let pull = #"{"idNumber": "\#(zhang.id)", "matter": "JZDJ"}"#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ token: String, _ body: String, method: HTTPRequest.Method = .post) async throws -> (HTTPResponse.Status, Data)
            {
                try await client.execute(uri: uri, method: method, headers: Self.bearer(token), body: ByteBuffer(string: body)) {
                    ($0.status, Data($0.body.readableBytesView))
                }
            }
            // The applicant's grants as the API shows them (sessions end long before the clock's months do: a new one each time).
            func grants() async throws -> [LifetimeGrant] {
                struct List: Decodable { var grants: [LifetimeGrant] }
                let session = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
                return try decoder.decode(List.self, from: try await call("/v1/applicant/consents", session.token, "", method: .get).1).grants
            }
            var (status, data) = try await call("/v1/applicant/consents", applicant.token, #"{"matter": "JZDJ"}"#)
            #expect(status == .created)
            let grant = try decoder.decode(LifetimeGrant.self, from: data)
            #expect(
                grant.lifetime == "application" && grant.application == nil && grant.live
                    && grant.expiresAt > clock.now.addingTimeInterval(29 * 86_400))
            (status, data) = try await call("/v1/reuse/documents", gaj, pull)
            #expect(status == .ok, "an unbound grant serves a pull: \(String(decoding: data, as: UTF8.self))")

            // The first application naming a result takes the grant; a second one cannot use it.
            (status, data) = try await call("/v1/applications", gaj, apply)
            #expect(status == .created, "\(String(decoding: data, as: UTF8.self))")
            let first = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["id"] as? String)
            let bound = try await grants().first { $0.id == grant.id }
            #expect(bound.map { $0.application == first && $0.live } == true, "\(String(describing: bound))")
            (status, data) = try await call("/v1/applications", gaj, apply)
            #expect(status == .forbidden && Self.errorCode(data) == "consent_required", "\(String(decoding: data, as: UTF8.self))")
            // Long after the 30 days, the open application's grant still serves its department.
            clock.advance(by: 40 * 86_400)
            (status, data) = try await call("/v1/reuse/documents", gaj, pull)
            #expect(status == .ok, "\(String(decoding: data, as: UTF8.self))")
            // The application ends: so does the grant.
            _ = try await fixture.services.applications.reject(first, reason: "材料不符", department: "GAJ", actor: "test")
            let ended = try #require(try await grants().first { $0.id == grant.id })
            #expect(!ended.live && ended.endedAt != nil && ended.application == first)
            (status, data) = try await call("/v1/reuse/documents", gaj, pull)
            #expect(status == .forbidden && Self.errorCode(data) == "consent_required")
            let now = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
            (status, data) = try await call("/v1/applicant/consents/\(grant.id)/withdraw", now.token, "")
            #expect(
                status == .conflict && Self.errorCode(data) == "consent_ended",
                "an ended grant is not withdrawn: \(String(decoding: data, as: UTF8.self))")

            // Named when given: only the applicant's own open application of that matter.
            (status, data) = try await call("/v1/applicant/consents", now.token, #"{"matter": "JZDJ", "days": 10, "application": "\#(first)"}"#)
            #expect(status == .badRequest && Self.errorCode(data) == "invalid_input")
            (status, data) = try await call("/v1/applicant/consents", now.token, #"{"matter": "JZDJ", "application": "\#(first)"}"#)
            #expect(status == .conflict && Self.errorCode(data) == "invalid_transition", "\(String(decoding: data, as: UTF8.self))")
            (status, data) = try await call(
                "/v1/applicant/consents", now.token, #"{"matter": "JZDJ", "application": "\#(String(repeating: "a", count: 32))"}"#)
            #expect(status == .notFound && Self.errorCode(data) == "unknown_application")
            let plain =
                #"{"matterCode": "JZDJ", "idNumber": "\#(zhang.id)", "name": "\#(zhang.name)", "provided": ["ID_CARD", "RESIDENCE_PROOF", "PHOTO", "EMPLOYMENT_PROOF"]}"#
            (status, data) = try await call("/v1/applications", gaj, plain)
            let second = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["id"] as? String)
            let stranger = try await fixture.applicant()
            (status, data) = try await call("/v1/applicant/consents", stranger.token, #"{"matter": "JZDJ", "application": "\#(second)"}"#)
            #expect(status == .notFound && Self.errorCode(data) == "unknown_application", "another person's application is not revealed")
            (status, data) = try await call("/v1/applicant/consents", now.token, #"{"matter": "JZDJ", "application": "\#(second)"}"#)
            #expect(status == .created && (try? decoder.decode(LifetimeGrant.self, from: data))?.application == second)

            // An unbound grant lapses after 30 days.
            (status, data) = try await call("/v1/applicant/consents", stranger.token, #"{"matter": "JZDJ"}"#)
            let lapsing = try decoder.decode(LifetimeGrant.self, from: data)
            clock.advance(by: 31 * 86_400)
            #expect(
                try await fixture.services.consent.grants(subject: stranger.session.subjectID).first { $0.id == lapsing.id }.map {
                    !$0.isLive(at: clock.now)
                } == true)
            // A grant of days serves one application after another and is never bound.
            let fresh = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
            (status, data) = try await call("/v1/applicant/consents", fresh.token, #"{"matter": "JZDJ", "days": 10}"#)
            let days = try decoder.decode(LifetimeGrant.self, from: data)
            #expect(days.lifetime == "days")
            for _ in 0..<2 {
                (status, data) = try await call("/v1/applications", gaj, apply)
                #expect(status == .created, "\(String(decoding: data, as: UTF8.self))")
            }
            #expect(try await grants().first { $0.id == days.id }.map { $0.application == nil && $0.live } == true)
        }
        let endedEvents = try await AuditLog.events(in: fixture.services.database, limit: 500).filter { $0.action == "consent.ended" }
        #expect(endedEvents.count == 1 && endedEvents[0].details.contains("application") && endedEvents[0].target.hasPrefix("person:"))
        // A bound grant keeps its application; an ended one changes no more.
        let error = await #expect(throws: SQLFailure.self) {
            try await fixture.services.database.write { db in
                try db.execute(
                    sql:
                        "UPDATE consent_grants SET application_id = NULL WHERE ended_at IS NULL AND withdrawn_at IS NULL AND application_id IS NOT NULL"
                )
            }
        }
        #expect(error?.kind == .ruleViolation)
    }

    @Test(
        "张三丰's 个人参保证明 (RSJ) for 居住登记 at GAJ: refused without consent (consent_required, audited), given with it (fields, verification, the exact PDF), listed for him, gone when revoked or withdrawn; other departments and other matters refused"
    )
    func scenario() async throws {
        let fixture = try await ServerFixture()
        fixture.configurationMaxBody(1 << 20)
        try await fixture.loadCredit()
        let gaj = try await fixture.services.credentials.create(department: "GAJ", scopes: [.documentsReuse], label: "GAJ window", actor: "test")
            .token
        let rsjReuse = fixture.tokens[.documentsReuse]!, rsjIssuer = fixture.tokens[.documentsIssue]!
        let zhang = IdentityFixtures.zhang
        let document = try await fixture.services.documents.issue(
            IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: zhang.name, holderIDNumber: zhang.id,
                fields: [ResultField(label: "参保险种", value: "企业职工基本养老保险"), ResultField(label: "参保状态", value: "正常参保")],
                validDays: 90, pickupMode: .qrSelfPrint), actor: "test")
        let applicant = try await IdentityFixtures.windowSession(fixture.services, person: zhang)
        let pull = #"{"idNumber": "\#(zhang.id)", "matter": "JZDJ", "includePdf": true}"#
        try await fixture.application().test(.router) { client in
            func call(_ uri: String, _ token: String, _ body: String? = nil) async throws -> (HTTPResponse.Status, Data) {
                try await client.execute(
                    uri: uri, method: body == nil ? .get : .post, headers: Self.bearer(token), body: body.map { ByteBuffer(string: $0) }
                ) {
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
            for (bad, expected) in [
                (#"{"matter": "JZDJ", "resultTypes": ["QZDJ"]}"#, "invalid_input"), (#"{"matter": "NOPE"}"#, "unknown_matter"),
                (#"{"matter": "JZDJ", "department": "RSJ"}"#, "invalid_input"), (#"{"matter": "GRCBZM"}"#, "invalid_input"),
                (#"{"matter": "JZDJ", "days": 400}"#, "invalid_input"),
            ] {
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
            #expect(item.document.id == document.record.id.rawValue && item.document.matterCode == "GRCBZM" && item.verification.result == "valid")
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
            #expect(accesses.contains { $0.action == "document.reused" && $0.documentID == document.record.id.rawValue })

            // Revoked by RSJ: no longer given.
            (status, _) = try await call("/v1/documents/\(document.record.id.rawValue)/revoke", rsjIssuer, #"{"reason": "facts_changed"}"#)
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
