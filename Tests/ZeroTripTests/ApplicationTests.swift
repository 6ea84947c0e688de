import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripDomainTestSupport

@Suite("Applications: 容缺 and 容缓, commitments, obligations, the overdue sweep, supervisor flags")
struct ApplicationTests {
    static func district() async throws -> TestDistrict {
        let district = try await TestDistrict().setUp(departments: CreditFixtures.departments)
        try await CreditFixtures.load(district.services)
        return district
    }

    static func windowAssurance(_ services: ZeroTripServices, _ person: (id: String, name: String)) async throws -> Int64 {
        try await services.identity.windowCheck(
            card: CardRead(idNumber: person.id, name: person.name, validFrom: "2018-04-15", validUntil: "2038-04-15"),
            faceMatched: true, clerk: IdentityFixtures.clerk, station: "window-2", actor: "credential:test"
        ).assurance.id
    }

    static let residence = ["居住地址": "佛山市禅城区祖庙街道建新路12号", "居住事由": "务工"]

    /// A 容缺 居住登记 for `person` with the employment proof missing, committed at the window, accepted, reviewed and approved.
    static func approvedTrustApplication(_ district: TestDistrict, _ person: (id: String, name: String)) async throws -> ApplicationRecord {
        let applications = district.services.applications
        let submitted = try await applications.submit(
            NewApplication(
                matterCode: "JZDJ", idNumber: person.id, name: person.name, mode: .trust,
                provided: ["ID_CARD", "RESIDENCE_PROOF", "PHOTO"]), department: "GAJ", actor: "credential:gaj")
        _ = try await applications.commit(
            submitted.id, assuranceID: try windowAssurance(district.services, person), department: "GAJ", actor: "credential:gaj")
        _ = try await applications.accept(submitted.id, department: "GAJ", actor: "credential:gaj")
        _ = try await applications.startReview(submitted.id, department: "GAJ", actor: "credential:gaj")
        return try await applications.approve(submitted.id, department: "GAJ", actor: "credential:gaj")
    }

    @Test(
        "Scenario: a B-level applicant under 容缺 misses the deadline → rectification → result revoked (QR says revoked), credit event, level C; a C-level applicant is refused; a missing primary material is refused at any level"
    )
    func scenario() async throws {
        let district = try await Self.district()
        let services = district.services
        let applications = services.applications
        let chen = try await services.credit.subject(CreditFixtures.chen.id)
        await #expect(try services.credit.assessment(of: chen).level == .b)

        let approved = try await Self.approvedTrustApplication(district, CreditFixtures.chen)
        #expect(approved.commitment?.tier == 3 && approved.commitment?.consequences.contains("撤销") == true)
        let obligation = try #require(approved.obligation)
        #expect(obligation.items == ["EMPLOYMENT_PROOF"] && obligation.state == .open)
        await #expect(
            try obligation.deadline == services.credit.currentPolicy().policy.calendar.deadline(workingDays: 10, from: approved.acceptedAt!))
        let (issuedRecord, issued) = try await applications.issueResult(
            approved.id, values: Self.residence, department: "GAJ", actor: "credential:gaj")
        #expect(issuedRecord.state == .resultIssued && issuedRecord.documentID == issued.record.id)
        #expect(try await services.documents.verifyToken(issued.qrContent, actor: "test", audit: false).result == .valid)

