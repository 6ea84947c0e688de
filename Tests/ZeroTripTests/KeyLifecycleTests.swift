import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripTestSupport

@Suite("Trust infrastructure: rotation, revocation not-after T, trust list, CRL")
struct KeyLifecycleTests {
    static func district() async throws -> TestDistrict {
        try await TestDistrict(fileDatabase: true).setUp()
    }

    static func activeKid(_ district: TestDistrict) async throws -> String {
        try #require(try await district.services.administration.department(code: "RSJ")?.activeKid)
    }

    @Test("Rotating while documents are issued: none fails, both keys verify, the trust list has both, the old key never signs after the switch")
    func rotateUnderLoad() async throws {
        let district = try await Self.district()
        let services = district.services
        let oldKid = try await Self.activeKid(district)
        let issued = try await withThrowingTaskGroup(of: IssuedDocument.self) { group in
            for index in 0..<24 {
                group.addTask {
                    if index == 8 { _ = try await services.administration.rotate(department: "RSJ", overlap: 0, actor: "test") }
                    return try await services.documents.issue(DocumentIssuanceTests.request, actor: "test")
                }
            }
            return try await group.reduce(into: [IssuedDocument]()) { $0.append($1) }
        }
        #expect(issued.count == 24)
        let newKid = try await Self.activeKid(district)
        #expect(newKid != oldKid)
        let kids = Set(issued.map(\.record.kid))
        #expect(kids.isSubset(of: [oldKid, newKid]) && kids.contains(newKid))
        for document in issued {
            #expect(try await services.documents.verifyToken(document.qrContent, actor: "test", audit: false).result == .valid)
            #expect(try await services.documents.verifyPDF(document.pdf, actor: "test", audit: false).result == .valid)
        }
        // In the log, every issuance by the old key precedes the old key's retirement.
        let (retiredAt, lastOld): (Int64, Int64) = try await services.database.read { db in
            (
                try db.fetchOne(Int64.self, sql: "SELECT idx FROM log_leaves WHERE kind = 'key.retired' AND ref = ?", arguments: ["key:\(oldKid)"])
                    ?? -1,
                try db.fetchOne(
                    Int64.self, sql: "SELECT MAX(idx) FROM log_leaves WHERE kind = 'document.issued' AND \(db.blobAsText("entry")) LIKE ?",
                    arguments: ["%\"kid\":\"\(oldKid)\"%"]) ?? -1
            )
        }
        #expect(retiredAt > 0 && lastOld < retiredAt)
        let list = try await services.trustList.current().list
        #expect(Set(list.keys.filter { $0.department == "RSJ" }.map(\.kid)) == [oldKid, newKid])
        #expect(list.keys.first { $0.kid == oldKid }?.status == "retired")
        let keys = try await services.administration.keys(department: "RSJ")
        #expect(keys.map(\.usageCount).reduce(0, +) == 24)
    }

    @Test("With an overlap the new key is published as pending first, then takes over when the clock passes it")
    func overlap() async throws {
        let district = try await Self.district()
        let services = district.services
        let oldKid = try await Self.activeKid(district)
        let pending = try await services.administration.rotate(department: "RSJ", overlap: 3600, actor: "test")
        #expect(pending.status == .pending)
        #expect(try await services.trustList.current().list.keys.contains { $0.kid == pending.kid && $0.status == "pending" })
        #expect(try await services.documents.issue(DocumentIssuanceTests.request, actor: "test").record.kid == oldKid)
        await expectError(.invalidInput) { try await services.administration.rotate(department: "RSJ", overlap: 0, actor: "test") }
        district.clock.advance(by: 3601)
        #expect(try await services.documents.issue(DocumentIssuanceTests.request, actor: "test").record.kid == pending.kid)
        #expect(try await services.administration.keys(department: "RSJ").first { $0.kid == oldKid }?.status == .retired)
    }

    /// Issues `before` documents, signs a tree head, moves past T, issues `after` documents, rotates and revokes the old key not after T.
    static func compromise(_ district: TestDistrict) async throws -> (before: [IssuedDocument], after: [IssuedDocument], kid: String, notAfter: Date)
    {
        let services = district.services
        let kid = try await activeKid(district)
        var before: [IssuedDocument] = [], after: [IssuedDocument] = []
        for _ in 0..<3 { before.append(try await services.documents.issue(DocumentIssuanceTests.request, actor: "test")) }
        district.clock.advance(by: 60)
        try await services.administration.signTreeHead(services.log)
        district.clock.advance(by: 60)
        let notAfter = district.clock.now
        district.clock.advance(by: 60)
        for _ in 0..<2 { after.append(try await services.documents.issue(DocumentIssuanceTests.request, actor: "test")) }
        try await services.administration.signTreeHead(services.log)
        district.clock.advance(by: 60)
        _ = try await services.administration.rotate(department: "RSJ", overlap: 0, actor: "test")
        _ = try await services.administration.revokeKey(kid: kid, notAfter: notAfter, reason: .keyCompromise, actor: "test")
        return (before, after, kid, notAfter)
    }

