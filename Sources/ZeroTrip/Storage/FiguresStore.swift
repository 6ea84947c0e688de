import Foundation
import Synchronization

/// Owner of `daily_figures` and `figures_built`: the district's figures counted as they happen, one row per kind, China
/// day, department and label, so that the statistics of a year read a few thousand rows instead of every application
/// and rating of that year (the figures answer in milliseconds over millions of applications).
///
/// Written in the transaction of what they count: ``ApplicationStore`` (submissions, endings, review decisions,
/// time limits passed) and ``RatingStore`` (ratings). Durations are counted in working days of the calendar in force
/// when the item ended. A database whose applications predate this table is counted once, in one transaction, by
/// ``rebuildIfNeeded(at:in:)``.
enum FiguresStore {
    /// What a row counts.
    enum Kind: String, Sendable {
        /// Applications submitted; label: the mode (`normal`, `trust`, `deferral`).
        case submitted
        /// Applications ended; label: `closed`, `rejected` or `terminated`; total: working days from submission.
        case ended
        /// Reviews decided (approved or rejected); total: working days from the review's start.
        case reviewed
        /// Applications flagged past their time limit.
        case overdue
        /// Ratings given; label: the clerk (empty when none); total: the sum of scores; extra: ratings of 1–2.
        case rated
        /// Tags of ratings given (department empty); label: the tag; extra: on ratings of 1–2.
        case tagged
        /// Complaints filed (also those a poor rating opened); label: the cause as filed.
        case complained
        /// Complaints answered, on the day of the answer; label: the finding; total: answered by the deadline.
        case complaintAnswered = "complaint_answered"
    }

    /// One counted item: `total` adds up, `longest` keeps the largest, `extra` adds up.
    static func add(
        _ kind: Kind, at date: Date, department: String, label: String = "", total: Int = 0, extra: Int = 0,
        in db: SQLTransaction
    ) throws {
        try db.executeUnanswered(
            sql: """
                INSERT INTO daily_figures (kind, day, department, label, items, total, longest, extra) VALUES (?, ?, ?, ?, 1, ?, ?, ?)
                ON CONFLICT (kind, day, department, label) DO UPDATE SET items = daily_figures.items + 1,
                    total = daily_figures.total + excluded.total, extra = daily_figures.extra + excluded.extra,
                    longest = CASE WHEN excluded.longest > daily_figures.longest THEN excluded.longest ELSE daily_figures.longest END
                """, arguments: [kind.rawValue, CivilDay(date).description, department, label, total, total, extra])
    }

    /// An application ended (`closed`, `rejected`, `terminated`) at `date`: its handling time from submission.
    static func addEnding(department: String, state: String, submitted: Date, at date: Date, calendar: WorkCalendar, in db: SQLTransaction) throws {
        try add(.ended, at: date, department: department, label: state, total: calendar.workingDays(from: submitted, to: date), in: db)
    }

    /// A review decided (its application's first approval or rejection) at `date`: its time from the review's start.
    static func addReview(department: String, started: Date, at date: Date, calendar: WorkCalendar, in db: SQLTransaction) throws {
        try add(.reviewed, at: date, department: department, total: calendar.workingDays(from: started, to: date), in: db)
    }

    /// A complaint answered at `answered`, due by `due`.
    static func addAnswer(department: String, finding: String, answered: Date, due: Date, in db: SQLTransaction) throws {
        try add(.complaintAnswered, at: answered, department: department, label: finding, total: answered <= due ? 1 : 0, in: db)
    }

    /// The working-day calendar of the credit policy in force at `date`. Every ending and review decision asks for it
    /// in its transaction: the decoded calendar is kept per policy source (its SHA-256, the same file in any database),
    /// not decoded from the stored policy each time.
    static func calendar(at date: Date, in db: SQLTransaction) throws -> WorkCalendar {
        guard let (version, digest) = try ConfigurationStore.versionAndDigest(.creditPolicy, at: date, in: db) else {
            return CreditPolicy.builtIn.calendar
        }
        if let cached = decodedCalendars.withLock({ $0[digest] }) { return cached }
        guard let calendar = try ConfigurationStore.creditPolicy(version: version, in: db)?.calendar else { return CreditPolicy.builtIn.calendar }
        decodedCalendars.withLock { cache in
            if cache.count >= 64 { cache.removeAll() }
            cache[digest] = calendar
        }
        return calendar
    }

    private static let decodedCalendars = Mutex<[String: WorkCalendar]>([:])

    /// The calendars of every credit policy version, for counting past items each with the calendar in force when it
    /// ended (what ``calendar(at:in:)`` gave at the time), decoded once per version.
    struct CalendarsInForce {
        private let versions: [(createdAt: Date, version: Int)]
        private var decoded: [Int: WorkCalendar] = [:]

        init(in db: SQLTransaction) throws {
            versions = try ConfigurationStore.versions(.creditPolicy, in: db).map { ($0.createdAt, $0.version) }
        }

        /// The calendar in force at `date`.
        mutating func calendar(at date: Date, in db: SQLTransaction) throws -> WorkCalendar {
            let version = versions.last { $0.createdAt <= date }?.version ?? 0
            if let calendar = decoded[version] { return calendar }
            let calendar = try ConfigurationStore.creditPolicy(version: version, in: db)?.calendar ?? CreditPolicy.builtIn.calendar
            decoded[version] = calendar
            return calendar
        }
    }

