public import Foundation

/// A civil date in China Standard Time (UTC+8), counted in days since 1970-01-01.
public struct CivilDay: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01 (China time).
    public let number: Int

    /// The day with `number`.
    public init(number: Int) { self.number = number }

    /// The China-time day that contains `date`.
    public init(_ date: Date) {
        number = Int(((date.timeIntervalSince1970 + 8 * 3600) / 86_400).rounded(.down))
    }

    /// Parses `YYYY-MM-DD`; nil for anything else or an impossible date.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1900...2200).contains(y), (1...12).contains(m),
            (1...Self.daysInMonth(y, m)).contains(d)
        else { return nil }
        number = Self.daysFromCivil(y, m, d)
    }

    /// The first instant of the day (00:00 China time).
    public var start: Date { Date(timeIntervalSince1970: TimeInterval(number) * 86_400 - 8 * 3600) }
    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int { ((number % 7) + 7 + 4) % 7 }
    /// `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = Self.civil(from: number)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }
    /// `2026年12月16日`.
    public var chinese: String {
        let (y, m, d) = Self.civil(from: number)
        return "\(y)年\(m)月\(d)日"
    }
    /// The year.
    public var year: Int { Self.civil(from: number).0 }
    /// The day `count` days later.
    public func adding(days count: Int) -> CivilDay { CivilDay(number: number + count) }
    /// Orders by date.
    public static func < (lhs: CivilDay, rhs: CivilDay) -> Bool { lhs.number < rhs.number }

    /// Encodes as `YYYY-MM-DD`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decodes `YYYY-MM-DD`.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let day = CivilDay(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date"))
        }
        self = day
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's civil-date algorithms (proleptic Gregorian).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(from days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// Working days in China: Monday to Friday, minus public holidays, plus the adjusted working weekends
/// (调休) the State Council publishes each year.
///
/// Time limits count from the day after the start (期限从次日起算) and end when their last working day ends.
public struct WorkCalendar: Sendable, Hashable, Codable {
    /// Public holidays that fall on what would be working days (and any other days off).
    public var holidays: Set<CivilDay>
    /// Saturdays and Sundays that are working days (调休).
    public var workingWeekends: Set<CivilDay>
    /// The last year the published schedule covers; beyond it only weekends are known.
    public var coveredThroughYear: Int

    /// A calendar.
    public init(holidays: Set<CivilDay>, workingWeekends: Set<CivilDay>, coveredThroughYear: Int) {
        self.holidays = holidays
        self.workingWeekends = workingWeekends
        self.coveredThroughYear = coveredThroughYear
    }

    /// Whether `day` is a working day.
    public func isWorkingDay(_ day: CivilDay) -> Bool {
        if workingWeekends.contains(day) { return true }
        if holidays.contains(day) { return false }
        return day.weekday != 0 && day.weekday != 6
    }

    /// The `count`-th working day after the day containing `date` (count ≥ 1).
    public func workingDay(_ count: Int, after date: Date) -> CivilDay {
        var day = CivilDay(date)
        var remaining = max(1, count)
        while remaining > 0 {
            day = day.adding(days: 1)
            if isWorkingDay(day) { remaining -= 1 }
        }
        return day
    }

    /// The instant a limit of `count` working days starting at `date` runs out: the end of its last working day.
    public func deadline(workingDays count: Int, from date: Date) -> Date {
        workingDay(count, after: date).adding(days: 1).start
    }

    /// Working days after the day of `start` up to and including the day of `end` (0 when `end` is not later).
    public func workingDays(from start: Date, to end: Date) -> Int {
        var day = CivilDay(start)
        let last = CivilDay(end)
        var count = 0
        while day < last {
            day = day.adding(days: 1)
            if isWorkingDay(day) { count += 1 }
        }
        return count
    }

    /// The 2026 schedule (国务院办公厅关于2026年部分节假日安排的通知).
    public static let china2026 = WorkCalendar(
        holidays: Set(
            [
                "2026-01-01", "2026-01-02",
                "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23",
                "2026-04-06",
                "2026-05-01", "2026-05-04", "2026-05-05",
                "2026-06-19",
                "2026-09-25",
                "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07",
            ].compactMap(CivilDay.init)),
        workingWeekends: Set(["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"].compactMap(CivilDay.init)),
        coveredThroughYear: 2026)
}
