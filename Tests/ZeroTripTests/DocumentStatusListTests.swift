import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripTestSupport

@Suite("The document status list for offline verifiers")
struct DocumentStatusListTests {
    @Test(
        "Revoked and superseded documents answer revoked offline with reason and time; others stay valid; a stale or altered list answers unknown; entries are hashes",
        .tags(.externalTool), .notInFastLoop
    )
    func offlineStatus() async throws {
        let district = try await TestDistrict().setUp()
        let documents = district.services.documents
        let kept = try await documents.issue(DocumentIssuanceTests.request, actor: "test")
        let revoked = try await documents.issue(DocumentIssuanceTests.request, actor: "test")
        let replaced = try await documents.issue(DocumentIssuanceTests.request, actor: "test")
        _ = try await documents.revoke(revoked.record.id, reason: .fraud, actor: "test")
        let newer = try await documents.reissue(replaced.record.id, with: DocumentIssuanceTests.request, actor: "test")

        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await district.services.trustList.publish(to: directory)
        let root = district.services.home.rootCertificateURL
        func offline(
            _ document: IssuedDocument, at now: Date, statusFile: String = "status-list.json",
            signatureFile: String = "status-list.json.sig"
        ) throws -> VerificationReport {
            guard
                case .usable(let trustList, let pinned) = try OfflineTrust.loadTrustList(
                    directory.appendingPathComponent("trust-list.json"),
                    signature: directory.appendingPathComponent("trust-list.json.sig"), root: root, now: now)
            else {
                Issue.record("the trust list is not usable")
                throw ZeroTripError(.invalidInput, "trust list")
            }
            let outcome = trustList.verifier(root: pinned).verifyToken(document.qrContent, now: now)
            var report = VerificationReport(
                result: outcome.result, reasons: outcome.reason.map { [$0] } ?? [], document: nil, registerChecked: false,
                method: .token, verifiedAt: now)
            switch try OfflineTrust.loadStatusList(
                directory.appendingPathComponent(statusFile), signature: directory.appendingPathComponent(signatureFile),
                trustList: trustList, root: pinned, now: now)
            {
            case .usable(let list): OfflineTrust.apply(list, to: &report, documentID: outcome.claims?.documentIDHex ?? "")
            case .unusable(let reason):
                return VerificationReport(result: .unknown, reasons: [reason], document: nil, registerChecked: false, method: .token, verifiedAt: now)
            }
            return report
        }
        let now = district.clock.now
        #expect(try offline(kept, at: now).result == .valid)
        #expect(try offline(newer, at: now).result == .valid)
        let fraud = try offline(revoked, at: now)
        #expect(fraud.result == .revoked && fraud.reasons.first?.code == .revoked)
        let superseded = try offline(replaced, at: now)
        #expect(superseded.result == .revoked && superseded.reasons.first?.code == .superseded)
        #expect(OfflineTrust.documentID(inSignedPDF: revoked.pdf) == revoked.record.id.rawValue, "a PDF's signed metadata names its document")

        // The independent verifier, written from docs/trust-list.md, agrees.
        let certificates = district.home.certificatesDirectory
        for (document, expected) in [(kept, "\"valid\""), (revoked, "\"revoked\""), (replaced, "\"superseded\"")] {
            let output = try ExternalTool.run([
                "python3", ExternalTool.validator("zt_token.py"), "verify",
                "--cert", certificates.appendingPathComponent("departments").path,
                "--root", certificates.appendingPathComponent("root.pem").path,
                "--status-list", directory.appendingPathComponent("status-list.json").path, document.record.token,
            ])
            #expect(output.stdout.contains(expected) && output.stdout.contains("status_list 20"), "\(output.stdout) \(output.stderr)")
        }
        let list = try JSONDecoder.iso8601.decode(
            DocumentStatusList.self, from: Data(contentsOf: directory.appendingPathComponent("status-list.json")))
        #expect(list.entries.count == 2 && list.entries.first { $0.status == "revoked" }?.reason == "fraud")
        #expect(list.entry(documentID: Hex.decode(kept.record.id.rawValue)!) == nil)
        #expect(list.nextUpdate.timeIntervalSince(list.issuedAt) == 3600)

        // Within its grace the list still answers; a day later it is stale, though the trust list is not.
        #expect(try offline(revoked, at: now.addingTimeInterval(22 * 3600)).result == .revoked)
        let stale = try offline(kept, at: now.addingTimeInterval(25 * 3600))
        #expect(stale.result == .unknown && stale.reasons.first?.code == .statusListStale)
        // An altered list (one entry dropped) no longer verifies.
        var bytes = try Data(contentsOf: directory.appendingPathComponent("status-list.json"))
        bytes = Data(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"fraud\"", with: "\"other\"").utf8)
        try bytes.write(to: directory.appendingPathComponent("altered.json"))
        let altered = try offline(revoked, at: now, statusFile: "altered.json")
        #expect(altered.result == .unknown && altered.reasons.first?.code == .statusListInvalid)

        // A signed list whose entries are out of order would hide an entry from the binary search: refused.
        var unsorted = list
        unsorted.entries.reverse()
        let unsortedBytes = Array(try DocumentStatusList.encoder.encode(unsorted))
        try Data(unsortedBytes).write(to: directory.appendingPathComponent("unsorted.json"))
        try Data(try await district.services.administration.listSignature(for: unsortedBytes).signature).write(
            to: directory.appendingPathComponent("unsorted.json.sig"))
        let refused = try offline(revoked, at: now, statusFile: "unsorted.json", signatureFile: "unsorted.json.sig")
        #expect(refused.result == .unknown && refused.reasons.first?.code == .statusListInvalid)

        // The server re-signs the list when a status changes.
        let before = try await district.services.trustList.currentStatusList()
        _ = try await documents.revoke(kept.record.id, reason: .issuedInError, actor: "test")
        let after = try await district.services.trustList.currentStatusList()
        #expect(after.list.entries.count == 3 && after.etag != before.etag)
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
