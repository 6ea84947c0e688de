import ArgumentParser
import Foundation
import ZeroTrip

extension BenchCommand {
    struct Statistics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Latency of the statistics over a year of a city's applications, ratings and audit events.",
            discussion: """
                In a fresh temporary district of ten departments: writes --applications applications spread over the \
                last 365 days through the stores the service writes with (submitted, accepted, reviewed, then closed, \
                rejected, terminated or still under review; some past their time limit; a third of the closed ones \
                rated, the poor ratings opening complaints), and audit events until the log holds --audit-events. Then \
                times the statistics the API serves (GET /v1/statistics/volumes, /v1/statistics/reviews, \
                /v1/ratings/figures, /v1/statistics/complaints) over the whole year and over \
                the last 30 days, --calls times each, and checks them against the counts written. Target on 2 cores: \
                p99 < 50 ms with 1,000,000 applications and 10,000,000 audit events. --check exits 1 when missed.
                Example: zerotrip bench statistics --applications 100000 --audit-events 1000000
                """)

        @Option(name: .long, help: "Applications over the last 365 days.") var applications: Int = 1_000_000
        @Option(name: .long, help: "Audit events in the log at the end of the filling.") var auditEvents: Int = 10_000_000
        @Option(name: .long, help: "Calls of each statistic.") var calls: Int = 200
        @Flag(name: .long, help: "Exit 1 if the target is missed.") var check = false

        static let departments = ["GAJ", "RSJ", "MZJ", "ZJJ", "SWJ", "WJJ", "JYJ", "JTJ", "SCJ", "ZRJ"]

        func run() async throws {
            guard applications >= 100, auditEvents >= 0, calls >= 10 else {
                throw ValidationError("applications ≥ 100, audit events ≥ 0, calls ≥ 10")
            }
            let (directory, _, services) = try await BenchCommand.temporaryDistrict(departments: Self.departments.map { ($0, "测试区\($0)") })
            defer { try? FileManager.default.removeItem(at: directory) }
            _ = try await services.credit.loadCatalogue(Array(Credit.catalogue.utf8), actor: "bench")
            let now = services.clock.now()
            let yearAgo = CivilDay(now).adding(days: -365).start

            // Applications, through ApplicationStore and RatingStore as the service writes them, 5,000 a transaction.
            let fillStart = ContinuousClock.now
            var generator = SplitMix(seed: 17)
            var written = (closed: 0, rejected: 0, terminated: 0, waiting: 0, rated: 0)
            var done = 0
            BenchCommand.phase("writing \(applications) applications with their ratings and audit events")
            let progress = ProgressLine()
            while done < applications {
                if done > 0 { progress.report("written \(done) of \(applications) applications…") }
                let batch = min(5000, applications - done)
                let plan = (0..<batch).map { _ in (id: String(format: "%016llx%016llx", generator.next(), generator.next()), draw: generator.next()) }
                let counts = try await services.database.write { db -> (Int, Int, Int, Int, Int) in
                    var counts = (0, 0, 0, 0, 0)
                    for (id, draw) in plan {
                        let department = Self.departments[Int(draw % 10)]
                        let submitted = yearAgo.addingTimeInterval(Double((draw >> 8) % (350 * 86_400)))  // every step done by 4 days ago
                        let reviewStart = submitted.addingTimeInterval(Double((draw >> 40) % 3 + 1) * 86_400)
                        let decided = reviewStart.addingTimeInterval(Double((draw >> 44) % 8 + 1) * 86_400)
                        let actor = "credential:bench/clerk:\(department)-\((draw >> 50) % 5)"
                        try ApplicationStore.insert(
                            .init(
                                id: id, matterCode: "BENCH", catalogueVersion: 1, department: department, subject: SubjectID.person("bench").rawValue,
                                applicantName: "测试", mode: draw % 7 == 0 ? .trust : .standard, state: .accepted,
                                submittedAt: submitted, acceptedAt: submitted, timeLimitDue: submitted.addingTimeInterval(20 * 86_400),
                                createdBy: actor), materials: [], in: db)
                        try ApplicationStore.transition(
                            id, from: [.accepted], to: .underReview, setting: .init(reviewStartedAt: reviewStart),
                            reason: "bench", actor: actor, at: reviewStart, in: db)
                        switch (draw >> 20) % 20 {
                        case 0:
                            counts.3 += 1  // still under review
                            continue
                        case 1, 2:
                            try ApplicationStore.transition(
                                id, from: [.underReview], to: .rejected, reason: "bench", actor: actor, at: decided, in: db)
                            counts.1 += 1
                        case 3:
                            try ApplicationStore.transition(
                                id, from: [.underReview], to: .terminated, reason: "bench", actor: actor, at: decided, in: db)
                            counts.2 += 1
                        default:
                            try ApplicationStore.transition(
                                id, from: [.underReview], to: .approved, reason: "bench", actor: actor, at: decided, in: db)
                            let closed = decided.addingTimeInterval(3600)
                            try ApplicationStore.transition(id, from: [.approved], to: .closed, reason: "bench", actor: actor, at: closed, in: db)
                            counts.0 += 1
                            if (draw >> 30) % 3 == 0 {
                                let ratingID = String(format: "%016llx%016llx", draw, ~draw)
                                let clerk = String(actor.dropFirst("credential:bench/clerk:".count))
                                _ = try RatingStore.invite(
                                    ServiceRating(
                                        id: ratingID, application: id, subject: SubjectID.person("bench"), department: department,
                                        matter: "BENCH", clerk: clerk, outcome: "closed", invitedAt: closed,
                                        closesAt: closed.addingTimeInterval(30 * 86_400)), in: db)
                                let score = Int((draw >> 34) % 5) + 1
                                let tags: [RatingTag] = score <= 2 ? [(draw >> 37) % 2 == 0 ? .longWait : .tooManyMaterials] : [.fast]
                                let rated = closed.addingTimeInterval(7200)
                                _ = try RatingStore.rate(id: ratingID, score: score, tags: tags, comment: nil, at: rated, in: db)
                                // As RatingService.rate does: a poor rating opens a complaint for the department.
                                try ComplaintService.openForPoorRating(
                                    ServiceRating(
                                        id: ratingID, application: id, subject: SubjectID.person("bench"), department: department,
                                        matter: "BENCH", clerk: clerk,
                                        outcome: "closed", invitedAt: closed, closesAt: closed.addingTimeInterval(30 * 86_400)),
                                    score: score, tags: tags, comment: nil, at: rated, in: db)
                                counts.4 += 1
                            }
                        }
                        if (draw >> 52) % 20 == 0 { try ApplicationStore.raise("time_limit_exceeded", on: id, at: decided, in: db) }
                    }
                    return counts
                }
                written = (
                    written.closed + counts.0, written.rejected + counts.1, written.terminated + counts.2, written.waiting + counts.3,
                    written.rated + counts.4
                )
                done += batch
            }
            let applicationsFilled = ContinuousClock.now - fillStart

            // The audit log up to --audit-events (the transitions above wrote one each).
            let auditStart = ContinuousClock.now
            var events = Int(try await services.database.read { db in try AuditLog.count(in: db) })
            while events < auditEvents {
                let batch = min(20_000, auditEvents - events)
                let first = events
                try await services.database.write { db in
                    _ = try AuditLog.append(
                        (0..<batch).map { offset in
                            (
                                entry: AuditEntry(
                                    actor: "credential:bench", action: .documentVerified, target: "document:\(first + offset)", details: [:]),
                                date: now
                            )
                        }, in: db)
                }
                events += batch
            }
            let auditFilled = ContinuousClock.now - auditStart
            try await services.database.checkpoint()
            print(
                String(
                    format:
                        "filled: %d applications in %.1f s (%d closed, %d rejected, %d terminated, %d under review, %d rated); %d audit events (%.1f s)",
                    applications, applicationsFilled.seconds, written.closed, written.rejected, written.terminated, written.waiting, written.rated,
                    events, auditFilled.seconds))

            // The statistics as the routes call them: the year, and the last 30 days.
            let to = CivilDay(now).adding(days: 1).start
            let periods = [("365 days", to.addingTimeInterval(-366 * 86_400)), ("30 days", to.addingTimeInterval(-30 * 86_400))]
            let volumes = try await services.supervision.volumes(from: periods[0].1, to: to)
            let reviews = try await services.supervision.reviewFigures(from: periods[0].1, to: to)
            let ratings = try await services.ratings.figures(from: periods[0].1, to: to)
            let complaints = try await services.complaints.figures(from: periods[0].1, to: to)
            let counted = (
                submitted: volumes.departments.reduce(0) { $0 + $1.submitted }, closed: volumes.departments.reduce(0) { $0 + $1.closed },
                rejected: volumes.departments.reduce(0) { $0 + $1.rejected }, reviewed: reviews.departments.reduce(0) { $0 + $1.reviewed },
                waiting: reviews.departments.reduce(0) { $0 + $1.waiting }
            )
            let agree =
                counted.submitted == applications && counted.closed == written.closed && counted.rejected == written.rejected
                && counted.reviewed == written.closed + written.rejected && counted.waiting == written.waiting && ratings.count == written.rated
                && complaints.departments.reduce(0, { $0 + $1.filed }) == ratings.departments.reduce(0, { $0 + $1.poor })
            print(
                "figures agree with what was written: \(agree ? "yes" : "NO") (submitted \(counted.submitted), closed \(counted.closed), "
                    + "rejected \(counted.rejected), reviewed \(counted.reviewed), under review \(counted.waiting), ratings \(ratings.count), "
                    + "complaints \(complaints.departments.reduce(0) { $0 + $1.filed }))")

            BenchCommand.phase("measuring each statistic over each period")
            print("statistic                              period       p50 ms   p99 ms    max ms")
            var worst = 0.0
            let supervision = services.supervision, ratingService = services.ratings, complaintService = services.complaints
            for (name, period) in periods {
                for (route, call) in [
                    ("GET /v1/statistics/volumes", { _ = try await supervision.volumes(from: period, to: to) }),
                    ("GET /v1/statistics/reviews", { _ = try await supervision.reviewFigures(from: period, to: to) }),
                    ("GET /v1/ratings/figures", { _ = try await ratingService.figures(from: period, to: to) }),
                    ("GET /v1/statistics/complaints", { _ = try await complaintService.figures(from: period, to: to) }),
                ]
                    as [(String, () async throws -> Void)]
                {
                    var times: [Double] = []
                    for _ in 0..<calls {
                        let start = ContinuousClock.now
                        try await call()
                        times.append((ContinuousClock.now - start).seconds * 1000)
                    }
                    times.sort()
                    let p99 = times[min(times.count - 1, Int(Double(times.count) * 0.99))]
                    worst = max(worst, p99)
                    print(
                        route.padding(toLength: 39, withPad: " ", startingAt: 0) + name.padding(toLength: 10, withPad: " ", startingAt: 0)
                            + String(format: "%8.2f %8.2f %9.2f", times[times.count / 2], p99, times.last ?? 0))
                }
            }
            let met = worst < 50 && agree
            print("RESULT: \(met ? "target met" : "below target"): statistics p99 \(String(format: "%.1f", worst)) ms (target < 50 ms)")
            if check && !met { throw ExitCode(1) }
        }
    }
}
