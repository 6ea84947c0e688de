import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport

/// The transaction handle every store works in, on the engine under test (SQLite, or PostgreSQL when
/// `ZEROTRIP_TEST_DATABASE_URL` is set): statements sent without waiting still fail their transaction.
@Suite("SQLTransaction: unanswered statements keep all-or-nothing")
struct SQLTransactionTests {
    static let insertNode = "INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)"

    static func nodes(_ database: AppDatabase) async throws -> Int64 {
        try await database.read { db in try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM log_nodes WHERE level = 40") }
    }

    @Test("A refused unanswered insert fails its transaction with its own kind, whether a later statement or the commit reports it; nothing is stored",
          arguments: [true, false])
    func refusedInsertRollsBack(laterStatement: Bool) async throws {
        let database = try TestDatabase.make()
        let failure = await #expect(throws: SQLFailure.self) {
            try await database.write { db in
                try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 1, Data([1])])
                try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 2, Data([2])])
                try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 1, Data([3])])
                if laterStatement { _ = try db.fetchOne(sql: "SELECT COUNT(*) AS n FROM log_nodes") }
            }
        }
        #expect(failure?.kind == .uniqueViolation)
        #expect(try await Self.nodes(database) == 0)
    }

    @Test("Inside a savepoint a refused unanswered insert undoes the savepoint only; the transaction goes on and commits")
    func savepointContainsTheFailure() async throws {
        let database = try TestDatabase.make()
        let caught = try await database.write { db -> SQLFailure.Kind? in
            try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 1, Data([1])])
            var caught: SQLFailure.Kind?
            do {
                try db.inSavepoint {
                    try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 2, Data([2])])
                    try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 1, Data([3])])
                }
            } catch let error as SQLFailure {
                caught = error.kind
            }
            try db.executeUnanswered(sql: Self.insertNode, arguments: [40, 3, Data([4])])
            return caught
        }
        #expect(caught == .uniqueViolation)
        let stored = try await database.read { db in
            try db.fetchAll(sql: "SELECT idx FROM log_nodes WHERE level = 40 ORDER BY idx").map { $0["idx"] as Int64 }
        }
        #expect(stored == [1, 3])
    }

    @Test("Answers after unanswered inserts see them, in order")
    func laterStatementsSeeEarlierOnes() async throws {
        let database = try TestDatabase.make()
        let seen = try await database.write { db in
            for index in 0..<5 { try db.executeUnanswered(sql: Self.insertNode, arguments: [40, Int64(index), Data([UInt8(index)])]) }
            return try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM log_nodes WHERE level = 40")
        }
        #expect(seen == 5)
        #expect(try await Self.nodes(database) == 5)
    }
}
