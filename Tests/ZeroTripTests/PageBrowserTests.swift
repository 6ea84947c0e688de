import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Testing
import ZeroTripTestSupport

/// The applicant pages in a real browser against a real `zerotrip serve` on a demo district.
@Suite(
    "Applicant pages in a browser", .tags(.externalTool, .process), .notInFastLoop, .serialized,
    .enabled(
        if: ZeroTripExecutable.binary != nil && Browser.available,
        "needs the built zerotrip executable, chromium, chromium-driver and selenium (./scripts/install-deps.sh --test)"))
struct PageBrowserTests {
    /// Where the screenshots go: `ZEROTRIP_SCREENSHOTS`, or `.build/screenshots` of the checkout (never committed).
    static var screenshots: String { Browser.screenshots }

    @Test(
        "On a phone and a desktop an applicant signs in with the SMS outbox, sees and downloads own results with a large QR code, sees a department's verification under who looked at my data, cannot open another person's result, rates a finished service and finds it in the public ranking, and logs out; no page scrolls sideways at 320, 390 or 1280 px"
    )
    func applicantInBrowser() async throws {
        try await LoadTests.bounded(seconds: 240, "browser") { try await self.body() }
    }

    func body() async throws {
        let dir = try CommandLineTests().demoDistrict()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rsj = try CommandLineTests.demoToken("RSJ", in: dir), wjj = try CommandLineTests.demoToken("WJJ", in: dir)
        let (server, port) = try await LoadTests.serve(in: dir)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let base = "http://127.0.0.1:\(port)"

        // A result of 张三丰 that another department then verifies, and a result of someone else.
        let mine = try Self.post(base + "/v1/documents", token: rsj, json: LoadTests.issueBody)
        let token = try #require(mine["token"] as? String)
        _ = try Self.post(base + "/v1/verify", token: wjj, json: #"{"token":"\#(token)"}"#)
        let others = try Self.post(
            base + "/v1/documents", token: rsj,
            json: """
                {"matterCode":"QZDJ","matterName":"求职登记证明","holderName":"李晓梅","holderIdNumber":"440604198506120023","fields":[{"label":"求职意向","value":"会计"}]}
                """)
        let otherID = try #require((others["document"] as? [String: Any])?["id"] as? String)
        // 张三丰's 居住登记 at GAJ, carried through to its result: he is invited to rate it.
        let gaj = try CommandLineTests.demoToken("GAJ", in: dir)
        let application = try Self.post(
            base + "/v1/applications", token: gaj,
            json: """
                {"matterCode":"JZDJ","idNumber":"440104199001010010","name":"张三丰","mode":"standard","provided":["ID_CARD","RESIDENCE_PROOF","EMPLOYMENT_PROOF","PHOTO"]}
                """)
        let applicationID = try #require(application["id"] as? String, "\(application)")
        for step in ["accept", "review", "approve"] { _ = try Self.post(base + "/v1/applications/\(applicationID)/\(step)", token: gaj, json: "{}") }
        let issued = try Self.post(
            base + "/v1/applications/\(applicationID)/issue", token: gaj,
            json: #"{"fields": {"居住地址": "佛山市禅城区祖庙街道建新路12号", "居住事由": "务工"}}"#)
        #expect((issued["application"] as? [String: Any])?["state"] as? String == "closed", "\(issued)")

        let script = ExternalTool.repositoryRoot.appendingPathComponent("Tests/browser/applicant_pages.py").path
        let environment = [
            "ZT_URL": base, "ZT_HOME": dir.path, "ZT_BIN": try #require(ZeroTripExecutable.binary).path,
            "ZT_ID": "440104199001010010", "ZT_NAME": "张三丰", "ZT_VIEWER": "禅城区卫生健康局", "ZT_OTHER_DOC": otherID,
            "ZT_SHOTS": Self.screenshots,
        ]
        let run = try ExternalTool.run(["env"] + environment.map { "\($0.key)=\($0.value)" } + ["python3", script])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("passed ") && !run.stdout.contains("FAIL"), "\(run.stdout)")
        for name in [
            "login-phone", "results-phone", "result-phone", "access-phone", "consents-phone", "ratings-phone", "figures-phone", "results-desktop",
            "result-desktop",
        ] {
            #expect(FileManager.default.fileExists(atPath: "\(Self.screenshots)/\(name).png"), "screenshot \(name)")
        }
    }

    @Test(
        "At a desktop window station a clerk signs in with the department credential, reads 黄丽华 (C, no 容缺) and 陈建国 (B, 容缺) for 居住登记, takes his 容缺 application through the signed commitment, acceptance, review and approval to an issued result that verifies, finds it among the open obligations, records the handed-in material which closes the obligation; records 张三丰's consent at the counter after a card check and submits his 居住登记 with his RSJ result standing for the employment proof; the station is readable at 360 px too"
    )
    func windowInBrowser() async throws {
        try await LoadTests.bounded(seconds: 240, "window browser") {
            let cli = CommandLineTests()
            let dir = try cli.demoDistrict()
            defer { try? FileManager.default.removeItem(at: dir) }
            let gaj = try CommandLineTests.demoToken("GAJ", in: dir), zsj = try CommandLineTests.demoToken("ZSJ", in: dir)
            let (server, port) = try await LoadTests.serve(in: dir)
            defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            let script = ExternalTool.repositoryRoot.appendingPathComponent("Tests/browser/window_station.py").path
            let run = try ExternalTool.run([
                "env", "ZT_URL=http://127.0.0.1:\(port)", "ZT_WINDOW_TOKEN=\(gaj)", "ZT_STATISTICS_TOKEN=\(zsj)",
                "ZT_SHOTS=\(Self.screenshots)", "python3", script,
            ])
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr.suffix(2000))")
            #expect(run.stdout.contains("passed ") && !run.stdout.contains("FAIL"), "\(run.stdout)")
            // The clerk is on record: the commitment's card check and each step name the credential and the clerk.
            let audit = try cli.run(["audit", "tail", "--limit", "200"], in: dir).output
            #expect(audit.contains("/clerk:GA-0042"), "the clerk's steps are recorded under the clerk")
        }
    }

    /// POSTs JSON with a bearer token and returns the answer's JSON object.
    static func post(_ url: String, token: String, json: String) throws -> [String: Any] {
        let run = try ExternalTool.run([
            "curl", "-sS", "--max-time", "20", "-X", "POST", url, "-H", "Authorization: Bearer \(token)",
            "-H", "Content-Type: application/json", "--data-binary", json,
        ])
        return (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any] ?? [:]
    }
}
