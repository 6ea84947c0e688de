import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

@Suite("Backup: an online copy taken while documents are issued is complete, consistent and private")
struct BackupTests {
    @Test(
        "A backup taken during issuance holds whole transactions only: its audit chain and log audit pass, every document's PDF matches its hash; the live database goes on"
    )
    func backupUnderLoad() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        let services = district.services
        for _ in 0..<3 { _ = try await services.documents.issue(DocumentIssuanceTests.request, actor: "test") }
        _ = try await services.administration.signTreeHead(services.log)
        let copy = district.root.appendingPathComponent("backup.sqlite")

        // Twenty issuances run while the copy is taken.
        let summary = try await withThrowingTaskGroup(of: BackupSummary?.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    _ = try await services.documents.issue(DocumentIssuanceTests.request, actor: "test"); return nil
                }
            }
            group.addTask { try await services.database.backup(to: copy.path, actor: "test", at: district.clock.now) }
            var summary: BackupSummary?
            for try await result in group { if let result { summary = result } }
            return try #require(summary)
        }
        #expect(summary.documents >= 3 && summary.documents <= 23)
        let attributes = try FileManager.default.attributesOfItem(atPath: copy.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int64) == summary.bytes)
        #expect(Digest.sha256(try [UInt8](Data(contentsOf: copy))) == summary.sha256)
        // Nothing but the copy was left in the directory: no temporary file, no -wal or -shm beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: district.root.path).filter { $0.contains("backup") } == ["backup.sqlite"])

        let restored = ZeroTripServices(
            database: try AppDatabase.open(path: copy.path), home: district.home,
            passphrase: PassphraseSource(explicit: TestDistrict.passphrase, environment: [:], keys: district.home.keyFiles))
        guard case .intact(let events, _) = try await AuditLog.verify(restored.database) else {
            Issue.record("the copy's audit chain is broken"); return
        }
        #expect(events == summary.auditEvents)
        let root = try await services.administration.rootCertificate()
        guard case .intact(let leaves, let heads) = try await restored.log.audit(trusting: RootSet(pinned: [root], candidates: [], links: [])) else {
            Issue.record("the copy's transparency log does not audit"); return
        }
        #expect(Int64(leaves) == summary.logLeaves && heads == 1)
        // Every document in the copy has its exact PDF, and each verifies against the copy's register.
        let stored = try await restored.database.read { db in
            try db.fetchAll(sql: "SELECT d.id, d.pdf_sha256, p.pdf FROM documents d JOIN document_pdfs p ON p.document_id = d.id")
                .map { (id: $0["id"] as String, digest: [UInt8]($0["pdf_sha256"] as Data), pdf: [UInt8]($0["pdf"] as Data)) }
        }
        #expect(Int64(stored.count) == summary.documents)
        for document in stored {
            #expect(Digest.sha256(document.pdf) == document.digest)
            #expect(try await restored.documents.verifyPDF(document.pdf, actor: "test", audit: false).result == .valid)
        }
        // The live database recorded the backup and counts all 23 documents.
        let live = try await services.database.read { db in
            (
                try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM documents") ?? 0,
                try db.fetchOne(String.self, sql: "SELECT details FROM audit_events WHERE action = 'database.backed_up'")
            )
        }
        #expect(live.0 == 23 && live.1?.contains(Hex.encode(summary.sha256)) == true)
    }

    @Test("A backup never replaces a file and names a missing directory; nothing is written for either")
    func refusals() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        let existing = district.root.appendingPathComponent("old.sqlite")
        try Data("older backup".utf8).write(to: existing)
        await #expect { try await district.services.database.backup(to: existing.path, actor: "test", at: district.clock.now) } throws: {
            ($0 as? ZeroTripError)?.code == .fileExists
        }
        #expect(try Data(contentsOf: existing) == Data("older backup".utf8))
        let missing = district.root.appendingPathComponent("nowhere/copy.sqlite")
        await #expect { try await district.services.database.backup(to: missing.path, actor: "test", at: district.clock.now) } throws: {
            ($0 as? ZeroTripError)?.code == .invalidInput
        }
        let backups = try await district.services.database.read { db in
            try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM audit_events WHERE action = 'database.backed_up'") ?? 0
        }
        #expect(backups == 0)
    }
}