        // Before the deadline: a reminder, nothing else.
        district.clock.advance(by: obligation.remindAt!.timeIntervalSince(district.clock.now) + 60)
        var report = try await applications.sweep()
        #expect(report.reminders == 1 && report.rectification == 0 && report.revoked == 0)
        await #expect(try applications.sweep().reminders == 0)
        // Past the deadline: rectification, the document still valid.
        district.clock.advance(by: obligation.deadline.timeIntervalSince(district.clock.now) + 1)
        report = try await applications.sweep()
        #expect(report.rectification == 1 && report.revoked == 0)
        let rectifying = try await applications.application(approved.id)
        #expect(rectifying.obligation?.state == .rectification)
        #expect(try await services.documents.verifyToken(issued.qrContent, actor: "test", audit: false).result == .valid)
        // Past the rectification period: revoked, terminated, credit event, level C.
        district.clock.advance(by: rectifying.obligation!.rectificationDeadline!.timeIntervalSince(district.clock.now) + 1)
        report = try await applications.sweep()
        #expect(report.revoked == 1)
        let ended = try await applications.application(approved.id)
        #expect(ended.state == .terminated && ended.obligation?.state == .breached)
        let verification = try await services.documents.verifyToken(issued.qrContent, actor: "test", audit: false)
        #expect(verification.result == .revoked)
        await #expect(try services.documents.record(id: issued.record.id)?.statusReason == RevocationReason.obligationUnmet.rawValue)
        let history = try await services.credit.history(subject: CreditFixtures.chen.id)
        #expect(
            history.events.contains {
                $0.type == "obligation_breached" && $0.points == -20 && $0.reference == "obligation:\(obligation.id):obligation_breached"
            })
        #expect(history.assessment.level == .c && history.assessment.score == 55)
        await #expect(try applications.notifications().map(\.kind) == ["reminder", "rectification", "breach"])
        await #expect(try applications.sweep() == SweepReport())
        // The level before the breach is still reproducible.
        await #expect(try services.credit.assessment(of: chen, at: approved.acceptedAt!).level == .b)

        // A C-level applicant is refused 容缺 with the reason; nothing is stored.
        let before = try await applications.applications(department: nil).count
        await #expect {
            try await applications.submit(
                NewApplication(
                    matterCode: "JZDJ", idNumber: CreditFixtures.huang.id, name: CreditFixtures.huang.name, mode: .trust,
                    provided: ["ID_CARD", "RESIDENCE_PROOF", "PHOTO"]), department: "GAJ", actor: "credential:gaj")
        } throws: { ($0 as? ZeroTripError)?.code == .trustApprovalRefused && ($0 as? ZeroTripError)?.message.contains("信用等级 C") == true }
        // An A-level applicant missing a primary material is refused in every mode.
        for mode in ApplicationMode.allCases {
            await #expect {
                try await applications.submit(
                    NewApplication(
                        matterCode: "JZDJ", idNumber: IdentityFixtures.zhang.id, name: IdentityFixtures.zhang.name, mode: mode,
                        provided: ["ID_CARD", "EMPLOYMENT_PROOF", "PHOTO"]), department: "GAJ", actor: "credential:gaj")
            } throws: { ($0 as? ZeroTripError)?.code == .primaryMaterialMissing }
        }
        // A missing secondary material that is not trust-eligible is refused under 容缺.
        await #expect {
            try await applications.submit(
                NewApplication(
                    matterCode: "ZLHTBA", idNumber: IdentityFixtures.zhang.id, name: IdentityFixtures.zhang.name, mode: .trust,
                    provided: ["ID_CARDS", "LEASE_CONTRACT", "OWNERSHIP"]), department: "ZJJ", actor: "credential:zjj")
        } throws: { ($0 as? ZeroTripError)?.code == .materialNotTrustEligible }
        await #expect(try applications.applications(department: nil).count == before)
        let refusals = try await AuditLog.events(in: services.database, limit: 500).filter { $0.action == "application.refused" }
        #expect(refusals.count == 1 && refusals[0].details.contains("level_not_qualifying"))
    }

    @Test("Fulfilled on time at pickup: obligation fulfilled, credit in the applicant's favour, application closed, document stays valid")
    func fulfilOnTime() async throws {
        let district = try await Self.district()
        let applications = district.services.applications
        let approved = try await Self.approvedTrustApplication(district, CreditFixtures.chen)
        let (_, issued) = try await applications.issueResult(approved.id, values: Self.residence, department: "GAJ", actor: "credential:gaj")
        await expectError(.invalidInput) {
            try await applications.fulfil(approved.id, materials: ["PHOTO"], department: "GAJ", actor: "credential:gaj")
        }
        await expectError(.forbidden) {
            try await applications.fulfil(approved.id, materials: ["EMPLOYMENT_PROOF"], department: "RSJ", actor: "credential:rsj")
        }
        let closed = try await applications.fulfil(approved.id, materials: ["employment_proof"], department: "GAJ", actor: "credential:gaj")
        #expect(closed.state == .closed && closed.obligation?.state == .fulfilled && closed.materials.allSatisfy(\.provided))
        await #expect(try district.services.credit.assessment(of: district.services.credit.subject(CreditFixtures.chen.id)).score == 76)
        district.clock.advance(by: 60 * 86_400)
        await #expect(try applications.sweep().revoked == 0)
        #expect(try await district.services.documents.verifyToken(issued.qrContent, actor: "test", audit: false).result == .valid)
        await #expect {
            try await applications.fulfil(approved.id, materials: ["EMPLOYMENT_PROOF"], department: "GAJ", actor: "credential:gaj")
        } throws: { ($0 as? ZeroTripError)?.code == .obligationClosed }
    }

    @Test("Concurrent fulfilment and overdue processing of the same obligations: exactly one wins each, and the state is consistent")
    func fulfilRacesSweep() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp(departments: CreditFixtures.departments)
        try await CreditFixtures.load(district.services)
        let services = district.services
        var ids: [String] = []
        for _ in 0..<12 {
            let approved = try await Self.approvedTrustApplication(district, IdentityFixtures.zhang)
            ids.append(approved.id)
        }
        let deadline = try await #require(try services.applications.application(ids[0]).obligation?.deadline)
        let sweeper = services.applications
        let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for id in ids {
                group.addTask {
                    do {
                        _ = try await services.applications.fulfil(id, materials: ["EMPLOYMENT_PROOF"], department: "GAJ", actor: "credential:gaj")
                        return (id, true)
                    } catch let error as ZeroTripError where error.code == .obligationClosed {
                        return (id, false)
                    }
                }
            }
            group.addTask {
                _ = try await sweeper.sweep(now: deadline.addingTimeInterval(1), batchSize: 1)
                return ("", false)
            }
            return try await group.reduce(into: [String: Bool]()) { if !$1.0.isEmpty { $0[$1.0] = $1.1 } }
        }
        #expect(outcomes.count == 12)
        let events = try await services.credit.history(subject: IdentityFixtures.zhang.id).events
        for id in ids {
            let record = try await services.applications.application(id)
            let obligation = try #require(record.obligation)
            let fulfilled = events.filter { $0.reference == "obligation:\(obligation.id):fulfilled" }.count
            let overdue = events.filter { $0.reference == "obligation:\(obligation.id):obligation_overdue" }.count
            if outcomes[id] == true {
                #expect(obligation.state == .fulfilled && fulfilled == 1 && overdue == 0 && record.state == .approved)
            } else {
                #expect(obligation.state == .breached && fulfilled == 0 && overdue == 1 && record.state == .terminated)
            }
        }
    }

    @Test("容缓: approval waits for the deferred materials; a missed deadline before the result terminates the matter with a credit event")
    func deferral() async throws {
        let district = try await Self.district()
        let applications = district.services.applications
        let submit = {
            try await applications.submit(
                NewApplication(
                    matterCode: "CSYXZMBF", idNumber: IdentityFixtures.li.id, name: IdentityFixtures.li.name, mode: .deferral,
                    provided: ["PARENT_ID", "BIRTH_RECORD"]), department: "WJJ", actor: "credential:wjj")
        }
        let first = try await submit()
        _ = try await applications.accept(first.id, department: "WJJ", actor: "credential:wjj")
        _ = try await applications.startReview(first.id, department: "WJJ", actor: "credential:wjj")
        await #expect { try await applications.approve(first.id, department: "WJJ", actor: "credential:wjj") } throws: {
            ($0 as? ZeroTripError)?.code == .materialsOutstanding
        }
        _ = try await applications.fulfil(first.id, materials: ["MARRIAGE", "HOUSEHOLD"], department: "WJJ", actor: "credential:wjj")
        let approved = try await applications.approve(first.id, department: "WJJ", actor: "credential:wjj")
        let (done, _) = try await applications.issueResult(
            approved.id, values: ["新生儿姓名": "李小宝", "出生日期": "2026年10月01日", "出生地点": "佛山市妇幼保健院"],
            department: "WJJ", actor: "credential:wjj")
        #expect(done.state == .closed)

        let second = try await submit()
        let accepted = try await applications.accept(second.id, department: "WJJ", actor: "credential:wjj")
        district.clock.advance(by: accepted.obligation!.deadline.timeIntervalSince(district.clock.now) + 1)
        let report = try await applications.sweep()
        #expect(report.terminated == 1 && report.revoked == 0)
        await #expect(try applications.application(second.id).state == .terminated)
        let events = try await district.services.credit.history(subject: IdentityFixtures.li.id).events
        #expect(events.filter { $0.type == "obligation_overdue" }.count == 1)
        await expectError(.invalidTransition) { try await applications.startReview(second.id, department: "WJJ", actor: "credential:wjj") }
    }

    @Test("容缺 with hold for pickup: the result is produced only once the missing material is handed in; the commitment needs tier 2")
    func holdForPickup() async throws {
        let district = try await Self.district()
        let services = district.services
        let applications = services.applications
        let submitted = try await applications.submit(
            NewApplication(
                matterCode: "QZDJ", idNumber: IdentityFixtures.li.id, name: IdentityFixtures.li.name, mode: .trust,
                provided: ["ID_CARD", "RESUME"]), department: "RSJ", actor: "credential:rsj")
        await #expect { try await applications.accept(submitted.id, department: "RSJ", actor: "credential:rsj") } throws: {
            ($0 as? ZeroTripError)?.code == .commitmentRequired
        }
        let low = try await IdentityFixtures.smsSession(services, person: IdentityFixtures.li)
        await #expect { try await applications.commit(submitted.id, session: low.session) } throws: {
            ($0 as? ZeroTripError)?.code == .stepUpRequired
        }
        let other = try await IdentityFixtures.videoSession(services, person: IdentityFixtures.zhang)
        await #expect { try await applications.commit(submitted.id, session: other.session) } throws: { ($0 as? ZeroTripError)?.code == .forbidden }
        // Another person cannot read the commitment text either; the refusal is audited where it is made, once.
        let before = try await AuditLog.events(in: services.database, limit: 100_000).filter { $0.action == "auth.denied" }.count
        await expectError(.forbidden) { try await applications.commitmentDraft(submitted.id, session: other.session, route: "test route") }
        let denials = try await AuditLog.events(in: services.database, limit: 100_000).filter { $0.action == "auth.denied" }
        #expect(denials.count == before + 1 && denials.last?.target == "application:\(submitted.id)" && denials.last?.actor == other.session.actor)
        #expect(try await applications.commitmentDraft(submitted.id, session: low.session, route: "test route").items == ["最高学历证书"])
        let high = try await IdentityFixtures.videoSession(services, person: IdentityFixtures.li)
        let committed = try await applications.commit(submitted.id, session: high.session)
        #expect(committed.commitment?.method == "session:video" && committed.commitment?.items == ["最高学历证书"])
        await #expect { try await applications.commit(submitted.id, session: high.session) } throws: {
            ($0 as? ZeroTripError)?.code == .invalidTransition
        }
        _ = try await applications.accept(submitted.id, department: "RSJ", actor: "credential:rsj")
        _ = try await applications.startReview(submitted.id, department: "RSJ", actor: "credential:rsj")
        _ = try await applications.approve(submitted.id, department: "RSJ", actor: "credential:rsj")
        let values = ["求职意向": "电子商务", "学历": "本科"]
        await #expect { try await applications.issueResult(submitted.id, values: values, department: "RSJ", actor: "credential:rsj") } throws: {
            ($0 as? ZeroTripError)?.code == .materialsOutstanding
        }
        _ = try await applications.fulfil(submitted.id, materials: ["DIPLOMA"], department: "RSJ", actor: "credential:rsj")
        await #expect {
            try await applications.issueResult(submitted.id, values: ["求职意向": "电子商务"], department: "RSJ", actor: "credential:rsj")
        } throws: {
            ($0 as? ZeroTripError)?.code == .invalidInput
        }
        let (record, issued) = try await applications.issueResult(submitted.id, values: values, department: "RSJ", actor: "credential:rsj")
        #expect(record.state == .closed && issued.record.holderName == IdentityFixtures.li.name && issued.record.matterCode == "QZDJ")
        #expect(issued.record.fields.map(\.label) == ["办件编号", "求职意向", "学历"])
    }

    @Test("Supervisors see applications past the matter's time limit and reviews pending more than 5 working days")
    func flags() async throws {
        let district = try await Self.district()
        let applications = district.services.applications
        let submitted = try await applications.submit(
            NewApplication(
                matterCode: "JYSYDJ", idNumber: IdentityFixtures.wang.id, name: IdentityFixtures.wang.name, mode: .standard,
                provided: ["ID_CARD", "HOUSEHOLD", "TERMINATION", "PHOTO"]), department: "RSJ", actor: "credential:rsj")
        _ = try await applications.accept(submitted.id, department: "RSJ", actor: "credential:rsj")
        let reviewing = try await applications.startReview(submitted.id, department: "RSJ", actor: "credential:rsj")
        district.clock.advance(by: 3 * 86_400)
        await #expect(try applications.sweep().flagged == 0)
        district.clock.advance(by: reviewing.timeLimitDue!.timeIntervalSince(district.clock.now) + 1)
        let report = try await applications.sweep()
        #expect(report.flagged == 2)
        await #expect(try applications.application(submitted.id).flags == ["review_stalled", "time_limit_exceeded"])
        await #expect(try applications.applications(department: "RSJ", flaggedOnly: true).map(\.id) == [submitted.id])
        await #expect(try applications.applications(department: "GAJ", flaggedOnly: true).isEmpty)
        await #expect(try applications.sweep().flagged == 0)
    }

    @Test(
        "Issuing a result commits the document with the application's move: of racing issues one wins, and a result issued against a rejected application never enters the register"
    )
    func issuanceIsOneTransaction() async throws {
        let district = try await Self.district()
        let services = district.services
        let applications = services.applications
        let approved = try await Self.approvedTrustApplication(district, CreditFixtures.chen)
        let before = try await services.database.read { db in try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM documents") ?? 0 }

        // Eight issues of one approved application at once: exactly one 201-equivalent, seven invalid transitions.
        let outcomes = await withTaskGroup(of: Result<String, ZeroTripError>.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do {
                        return .success(
                            try await applications.issueResult(approved.id, values: Self.residence, department: "GAJ", actor: "credential:gaj").1
                                .record.id.rawValue)
                    } catch let error as ZeroTripError { return .failure(error) } catch {
                        return .failure(ZeroTripError(.storageFailure, "\(error)"))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let winners = outcomes.compactMap { try? $0.get() }
        #expect(winners.count == 1)
        let losers = outcomes.compactMap { outcome -> ZeroTripError? in if case .failure(let error) = outcome { error } else { nil } }
        #expect(losers.count == 7 && losers.allSatisfy { $0.code == .invalidTransition })
        // Only the winner's document exists: nothing registered and revoked afterwards, no orphaned audit or log entries.
        let (documents, revoked, issuedEvents) = try await services.database.read { db in
            (
                try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM documents") ?? 0,
                try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM documents WHERE status != 'valid'") ?? 0,
                try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM log_leaves WHERE kind = 'document.issued'") ?? 0
            )
        }
        #expect(documents == before + 1 && revoked == 0 && issuedEvents == documents)
        await #expect(try applications.application(approved.id).documentID?.rawValue == winners.first)

        // A rejected application: issuing fails and leaves nothing behind.
        let second = try await Self.approvedTrustApplication(district, CreditFixtures.chen)
        _ = try await applications.reject(second.id, reason: "材料不实", department: "GAJ", actor: "credential:gaj")
        await #expect { try await applications.issueResult(second.id, values: Self.residence, department: "GAJ", actor: "credential:gaj") } throws: {
            ($0 as? ZeroTripError)?.code == .invalidTransition
        }
        let after = try await services.database.read { db in try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM documents") ?? 0 }
        #expect(after == documents)
        guard case .intact = try await AuditLog.verify(services.database) else { Issue.record("audit chain broken"); return }
    }

    @Test("Bad input: unknown matter or application, another department, wrong name, unknown material, wrong transitions — nothing stored")
    func badInput() async throws {
        let district = try await Self.district()
        let applications = district.services.applications
        let zhang = IdentityFixtures.zhang
        #expect(
            await errorCode {
                try await applications.submit(
                    NewApplication(matterCode: "NOPE", idNumber: zhang.id, name: zhang.name, mode: .standard, provided: []), department: "RSJ",
                    actor: "t")
            } == "unknown_matter")
        #expect(
            await errorCode {
                try await applications.submit(
                    NewApplication(matterCode: "GRCBZM", idNumber: zhang.id, name: zhang.name, mode: .standard, provided: ["ID_CARD"]),
                    department: "GAJ", actor: "t")
            } == "forbidden")
        #expect(
            await errorCode {
                try await applications.submit(
                    NewApplication(matterCode: "GRCBZM", idNumber: zhang.id, name: "张三", mode: .standard, provided: ["ID_CARD"]), department: "RSJ",
                    actor: "t")
            } == "unknown_person")
        #expect(
            await errorCode {
                try await applications.submit(
                    NewApplication(matterCode: "GRCBZM", idNumber: "440104199001010011", name: zhang.name, mode: .standard, provided: ["ID_CARD"]),
                    department: "RSJ", actor: "t")
            } == "invalid_id_number")
        #expect(
            await errorCode {
                try await applications.submit(
                    NewApplication(matterCode: "GRCBZM", idNumber: zhang.id, name: zhang.name, mode: .standard, provided: ["ID_CARD", "PASSPORT"]),
                    department: "RSJ", actor: "t")
            } == "invalid_input")
        #expect(
            await errorCode {
                try await applications.submit(
                    NewApplication(matterCode: "GRCBZM", idNumber: zhang.id, name: zhang.name, mode: .trust, provided: ["ID_CARD"]),
                    department: "RSJ", actor: "t")
            } == "mode_unavailable")
        #expect(
            await errorCode {
                try await applications.submit(
                    NewApplication(matterCode: "JYSYDJ", idNumber: zhang.id, name: zhang.name, mode: .standard, provided: ["ID_CARD"]),
                    department: "RSJ", actor: "t")
            } == "materials_incomplete")
        #expect(await errorCode { try await applications.application("00112233445566778899aabbccddeeff") } == "unknown_application")
        #expect(await errorCode { try await applications.accept("not-an-id", department: nil, actor: "t") } == "unknown_application")
        await #expect(try applications.applications(department: nil).isEmpty)
        let record = try await applications.submit(
            NewApplication(matterCode: "GRCBZM", idNumber: zhang.id, name: zhang.name, mode: .standard, provided: ["ID_CARD"]), department: "RSJ",
            actor: "t")
        #expect(await errorCode { try await applications.approve(record.id, department: "RSJ", actor: "t") } == "invalid_transition")
        #expect(await errorCode { try await applications.accept(record.id, department: "GAJ", actor: "t") } == "forbidden")
        #expect(await errorCode { try await applications.commit(record.id, assuranceID: 1, department: "RSJ", actor: "t") } == "forbidden")
        await #expect(try applications.application(record.id).state == .submitted)
        _ = try await applications.reject(record.id, reason: "材料不符", department: "RSJ", actor: "t")
        #expect(await errorCode { try await applications.accept(record.id, department: "RSJ", actor: "t") } == "invalid_transition")
        let rewrite = await #expect(throws: SQLFailure.self) {
            try await district.services.database.write { db in
                try db.execute(sql: "UPDATE applications SET state = 'submitted' WHERE id = ?", arguments: [record.id])
            }
        }
        #expect(rewrite?.kind == .ruleViolation, "a rejected application cannot be moved back by SQL")
    }
}

