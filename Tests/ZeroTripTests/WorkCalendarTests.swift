import Foundation
import Testing
@testable import ZeroTrip

/// The working-day arithmetic alone, without a database: the 2026 national schedule (``WorkCalendar/china2026``).
@Suite("Working days under the 2026 schedule: holidays skipped, adjusted weekends (调休) counted")
struct WorkCalendarTests {
    static let calendar = WorkCalendar.china2026

    static func day(_ text: String) -> CivilDay { CivilDay(text)! }
    /// 10:00 Beijing time on `text`.
    static func morning(_ text: String) -> Date { day(text).start.addingTimeInterval(10 * 3600) }

    @Test(
        "The n-th working day after a moment",
        arguments: [
            ("2026-09-30", 1, "2026-10-08"),  // National Day: 1–7 October off
            ("2026-09-30", 2, "2026-10-09"),
            ("2026-09-30", 3, "2026-10-10"),  // a Saturday worked (调休)
            ("2026-09-30", 4, "2026-10-12"),
            ("2026-09-18", 1, "2026-09-20"),  // a Sunday worked
            ("2026-09-18", 2, "2026-09-21"),
            ("2026-02-13", 1, "2026-02-14"),  // Spring Festival: Saturday 14 worked, then off until Monday 23
            ("2026-02-13", 2, "2026-02-24"),
            ("2026-03-06", 1, "2026-03-09"),  // an ordinary Friday: Monday next
            ("2026-03-09", 5, "2026-03-16"),  // five working days: a week later
        ])
    func workingDay(from start: String, count: Int, expected: String) {
        #expect(Self.calendar.workingDay(count, after: Self.morning(start)) == Self.day(expected))
    }

    @Test(
        "Whether a day is worked",
        arguments: [
            ("2026-10-01", false), ("2026-10-07", false), ("2026-10-10", true), ("2026-09-20", true), ("2026-09-19", false),
            ("2026-02-14", true), ("2026-02-16", false), ("2026-02-23", false), ("2026-03-10", true),
        ])
    func isWorkingDay(_ text: String, worked: Bool) {
        #expect(Self.calendar.isWorkingDay(Self.day(text)) == worked)
    }

    @Test(
        "Working days between two moments, and the deadline n working days on (midnight after the last one, Beijing time)",
        arguments: [
            ("2026-09-30", "2026-10-12", 4, 3, "2026-10-11"),
            ("2026-03-09", "2026-03-16", 5, 5, "2026-03-17"),
        ])
    func between(start: String, end: String, days: Int, deadlineDays: Int, deadline: String) {
        #expect(Self.calendar.workingDays(from: Self.morning(start), to: Self.day(end).start) == days)
        #expect(Self.calendar.deadline(workingDays: deadlineDays, from: Self.morning(start)) == Self.day(deadline).start)
    }

    @Test("Without the holiday schedule every weekday is worked and every weekend day is not")
    func plainCalendar() {
        let plain = WorkCalendar(holidays: [], workingWeekends: [], coveredThroughYear: 2026)
        #expect(plain.workingDay(1, after: Self.morning("2026-09-30")) == Self.day("2026-10-01"))
        #expect(!plain.isWorkingDay(Self.day("2026-10-10")))
        #expect(CivilDay("2026-02-30") == nil && CivilDay("2026-13-01") == nil && CivilDay("26-01-01") == nil)
    }
}
