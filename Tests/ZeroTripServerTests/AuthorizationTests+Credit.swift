import Foundation
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripServer
import ZeroTripDomainTestSupport

extension AuthorizationTests {
    /// A small catalogue whose matter belongs to RSJ (fits the fixture's 4 KiB body limit).
    static let catalogueBody = """
        matters:
          - code: GRCBZM
            name: 个人参保证明开具
            department: RSJ
            timeLimitDays: 2
            materials: [{ code: ID_CARD, name: 居民身份证, kind: primary }]
            result: { title: 个人参保证明, validDays: 90, fields: [参保状态] }
        """

    /// A compact policy as JSON (YAML 1.2 includes JSON).
    static let policyBody = """
        {"levels": {"minimumA": 90, "minimumB": 70, "minimumC": 40}, "trustApproval": {"qualifyingLevels": ["A", "B", "M"]},
         "events": {"obligation_fulfilled": {"points": 1, "basis": "按期履行", "validDays": 365},
                    "obligation_overdue": {"points": -10, "basis": "逾期", "validDays": 730},
                    "obligation_breached": {"points": -20, "serious": true, "basis": "整改期满未履行", "validDays": 730},
                    "false_commitment": {"directD": true, "serious": true, "basis": "虚假承诺", "validDays": 730}},
         "calendar": {"coveredThroughYear": 2026, "holidays": ["2026-10-01"], "workingWeekends": ["2026-10-10"]}}
        """

    /// Persons whose claims and disputes the points fixtures make (one per attempt, so none is refused as a repeat).
    static let pointsPersons = [
        IdentityFixtures.zhang.id, IdentityFixtures.wang.id, CreditFixtures.chen.id, CreditFixtures.huang.id, CreditFixtures.zhou.id,
    ]

    /// The demo points scheme reviewed and certified by RSJ (the fixture credentials' department), and a run.
    static func pointsRun(_ fixture: ServerFixture) async throws {
        try await PointsFixtures.load(fixture.services, department: "RSJ")
        _ = try await fixture.services.points.run(actor: "test")
    }

    /// A claim with a proof, waiting for RSJ's reviewer RS-1; its id.
    static func pointsClaim(_ fixture: ServerFixture, attempt: Int, indicator: String) async throws -> String {
        try await PointsFixtures.load(fixture.services, department: "RSJ")
        _ = try await fixture.services.supervision.putStaff(
            department: "RSJ", clerk: "RS-1", name: "孙丽", phone: "13900000031", role: .reviewer, actor: "test")
        let subject = try await PointsFixtures.subject(fixture.services, pointsPersons[attempt % pointsPersons.count])
        let option = indicator == "skills" ? "技师" : "本科"
        return try await fixture.services.points.claim(
            subject: subject, indicator: indicator, option: option, statement: "", evidence: PointsFixtures.png,
            actor: "test"
        ).id
    }