extension ApplicationTests {
    @Test("A step that fails in the sweep is rolled back alone and retried later; the other obligations still move")
    func sweepFailureIsolated() async throws {
        let district = try await Self.district()
        let services = district.services
        let first = try await Self.approvedTrustApplication(district, IdentityFixtures.zhang)
        let second = try await Self.approvedTrustApplication(district, IdentityFixtures.zhang)
        let broken = try #require(first.obligation?.id)
        try await services.database.write { db in
            try db.injectFault("gateway_down", on: "notification_outbox", when: "reference", equals: "obligation:\(broken)", message: "gateway down")
        }
        district.clock.advance(by: first.obligation!.deadline.timeIntervalSince(district.clock.now) + 1)
        let report = try await services.applications.sweep()
        #expect(report.terminated == 1 && report.failed == 1)
        // The cause is kept for the log: which obligation and what failed.
        #expect(
            report.failures.count == 1 && report.failures[0].hasPrefix("obligation:\(broken): ") && report.failures[0].contains("gateway down"),
            "\(report.failures)")
        await #expect(try services.applications.application(first.id).obligation?.state == .open)
        await #expect(try services.applications.application(first.id).state == .approved)
        await #expect(try services.applications.application(second.id).state == .terminated)
        await #expect(try services.credit.history(subject: IdentityFixtures.zhang.id).events.filter { $0.type == "obligation_overdue" }.count == 1)
        try await services.database.write { db in try db.removeFault("gateway_down", on: "notification_outbox") }
        let retry = try await services.applications.sweep()
        #expect(retry.terminated == 1 && retry.failed == 0)
        await #expect(try services.applications.application(first.id).state == .terminated)
    }
}
