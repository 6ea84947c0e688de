import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport

/// The credit level as a pure function of a subject, its events, the policy and an instant: no database.
@Suite("Credit calculator: levels from events, table by table")
struct CreditCalculatorTests {
    static let policy = try! CreditPolicy.parse(CreditFixtures.file("credit-policy.yaml"))
    static let now = ISOTime.parse("2026-11-20T10:00+08:00")!
    static let day: TimeInterval = 86_400

    /// An event `daysAgo` before ``now``, counting for `lasting` days; `repairs` names the event it repairs.
    static func event(
        _ id: Int64, points: Int, daysAgo: Double, lasting: Double = 1_000, serious: Bool = false, directD: Bool = false, repairs: Int64? = nil
    ) -> CreditEvent {
        let effective = now.addingTimeInterval(-daysAgo * day)
        return CreditEvent(
            id: id, subject: "440104199001010010", type: "test", points: points, serious: serious, directD: directD, basis: "test",
            effectiveAt: effective, expiresAt: effective.addingTimeInterval(lasting * day), repairs: repairs, source: "test", reference: nil,
            recordedAt: effective, recordedBy: "test")
    }

    static func subject(_ kind: CreditSubjectKind = .person, establishedDaysAgo: Double = 5_000, complete: Bool = true) -> CreditSubject {
        CreditSubject(
            id: "440104199001010010", kind: kind, establishedAt: now.addingTimeInterval(-establishedDaysAgo * day), dataComplete: complete,
            displayName: "测试")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var subject: CreditSubject
        var events: [CreditEvent]
        var level: CreditLevel
        var score: Int
        var reasons: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no events: A at the base score", subject: subject(), events: [], level: .a, score: 100, reasons: []),
        Case(name: "incomplete data: starts lower", subject: subject(complete: false), events: [], level: .a, score: 90, reasons: []),
        Case(name: "a deduction into B", subject: subject(), events: [event(1, points: -15, daysAgo: 10)], level: .b, score: 85, reasons: []),
        Case(
            name: "into C: not qualifying", subject: subject(), events: [event(1, points: -45, daysAgo: 10)], level: .c, score: 55,
            reasons: ["level_not_qualifying"]),
        Case(
            name: "an expired deduction no longer counts", subject: subject(), events: [event(1, points: -45, daysAgo: 400, lasting: 365)],
            level: .a, score: 100, reasons: []),
        Case(
            name: "a future deduction does not count yet", subject: subject(), events: [event(1, points: -45, daysAgo: -3)], level: .a, score: 100,
            reasons: []),
        Case(
            name: "direct D whatever the score", subject: subject(), events: [event(1, points: 0, daysAgo: 10, directD: true)], level: .d,
            score: 100, reasons: ["direct_d", "level_not_qualifying"]),
        Case(
            name: "a repaired direct D leaves the level capped at B for a year", subject: subject(),
            events: [event(1, points: 0, daysAgo: 100, directD: true), event(2, points: 0, daysAgo: 50, repairs: 1)], level: .b, score: 100,
            reasons: []),
        Case(
            name: "a serious record unrepaired refuses 容缺 even at A", subject: subject(), events: [event(1, points: -5, daysAgo: 10, serious: true)],
            level: .a, score: 95, reasons: ["unrepaired_serious_record"]),
        Case(
            name: "a repair restores points while the deduction counts", subject: subject(),
            events: [event(1, points: -40, daysAgo: 60), event(2, points: 16, daysAgo: 20, repairs: 1)], level: .b, score: 76, reasons: []),
        Case(
            name: "a new organisation is M, not A", subject: subject(.organization, establishedDaysAgo: 100), events: [], level: .m, score: 100,
            reasons: ["level_not_qualifying"]),
        Case(
            name: "an organisation past its first year is A", subject: subject(.organization, establishedDaysAgo: 400), events: [], level: .a,
            score: 100, reasons: []),
        Case(
            name: "the score stops at zero", subject: subject(), events: [event(1, points: -80, daysAgo: 10), event(2, points: -80, daysAgo: 9)],
            level: .d, score: 0, reasons: ["level_not_qualifying"]),
    ]

    @Test("Level, score and the reasons 容缺 is refused", arguments: cases)
    func level(_ example: Case) {
        let assessment = CreditCalculator.assess(example.subject, events: example.events, policy: Self.policy, policyVersion: 1, at: Self.now)
        #expect(assessment.level == example.level)
        #expect(assessment.score == example.score)
        #expect(assessment.trustApproval.reasons == example.reasons)
        #expect(assessment.trustApproval.available == example.reasons.isEmpty)
    }

    @Test("Pure: the same events in another order give the same answer")
    func orderDoesNotMatter() {
        for example in Self.cases {
            let forward = CreditCalculator.assess(example.subject, events: example.events, policy: Self.policy, policyVersion: 1, at: Self.now)
            let backward = CreditCalculator.assess(
                example.subject, events: example.events.reversed(), policy: Self.policy, policyVersion: 1, at: Self.now)
            #expect(forward == backward, "\(example.name)")
        }
    }
}