    @Test("Revoke not-after T online: exactly the documents after T verify as revoked, by token, PDF and number")
    func revokeNotAfterOnline() async throws {
        let district = try await Self.district()
        let documents = district.services.documents
        let (before, after, _, notAfter) = try await Self.compromise(district)
        for document in before {
            #expect(try await documents.verifyToken(document.qrContent, actor: "t", audit: false).result == .valid)
            #expect(try await documents.verifyPDF(document.pdf, actor: "t", audit: false).result == .valid)
            let byID = try await documents.verifyID(document.record.id.rawValue, actor: "t")
            #expect(byID.result == .valid)
            #expect(byID.transparency?.treeHead != nil, "the answer carries the inclusion proof")
        }
        for document in after {
            let token = try await documents.verifyToken(document.qrContent, actor: "t", audit: false)
            #expect(token.result == .revoked && token.reasons.first?.code == .keyRevoked)
            // The answer says from when and why, for pages and apps to show.
            #expect(token.keyRevocation?.reason == "key_compromise")
            #expect(abs((token.keyRevocation?.notAfter ?? .distantPast).timeIntervalSince(notAfter)) < 1)
            #expect(try await documents.verifyPDF(document.pdf, actor: "t", audit: false).result == .revoked)
            #expect(try await documents.verifyID(document.record.id.rawValue, actor: "t").result == .revoked)
        }
        // New documents are signed by the new key and are valid.
        let fresh = try await documents.issue(DocumentIssuanceTests.request, actor: "test")
        #expect(try await documents.verifyToken(fresh.qrContent, actor: "t", audit: false).result == .valid)
    }

    @Test("Revoke not-after T offline from the signed trust list: tokens and PDFs after T are revoked; a stale list answers unknown")
    func revokeNotAfterOffline() async throws {
        let district = try await Self.district()
        let (before, after, kid, notAfter) = try await Self.compromise(district)
        let signed = try await district.services.trustList.current()
        let root = try await district.services.administration.rootCertificate()
        guard case .usable(let list) = TrustList.open(signed.json, signature: signed.signature, root: root, now: district.clock.now) else {
            Issue.record("the fresh trust list does not open"); return
        }
        #expect(list.keys.first { $0.kid == kid }?.revokedNotAfter.map { abs($0.timeIntervalSince(notAfter)) < 1 } == true)
        let verifier = list.verifier(root: root)
        for document in before {
            #expect(verifier.verifyToken(document.qrContent, now: district.clock.now).result == .valid)
            #expect(verifier.verifyPDF(document.pdf, now: district.clock.now).result == .valid)
        }
        for document in after {
            #expect(verifier.verifyToken(document.qrContent, now: district.clock.now).result == .revoked)
            #expect(verifier.verifyPDF(document.pdf, now: district.clock.now).result == .revoked)
        }
        // Past nextUpdate + grace: unusable (the verifier answers unknown).
        let late = list.nextUpdate.addingTimeInterval(TimeInterval(list.graceSeconds) + 1)
        guard case .unusable(let reason) = TrustList.open(signed.json, signature: signed.signature, root: root, now: late) else {
            Issue.record("a stale list was accepted"); return
        }
        #expect(reason.code == .trustListStale)
        var tampered = signed.json
        tampered[tampered.count / 2] ^= 0x01
        guard case .unusable(let bad) = TrustList.open(tampered, signature: signed.signature, root: root, now: district.clock.now) else {
            Issue.record("a tampered list was accepted"); return
        }
        #expect(bad.code == .trustListSignatureInvalid)
    }

