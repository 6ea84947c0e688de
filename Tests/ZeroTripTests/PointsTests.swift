import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDocuments
import ZeroTripDomainTestSupport

@Suite("Points (量化积分): the scheme file, the pure scoring, runs, claims, disputes and the certificate")
struct PointsTests {
    static let departments: Set<String> = ["GAJ", "RSJ"]

    static func parse(_ text: String) throws -> PointsPolicy {
        try PointsPolicy.parse(Array(text.utf8)) { departments.contains($0) }
    }

    @Test("The demo scheme parses; a bad file is refused with invalid_policy naming the line")
    func policyFile() throws {
        let demo = try PointsPolicy.parse(try PointsFixtures.policy()) { Self.departments.contains($0) }
        #expect(
            demo.indicators.map(\.code) == ["age", "residence", "housing", "insurance", "employment", "credit", "education", "skills", "volunteer"])
        #expect(demo.indicator("housing")?.source == .documents(matters: ["ZLHTBA", "BDCQZ"], field: nil))
        #expect(demo.indicator("insurance")?.basis == "累计缴费月数每满 12 得 3 分，最高 45 分")
        #expect(demo.documentMatters == ["JZDJ", "ZLHTBA", "BDCQZ", "GRCBZM", "JYSYDJ", "LHJYDJ"])

