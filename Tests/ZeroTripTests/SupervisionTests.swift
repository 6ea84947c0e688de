import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDocuments
import ZeroTripDomainTestSupport

@Suite("Supervision (督办): stalled reviews notify the reviewer, then the supervisors; review times per department")
struct SupervisionTests {
    @Test(
        "A review waiting 6 working days sends its reviewer an SMS, one still waiting 3 working days later every supervisor of the department, each once; a reviewer missing from the directory sends it to the supervisors at once; review times count working days"
    )
    func stalledReview() async throws {
        let district = try await ApplicationTests.district()
        let services = district.services, applications = services.applications, supervision = services.supervision
        _ = try await supervision.putStaff(department: "GAJ", clerk: "GA-0042", name: "赵文静", phone: "13900000042", role: .reviewer, actor: "test")
        _ = try await supervision.putStaff(department: "GAJ", clerk: "GA-0001", name: "周建华", phone: "13900000001", role: .supervisor, actor: "test")
        _ = try await supervision.putStaff(department: "RSJ", clerk: "RS-0001", name: "孙丽", phone: "13900000031", role: .supervisor, actor: "test")
        func reviewing(_ person: (id: String, name: String), actor: String) async throws -> String {
            let submitted = try await applications.submit(
                NewApplication(
                    matterCode: "JZDJ", idNumber: person.id, name: person.name, mode: .standard,
                    provided: ["ID_CARD", "RESIDENCE_PROOF", "EMPLOYMENT_PROOF", "PHOTO"]),
                department: "GAJ", actor: actor)
            _ = try await applications.accept(submitted.id, department: "GAJ", actor: actor)
            _ = try await applications.startReview(submitted.id, department: "GAJ", actor: actor)
            return submitted.id
        }
        let known = try await reviewing(IdentityFixtures.zhang, actor: "credential:gaj/clerk:GA-0042")
        let unknown = try await reviewing(IdentityFixtures.li, actor: "credential:gaj/clerk:GA-0099")
        let policy = try await services.credit.currentPolicy().policy
        let start = district.clock.now

        // Four working days: nothing yet.
        district.clock.advance(by: policy.calendar.deadline(workingDays: 4, from: start).timeIntervalSince(start))
        #expect(try await applications.sweep().staffNotices == 0)
        // Six: the reviewer of the first, the supervisor for the second (its reviewer is not in the directory).
        district.clock.advance(by: policy.calendar.deadline(workingDays: 6, from: start).timeIntervalSince(district.clock.now))
        var report = try await applications.sweep()
        #expect(report.staffNotices == 2, "\(report)")
        var outbox = try await services.identity.outbox(limit: 50).filter { $0.subject.hasPrefix("staff:") }
        #expect(outbox.count == 2)
        #expect(
            outbox.contains {
                $0.subject == "staff:GAJ/GA-0042" && $0.phoneMasked == "139****0042" && $0.message.contains("督办提醒")
                    && $0.message.contains(known.prefix(8).uppercased()) && $0.message.contains("居住登记")
            }, "\(outbox.map(\.message))")
        #expect(outbox.contains { $0.subject == "staff:GAJ/GA-0001" && $0.message.contains("GA-0099") && $0.message.contains("未登记") })
        #expect(!outbox.contains { $0.subject.hasPrefix("staff:RSJ") }, "another department's supervisor hears nothing")
        #expect(try await applications.sweep().staffNotices == 0, "each notice once")

