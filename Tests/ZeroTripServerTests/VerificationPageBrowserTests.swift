import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import ZeroTrip
import ZeroTripDocuments
@testable import ZeroTripServer
import ZeroTripDomainTestSupport
import ZeroTripTestSupport

/// The public verification page in a real browser, for a document in every state a clerk can meet.
@Suite(
    "The verification page in a browser", .tags(.externalTool), .notInFastLoop,
    .enabled(if: Browser.available, "needs chromium, chromium-driver and selenium (./scripts/install-deps.sh --test)"))
struct VerificationPageBrowserTests {
    /// A clock the test moves (documents expire).
    final class MovableClock: Sendable {
        private let current = Mutex(Date())
        var now: Date { current.withLock { $0 } }
        func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
    }

    static func path(_ qrContent: String) -> String { String(qrContent[qrContent.range(of: "/V/?")!.lowerBound...]) }

    @Test(
        "Valid, revoked for each reason, superseded, key-revoked, expired, invalid and unknown: each page at 390×844 and 1280 px says the result in one word with its reason and time, shows the signed facts only for a document the register identified, and leaves a screenshot"
    )
    func everyState() async throws {
        let clock = MovableClock()
        let fixture = try await ServerFixture(clock: ZeroTripClock { clock.now })
        let services = fixture.services
        @Sendable func issue(_ department: String = "RSJ", validDays: Int = 90, value: String = "电子商务") async throws -> IssuedDocument {
            try await services.documents.issue(
                IssueDocumentRequest(
                    departmentCode: department, matterCode: "QZDJ", matterName: "求职登记证明", holderName: "李晓梅", holderIDNumber: "440604198506120023",
                    fields: [ResultField(label: "求职意向", value: value)], validDays: validDays, pickupMode: .delivery), actor: "test")
        }
        var cases: [[String: Any]] = []
        let valid = try await issue()
        cases.append(["name": "valid", "path": Self.path(valid.qrContent), "expect": ["有效", "求职意向", "电子商务", "李*梅", "请将以上内容与纸质文书逐项核对", "禅城区"]])
        for reason in RevocationReason.allCases {
            let document = try await issue(value: "撤销\(reason.rawValue.count)")
            _ = try await services.documents.revoke(document.record.id, reason: reason, actor: "test")
            cases.append([
                "name": "revoked-\(reason.rawValue)", "path": Self.path(document.qrContent),
                "expect": ["已撤销", "撤销原因", VerificationPage.reasonText(reason.rawValue), "撤销时间", "求职意向"],
            ])
        }
        let replaced = try await issue(value: "旧")
        let newer = try await services.documents.reissue(
            replaced.record.id,
            with: IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "QZDJ", matterName: "求职登记证明", holderName: "李晓梅", holderIDNumber: "440604198506120023",
                fields: [ResultField(label: "求职意向", value: "新")], validDays: 90, pickupMode: .delivery), actor: "test")
        cases.append([
            "name": "superseded", "path": Self.path(replaced.qrContent),
            "expect": ["已撤销（已被替代）", "替代文书", ResultDocumentRenderer.groupedID(newer.record.id.rawValue)],
        ])

        // A department whose seal key is revoked "not after" a time before its document was issued.
        _ = try await services.administration.addDepartment(code: "WJJ", name: "区卫生健康局", actor: "test")
        let sealed = try await issue("WJJ", value: "印章")
        let kid = sealed.record.kid
        _ = try await services.administration.revokeKey(
            kid: kid, notAfter: sealed.record.issuedAt.addingTimeInterval(-60), reason: .keyCompromise, actor: "test")
        cases.append(["name": "key-revoked", "path": Self.path(sealed.qrContent), "expect": ["已撤销", "印章停用时间", "印章密钥泄露", "签发部门的印章密钥已停用"]])

        let shortLived = try await issue(validDays: 1, value: "短期")
        clock.advance(by: 2 * 86_400)
        cases.append(["name": "expired", "path": Self.path(shortLived.qrContent), "expect": ["已过期", "文书已超过有效期"]])

        // A token altered in transit, and text that is no token at all: no claim of theirs is shown.
        var tampered = Array(Self.path(valid.qrContent).utf8)
        let index = tampered.count - 6
        tampered[index] = tampered[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let tamperedPath = String(decoding: tampered, as: UTF8.self)
        let tamperedReport = try await services.documents.verifyToken(tamperedPath, actor: "test", audit: false)
        #expect(tamperedReport.result == .invalid || tamperedReport.result == .unknown, "\(tamperedReport.result)")
        cases.append([
            "name": "invalid", "path": tamperedPath, "expect": [tamperedReport.result == .invalid ? "无效" : "无法核验", "说明"],
            "absent": ["电子商务", "李*梅", "求职意向"],
        ])
        cases.append(["name": "unknown", "path": "/V/?HELLO-WORLD", "expect": ["核验时间"], "absent": ["有效期至", "求职意向"]])

        let input = String(decoding: try JSONSerialization.data(withJSONObject: cases), as: UTF8.self)
        let script = ExternalTool.repositoryRoot.appendingPathComponent("Tests/browser/verification_pages.py").path
        try await fixture.application().test(.live) { client in
            let port = try #require(client.port)
            // The browser runs outside the cooperative pool: the server under test answers it from the same process.
            let run = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ExternalTool.Output, any Error>) in
                DispatchQueue.global().async {
                    continuation.resume(
                        with: Result {
                            try ExternalTool.run(
                                ["env", "ZT_URL=http://127.0.0.1:\(port)", "ZT_SHOTS=\(Browser.screenshots)", "python3", script], input: input)
                        })
                }
            }
            #expect(run.status == 0, "\(run.stdout.suffix(3000))\n\(run.stderr.suffix(1500))")
            #expect(run.stdout.contains("passed ") && !run.stdout.contains("FAIL"), "\(run.stdout.suffix(2000)) \(run.stderr.suffix(2000))")
        }
    }
}