        let head = "name: 测试积分\ncertificate: { department: GAJ }\nindicators:\n"
        let cases: [(String, String)] = [
            (head + "  - { code: a, name: 年龄, source: age, rule: { bands: [ { from: 18, to: 35, points: 20 } ] }, capp: 3 }\n", "line 4"),
            (head + "  - { code: a, name: 年龄, source: registry, rule: { present: 3 } }\n", "must be documents, credit, age or proof"),
            (head + "  - { code: e, name: 学历, source: proof, rule: { options: { 本科: 30 } } }\n", "\"department\" is required"),
            (head + "  - { code: e, name: 学历, source: proof, department: XXJ, rule: { options: { 本科: 30 } } }\n", "no department XXJ"),
            (head + "  - { code: r, name: 居住, source: documents, matters: [JZDJ], rule: { levels: { A: 3 } } }\n", "unknown key \"levels\""),
            (head + "  - { code: r, name: 居住, source: documents, matters: [JZDJ], rule: { present: 3, perYear: 2 } }\n", "give one of"),
            (
                head
                    + "  - { code: a, name: 年龄, source: age, rule: { bands: [ { from: 18, to: 35, points: 20 }, { from: 30, to: 40, points: 5 } ] } }\n",
                "must not overlap"
            ),
            (head + "  - { code: c, name: 信用, source: credit, rule: { levels: { E: 3 } } }\n", "credit levels are A, B, M, C, D"),
            (
                head
                    + "  - { code: c, name: 信用, source: credit, rule: { levels: { A: 3 } } }\n  - { code: c, name: 又一个, source: age, rule: { bands: [] } }\n",
                "defined twice"
            ),
            (head + "  - { code: Bad-Code, name: 信用, source: credit, rule: { levels: { A: 3 } } }\n", "1–48 of a-z 0-9 _"),
            ("name: 测试积分\ncertificate: { department: GAJ }\nindicators: []\n", "at least one indicator"),
            (head + "  - { code: c, name: 信用, source: credit, matters: [JZDJ], rule: { levels: { A: 3 } } }\n", "belongs to a documents indicator"),
        ]
        for (text, expected) in cases {
            let error = #expect(throws: ZeroTripError.self) { _ = try Self.parse(text) }
            #expect(
                error?.code == .invalidPolicy && error?.message.contains(expected) == true && error?.message.hasPrefix("line ") == true,
                "\(expected): \(error?.message ?? "no error")")
        }
    }

    static func day(_ text: String) -> Date { CivilDay(text)!.start }

    static func document(
        _ id: String, _ matter: String, issued: String, days: Int = 365, status: DocumentStatus = .valid, changed: String? = nil,
        fields: [ResultField] = []
    ) -> PointsDocument {
        PointsDocument(
            id: id, matter: matter, issuedAt: day(issued), validUntil: day(issued).addingTimeInterval(Double(days) * 86_400), status: status,
            statusChangedAt: changed.map(day), fields: fields)
    }

    @Test(
        "Scoring is a pure function of the facts and the date: years, equivalent results, a field's number with its cap, credit, age, approvals, corrections, revocations on their date"
    )
    func calculator() throws {
        let policy = try PointsPolicy.parse(try PointsFixtures.policy()) { Self.departments.contains($0) }
        let documents = [
            Self.document("old", "JZDJ", issued: "2021-05-01", status: .revoked, changed: "2021-09-01"),  // revoked: never counts after
            Self.document("first", "JZDJ", issued: "2023-03-01"),  // 3 full years on 2026-12-04
            Self.document("again", "JZDJ", issued: "2026-03-01"),
            Self.document("deed", "BDCQZ", issued: "2025-01-10", days: 36_500),  // 租购同分: a deed scores as a lease
            Self.document("ins", "GRCBZM", issued: "2026-11-20", days: 90, fields: [ResultField(label: "累计缴费月数", value: "200个月")]),
            Self.document("job", "JYSYDJ", issued: "2025-01-01", days: 180),  // expired: no points
            Self.document("later", "LHJYDJ", issued: "2026-12-10"),  // issued after the date
        ]
        let approvals = [
            PointsApproval(claim: "c1", indicator: "education", option: "本科", decidedAt: Self.day("2026-11-01")),
            PointsApproval(claim: "c2", indicator: "skills", option: "技师", decidedAt: Self.day("2026-12-30")),
        ]
        let corrections = [
            PointsCorrection(
                dispute: "d1", indicator: "housing", points: 12, decidedAt: Self.day("2026-11-15"), policyVersion: 2, inputs: ["document:deed"]),
            PointsCorrection(dispute: "d2", indicator: "volunteer", points: 5, decidedAt: Self.day("2026-11-15"), policyVersion: 1, inputs: []),
            // Decided on an item scored from a result that has since been replaced by another: the new fact decides.
            PointsCorrection(
                dispute: "d3", indicator: "residence", points: 2, decidedAt: Self.day("2026-11-15"), policyVersion: 1, inputs: ["document:old"]),
            // More than the cap: the cap holds for a reviewer too.
            PointsCorrection(
                dispute: "d4", indicator: "insurance", points: 60, decidedAt: Self.day("2026-11-16"), policyVersion: 1, inputs: ["document:ins"]),
        ]
        let facts = PointsFacts(
            subject: .person("P1"), birthDay: CivilDay("1990-12-05"), documents: documents, creditLevel: .d,
            approvals: approvals, corrections: corrections)
        let score = PointsCalculator.score(facts, policy: policy, version: 1, at: Self.day("2026-12-04"))
        let items = Dictionary(uniqueKeysWithValues: score.items.map { ($0.indicator, $0) })
        #expect(items["age"]?.points == 20 && items["age"]?.value == "35 岁", "the 36th birthday is tomorrow: still in the 18–35 band")
        #expect(items["residence"]?.points == 15 && items["residence"]?.inputs == ["document:first"])
        #expect(items["housing"]?.points == 20 && items["housing"]?.inputs == ["document:deed"], "the correction was for another policy version")
        #expect(items["insurance"]?.points == 45 && items["insurance"]?.capped == true && items["insurance"]?.value == "累计缴费月数 200")
        #expect(items["insurance"]?.inputs == ["document:ins", "dispute:d4"], "a correction above the cap is cut to the cap")
        #expect(items["employment"] == nil)
        #expect(items["credit"]?.points == -30 && items["credit"]?.value == "D 级")
        #expect(items["education"]?.points == 30 && items["education"]?.inputs == ["claim:c1"])
        #expect(items["skills"] == nil, "approved after the date")
        #expect(items["volunteer"]?.points == 5 && items["volunteer"]?.inputs == ["dispute:d2"], "a correction gives points where the data gave none")
        #expect(score.total == 20 + 15 + 20 + 45 - 30 + 30 + 5)
        #expect(PointsCalculator.score(facts, policy: policy, version: 1, at: Self.day("2026-12-04")) == score, "the same facts, the same score")

        // The day after the birthday and before the revocation of a later result: the score of that date.
        let next = PointsCalculator.score(facts, policy: policy, version: 1, at: Self.day("2026-12-06"))
        #expect(next.items.first { $0.indicator == "age" }?.points == 15 && next.items.first { $0.indicator == "age" }?.value == "36 岁")
        var revoked = facts
        revoked.documents[3] = Self.document("deed", "BDCQZ", issued: "2025-01-10", days: 36_500, status: .revoked, changed: "2026-12-05")
        #expect(
            PointsCalculator.score(revoked, policy: policy, version: 1, at: Self.day("2026-12-04")).items.contains { $0.indicator == "housing" },
            "revoked after the date: it counted on that date")
        #expect(!PointsCalculator.score(revoked, policy: policy, version: 1, at: Self.day("2026-12-06")).items.contains { $0.indicator == "housing" })
        // Equal decision times: the same choice whatever order the records were read in.
        var tied = facts
        tied.approvals = [PointsApproval(claim: "c9", indicator: "education", option: "大专", decidedAt: Self.day("2026-11-01"))] + approvals
        let forward = PointsCalculator.score(tied, policy: policy, version: 1, at: Self.day("2026-12-04"))
        tied.approvals.reverse()
        #expect(PointsCalculator.score(tied, policy: policy, version: 1, at: Self.day("2026-12-04")) == forward)
        #expect(forward.items.first { $0.indicator == "education" }?.inputs == ["claim:c9"])
        #expect(
            PointsCalculator.leadingNumber("136个月") == 136 && PointsCalculator.leadingNumber(" 48 个月") == 48
                && PointsCalculator.leadingNumber("约48") == nil)
    }

    static func district() async throws -> (TestDistrict, PointsService) {
        let district = try await ApplicationTests.district()
        _ = try await district.services.supervision.putStaff(
            department: "GAJ", clerk: "GA-0042", name: "赵文静", phone: "13900000042", role: .reviewer, actor: "test")
        _ = try await district.services.supervision.putStaff(
            department: "GAJ", clerk: "GA-0001", name: "周建华", phone: "13900000001", role: .supervisor, actor: "test")
        return (district, district.services.points)
    }

    static func insuranceProof(_ services: ZeroTripServices, months: Int = 136) async throws -> IssuedDocument {
        try await services.documents.issue(
            IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: IdentityFixtures.zhang.name,
                holderIDNumber: IdentityFixtures.zhang.id,
                fields: [ResultField(label: "参保状态", value: "正常参保"), ResultField(label: "累计缴费月数", value: "\(months)个月")], validDays: 90,
                pickupMode: .qrSelfPrint), actor: "test")
    }

    @Test(
        "先赋分: a run scores every registered person with explained items; a changed rule is a new version and a new run, and every old score still replays exactly, also after a revocation"
    )
    func runsAndReplay() async throws {
        let (district, points) = try await Self.district()
        let services = district.services
        #expect(await errorCode { try await points.run(actor: "test") } == "no_points_policy")
        #expect(try await PointsFixtures.load(services) == 1)
        #expect(try await services.points.loadPolicy(try PointsFixtures.policy(), actor: "test").stored == false, "an unchanged file stores nothing")
        let proof = try await Self.insuranceProof(services)
        let zhang = try await PointsFixtures.subject(services, IdentityFixtures.zhang.id)
        district.clock.advance(by: 60)

        let first = try await points.run(actor: "test")
        let registered = try await services.identity.registry.count()
        #expect(first.run.persons == registered && first.scored == first.run.persons && first.run.finishedAt != nil)
        var statement = try await points.statement(subject: zhang, disclosingCredit: true)
        let age = ChinaTime(district.clock.now).year - 1990  // born 1990-01-01
        let agePoints = age <= 35 ? 20 : age <= 45 ? 15 : 5
        #expect(
            statement.total == agePoints + 33 + 10,
            "age, 136 months → 11 × 3, credit A: \(statement.items.map { ($0.item.indicator, $0.item.points) })")
        #expect(statement.items.first { $0.item.indicator == "insurance" }?.item.inputs == ["document:\(proof.record.id)"])
        #expect(statement.items.first { $0.item.indicator == "insurance" }?.name == "社会保险")
        #expect(statement.claimable.map(\.indicator) == ["education", "skills", "volunteer"])
        #expect(try await points.replay(subject: zhang, run: first.run.id).matches)

        // A rule change: a new version, a new run; the old score replays with its own version.
        district.clock.advance(by: 60)
        #expect(try await PointsFixtures.load(services, insurancePoints: 4) == 2)
        district.clock.advance(by: 60)
        let second = try await points.run(actor: "test")
        #expect(second.run.policyVersion == 2)
        statement = try await points.statement(subject: zhang, disclosingCredit: true)
        #expect(statement.total == agePoints + 44 + 10 && statement.run?.id == second.run.id)
        let old = try await points.replay(subject: zhang, run: first.run.id)
        #expect(old.matches && old.policyVersion == 1 && old.computed.total == agePoints + 43)

        // Revoked later: the stored scores of earlier dates stay replayable; the next run no longer counts it.
        district.clock.advance(by: 60)
        _ = try await services.documents.revoke(proof.record.id, reason: .issuedInError, actor: "test")
        #expect(try await points.replay(subject: zhang, run: second.run.id).matches)
        district.clock.advance(by: 60)
        let third = try await points.run(actor: "test")
        #expect(try await points.statement(subject: zhang, disclosingCredit: true).items.allSatisfy { $0.item.indicator != "insurance" })
        #expect(try await points.replay(subject: zhang, run: third.run.id).matches)
        #expect(await errorCode { try await points.replay(subject: zhang, run: 999) } == "not_found")
        #expect(await errorCode { try await points.run(asOf: district.clock.now.addingTimeInterval(3600), actor: "test") } == "invalid_input")
        // A tampered stored score no longer replays.
        try await services.database.write { db in
            try db.dropRules(on: "points_scores")
            try db.execute(
                sql: "UPDATE points_scores SET total = total + 1 WHERE run_id = ? AND subject = ?", arguments: [third.run.id, zhang.rawValue])
        }
        #expect(try await points.replay(subject: zhang, run: third.run.id).matches == false)
        // So does a score the run should have stored and did not.
        try await services.database.write { db in
            try db.execute(sql: "DELETE FROM points_scores WHERE run_id = ? AND subject = ?", arguments: [third.run.id, zhang.rawValue])
        }
        let missing = try await points.replay(subject: zhang, run: third.run.id)
        #expect(missing.stored == nil && missing.matches == false)
        #expect(try await AuditLog.events(in: services.database, limit: 500).filter { $0.action == "points.run.finished" }.count == 3)
    }

    @Test(
        "The monthly run happens once per district however often it is asked for, is resumed when its runner stopped reporting, and is left alone while another runs it"
    )
    func scheduledRuns() async throws {
        let (district, points) = try await Self.district()
        try await PointsFixtures.load(district.services)
        #expect(try await points.scheduledRun() == nil, "no policy was in force at this month's start")
        // Next month: the scheme was in force at its start.
        let now = ChinaTime(district.clock.now)
        let nextMonth = CivilDay(String(format: "%04d-%02d-01", now.month == 12 ? now.year + 1 : now.year, now.month == 12 ? 1 : now.month + 1))!
        district.clock.advance(by: nextMonth.start.timeIntervalSince(district.clock.now) + 3 * 3600)
        let report = try #require(try await points.scheduledRun())
        #expect(report.run.period == String(nextMonth.description.prefix(7)) && report.run.asOf == nextMonth.start && report.run.persons > 0)
        #expect(try await points.scheduledRun() == nil, "once")

        // A run left unfinished by a runner that died: taken over after five minutes, not before.
        let following = nextMonth.adding(days: 40)
        let period = String(format: "%04d-%02d", following.year, Int(following.description.dropFirst(5).prefix(2))!)
        district.clock.advance(by: following.start.timeIntervalSince(district.clock.now) + 3600)
        let monthStart = CivilDay(period + "-01")!.start
        let started = try await district.services.database.write { db in
            try PointsStore.startRun(period: period, asOf: monthStart, policyVersion: 1, actor: "system", at: district.clock.now, in: db)
        }
        _ = try #require(started)
        #expect(await errorCode { try await points.scheduledRun() as Any } == "invalid_transition", "another runner is on it")
        district.clock.advance(by: PointsService.staleRunSeconds + 1)
        let resumed = try #require(try await points.scheduledRun())
        let registered = try await district.services.identity.registry.count()
        #expect(resumed.run.id == started?.id && resumed.run.persons == registered)
        #expect(
            try await district.services.database.write { db in try PointsStore.heartbeat(resumed.run.id, persons: 1, at: district.clock.now, in: db) }
                == false, "a runner that lost a finished run cannot add to it")

        // A run an admin asked for, left unfinished: the timer resumes it too.
        let manual = try #require(
            try await district.services.database.write { db in
                try PointsStore.startRun(period: nil, asOf: district.clock.now, policyVersion: 1, actor: "cli", at: district.clock.now, in: db)
            })
        #expect(try await points.resumeStalledRuns().isEmpty, "its runner may still be alive")
        district.clock.advance(by: PointsService.staleRunSeconds + 1)
        let reports = try await points.resumeStalledRuns()
        #expect(reports.map(\.run.id) == [manual.id] && reports.first?.run.persons == registered && reports.first?.run.finishedAt != nil)
        let actions = try await AuditLog.events(in: district.services.database, limit: 500).map(\.action)
        #expect(actions.filter { $0 == "points.run.resumed" }.count == 2)
    }

    @Test(
        "A decided claim's proof is cleared a year after the decision unless its dispute is open; the claim stays, nothing else of it can change, and an undecided claim's proof cannot be cleared"
    )
    func evidenceRetention() async throws {
        let (district, points) = try await Self.district()
        let services = district.services
        try await PointsFixtures.load(services)
        let zhang = try await PointsFixtures.subject(services, IdentityFixtures.zhang.id)
        let li = try await PointsFixtures.subject(services, IdentityFixtures.li.id)
        let kept = try await points.claim(
            subject: zhang, indicator: "education", option: "本科", statement: "", evidence: PointsFixtures.png, actor: "a")
        let disputed = try await points.claim(
            subject: li, indicator: "education", option: "本科", statement: "", evidence: PointsFixtures.png, actor: "a")
        let pending = try await points.claim(subject: li, indicator: "skills", option: "技师", statement: "", evidence: PointsFixtures.png, actor: "a")
        _ = try await points.decide(claim: kept.id, department: "GAJ", clerk: "GA-0042", approve: true, reason: "核验原件", actor: "credential:gaj")
        _ = try await points.decide(claim: disputed.id, department: "GAJ", clerk: "GA-0042", approve: false, reason: "不符", actor: "credential:gaj")
        _ = try await points.dispute(subject: li, indicator: "education", claim: disputed.id, reason: "请复核", actor: "a", disclosingCredit: true)

        #expect(try await points.clearOldEvidence() == 0, "within the year")
        district.clock.advance(by: Double(PointsService.evidenceRetentionDays) * 86_400 + 60)
        #expect(try await points.clearOldEvidence() == 1)
        #expect(await errorCode { try await points.evidence(claim: kept.id, department: "GAJ", actor: "credential:gaj") } == "not_found")
        #expect(
            try await points.evidence(claim: disputed.id, department: "GAJ", actor: "credential:gaj").bytes == PointsFixtures.png,
            "its dispute is open")
        #expect(try await points.evidence(claim: pending.id, department: "GAJ", actor: "credential:gaj").bytes == PointsFixtures.png)
        let claim = try await points.statement(subject: zhang, disclosingCredit: true).claims.first
        #expect(claim?.decision == "approved" && claim?.evidenceType == "image/png", "the claim and its proof's type stay")
        #expect(
            try await AuditLog.events(in: services.database, limit: 500).contains {
                $0.action == "points.evidence.cleared" && $0.details.contains("\"claims\":\"1\"")
            })
        #expect(try await points.clearOldEvidence() == 0, "once")

        // The database allows clearing a decided claim's proof and nothing else.
        for sql in [
            "UPDATE points_claims SET option = '大专' WHERE id = '\(kept.id)'", "UPDATE points_claims SET evidence_type = NULL WHERE id = '\(kept.id)'",
            "UPDATE points_claims SET reason = 'x', evidence = NULL WHERE id = '\(disputed.id)'",
            "UPDATE points_claims SET evidence = NULL WHERE id = '\(pending.id)'",
        ] {
            await #expect(throws: (any Error).self, "\(sql)") { try await services.database.write { db in _ = try db.execute(sql: sql) } }
        }
    }

    @Test("A person whose registry record does not decrypt is left out of a run and audited; everyone else is scored")
    func unreadablePerson() async throws {
        let (district, points) = try await Self.district()
        let services = district.services
        try await PointsFixtures.load(services)
        let li = try await PointsFixtures.subject(services, IdentityFixtures.li.id)
        try await services.database.write { db in
            try db.dropRules(on: "persons")
            try db.execute(sql: "UPDATE persons SET id_sealed = ? WHERE id = ?", arguments: [Data(repeating: 7, count: 60), li.personID!])
        }
        district.clock.advance(by: 60)
        let report = try await points.run(actor: "test")
        let registered = try await services.identity.registry.count()
        #expect(report.skipped == 1 && report.scored == registered - 1 && report.run.persons == registered - 1 && report.run.finishedAt != nil)
        let skipped = try await AuditLog.events(in: services.database, limit: 500).filter { $0.action == "points.person.skipped" }
        #expect(skipped.map(\.target) == [li.rawValue])
        #expect(await errorCode { try await points.replay(subject: li, run: report.run.id) } == "identity_key_unavailable")
    }

    @Test(
        "后申请 and 复核: a claim with a proof, decided once by a listed reviewer; the next run counts it; a dispute is decided by another reviewer, once; refusals by code"
    )
    func claimsAndDisputes() async throws {
        let (district, points) = try await Self.district()
        let services = district.services
        try await PointsFixtures.load(services)
        let zhang = try await PointsFixtures.subject(services, IdentityFixtures.zhang.id)
        let li = try await PointsFixtures.subject(services, IdentityFixtures.li.id)

        #expect(
            await errorCode { try await points.claim(subject: zhang, indicator: "phd", option: "本科", statement: "", evidence: nil, actor: "a") }
                == "unknown_indicator")
        #expect(
            await errorCode { try await points.claim(subject: zhang, indicator: "residence", option: "本科", statement: "", evidence: nil, actor: "a") }
                == "unknown_indicator")
        #expect(
            await errorCode {
                try await points.claim(subject: zhang, indicator: "education", option: "博士后", statement: "", evidence: nil, actor: "a")
            } == "invalid_input")
        #expect(
            await errorCode {
                try await points.claim(
                    subject: zhang, indicator: "education", option: "本科", statement: "", evidence: Array("GIF89a".utf8), actor: "a")
            } == "invalid_input")
        #expect(
            await errorCode {
                try await points.claim(
                    subject: zhang, indicator: "education", option: "本科", statement: "",
                    evidence: PointsFixtures.png + [UInt8](repeating: 0, count: PointsService.evidenceLimit), actor: "a")
            } == "payload_too_large")
        let claim = try await points.claim(
            subject: zhang, indicator: "education", option: "本科", statement: "华南理工大学 2012 届", evidence: PointsFixtures.png,
            actor: "person:zhang")
        #expect(claim.evidenceType == "image/png" && claim.department == "GAJ" && claim.decision == nil)
        #expect(
            await errorCode { try await points.claim(subject: zhang, indicator: "education", option: "大专", statement: "", evidence: nil, actor: "a") }
                == "claim_pending")
        let queue = try await points.pendingClaims(department: "GAJ")
        #expect(queue.map(\.item.id) == [claim.id])
        #expect(
            queue.first?.name == IdentityFixtures.zhang.name && queue.first?.idNumberMasked?.contains("*") == true
                && queue.first?.idNumberMasked != IdentityFixtures.zhang.id, "the reviewer sees whose proof it is, masked")
        #expect(try await points.evidence(claim: claim.id, department: "GAJ", actor: "credential:gaj").bytes == PointsFixtures.png)
        #expect(await errorCode { try await points.evidence(claim: claim.id, department: "RSJ", actor: "credential:rsj") } == "not_found")

        #expect(
            await errorCode {
                try await points.decide(claim: claim.id, department: "GAJ", clerk: "GA-0099", approve: true, reason: "核验原件", actor: "credential:gaj")
            } == "not_a_reviewer")
        #expect(
            await errorCode {
                try await points.decide(claim: claim.id, department: "RSJ", clerk: "GA-0042", approve: true, reason: "核验原件", actor: "credential:rsj")
            } == "not_a_reviewer")
        #expect(
            await errorCode {
                try await points.decide(claim: claim.id, department: "GAJ", clerk: "GA-0042", approve: true, reason: " ", actor: "credential:gaj")
            } == "invalid_input")
        let decided = try await points.decide(
            claim: claim.id, department: "GAJ", clerk: "GA-0042", approve: false, reason: "学历证书与学信网记录不符",
            actor: "credential:gaj")
        #expect(decided.decision == "rejected" && decided.decidedBy == "credential:gaj/clerk:GA-0042")
        #expect(
            await errorCode {
                try await points.decide(claim: claim.id, department: "GAJ", clerk: "GA-0001", approve: true, reason: "再审", actor: "credential:gaj")
            } == "already_decided")
        #expect(try await services.applications.notifications(subject: zhang).contains { $0.kind == "points_claim" && $0.message.contains("未通过") })

        // 复核 of the claim: not by the reviewer who decided it; the supervisor corrects it to 本科's 30 points.
        #expect(
            await errorCode {
                try await points.dispute(subject: li, indicator: "education", claim: claim.id, reason: "不是我的", actor: "a", disclosingCredit: true)
            } == "not_found")
        let dispute = try await points.dispute(
            subject: zhang, indicator: "education", claim: claim.id, reason: "学信网可查，请复核", actor: "person:zhang", disclosingCredit: true)
        #expect(dispute.disputedPoints == 0 && dispute.firstReviewer == "credential:gaj/clerk:GA-0042")
        #expect(
            await errorCode {
                try await points.dispute(subject: zhang, indicator: "education", claim: claim.id, reason: "再次", actor: "a", disclosingCredit: true)
            } == "already_disputed")
        #expect(
            await errorCode {
                try await points.decide(dispute: dispute.id, department: "GAJ", clerk: "GA-0042", points: 30, reason: "改判", actor: "credential:gaj")
            } == "same_reviewer")
        let corrected = try await points.decide(
            dispute: dispute.id, department: "GAJ", clerk: "GA-0001", points: 30, reason: "经学信网核实，学历属实",
            actor: "credential:gaj")
        #expect(corrected.outcome == "corrected" && corrected.points == 30)
        #expect(
            await errorCode {
                try await points.decide(dispute: dispute.id, department: "GAJ", clerk: "GA-0001", points: nil, reason: "x", actor: "credential:gaj")
            } == "already_decided")

        // 李晓梅's skills claim, approved; the next run counts both.
        let skills = try await points.claim(
            subject: li, indicator: "skills", option: "高级工", statement: "证书编号 S-2020-0001", evidence: nil, actor: "person:li")
        _ = try await points.decide(claim: skills.id, department: "GAJ", clerk: "GA-0042", approve: true, reason: "核验证书原件", actor: "credential:gaj")
        district.clock.advance(by: 60)
        let run = try await points.run(actor: "test")
        let zhangEducation = try await points.statement(subject: zhang, disclosingCredit: true).items.first { $0.item.indicator == "education" }
        #expect(
            zhangEducation?.item.points == 30 && zhangEducation?.item.value == "本科"
                && zhangEducation?.item.inputs == ["claim:\(claim.id)", "dispute:\(dispute.id)"],
            "the claim corrected on review gives the item")
        let liStatement = try await points.statement(subject: li, disclosingCredit: true)
        #expect(liStatement.items.first { $0.item.indicator == "skills" }?.item.inputs == ["claim:\(skills.id)"])

        // 复核 of a run's item: upheld, once.
        #expect(
            await errorCode { try await points.dispute(subject: li, indicator: "nope", claim: nil, reason: "?", actor: "a", disclosingCredit: true) }
                == "unknown_indicator")
        let ageDispute = try await points.dispute(
            subject: li, indicator: "age", claim: nil, reason: "年龄算错了", actor: "person:li", disclosingCredit: true)
        #expect(ageDispute.run == run.run.id && ageDispute.department == "GAJ" && ageDispute.firstReviewer == nil)
        #expect(
            await errorCode { try await points.dispute(subject: li, indicator: "age", claim: nil, reason: "再次", actor: "a", disclosingCredit: true) }
                == "already_disputed")
        let upheld = try await points.decide(
            dispute: ageDispute.id, department: "GAJ", clerk: "GA-0042", points: nil, reason: "按身份证出生日期计算无误",
            actor: "credential:gaj")
        #expect(upheld.outcome == "upheld" && upheld.points == nil)
        #expect(try await points.replay(subject: zhang, run: run.run.id).matches)
        #expect(try await points.replay(subject: li, run: run.run.id).matches)

        // An item the run scored from an approved claim: its reviewer does not decide the dispute.
        let skillsDispute = try await points.dispute(
            subject: li, indicator: "skills", claim: nil, reason: "应为技师", actor: "person:li", disclosingCredit: true)
        #expect(skillsDispute.firstReviewer == "credential:gaj/clerk:GA-0042" && skillsDispute.disputedPoints == 15)
        #expect(try await points.pendingDisputes(department: "GAJ").first { $0.item.id == skillsDispute.id }?.name == IdentityFixtures.li.name)
        #expect(
            await errorCode {
                try await points.decide(
                    dispute: skillsDispute.id, department: "GAJ", clerk: "GA-0042", points: 25, reason: "改判", actor: "credential:gaj")
            } == "same_reviewer")

        // A correction: never above the cap; it stands while the item comes from the same records, and lapses when a
        // new record (a residence registration) gives the item.
        let residence = try await points.dispute(
            subject: li, indicator: "residence", claim: nil, reason: "已居住多年", actor: "person:li", disclosingCredit: true)
        #expect(
            await errorCode {
                try await points.decide(dispute: residence.id, department: "GAJ", clerk: "GA-0001", points: 51, reason: "x", actor: "credential:gaj")
            } == "invalid_input")
        _ = try await points.decide(
            dispute: residence.id, department: "GAJ", clerk: "GA-0001", points: 10, reason: "社区证明居住两年", actor: "credential:gaj")
        district.clock.advance(by: 60)
        let corrected2 = try await points.run(actor: "test")
        #expect(
            try await points.statement(subject: li, disclosingCredit: true).items.first { $0.item.indicator == "residence" }?.item
                == PointsItem(indicator: "residence", points: 10, value: "复核", inputs: ["dispute:\(residence.id)"], capped: false))
        district.clock.advance(by: 60)
        let registration = try await services.documents.issue(
            IssueDocumentRequest(
                departmentCode: "GAJ", matterCode: "JZDJ", matterName: "居住登记凭证", holderName: IdentityFixtures.li.name,
                holderIDNumber: IdentityFixtures.li.id,
                fields: [ResultField(label: "居住地址", value: "海曙区望春街道 1 号")], validDays: 365, pickupMode: .qrSelfPrint), actor: "test")
        district.clock.advance(by: 60)
        let lapsed = try await points.run(actor: "test")
        #expect(
            try await points.statement(subject: li, disclosingCredit: true).items.first { $0.item.indicator == "residence" }?.item.inputs
                == ["document:\(registration.record.id)"])
        #expect(try await points.replay(subject: li, run: corrected2.run.id).matches)
        #expect(try await points.replay(subject: li, run: lapsed.run.id).matches)

        // A rejected claim corrected on review beats an earlier approved one, and lapses when a newer claim is approved.
        let college = try await points.claim(subject: li, indicator: "education", option: "大专", statement: "", evidence: nil, actor: "person:li")
        _ = try await points.decide(claim: college.id, department: "GAJ", clerk: "GA-0042", approve: true, reason: "核验原件", actor: "credential:gaj")
        district.clock.advance(by: 60)
        let bachelor = try await points.claim(subject: li, indicator: "education", option: "本科", statement: "", evidence: nil, actor: "person:li")
        _ = try await points.decide(claim: bachelor.id, department: "GAJ", clerk: "GA-0042", approve: false, reason: "查无此证", actor: "credential:gaj")
        let bachelorDispute = try await points.dispute(
            subject: li, indicator: "education", claim: bachelor.id, reason: "学信网可查", actor: "person:li",
            disclosingCredit: true)
        _ = try await points.decide(
            dispute: bachelorDispute.id, department: "GAJ", clerk: "GA-0001", points: 30, reason: "学信网核实", actor: "credential:gaj")
        district.clock.advance(by: 60)
        let reviewed = try await points.run(actor: "test")
        #expect(
            try await points.statement(subject: li, disclosingCredit: true).items.first { $0.item.indicator == "education" }?.item
                == PointsItem(
                    indicator: "education", points: 30, value: "本科", inputs: ["claim:\(bachelor.id)", "dispute:\(bachelorDispute.id)"], capped: false)
        )
        district.clock.advance(by: 60)
        let master = try await points.claim(subject: li, indicator: "education", option: "研究生", statement: "", evidence: nil, actor: "person:li")
        _ = try await points.decide(claim: master.id, department: "GAJ", clerk: "GA-0042", approve: true, reason: "核验原件", actor: "credential:gaj")
        district.clock.advance(by: 60)
        let newer = try await points.run(actor: "test")
        #expect(
            try await points.statement(subject: li, disclosingCredit: true).items.first { $0.item.indicator == "education" }?.item
                == PointsItem(indicator: "education", points: 40, value: "研究生", inputs: ["claim:\(master.id)"], capped: false))
        #expect(try await points.replay(subject: li, run: reviewed.run.id).matches)
        #expect(try await points.replay(subject: li, run: newer.run.id).matches)

        let actions = try await AuditLog.events(in: services.database, limit: 500).map(\.action)
        for action in ["points.claim.submitted", "points.evidence.read", "points.claim.decided", "points.dispute.filed", "points.dispute.decided"] {
            #expect(actions.contains(action), "\(action)")
        }
        guard case .intact = try await AuditLog.verify(services.database) else { Issue.record("audit chain broken"); return }
    }

    @Test("The points certificate is a signed result document of the scheme's department with the score and its items; without a score it is refused")
    func certificate() async throws {
        let (district, points) = try await Self.district()
        let services = district.services
        try await PointsFixtures.load(services)
        let zhang = try await PointsFixtures.subject(services, IdentityFixtures.zhang.id)
        #expect(await errorCode { try await points.certificate(subject: zhang, actor: "person:zhang", disclosingCredit: true) } == "no_points_score")
        _ = try await Self.insuranceProof(services)
        district.clock.advance(by: 60)
        _ = try await points.run(actor: "test")
        // Two requests at once: one certificate, issued by one and given back to the other.
        async let first = points.certificate(subject: zhang, actor: "person:zhang", disclosingCredit: true)
        async let second = points.certificate(subject: zhang, actor: "person:zhang", disclosingCredit: true)
        let pair = try await [first, second]
        #expect(pair[0].record.id == pair[1].record.id && pair.filter(\.reused).count == 1)
        let issued = try #require(pair.first { !$0.reused })
        #expect(
            try await services.documents.records(holderIDNumber: IdentityFixtures.zhang.id, limit: 50).filter { $0.matterCode == "JFZM" }.count == 1)
        #expect(
            issued.record.departmentCode == "GAJ" && issued.record.matterCode == "JFZM" && issued.record.holderIDNumber == IdentityFixtures.zhang.id)
        let total = try #require(try await points.statement(subject: zhang, disclosingCredit: true).total)
        #expect(issued.record.fields.contains { $0.label == "积分总分" && $0.value == "\(total) 分" })
        #expect(issued.record.fields.contains { $0.label == "社会保险" && $0.value.hasPrefix("33 分") })
        let report = try await services.documents.verifyID(issued.record.id.rawValue, actor: "test")
        #expect(report.result == .valid, "\(report)")
        #expect(
            !issued.reused
                && issued.verificationPage == ResultToken.verificationURL(base: services.documents.verificationBaseURL, token: issued.record.token))

        // Asked again for the same run: the same certificate, not a second one.
        let again = try await points.certificate(subject: zhang, actor: "person:zhang", disclosingCredit: true)
        #expect(again.reused && again.record.id == issued.record.id && again.verificationPage == issued.verificationPage)

        // A session that may not see the credit level: the credit item and the total are withheld, the certificate
        // (which prints them) and a dispute of that item are refused, and the refusals are audited.
        let partial = try await points.statement(subject: zhang, disclosingCredit: false)
        #expect(
            partial.total == nil && partial.withheld == ["信用等级"] && !partial.items.contains { $0.item.indicator == "credit" }
                && !partial.items.isEmpty)
        #expect(
            await errorCode { try await points.certificate(subject: zhang, actor: "person:zhang", disclosingCredit: false) } == "step_up_required")
        #expect(
            await errorCode {
                try await points.dispute(subject: zhang, indicator: "credit", claim: nil, reason: "x", actor: "person:zhang", disclosingCredit: false)
            }
                == "step_up_required")

        // The certificate already issued prints the level: it is withheld from such a session as well, audited; a
        // result document of another matter is not, and a certificate whose scheme version cannot be read fails closed.
        let proof = try await Self.insuranceProof(services)
        #expect(try await points.printingCreditLevel([issued.record, proof.record]) == [issued.record.id])
        #expect(
            await errorCode { try await points.checkDisclosure(of: issued.record, disclosingCredit: false, actor: "person:zhang", route: "test") }
                == "step_up_required")
        try await points.checkDisclosure(of: issued.record, disclosingCredit: true, actor: "person:zhang", route: "test")
        try await points.checkDisclosure(of: proof.record, disclosingCredit: false, actor: "person:zhang", route: "test")
        var unreadable = issued.record
        unreadable.fields = unreadable.fields.filter { $0.label != "赋分批次" && $0.label != "信用等级" }
        #expect(try await points.printingCreditLevel([unreadable]) == [issued.record.id])
        let denials = try await AuditLog.events(in: services.database, limit: 500).filter { $0.action == "auth.denied" && $0.actor == "person:zhang" }
        #expect(denials.count == 3 && denials.allSatisfy { $0.details.contains("step_up_required") })

        // A dispute of the credit item, filed in a tier-2 session, discloses the level through its points: withheld from
        // a lower session also after a new scheme version without a credit indicator, when no item is withheld any more.
        let creditDispute = try await points.dispute(
            subject: zhang, indicator: "credit", claim: nil, reason: "信用已修复", actor: "person:zhang",
            disclosingCredit: true)
        #expect(try await !points.statement(subject: zhang, disclosingCredit: false).disputes.contains { $0.id == creditDispute.id })
        let withoutCredit = String(decoding: try PointsFixtures.policy(), as: UTF8.self)
            .replacingOccurrences(
                of: "  - code: credit\n    name: 信用等级\n    source: credit\n    rule: { levels: { A: 10, B: 5, M: 5, C: 0, D: -30 } }\n", with: "")
        #expect(try await points.loadPolicy(Array(withoutCredit.utf8), actor: "test").stored)
        district.clock.advance(by: 60)
        _ = try await points.run(actor: "test")
        let later = try await points.statement(subject: zhang, disclosingCredit: false)
        #expect(later.withheld.isEmpty && later.total != nil && !later.disputes.contains { $0.id == creditDispute.id })
        #expect(try await points.statement(subject: zhang, disclosingCredit: true).disputes.contains { $0.id == creditDispute.id })
    }
}