    @Test(
        "openssl verifies the trust list signature with the root certificate's key, and the CRL with the root certificate", .tags(.externalTool),
        .notInFastLoop)
    func opensslChecks() async throws {
        let district = try await Self.district()
        let (_, _, kid, _) = try await Self.compromise(district)
        let directory = try ExternalTool.temporaryDirectory()
        let signed = try await district.services.trustList.current()
        let root = try await district.services.administration.rootCertificate()
        try Data(signed.json).write(to: directory.appendingPathComponent("trust-list.json"))
        try Data(signed.signature).write(to: directory.appendingPathComponent("trust-list.json.sig"))
        try root.pemRepresentation.write(to: directory.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
        try Data(try await district.services.trustList.crl()).write(to: directory.appendingPathComponent("root.crl"))
        let pub = try ExternalTool.run(["openssl", "x509", "-in", "root.pem", "-pubkey", "-noout", "-out", "root.pub"], in: directory)
        #expect(pub.status == 0, "\(pub.stderr)")
        let verify = try ExternalTool.run(
            ["openssl", "dgst", "-sha256", "-verify", "root.pub", "-signature", "trust-list.json.sig", "trust-list.json"], in: directory)
        #expect(verify.status == 0 && verify.stdout.contains("Verified OK"), "\(verify.stdout)\(verify.stderr)")
        let crl = try ExternalTool.run(
            ["openssl", "crl", "-inform", "DER", "-in", "root.crl", "-CAfile", "root.pem", "-noout", "-text"], in: directory)
        #expect(crl.status == 0 && crl.stderr.contains("verify OK"), "\(crl.stdout)\(crl.stderr)")
        let certificate = try #require(try await district.services.administration.allKeys().first { $0.kid == kid })
        let serial = try Certificate(pemRepresentation: certificate.certificatePEM).serialNumberHex.uppercased()
        #expect(crl.stdout.uppercased().contains(serial))
        #expect(crl.stdout.contains("Key Compromise") && crl.stdout.contains("Invalidity Date"))
    }

    @Test("Bad input changes nothing: no active key to rotate, unknown kid, not-after in the future, revoking twice")
    func badInput() async throws {
        let district = try await Self.district()
        let administration = district.services.administration
        let kid = try await Self.activeKid(district)
        func snapshot() async throws -> [String: Int] {
            try await district.services.database.read { db in
                var counts: [String: Int] = [:]
                for table in ["signing_keys", "signing_key_history", "log_leaves", "audit_events"] {
                    counts[table] = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM \(table)")
                }
                counts["revoked"] = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM signing_keys WHERE status = 'revoked'")
                return counts
            }
        }
        let before = try await snapshot()
        let unknown = await #expect(throws: ZeroTripError.self) {
            try await administration.revokeKey(kid: "00000000deadbeef", notAfter: district.clock.now, reason: .keyCompromise, actor: "t")
        }
        #expect(unknown?.code == .unknownKey)
        let future = await #expect(throws: ZeroTripError.self) {
            try await administration.revokeKey(kid: kid, notAfter: district.clock.now.addingTimeInterval(60), reason: .keyCompromise, actor: "t")
        }
        #expect(future?.code == .invalidInput)
        await expectError(.unknownDepartment) { try await administration.rotate(department: "NOPE", overlap: 0, actor: "t") }
        await expectError(.invalidInput) { try await administration.rotate(department: "RSJ", overlap: -1, actor: "t") }
        #expect(try await snapshot() == before)
        _ = try await administration.revokeKey(kid: kid, notAfter: district.clock.now, reason: .keyCompromise, actor: "t")
        let afterRevoke = try await snapshot()
        let noActive = await #expect(throws: ZeroTripError.self) { try await administration.rotate(department: "RSJ", overlap: 0, actor: "t") }
        #expect(noActive?.code == .noActiveKey)
        let twice = await #expect(throws: ZeroTripError.self) {
            try await administration.revokeKey(kid: kid, notAfter: district.clock.now, reason: .superseded, actor: "t")
        }
        #expect(twice?.code == .keyRevoked)
        #expect(try await snapshot() == afterRevoke)
        await expectError(.noActiveKey) { try await district.services.documents.issue(DocumentIssuanceTests.request, actor: "t") }
        // Recovery: a new key for the department.
        _ = try await administration.createKey(department: "RSJ", actor: "t")
        #expect(try await district.services.documents.issue(DocumentIssuanceTests.request, actor: "t").record.kid != kid)
    }

    /// A district on the engine under test (not `district()`'s SQLite file: on PostgreSQL, writes queued together
    /// share a transaction) whose RSJ seal may sign `maxUses` documents.
    static func limitedKey(maxUses: Int) async throws -> (TestDistrict, String) {
        let district = try await TestDistrict().setUp()
        let kid = try await activeKid(district)
        _ = try await district.services.administration.setLimits(kid: kid, maxUses: maxUses, maxAgeDays: nil, actor: "t")
        return (district, kid)
    }

    @Test(
        "Concurrent issuances at a use limit (committed together on PostgreSQL): exactly the limit are issued, the rest get key_limit_reached, and the count equals the register"
    )
    func usageLimitUnderConcurrency() async throws {
        let (district, kid) = try await Self.limitedKey(maxUses: 7)
        let services = district.services
        let outcomes = await withTaskGroup(of: ZeroTripError.Code?.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        _ = try await services.documents.issue(DocumentIssuanceTests.request, actor: "t")
                        return nil
                    } catch let error as ZeroTripError {
                        return error.code
                    } catch {
                        return .storageFailure
                    }
                }
            }
            return await group.reduce(into: [ZeroTripError.Code?]()) { $0.append($1) }
        }
        #expect(outcomes.count { $0 == nil } == 7)
        #expect(outcomes.count { $0 == .keyLimitReached } == 13)
        let documents = try await services.database.read { db in
            try db.fetchValue(Int64.self, sql: "SELECT COUNT(*) FROM documents WHERE kid = ?", arguments: [kid])
        }
        #expect(documents == 7)
        #expect(try await services.administration.keys(department: "RSJ").first { $0.kid == kid }?.usageCount == 7)
    }

    @Test(
        "Uses counted by writes sharing one transaction, each in a savepoint: the limit holds, refused uses count nothing, a retirement in between stops the key"
    )
    func usageInOneTransaction() async throws {
        let (district, kid) = try await Self.limitedKey(maxUses: 7)
        let services = district.services
        let now = district.clock.now
        let codes = try await services.database.write { db -> [ZeroTripError.Code?] in
            var codes: [ZeroTripError.Code?] = []
            for index in 0..<12 {
                if index == 10 { try db.inSavepoint { try SigningKeyStore.retire(kid, reason: "test", at: now, in: db) } }
                do {
                    try db.inSavepoint { try SigningKeyStore.consumeUse(kid: kid, at: now, in: db) }
                    codes.append(nil)
                } catch let error as ZeroTripError {
                    codes.append(error.code)
                }
            }
            return codes
        }
        var expected = [ZeroTripError.Code?](repeating: nil, count: 7)
        expected += [ZeroTripError.Code?](repeating: .keyLimitReached, count: 3)
        expected += [.keyNotActive, .keyNotActive]
        #expect(codes == expected)
        let key = try await services.administration.keys(department: "RSJ").first { $0.kid == kid }
        #expect(key?.usageCount == 7)
        #expect(key?.status == .retired)
    }

    @Test(
        "Uses counted in one transaction without savepoints reach the row before anything reads it and before a status change; the count is exact after the commit"
    )
    func usageCountedBeforeReads() async throws {
        let (district, kid) = try await Self.limitedKey(maxUses: 100)
        let now = district.clock.now
        let seen = try await district.services.database.write { db -> Int64? in
            for _ in 0..<5 { try SigningKeyStore.consumeUse(kid: kid, at: now, in: db) }
            let seen = try db.fetchValue(Int64.self, sql: "SELECT usage_count FROM signing_keys WHERE kid = ?", arguments: [kid])
            for _ in 0..<3 { try SigningKeyStore.consumeUse(kid: kid, at: now, in: db) }
            try SigningKeyStore.retire(kid, reason: "test", at: now, in: db)
            return seen
        }
        #expect(seen == 5)
        let key = try await district.services.administration.keys(department: "RSJ").first { $0.kid == kid }
        #expect(key?.usageCount == 8)
        #expect(key?.status == .retired)
    }

    @Test("Usage limits: a warning at 90 %, refusal at the limit until the key is rotated")
    func usageLimits() async throws {
        let district = try await Self.district()
        let services = district.services
        let kid = try await Self.activeKid(district)
        _ = try await services.administration.setLimits(kid: kid, maxUses: 10, maxAgeDays: nil, actor: "t")
        for _ in 0..<9 { _ = try await services.documents.issue(DocumentIssuanceTests.request, actor: "t") }
        #expect(try await services.administration.keys(department: "RSJ").first { $0.kid == kid }?.warning != nil)
        _ = try await services.documents.issue(DocumentIssuanceTests.request, actor: "t")
        let error = await #expect(throws: ZeroTripError.self) { try await services.documents.issue(DocumentIssuanceTests.request, actor: "t") }
        #expect(error?.code == .keyLimitReached)
        _ = try await services.administration.rotate(department: "RSJ", overlap: 0, actor: "t")
        #expect(try await services.documents.issue(DocumentIssuanceTests.request, actor: "t").record.kid != kid)
    }
}
