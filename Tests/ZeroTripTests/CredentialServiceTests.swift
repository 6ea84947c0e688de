import Foundation
import Testing
@testable import ZeroTrip

@Suite("Department credentials")
struct CredentialServiceTests {
    @Test("A created token authenticates with its scopes; only a hash is stored; revoked tokens stop working")
    func lifecycle() async throws {
        let district = try await TestDistrict().setUp()
        let credentials = district.services.credentials
        let issued = try await credentials.create(department: "RSJ", scopes: [.documentsIssue, .creditRead], label: "window 3", actor: "test")
        let principal = try await #require(try credentials.authenticate(token: issued.token))
        #expect(principal.departmentCode == "RSJ")
        #expect(principal.scopes == [.documentsIssue, .creditRead])

        let secret = String(issued.token.split(separator: "_", maxSplits: 2)[2])  // the secret may itself hold "_" (base64url)
        let stored: [Data] = try await district.services.database.read { db in try db.fetchAll(Data.self, sql: "SELECT secret_hash FROM credentials")
        }
        #expect(stored.count == 1)
        #expect(!stored[0].elementsEqual(Data(secret.utf8)))
        let dump = try await String(decoding: JSONEncoder().encode(credentials.list()), as: UTF8.self)
        #expect(!dump.contains(secret))

        var tampered = Array(issued.token)
        tampered[tampered.count - 2] = tampered[tampered.count - 2] == "A" ? "B" : "A"
        await #expect(try credentials.authenticate(token: String(tampered)) == nil)
        await #expect(try credentials.authenticate(token: "zt_0000000000000000_" + secret) == nil)
        await #expect(try credentials.authenticate(token: "garbage") == nil)
        await #expect(try credentials.authenticate(token: String(repeating: "z", count: 10_000)) == nil)

        _ = try await credentials.revoke(id: issued.info.id, actor: "test")
        await #expect(try credentials.authenticate(token: issued.token) == nil)
        await #expect(try credentials.list().first?.revokedAt != nil)
    }

    @Test("Unknown department and unknown scope are refused and nothing is stored")
    func badInput() async throws {
        let district = try await TestDistrict().setUp()
        let counts = try await district.tableCounts()
        let unknown = await #expect(throws: ZeroTripError.self) {
            try await district.services.credentials.create(department: "XXX", scopes: [.admin], actor: "test")
        }
        #expect(unknown?.code == .unknownDepartment)
        let scope = #expect(throws: ZeroTripError.self) { try Scope.parse("documents:issue,root:everything") }
        #expect(scope?.code == .invalidInput)
        let revoke = await #expect(throws: ZeroTripError.self) { try await district.services.credentials.revoke(id: "nope", actor: "test") }
        #expect(revoke?.code == .unknownCredential)
        await #expect(try district.tableCounts() == counts)
    }
}