        // The first is approved; three working days after the notice the second goes up to the supervisors.
        _ = try await applications.approve(known, department: "GAJ", actor: "credential:gaj/clerk:GA-0042")
        let noticed = district.clock.now
        district.clock.advance(by: policy.calendar.deadline(workingDays: 3, from: noticed).timeIntervalSince(noticed))
        report = try await applications.sweep()
        #expect(report.staffNotices == 1, "\(report)")
        outbox = try await services.identity.outbox(limit: 50).filter { $0.subject.hasPrefix("staff:") }
        #expect(
            outbox.count == 3 && outbox.last?.subject == "staff:GAJ/GA-0001" && outbox.last?.message.contains("督办升级") == true
                && outbox.last?.message.contains(unknown.prefix(8).uppercased()) == true, "\(outbox.map(\.message))")
        #expect(try await applications.sweep().staffNotices == 0)
        let notices = try await AuditLog.events(in: services.database, limit: 500).filter { $0.action == "application.review_notice" }
        #expect(notices.count == 3 && notices.allSatisfy { !$0.details.contains("139") }, "audited, without numbers")

        // Review times: the approved one took six working days; the other is still waiting, past the limit.
        let figures = try await supervision.reviewFigures(from: start.addingTimeInterval(-86_400), to: district.clock.now.addingTimeInterval(1))
        let gaj = try #require(figures.departments.first { $0.department == "GAJ" })
        #expect(gaj.reviewed == 1 && gaj.meanWorkingDays >= 6 && gaj.meanWorkingDays <= 7 && gaj.waiting == 1 && gaj.stalled == 1, "\(gaj)")

        // Approved, then rejected: still one review, decided at the approval.
        _ = try await applications.reject(known, reason: "材料失实", department: "GAJ", actor: "credential:gaj/clerk:GA-0042")
        let (from, to) = (start.addingTimeInterval(-86_400), district.clock.now.addingTimeInterval(1))
        #expect(try await supervision.reviewFigures(from: from, to: to) == figures)
        let volumes = try await supervision.volumes(from: from, to: to)
        #expect(volumes.departments.first { $0.department == "GAJ" }.map { [$0.submitted, $0.rejected] } == [2, 1], "\(volumes)")

        // A later calendar — a holiday declared on every weekday of the review — changes nothing already counted: counted
        // afresh, each item takes the calendar in force when it ended, as it did when it happened.
        var policyText = String(decoding: try CreditFixtures.file("credit-policy.yaml"), as: UTF8.self)
        var day = CivilDay(start), declared: [String] = []
        while day.start < noticed {
            if day.weekday != 0 && day.weekday != 6 && !policyText.contains(day.description) { declared.append(day.description) }
            day = day.adding(days: 1)
        }
        policyText = policyText.replacingOccurrences(of: "holidays: [", with: "holidays: [\(declared.joined(separator: ", ")), ")
        district.clock.advance(by: 60)
        #expect(try await services.credit.loadPolicy(Array(policyText.utf8), actor: "test").stored && !declared.isEmpty)
        #expect(
            try await services.credit.currentPolicy().policy.calendar.workingDays(from: start, to: noticed)
                < policy.calendar.workingDays(from: start, to: noticed),
            "the new calendar would count fewer days")

        // Counted as they happened = counted afresh from what is stored (a database upgraded from before the figures).
        try await services.database.write { db in try db.executeScript("DELETE FROM daily_figures; DELETE FROM figures_built") }
        #expect(try await supervision.reviewFigures(from: from, to: to) == figures)
        #expect(try await supervision.volumes(from: from, to: to) == volumes)
        // Upgraded, then written before the first read: what was counted meanwhile is not counted twice.
        try await services.database.write { db in try db.executeScript("DELETE FROM figures_built") }
        #expect(try await supervision.volumes(from: from, to: to) == volumes)
        // A day counts whole: a range ending mid-day holds that day's figures.
        #expect(
            try await supervision.volumes(from: from, to: CivilDay(district.clock.now).start.addingTimeInterval(1)).departments == volumes.departments
        )
    }

    @Test("The directory refuses bad entries by code and keeps numbers out of the audit log")
    func directory() async throws {
        let district = try await ApplicationTests.district()
        let supervision = district.services.supervision
        for (department, clerk, phone, expected) in [
            ("NOPE", "GA-1", "13900000042", ZeroTripError.Code.unknownDepartment),
            ("GAJ", "GA 1", "13900000042", .invalidInput), ("GAJ", "GA-1", "1390000004", .invalidInput),
            ("GAJ", "GA-1", "23900000042", .invalidInput),
        ] {
            let error = await #expect(throws: ZeroTripError.self) {
                _ = try await supervision.putStaff(department: department, clerk: clerk, name: "赵文静", phone: phone, role: .reviewer, actor: "test")
            }
            #expect(error?.code == expected, "\(department) \(clerk) \(phone)")
        }
        _ = try await supervision.putStaff(department: "gaj", clerk: "GA-1", name: "赵文静", phone: "13900000042", role: .reviewer, actor: "test")
        _ = try await supervision.putStaff(department: "GAJ", clerk: "GA-1", name: "赵文静", phone: "13900000043", role: .supervisor, actor: "test")
        let staff = try await supervision.staff(department: "GAJ")
        #expect(staff.count == 1 && staff[0].role == .supervisor && staff[0].phone == "13900000043", "replaced, not doubled")
        try await supervision.removeStaff(department: "GAJ", clerk: "GA-1", actor: "test")
        let again = await #expect(throws: ZeroTripError.self) { try await supervision.removeStaff(department: "GAJ", clerk: "GA-1", actor: "test") }
        #expect(again?.code == .notFound)
        let events = try await AuditLog.events(in: district.services.database, limit: 100).filter { $0.action.hasPrefix("staff.") }
        #expect(
            events.map(\.action) == ["staff.added", "staff.updated", "staff.removed"] && events.allSatisfy { !$0.details.contains("13900000042") })
    }
}
