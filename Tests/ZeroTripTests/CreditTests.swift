import Foundation
import Synchronization
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripDomainTestSupport

@Suite("Credit: working days, policy and catalogue files, levels on a date, repairs")
struct CreditTests {
    static func district() async throws -> TestDistrict {
        let district = try await TestDistrict().setUp(departments: CreditFixtures.departments)
        try await CreditFixtures.load(district.services)
        return district
    }

    static func day(_ text: String) -> CivilDay { CivilDay(text)! }

    @Test("The demo credit policy's calendar is the 2026 national schedule (its arithmetic: WorkCalendarTests)")
    func workingDays() throws {
        let calendar = try CreditPolicy.parse(CreditFixtures.file("credit-policy.yaml")).calendar
        #expect(calendar == WorkCalendar.china2026)
        #expect(Self.day("2026-10-10").weekday == 6 && Self.day("2026-09-20").weekday == 0)
        #expect(Self.day("2026-10-11").start == ISOTime.parse("2026-10-11T00:00+08:00"))
    }

    @Test(
        "Window credit reads answered together in one group commit (persons and events read for the batch) equal those answered one by one; an unknown person is refused alone; one audit event each"
    )
    func windowChecksTogether() async throws {
        let district = try await Self.district()
        let credit = district.services.credit
        let subjects = [CreditFixtures.chen.id, CreditFixtures.huang.id, CreditFixtures.zhou.id, "11010519491231002X"]
        func check(_ subject: String) async -> String {
            do {
                let answer = try await credit.windowCheck(subject: subject, matter: "JZDJ", department: "GAJ", actor: "test")
                return "\(answer.level.rawValue) \(answer.trustApproval.available) \(answer.trustApproval.reasons)"
            } catch let error as ZeroTripError {
                return error.code.rawValue
            } catch {
                return "\(error)"
            }
        }
        var alone: [String] = []
        for subject in subjects { alone.append(await check(subject)) }
        #expect(alone[0] == "B true []" && alone[3] == "unknown_subject")
        let before = try await AuditLog.events(in: district.services.database, limit: 10_000).count
        let together = await withTaskGroup(of: (Int, String).self) { group in
            for index in 0..<48 { group.addTask { (index, await check(subjects[index % subjects.count])) } }
            var answers = [String](repeating: "", count: 48)
            for await (index, answer) in group { answers[index] = answer }
            return answers
        }
        #expect(together == (0..<48).map { alone[$0 % subjects.count] })
        let reads = try await AuditLog.events(in: district.services.database, limit: 10_000).dropFirst(before)
        #expect(reads.count == 48 && reads.allSatisfy { $0.action == "credit.read" })
        #expect(reads.filter { $0.outcome == "unknown_subject" }.count == 12)
        #expect(try await AuditLog.verify(district.services.database) == .intact(eventCount: Int64(before + 48), headHash: reads.last!.hash))
    }

