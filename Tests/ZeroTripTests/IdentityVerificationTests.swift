import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport

@Suite("Identity: SMS codes, lockout and back-off, clerk paths")
struct IdentityVerificationTests {
    static func district() async throws -> TestDistrict {
        let district = try TestDistrict(fileDatabase: true)
        try await IdentityFixtures.importDemoRegistry(district.services)
        return district
    }

    static func auditCount(_ district: TestDistrict, action: String) async throws -> Int {
        try await district.services.database.read { db in
            try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM audit_events WHERE action = ?", arguments: [action]) ?? 0
        }
    }

    @Test("ID number + name + the SMS code open a tier-1 session and record the assurance")
    func smsPath() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let start = try await identity.start(method: .sms, idNumber: IdentityFixtures.zhang.id, name: IdentityFixtures.zhang.name, client: "1.2.3.4")
        let message = try await #require(try identity.outbox().last)
        #expect(message.phoneMasked == "139****0001")
        let code = try await IdentityFixtures.lastCode(district.services)
        #expect(code.count == 6)
        let issued = try await identity.submitCode(verificationId: start.verificationId, secret: start.secret, code: code, client: "1.2.3.4")
        #expect(issued.session.tier == 1 && issued.session.method == "sms")
        let records = try await identity.assuranceRecords(subject: issued.session.subject)
        #expect(records.count == 1 && records[0].tier == 1 && records[0].method == .sms && records[0].agent == "self")
        #expect(records[0].evidence["sms_to"] == "139****0001")
        // Single use: the same code again fails.
        await expectError(.verificationFailed) {
            try await identity.submitCode(verificationId: start.verificationId, secret: start.secret, code: code, client: "x")
        }
        // The code never reaches the audit log.
        let events = try await AuditLog.events(in: district.services.database, limit: 100)
        #expect(!events.contains { $0.details.contains(code) || $0.target.contains(code) })
    }

    @Test("Unknown ID and wrong name get the same answer as a real person, and no SMS")
    func noEnumeration() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let unknown = try await identity.start(method: .sms, idNumber: "11010519491231002X", name: "张三丰", client: "c")
        let wrongName = try await identity.start(method: .sms, idNumber: IdentityFixtures.li.id, name: "李小梅", client: "c")
        await #expect(try identity.outbox().isEmpty)
        #expect(unknown.secret.count == wrongName.secret.count && unknown.verificationId.count == wrongName.verificationId.count)
        var messages: [String] = []
        for start in [unknown, wrongName] {
            let error = await #expect(throws: ZeroTripError.self) {
                try await identity.submitCode(verificationId: start.verificationId, secret: start.secret, code: "123456", client: "c")
            }
            #expect(error?.code == .verificationFailed)
            messages.append(error?.message ?? "")
        }
        #expect(messages[0] == messages[1])
    }

    @Test("50 concurrent wrong codes: exactly the allowed number are evaluated, the rest refused as locked")
    func concurrentBurst() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let start = try await identity.start(method: .sms, idNumber: IdentityFixtures.zhang.id, name: IdentityFixtures.zhang.name, client: "c")
        let right = try await IdentityFixtures.lastCode(district.services)
        let wrong = right == "000000" ? "000001" : "000000"
        let codes = await withTaskGroup(of: ZeroTripError.Code?.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    do {
                        _ = try await identity.submitCode(verificationId: start.verificationId, secret: start.secret, code: wrong, client: "c")
                        return nil
                    } catch let error as ZeroTripError {
                        return error.code
                    } catch {
                        return ZeroTripError.Code("other", kind: .fault)
                    }
                }
            }
            return await group.reduce(into: [ZeroTripError.Code?]()) { $0.append($1) }
        }
        let policy = identity.policy
        await #expect(try Self.auditCount(district, action: "identity.code.failed") == policy.maximumFailures)
        #expect(codes.filter { $0 == .verificationFailed }.count == policy.maximumFailures - 1)
        #expect(codes.filter { $0 == .locked }.count == 50 - policy.maximumFailures + 1, "the attempt that reaches the limit answers locked too")
        #expect(!codes.contains { $0 == nil })
        // Locked: even the right code is refused, without being evaluated.
        let error = await #expect(throws: ZeroTripError.self) {
            try await identity.submitCode(verificationId: start.verificationId, secret: start.secret, code: right, client: "c")
        }
        #expect(error?.code == .locked)
        await #expect(try Self.auditCount(district, action: "identity.code.failed") == policy.maximumFailures)
    }

    @Test("A new code does not reset the counter; the lockout ends after its back-off, which doubles next time")
    func counterAndBackOff() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let person = IdentityFixtures.wang
        func attempt(_ start: VerificationStart, _ code: String) async -> ZeroTripError.Code? {
            await failureCode { try await identity.submitCode(verificationId: start.verificationId, secret: start.secret, code: code, client: "c") }
        }
        let first = try await identity.start(method: .sms, idNumber: person.id, name: person.name, client: "c")
        let firstCode = try await IdentityFixtures.lastCode(district.services)
        for _ in 0..<3 { await #expect(attempt(first, firstCode == "999999" ? "999998" : "999999") == .verificationFailed) }
        district.clock.advance(by: 61)
        let second = try await identity.start(method: .sms, idNumber: person.id, name: person.name, client: "c")
        let secondCode = try await IdentityFixtures.lastCode(district.services)
        await #expect(try identity.failureState(idNumber: person.id, method: .sms).failures == 3, "a new code keeps the count")
        await #expect(attempt(second, secondCode == "999999" ? "999998" : "999999") == .verificationFailed)
        await #expect(attempt(second, secondCode == "999999" ? "999998" : "999999") == .locked)
        await #expect(attempt(second, secondCode) == .locked, "the right code is refused while locked")
        district.clock.advance(by: 14 * 60)
        await #expect(attempt(second, secondCode) == .locked, "still within 15 minutes")
        district.clock.advance(by: 2 * 60)
        // Back-off over: a fresh code works (the old one expired after 10 minutes).
        await #expect(attempt(second, secondCode) == .verificationFailed, "expired")
        let third = try await identity.start(method: .sms, idNumber: person.id, name: person.name, client: "c")
        let thirdCode = try await IdentityFixtures.lastCode(district.services)
        for _ in 0..<4 { await #expect(attempt(third, thirdCode == "999999" ? "999998" : "999999") == .verificationFailed) }
        await #expect(attempt(third, thirdCode == "999999" ? "999998" : "999999") == .locked)
        let until = try await #require(try identity.failureState(idNumber: person.id, method: .sms).lockedUntil)
        #expect(abs(until.timeIntervalSince(district.clock.now) - 30 * 60) < 1, "the second lockout lasts twice as long")
        // An admin can lift it (audited).
        try await identity.unlock(idNumber: person.id, method: .sms, actor: "cli")
        await #expect(attempt(third, thirdCode) == nil)
    }

    @Test("Codes expire after 10 minutes; at most five codes per hour per person")
    func expiryAndSendLimit() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let start = try await identity.start(method: .sms, idNumber: IdentityFixtures.li.id, name: IdentityFixtures.li.name, client: "c")
        let code = try await IdentityFixtures.lastCode(district.services)
        district.clock.advance(by: 601)
        await expectError(.verificationFailed) {
            try await identity.submitCode(verificationId: start.verificationId, secret: start.secret, code: code, client: "c")
        }
        for _ in 0..<4 {
            district.clock.advance(by: 61)
            _ = try await identity.start(method: .sms, idNumber: IdentityFixtures.li.id, name: IdentityFixtures.li.name, client: "c")
        }
        district.clock.advance(by: 61)
        let error = await #expect(throws: ZeroTripError.self) {
            try await identity.start(method: .sms, idNumber: IdentityFixtures.li.id, name: IdentityFixtures.li.name, client: "c")
        }
        #expect(error?.code == .rateLimited)
        await #expect(try identity.outbox().count == 5)
    }

    @Test("A wrong flow secret is refused and counts nothing against the person")
    func wrongSecret() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let start = try await identity.start(method: .sms, idNumber: IdentityFixtures.li.id, name: IdentityFixtures.li.name, client: "c")
        let code = try await IdentityFixtures.lastCode(district.services)
        await expectError(.verificationFailed) {
            try await identity.submitCode(verificationId: start.verificationId, secret: "AAAA", code: code, client: "c")
        }
        await #expect(try identity.failureState(idNumber: IdentityFixtures.li.id, method: .sms).failures == 0)
        await #expect(try identity.submitCode(verificationId: start.verificationId, secret: start.secret, code: code, client: "c").session.tier == 1)
    }

    @Test("Clerk video check: tier 2 with the clerk recorded; a pending check claims nothing; no-match counts a failure")
    func videoPath() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let start = try await identity.start(method: .video, idNumber: IdentityFixtures.li.id, name: IdentityFixtures.li.name, client: "c")
        await #expect(try identity.claimSession(verificationId: start.verificationId, secret: start.secret, client: "c") == nil)
        let pending = try await identity.pending(verificationId: start.verificationId)
        #expect(pending.registryMatch && pending.name == "李晓梅" && pending.idNumberMasked == "4406**********0023")
        let record = try await identity.attestVideo(
            verificationId: start.verificationId, matched: true, clerk: IdentityFixtures.clerk, reference: "call-7", actor: "credential:abc")
        #expect(record.tier == 2 && record.agent == "credential:abc/clerk:GA-0042")
        let session = try await #require(try identity.claimSession(verificationId: start.verificationId, secret: start.secret, client: "c"))
        #expect(session.session.tier == 2)
        await expectError(.verificationFailed) {
            try await identity.claimSession(verificationId: start.verificationId, secret: start.secret, client: "c")
        }

        let other = try await identity.start(method: .video, idNumber: IdentityFixtures.wang.id, name: IdentityFixtures.wang.name, client: "c")
        await expectError(.identityNotConfirmed) {
            try await identity.attestVideo(
                verificationId: other.verificationId, matched: false, clerk: IdentityFixtures.clerk, reference: "", actor: "c")
        }
        await #expect(try identity.failureState(idNumber: IdentityFixtures.wang.id, method: .video).failures == 1)
        let unknown = try await identity.start(method: .video, idNumber: "11010519491231002X", name: "某某", client: "c")
        let error = await #expect(throws: ZeroTripError.self) {
            try await identity.attestVideo(
                verificationId: unknown.verificationId, matched: true, clerk: IdentityFixtures.clerk, reference: "", actor: "c")
        }
        #expect(error?.code == .unknownPerson)
        await expectError(.invalidInput) {
            try await identity.attestVideo(
                verificationId: start.verificationId, matched: true, clerk: ClerkIdentity(id: "bad id!", name: "赵"), reference: "", actor: "c")
        }
    }

    @Test("Window check: tier 3 from the card chip and face check; expired cards, name mismatches and failed face checks are refused")
    func windowPath() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        let card = CardRead(idNumber: IdentityFixtures.wang.id, name: IdentityFixtures.wang.name, validFrom: "2018-03-15", validUntil: "2038-03-15")
        let result = try await identity.windowCheck(
            card: card, faceMatched: true, clerk: IdentityFixtures.clerk, station: "w3", actor: "credential:x")
        #expect(result.assurance.tier == 3 && result.assurance.method == .windowCard)
        let session = try await #require(
            try identity.claimSession(verificationId: result.handoff.verificationId, secret: result.handoff.secret, client: "c"))
        #expect(session.session.tier == 3)
        var expired = card
        expired.validUntil = "2020-01-01"
        expired.validFrom = "2010-01-01"
        await expectError(.invalidInput) {
            try await identity.windowCheck(card: expired, faceMatched: true, clerk: IdentityFixtures.clerk, station: "w3", actor: "x")
        }
        var renamed = card
        renamed.name = "王志刚"
        await expectError(.identityNotConfirmed) {
            try await identity.windowCheck(card: renamed, faceMatched: true, clerk: IdentityFixtures.clerk, station: "w3", actor: "x")
        }
        let before = try await identity.assuranceRecords(subject: session.session.subject).count
        await expectError(.identityNotConfirmed) {
            try await identity.windowCheck(card: card, faceMatched: false, clerk: IdentityFixtures.clerk, station: "w3", actor: "x")
        }
        await #expect(try identity.assuranceRecords(subject: session.session.subject).count == before)
        await #expect(try Self.auditCount(district, action: "identity.window.failed") == 3)
    }

    @Test("Departments learn only whether a tier is met, and each question is audited")
    func tierCheck() async throws {
        let district = try await Self.district()
        let identity = district.services.identity
        await #expect(try identity.check(idNumber: IdentityFixtures.li.id, minimumTier: 1, maxAge: 86400, actor: "d").meets == false)
        _ = try await IdentityFixtures.smsSession(district.services, person: IdentityFixtures.li)
        await #expect(try identity.check(idNumber: IdentityFixtures.li.id, minimumTier: 1, maxAge: 86400, actor: "d").meets)
        await #expect(try identity.check(idNumber: IdentityFixtures.li.id, minimumTier: 2, maxAge: 86400, actor: "d").meets == false)
        district.clock.advance(by: 2 * 86400)
        await #expect(try identity.check(idNumber: IdentityFixtures.li.id, minimumTier: 1, maxAge: 86400, actor: "d").meets == false, "too old")
        await #expect(try identity.check(idNumber: "11010519491231002X", minimumTier: 1, maxAge: 86400, actor: "d").meets == false)
        await expectError(.invalidInput) { try await identity.check(idNumber: IdentityFixtures.li.id, minimumTier: 4, maxAge: 86400, actor: "d") }
        await #expect(try Self.auditCount(district, action: "identity.checked") == 5)
    }
}

/// The code `body` fails with, nil on success.
fileprivate func failureCode(_ body: () async throws -> IssuedSession) async -> ZeroTripError.Code? {
    do {
        _ = try await body()
        return nil
    } catch {
        return (error as? ZeroTripError)?.code
    }
}