    /// Requests that succeed for the credit and application routes.
    static func creditFixture(for route: RouteSpec, fixture: ServerFixture, attempt: Int) async throws -> (uri: String, body: String?)? {
        let li = IdentityFixtures.li
        switch route.description {
        case "GET /v1/credit/{subject}":
            try await fixture.loadCredit()
            return ("/v1/credit/\(li.id)?matter=QZDJ", nil)
        case "GET /v1/catalogue":
            try await fixture.loadCredit()
            return (route.path, nil)
        case "PUT /v1/catalogue": return (route.path, catalogueBody)
        case "PUT /v1/credit-policy": return (route.path, policyBody)
        case "POST /v1/credit-events":
            try await fixture.loadCredit()
            return (route.path, #"{"subject": "\#(li.id)", "type": "obligation_overdue", "reference": "r\#(attempt)"}"#)
        case "POST /v1/credit-events/import":
            try await fixture.loadCredit()
            return (
                "/v1/credit-events/import?source=court",
                "subject,type,effective_date,reference\n\(li.id),administrative_penalty_minor,2026-05-01,ref\(attempt)\n"
            )
        case "POST /v1/credit-events/{id}/repair":
            try await fixture.loadCredit()
            let event = try await fixture.services.credit.recordEvent(
                subject: li.id, type: "administrative_penalty_minor", effectiveAt: Date(), reference: "p\(attempt)", actor: "test")
            return ("/v1/credit-events/\(event.id)/repair", #"{"reference": "repaired"}"#)
        case "POST /v1/credit-organizations":
            return (route.path, #"{"code": "91350100M000100Y43", "name": "示例有限公司", "establishedOn": "2025-01-01"}"#)
        case "POST /v1/applications":
            try await fixture.loadCredit()
            return (
                route.path, #"{"matterCode": "QZDJ", "idNumber": "\#(li.id)", "name": "\#(li.name)", "provided": ["ID_CARD", "RESUME", "DIPLOMA"]}"#
            )
        case "GET /v1/applications/{id}", "POST /v1/applications/{id}/accept":
            return (route.path.replacingOccurrences(of: "{id}", with: try await fixture.submitApplication().id), nil)
        case "GET /v1/applications/{id}/commitment", "GET /v1/applicant/applications/{id}/commitment",
            "POST /v1/applicant/applications/{id}/commitment":
            return (
                route.path.replacingOccurrences(
                    of: "{id}", with: try await fixture.submitApplication(mode: .trust, provided: ["ID_CARD", "RESUME"]).id), nil
            )
        case "POST /v1/applications/{id}/commitment":
            let record = try await fixture.submitApplication(mode: .trust, provided: ["ID_CARD", "RESUME"])
            let assurance = try await fixture.services.identity.windowCheck(
                card: CardRead(idNumber: li.id, name: li.name, validFrom: "2018-02-15", validUntil: "2038-02-15"),
                faceMatched: true, clerk: IdentityFixtures.clerk, station: "w1", actor: "test"
            ).assurance
            return ("/v1/applications/\(record.id)/commitment", #"{"assuranceId": \#(assurance.id)}"#)
        case "POST /v1/applications/{id}/review":
            let record = try await fixture.submitApplication()
            _ = try await fixture.services.applications.accept(record.id, department: "RSJ", actor: "test")
            return ("/v1/applications/\(record.id)/review", nil)
        case "POST /v1/applications/{id}/approve", "POST /v1/applications/{id}/issue":
            let record = try await fixture.submitApplication()
            _ = try await fixture.services.applications.accept(record.id, department: "RSJ", actor: "test")
            _ = try await fixture.services.applications.startReview(record.id, department: "RSJ", actor: "test")
            if route.path.hasSuffix("issue") {
                _ = try await fixture.services.applications.approve(record.id, department: "RSJ", actor: "test")
                return ("/v1/applications/\(record.id)/issue", #"{"fields": {"求职意向": "电子商务", "学历": "本科"}}"#)
            }
            return ("/v1/applications/\(record.id)/approve", nil)
        case "POST /v1/applications/{id}/reject":
            return ("/v1/applications/\(try await fixture.submitApplication().id)/reject", #"{"reason": "材料不符"}"#)
        case "POST /v1/applicant/consents":
            try await fixture.loadCredit()
            return (route.path, #"{"matter": "JZDJ", "resultTypes": ["GRCBZM"], "days": 10}"#)
        case "GET /v1/applicant/consents":
            return (route.path, nil)
        case "POST /v1/applicant/consents/{id}/withdraw":
            try await fixture.loadCredit()
            let session = try await fixture.applicant().session
            let grant = try await fixture.services.consent.grant(
                subject: session.subjectID, department: nil, matter: "JZDJ", resultTypes: nil, days: nil,
                channel: .app, actor: session.actor, assuranceTier: session.tier)
            return ("/v1/applicant/consents/\(grant.id)/withdraw", nil)
        case "POST /v1/applicant/points/claims":
            try await PointsFixtures.load(fixture.services, department: "RSJ")
            return (
                route.path,
                #"{"indicator": "education", "option": "本科", "statement": "毕业证书编号 1056", "evidence": "\#(Base64.encode(PointsFixtures.png))"}"#
            )
        case "POST /v1/applicant/points/disputes":
            try await pointsRun(fixture)
            return (route.path, #"{"indicator": "age", "reason": "请核对出生日期"}"#)
        case "POST /v1/applicant/points/certificate":
            try await pointsRun(fixture)
            return (route.path, nil)
        case "GET /v1/points/claims/{id}/evidence":
            let claim = try await pointsClaim(fixture, attempt: attempt, indicator: "education")
            return ("/v1/points/claims/\(claim)/evidence", nil)
        case "POST /v1/points/claims/{id}/decision":
            let claim = try await pointsClaim(fixture, attempt: attempt, indicator: "skills")
            return ("/v1/points/claims/\(claim)/decision", #"{"approve": true, "reason": "核验证书原件", "clerk": "RS-1"}"#)
        case "POST /v1/points/disputes/{id}/decision":
            try await pointsRun(fixture)
            _ = try await fixture.services.supervision.putStaff(
                department: "RSJ", clerk: "RS-1", name: "孙丽", phone: "13900000031", role: .reviewer, actor: "test")
            let subject = try await PointsFixtures.subject(fixture.services, Self.pointsPersons[attempt % Self.pointsPersons.count])
            let dispute = try await fixture.services.points.dispute(
                subject: subject, indicator: "age", claim: nil, reason: "请复核", actor: "test", disclosingCredit: true)
            return ("/v1/points/disputes/\(dispute.id)/decision", #"{"reason": "按身份证出生日期计算无误", "clerk": "RS-1"}"#)
        case "POST /v1/applicant/needs":
            let year = ChinaTime(Date()).year
            return (route.path, #"{"kind": "schooling", "years": [\#(year + 1), \#(year + 2)]}"#)
        case "POST /v1/staff":
            return (route.path, #"{"department": "RSJ", "clerk": "RS-\#(attempt)", "name": "孙丽", "phone": "13900000031", "role": "supervisor"}"#)
        case "POST /v1/staff/{department}/{clerk}/remove":
            _ = try await fixture.services.supervision.putStaff(
                department: "RSJ", clerk: "RS-\(attempt)", name: "孙丽", phone: "13900000031", role: .reviewer,
                actor: "test")
            return ("/v1/staff/RSJ/RS-\(attempt)/remove", nil)
        case "POST /v1/applicant/ratings/{id}":
            // 李晓梅's 居住登记, finished: she rates it.
            try await fixture.loadCredit()
            let session = try await fixture.applicant().session
            let application = try await RatingAPITests.closedApplication(fixture.services, li, clerk: "GA-\(attempt)")
            let invitation = try await fixture.services.ratings.ratings(subject: session.subjectID).first { $0.application == application }
            return ("/v1/applicant/ratings/\(invitation?.id ?? "missing")", #"{"score": 4, "tags": ["fast"]}"#)
        case "POST /v1/window-services":
            // An RSJ counter answered 李晓梅's question without an application.
            return (route.path, #"{"idNumber": "\#(li.id)", "service": "consultation", "clerk": "RS-\#(attempt)"}"#)
        case "POST /v1/applicant/complaints":
            return (route.path, #"{"department": "RSJ", "cause": "waiting", "text": "排队两个小时"}"#)
        case "POST /v1/complaints/{id}/answer":
            // 李晓梅 complained about RSJ; an RSJ supervisor answers.
            let session = try await fixture.applicant().session
            let complaint = try await fixture.services.complaints.file(
                subject: session.subjectID, department: "RSJ", rating: nil, cause: "waiting",
                text: "排队两个小时（\(attempt)）", actor: session.actor)
            _ = try await fixture.services.supervision.putStaff(
                department: "RSJ", clerk: "RS-S\(attempt)", name: "钱峰", phone: "13900000039", role: .supervisor,
                actor: "test")
            return (
                "/v1/complaints/\(complaint.id)/answer",
                #"{"clerk": "RS-S\#(attempt)", "finding": "partly_substantiated", "action": "高峰期增开窗口", "reply": "已增开窗口，感谢反映。"}"#
            )
        case "POST /v1/consents":
            // 李晓梅, checked at an RSJ window just now, lets RSJ use her 居住登记凭证 for 就业失业登记.
            try await fixture.loadCredit()
            let assurance = try await fixture.services.identity.windowCheck(
                card: CardRead(idNumber: li.id, name: li.name, validFrom: "2018-02-15", validUntil: "2038-02-15"),
                faceMatched: true, clerk: IdentityFixtures.clerk, station: "w1", actor: "test"
            ).assurance
            return (route.path, #"{"idNumber": "\#(li.id)", "matter": "JYSYDJ", "assuranceId": \#(assurance.id)}"#)
        case "POST /v1/reuse/documents":
            // 李晓梅 lets RSJ (the fixture credentials' department) use her 居住登记凭证 for 就业失业登记.
            try await fixture.loadCredit()
            let session = try await fixture.applicant().session
            _ = try await fixture.services.consent.grant(
                subject: session.subjectID, department: "RSJ", matter: "JYSYDJ", resultTypes: nil, days: nil,
                channel: .app, actor: session.actor, assuranceTier: session.tier)
            return (route.path, #"{"idNumber": "\#(li.id)", "matter": "JYSYDJ"}"#)
        case "POST /v1/applications/{id}/fulfil":
            return ("/v1/applications/\(try await fixture.acceptedTrustApplication().id)/fulfil", #"{"materials": ["DIPLOMA"]}"#)
        case "GET /v1/applicant/credit", "GET /v1/applicant/applications":
            try await fixture.loadCredit()
            return (route.path, nil)
        default:
            return nil
        }
    }
}