    @Test(
        "Catalogue and policy files with errors are refused with a message naming the line; nothing is stored",
        arguments: [
            (
                "matters:\n  - code: JZDJ\n    name: 居住登记\n    department: GAJ\n    timeLimitDays: 3\n    materials:\n      - { code: ID_CARD, name: 身份证, kind: primry }\n    result: { title: 凭证, validDays: 30, fields: [地址] }\n",
                "line 7", "primary or secondary"
            ),
            (
                "matters:\n  - code: JZDJ\n    name: 居住登记\n    department: XXJ\n    timeLimitDays: 3\n    materials: []\n", "line 4",
                "no department XXJ"
            ),
            ("matters:\n  - code: JZDJ\n    nmae: 居住登记\n", "line 3", "unknown key \"nmae\""),
            ("matters:\n  - code: JZDJ\n    name: [unclosed\n", "line", "not valid YAML"),
            (
                "matters:\n  - code: A\n    name: 甲\n    department: GAJ\n    timeLimitDays: 0\n    materials:\n      - { code: ID_CARD, name: 身份证, kind: primary }\n    result: { title: 凭证, validDays: 30, fields: [地址] }\n",
                "line 5", "timeLimitDays"
            ),
        ])
    func badCatalogue(text: String, line: String, message: String) async throws {
        let district = try await Self.district()
        let before = try await district.services.credit.versions(catalogue: true).count
        await #expect {
            try await district.services.credit.loadCatalogue(Array(text.utf8), actor: "test")
        } throws: { error in
            guard let error = error as? ZeroTripError else { return false }
            return error.code == .invalidCatalogue && error.message.contains(line) && error.message.contains(message)
        }
        await #expect(try district.services.credit.versions(catalogue: true).count == before)
        var policy = String(decoding: try CreditFixtures.file("credit-policy.yaml"), as: UTF8.self)
        policy = policy.replacingOccurrences(of: "minimumB: 70", with: "minimumB: 95")
        await expectError(.invalidPolicy) { try await district.services.credit.loadPolicy(Array(policy.utf8), actor: "test") }
        let broken = String(decoding: try CreditFixtures.file("credit-policy.yaml"), as: UTF8.self).replacingOccurrences(
            of: "2026-10-10]", with: "2026-10-12]")
        do {
            _ = try await district.services.credit.loadPolicy(Array(broken.utf8), actor: "test")
            Issue.record("a working weekend on a Monday was accepted")
        } catch let error as ZeroTripError {
            #expect(error.code == .invalidPolicy && error.message.contains("line 37") && error.message.contains("2026-10-12"), "\(error)")
        }
        await #expect(try district.services.credit.versions(catalogue: false).count == 1)
    }

    @Test("A changed catalogue is a new version; identical content stores nothing; applications keep their version")
    func catalogueVersions() async throws {
        let district = try await Self.district()
        let credit = district.services.credit
        let original = try CreditFixtures.file("catalogue.yaml")
        await #expect(try credit.loadCatalogue(original, actor: "test").stored == false)
        let application = try await district.services.applications.submit(
            NewApplication(
                matterCode: "GRCBZM", idNumber: IdentityFixtures.zhang.id, name: IdentityFixtures.zhang.name, mode: .standard, provided: ["ID_CARD"]),
            department: "RSJ", actor: "test")
        let changed = String(decoding: original, as: UTF8.self).replacingOccurrences(
            of: "    timeLimitDays: 1\n    materials:\n      - { code: ID_CARD, name: 居民身份证, kind: primary }\n    result: { title: 个人参保证明",
            with: "    timeLimitDays: 2\n    materials:\n      - { code: ID_CARD, name: 居民身份证, kind: primary }\n    result: { title: 个人参保证明")
        let version = try await credit.loadCatalogue(Array(changed.utf8), actor: "test")
        #expect(version.stored && version.version == 2)
        await #expect(try credit.currentCatalogue().matter("GRCBZM")?.timeLimitDays == 2)
        await #expect(try credit.catalogue(version: 1).matter("GRCBZM")?.timeLimitDays == 1)
        await #expect(try district.services.applications.application(application.id).catalogueVersion == 1)
        let rewrite = await #expect(throws: SQLFailure.self) {
            try await district.services.database.write { db in try db.execute(sql: "UPDATE catalogue_versions SET parsed = '{}' WHERE version = 1") }
        }
        #expect(rewrite?.kind == .ruleViolation, "a catalogue version is kept as loaded")
    }

    @Test(
        "Levels follow the bands; M for a new enterprise; direct D; a repair restores by the policy's steps and a lifted D stays at most B for a year"
    )
    func levels() async throws {
        let district = try await Self.district()
        let credit = district.services.credit
        await #expect(try credit.assessment(of: credit.subject(IdentityFixtures.zhang.id)).level == .a)
        let chen = try await credit.assessment(of: credit.subject(CreditFixtures.chen.id))
        #expect(chen.level == .b && chen.score == 75 && chen.trustApproval.available)
        let huang = try await credit.assessment(of: credit.subject(CreditFixtures.huang.id))
        #expect(huang.level == .c && huang.trustApproval.reasons == ["level_not_qualifying"])
        let zhou = try await credit.assessment(of: credit.subject(CreditFixtures.zhou.id))
        #expect(
            zhou.level == .d && zhou.unrepairedSerious
                && zhou.trustApproval.reasons == ["direct_d", "level_not_qualifying", "unrepaired_serious_record"])

        let organization = try await credit.registerOrganization(
            code: "91440604MA51ABCD1X", name: "示例科技有限公司",
            establishedOn: CivilDay(district.clock.now.addingTimeInterval(-100 * 86_400)), dataComplete: true, actor: "test")
        await #expect(try credit.assessment(of: organization).level == .m)
        await #expect(try credit.assessment(of: organization, at: district.clock.now.addingTimeInterval(200 * 86_400)).level == .m)
        district.clock.advance(by: 300 * 86_400)
        await #expect(try credit.assessment(of: organization).level == .a)
        await expectError(.duplicateSubject) {
            try await credit.registerOrganization(
                code: "91440604MA51ABCD1X", name: "重复", establishedOn: CivilDay("2020-01-01")!, dataComplete: true, actor: "test")
        }
        await expectError(.invalidInput) {
            try await credit.registerOrganization(
                code: "91440604MA51ABCD12", name: "错校验", establishedOn: CivilDay("2020-01-01")!, dataComplete: true, actor: "test")
        }

        // A fresh deduction repaired within 30 days comes back in full.
        let events = try await credit.history(subject: IdentityFixtures.zhang.id)
        #expect(events.events.isEmpty)
        let penalty = try await credit.recordEvent(
            subject: IdentityFixtures.zhang.id, type: "administrative_penalty", effectiveAt: district.clock.now, reference: "罚1", actor: "test")
        await #expect(try credit.assessment(of: credit.subject(IdentityFixtures.zhang.id)).score == 75)
        district.clock.advance(by: 10 * 86_400)
        let repair = try await credit.repair(eventID: penalty.id, effectiveAt: district.clock.now, reference: "修复1", actor: "test")
        #expect(repair.points == 25)
        await #expect(try credit.assessment(of: credit.subject(IdentityFixtures.zhang.id)).score == 100)
        await expectError(.invalidInput) {
            try await credit.repair(eventID: penalty.id, effectiveAt: district.clock.now, reference: nil, actor: "test")
        }
        // A late repair restores 40 %.
        let late = try await credit.recordEvent(
            subject: CreditFixtures.chen.id, type: "administrative_penalty_minor", effectiveAt: district.clock.now, reference: nil, actor: "test")
        district.clock.advance(by: 100 * 86_400)
        await #expect(try credit.repair(eventID: late.id, effectiveAt: district.clock.now, reference: nil, actor: "test").points == 2)

        // Repairing a direct D lifts it, but the level stays at most B for a year.
        let dishonest = try await #require(try credit.history(subject: CreditFixtures.zhou.id).events.first)
        _ = try await credit.repair(eventID: dishonest.id, effectiveAt: district.clock.now, reference: "履行完毕", actor: "test")
        let lifted = try await credit.assessment(of: credit.subject(CreditFixtures.zhou.id))
        #expect(lifted.level == .b && !lifted.unrepairedSerious && lifted.trustApproval.available)
        await #expect(
            try credit.assessment(of: credit.subject(CreditFixtures.zhou.id), at: district.clock.now.addingTimeInterval(366 * 86_400)).level == .a)
    }

    @Test("The level on a past date is reproduced after later events, back-dated ones included; history cannot be edited")
    func levelOnDate() async throws {
        let district = try await Self.district()
        let credit = district.services.credit
        let subject = try await credit.subject(CreditFixtures.chen.id)
        let monday = district.clock.now
        await #expect(try credit.assessment(of: subject).level == .b)
        district.clock.advance(by: 2 * 86_400)
        // Recorded later but effective before `monday`: the answer for `monday` must not change.
        _ = try await credit.recordEvent(
            subject: CreditFixtures.chen.id, type: "administrative_penalty_minor", effectiveAt: monday.addingTimeInterval(-86_400), reference: "迟报",
            actor: "test")
        _ = try await credit.recordEvent(
            subject: CreditFixtures.chen.id, type: "tax_arrears", effectiveAt: district.clock.now, reference: "欠税", actor: "test")
        let now = try await credit.assessment(of: subject)
        let events = try await credit.history(subject: CreditFixtures.chen.id).events
        #expect(now.level == .c && now.score == 55 && now.unrepairedSerious, "\(now) \(events)")
        let then = try await credit.assessment(of: subject, at: monday)
        #expect(then.level == .b && then.score == 75)
        // A policy loaded later does not change the answer for an earlier date.
        let strict = String(decoding: try CreditFixtures.file("credit-policy.yaml"), as: UTF8.self).replacingOccurrences(
            of: "minimumB: 70", with: "minimumB: 80")
        district.clock.advance(by: 60)
        await #expect(try credit.loadPolicy(Array(strict.utf8), actor: "test").version == 2)
        // Loading the same file again stores nothing (its sets used to encode in a new order each time).
        for _ in 0..<3 {
            let again = try await credit.loadPolicy(Array(strict.utf8), actor: "test")
            #expect(again.version == 2 && !again.stored)
        }
        await #expect(try credit.versions(catalogue: false).count == 2)
        await #expect(try credit.assessment(of: subject, at: monday).level == .b)
        await #expect(try credit.assessment(of: subject, at: monday).policyVersion == 1)
        // The store itself refuses edits and deletions.
        for sql in ["UPDATE credit_events SET points = 0", "DELETE FROM credit_events", "DELETE FROM credit_policy_versions"] {
            let refused = await #expect(throws: SQLFailure.self) { try await district.services.database.write { db in try db.execute(sql: sql) } }
            #expect(refused?.kind == .ruleViolation, "\(sql)")
        }
        await #expect(try credit.history(subject: CreditFixtures.chen.id).events.count == 3)
    }

    @Test("Bad input: unknown subject, unknown type, future dates, bad import rows (line named, nothing imported), re-import skipped")
    func badInput() async throws {
        let district = try await Self.district()
        let credit = district.services.credit
        let count = { @Sendable in
            try await district.services.database.read { db in try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM credit_events") ?? -1 }
        }
        let before = try await count()
        #expect(
            await errorCode {
                try await credit.recordEvent(
                    subject: "11010519491231002X", type: "administrative_penalty", effectiveAt: district.clock.now, reference: nil, actor: "t")
            } == "unknown_subject")
        #expect(
            await errorCode {
                try await credit.recordEvent(
                    subject: "91350100M000100Y43", type: "administrative_penalty", effectiveAt: district.clock.now, reference: nil, actor: "t")
            } == "unknown_subject")
        #expect(
            await errorCode {
                try await credit.recordEvent(
                    subject: "440604197803150418", type: "administrative_penalty", effectiveAt: district.clock.now, reference: nil, actor: "t")
            } == "invalid_id_number")
        #expect(
            await errorCode {
                try await credit.recordEvent(
                    subject: CreditFixtures.chen.id, type: "speeding", effectiveAt: district.clock.now, reference: nil, actor: "t")
            } == "invalid_input")
        #expect(
            await errorCode {
                try await credit.recordEvent(
                    subject: CreditFixtures.chen.id, type: "administrative_penalty", effectiveAt: district.clock.now.addingTimeInterval(3600),
                    reference: nil, actor: "t")
            } == "invalid_input")
        let header = "subject,type,effective_date,reference\n"
        let bad = header + "\(CreditFixtures.chen.id),administrative_penalty,2026-05-01,A1\n11010519491231002X,administrative_penalty,2026-05-01,A2\n"
        do {
            _ = try await credit.importEvents(Array(bad.utf8), source: "court", actor: "t")
            Issue.record("an unknown subject was imported")
        } catch let error as ZeroTripError {
            #expect(error.code == .unknownSubject && error.message.hasPrefix("line 3"), "\(error)")
        }
        for (file, line) in [
            (header + "\(CreditFixtures.chen.id),administrative_penalty,2026-13-01,B1\n", "line 2"),
            (header + "\(CreditFixtures.chen.id),administrative_penalty\n", "line 2"),
            ("who,what\n", "line 1"),
            (
                header
                    + "\(CreditFixtures.chen.id),administrative_penalty,2026-05-01,C1\n\(CreditFixtures.chen.id),administrative_penalty,2026-05-02,C1\n",
                "line 3"
            ),
        ] {
            await #expect { try await credit.importEvents(Array(file.utf8), source: "court", actor: "t") } throws: {
                ($0 as? ZeroTripError)?.message.hasPrefix(line) == true
            }
        }
        await #expect(try count() == before)
        let good = header + "\(CreditFixtures.chen.id),administrative_penalty_minor,2026-05-01,D1\n"
        await #expect(try credit.importEvents(Array(good.utf8), source: "court", actor: "t") == CreditImportReport(recorded: 1, duplicates: 0))
        // Progress is told of every row checked, out of the file's rows (the CLI prints it once a second).
        let told = Mutex<[String]>([])
        let report = try await credit.importEvents(Array(good.utf8), source: "court", actor: "t") { checked, total in
            told.withLock { $0.append("\(checked)/\(total)") }
        }
        #expect(report == CreditImportReport(recorded: 0, duplicates: 1))
        #expect(told.withLock { $0 } == ["1/1"])
        await #expect(try count() == before + 1)
    }

    @Test("Unified social credit codes: GB 32100 check character")
    func unifiedSocialCreditCode() {
        #expect(UnifiedSocialCreditCode.validate("91350100M000100Y43") == "91350100M000100Y43")
        #expect(UnifiedSocialCreditCode.validate("91350100m000100y43") == "91350100M000100Y43")
        #expect(UnifiedSocialCreditCode.validate("91350100M000100Y44") == nil)
        #expect(UnifiedSocialCreditCode.validate("91350100I000100Y43") == nil)  // I is not in the alphabet
        #expect(UnifiedSocialCreditCode.validate("9135010") == nil)
    }
}
