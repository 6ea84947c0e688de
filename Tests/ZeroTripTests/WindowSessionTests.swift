import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport

@Suite("Window-station sessions")
struct WindowSessionTests {
    static let clerk = ClerkIdentity(id: "GA-0042", name: "赵文静")

    @Test(
        "A session ends after 30 idle minutes, after a working day of activity, at sign-out and when its credential is revoked; a forged or tampered token is refused"
    )
    func lifetimes() async throws {
        let district = try await TestDistrict().setUp(departments: [("GAJ", "禅城区公安分局")])
        let windows = district.services.windows
        let credential = try await district.services.credentials.create(
            department: "GAJ", scopes: [.creditRead, .applicationsProcess], label: "w", actor: "test")
        @Sendable func isInvalid(_ token: String) async -> Bool {
            do { _ = try await windows.authenticate(token: token); return false } catch let error as ZeroTripError {
                return error.code == .sessionInvalid
            } catch { return false }
        }

        let (idle, session) = try await windows.signIn(credentialToken: credential.token, clerk: Self.clerk, station: "3号窗口")
        #expect(session.actor == "credential:\(credential.info.id)/clerk:GA-0042")
        #expect(try await windows.authenticate(token: idle).clerk == Self.clerk)
        district.clock.advance(by: WindowSessions.idleLifetime + 1)
        #expect(await isInvalid(idle), "30 idle minutes end it")

        let (busy, _) = try await windows.signIn(credentialToken: credential.token, clerk: Self.clerk, station: "3号窗口")
        for _ in 0..<Int(WindowSessions.absoluteLifetime / 1200) - 1 {
            district.clock.advance(by: 1200)
            #expect(try await windows.authenticate(token: busy).station == "3号窗口")
        }
        district.clock.advance(by: 1201)
        #expect(await isInvalid(busy), "a working day of activity ends it")

        let (ended, endedSession) = try await windows.signIn(credentialToken: credential.token, clerk: Self.clerk, station: "3号窗口")
        try await windows.end(id: endedSession.id)
        #expect(await isInvalid(ended))
        var tampered = Array(ended.utf8)
        tampered[tampered.count - 2] = tampered[tampered.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(await isInvalid(String(decoding: tampered, as: UTF8.self)))
        #expect(await isInvalid("ztw1.nothex.x"))
        #expect(await isInvalid(String(repeating: "a", count: 300)))

        let (revoked, _) = try await windows.signIn(credentialToken: credential.token, clerk: Self.clerk, station: "3号窗口")
        _ = try await district.services.credentials.revoke(id: credential.info.id, actor: "test")
        #expect(await isInvalid(revoked), "revoking the credential ends its stations' sessions")
        await expectError(.unauthenticated) {
            _ = try await windows.signIn(credentialToken: credential.token, clerk: Self.clerk, station: "3号窗口")
        }
        let events = try await AuditLog.events(in: district.services.database, limit: 50)
        #expect(events.filter { $0.action == "window.signed_in" }.count == 4)
        #expect(events.contains { $0.action == "window.signed_out" && $0.details.contains("idle") })
    }

    @Test("Clerk numbers and counters are validated; a blank counter is refused")
    func validation() async throws {
        let district = try await TestDistrict().setUp(departments: [("GAJ", "禅城区公安分局")])
        let credential = try await district.services.credentials.create(department: "GAJ", scopes: [.creditRead], label: "w", actor: "test")
        for (clerk, station) in [
            (ClerkIdentity(id: "GA 42", name: "赵文静"), "1"), (ClerkIdentity(id: "GA-42", name: ""), "1"),
            (ClerkIdentity(id: "GA-42", name: "赵文静"), ""),
        ] {
            do {
                _ = try await district.services.windows.signIn(credentialToken: credential.token, clerk: clerk, station: station)
                Issue.record("\(clerk) at \(station) was accepted")
            } catch let error as ZeroTripError {
                #expect(error.code == .invalidInput || error.code == .invalidIDNumber, "\(error)")
            }
        }
    }
}
