import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport

@Suite("Database waits: each read and write records once how long it waited to begin")
struct DatabaseWaitsTests {
    @Test("One read of several statements (run twice on PostgreSQL: a lone statement, then a snapshot) and one write count once each")
    func countedOnce() async throws {
        let database = try TestDatabase.make()
        let before = database.waits.snapshot
        let counts = try await database.read { db in
            (try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM departments") ?? -1, try db.fetchOne(Int.self, sql: "SELECT 1") ?? -1)
        }
        #expect(counts == (0, 1))
        try await database.write { db in try db.execute(sql: "SELECT 1") }
        let after = database.waits.snapshot
        #expect((after[.read]?.count ?? 0) - (before[.read]?.count ?? 0) == 1, "\(after)")
        #expect((after[.write]?.count ?? 0) - (before[.write]?.count ?? 0) == 1)
        #expect((after[.read]?.sum ?? -1) >= (before[.read]?.sum ?? 0))
    }
}