    /// Whether everything stored before the figures were kept has been counted.
    static func isBuilt(in db: SQLTransaction) throws -> Bool {
        try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM figures_built WHERE name = 'daily_figures'") == 1
    }

    /// Sums of one kind over the China days [`from`, `to`).
    struct Sum: Sendable {
        var department: String
        var label: String
        var items: Int
        var total: Int
        var longest: Int
        var extra: Int
    }

    /// The China days of [`from`, `to`) as `[first, after last)`: a day counts when any of its instants is in the range.
    private static func days(from: Date, to: Date) -> (String, String) {
        (CivilDay(from).description, CivilDay(to.addingTimeInterval(-0.001)).adding(days: 1).description)
    }

    /// `kind`'s sums per department and label over the China days of [`from`, `to`).
    static func sums(_ kind: Kind, from: Date, to: Date, in db: SQLTransaction) throws -> [Sum] {
        let (first, after) = days(from: from, to: to)
        return try db.fetchAll(
            sql: """
                SELECT department, label, CAST(SUM(items) AS BIGINT), CAST(SUM(total) AS BIGINT), MAX(longest), CAST(SUM(extra) AS BIGINT) FROM daily_figures
                WHERE kind = ? AND day >= ? AND day < ? GROUP BY department, label
                """, arguments: [kind.rawValue, first, after]
        ).map {
            Sum(department: $0[0], label: $0[1], items: $0[2], total: $0[3], longest: $0[4], extra: $0[5])
        }
    }

    /// `kind`'s items per month (`YYYY-MM`) over the days of [`from`, `to`).
    static func months(_ kind: Kind, from: Date, to: Date, in db: SQLTransaction) throws -> [String: Int] {
        let (first, after) = days(from: from, to: to)
        return Dictionary(
            try db.fetchAll(
                sql: """
                    SELECT substr(day, 1, 7), CAST(SUM(items) AS BIGINT) FROM daily_figures WHERE kind = ? AND day >= ? AND day < ? GROUP BY substr(day, 1, 7)
                    """, arguments: [kind.rawValue, first, after]
            ).map { ($0[0] as String, $0[1] as Int) },
            uniquingKeysWith: +)
    }

    /// Counts everything stored before the figures were kept (once per database; a new database is marked counted
    /// by its migration). Another daemon doing the same at the same moment waits for this one and then finds it done.
    static func rebuildIfNeeded(at now: Date, in db: SQLTransaction) throws {
        guard
            try db.execute(
                sql: "INSERT INTO figures_built (name, built_at) VALUES ('daily_figures', ?) ON CONFLICT (name) DO NOTHING",
                arguments: [now]) == 1
        else { return }
        // What was counted since the upgrade is counted again below with everything before it.
        try db.execute(sql: "DELETE FROM daily_figures")
        var calendars = try CalendarsInForce(in: db)
        for row in try db.fetchAll(sql: "SELECT department_code, mode, submitted_at FROM applications") {
            try add(.submitted, at: row[2], department: row[0], label: row[1], in: db)
        }
        for row in try db.fetchAll(
            sql: """
                SELECT a.department_code, h.state, a.submitted_at, h.changed_at FROM application_history h JOIN applications a ON a.id = h.application_id
                WHERE h.state IN ('closed', 'rejected', 'terminated')
                """)
        {
            try addEnding(
                department: row[0], state: row[1], submitted: row[2], at: row[3], calendar: try calendars.calendar(at: row[3], in: db), in: db)
        }
        for row in try db.fetchAll(
            sql: """
                SELECT a.department_code, a.review_started_at, MIN(h.changed_at) FROM application_history h JOIN applications a ON a.id = h.application_id
                WHERE h.state IN ('approved', 'rejected') AND a.review_started_at IS NOT NULL AND h.changed_at >= a.review_started_at
                GROUP BY a.id, a.department_code, a.review_started_at
                """)
        {
            try addReview(department: row[0], started: row[1], at: row[2], calendar: try calendars.calendar(at: row[2], in: db), in: db)
        }
        for row in try db.fetchAll(
            sql: """
                SELECT a.department_code, f.raised_at FROM application_flags f JOIN applications a ON a.id = f.application_id WHERE f.flag = 'time_limit_exceeded'
                """)
        {
            try add(.overdue, at: row[1], department: row[0], in: db)
        }
        for row in try db.fetchAll(sql: "SELECT department, cause, filed_at FROM complaints") {
            try add(.complained, at: row[2], department: row[0], label: row[1], in: db)
        }
        for row in try db.fetchAll(sql: "SELECT department, finding, answered_at, due_at FROM complaints WHERE answered_at IS NOT NULL") {
            try addAnswer(department: row[0], finding: row[1], answered: row[2], due: row[3], in: db)
        }
        for row in try db.fetchAll(sql: "SELECT department, clerk, score, tags, rated_at FROM service_ratings WHERE rated_at IS NOT NULL") {
            let tags = (try? JSONDecoder().decode([String].self, from: Data((row[3] as String).utf8))) ?? []
            try RatingStore.count(department: row[0], clerk: row[1], score: row[2], tags: tags, at: row[4], in: db)
        }
    }
}
