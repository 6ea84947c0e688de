import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Testing
import ZeroTripTestSupport

/// The OpenAPI description checked against a real `zerotrip serve` on a demo district by schemathesis: thousands of
/// generated requests to every operation, valid and invalid; none may answer 5xx, an undocumented status or media
/// type, accept a request its schema forbids, or answer a method the path does not take with anything but 405.
@Suite(
    "API description against the daemon (schemathesis)", .tags(.externalTool, .process), .notInFastLoop, .serialized,
    .enabled(
        if: ZeroTripExecutable.binary != nil && (try? ExternalTool.run(["schemathesis", "--version"]).status) == 0,
        "needs the built zerotrip executable and schemathesis (./scripts/install-deps.sh --test)"))
struct SchemathesisTests {
    @Test("schemathesis finds no failure in any operation of /openapi.json, for a department with every scope and an applicant")
    func schemathesis() async throws {
        try await LoadTests.bounded(seconds: 600, "schemathesis") { try await self.body() }
    }

    func body() async throws {
        let dir = try CommandLineTests().demoDistrict()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Rate limits high enough that generated requests reach the handlers instead of the limiter.
        let (server, port) = try await LoadTests.serve(
            in: dir, environment: ["ZEROTRIP_APPLICANT_RATE": "100000", "ZEROTRIP_PUBLIC_RATE": "1000000"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let script = ExternalTool.repositoryRoot.appendingPathComponent("Tests/schemathesis/run.py").path
        let environment = ["ZT_URL": "http://127.0.0.1:\(port)", "ZT_HOME": dir.path, "ZT_BIN": try #require(ZeroTripExecutable.binary).path]
        let run = try ExternalTool.run(["env"] + environment.map { "\($0.key)=\($0.value)" } + ["python3", script])
        #expect(run.status == 0, "\(run.stdout.suffix(6000))\n\(run.stderr.suffix(2000))")
        // Real answers (issuance, verification, credit, the applicant's own results, trust and status lists, a
        // revocation) validated against their response schemas before the generated requests.
        #expect(run.stdout.components(separatedBy: "checked against its schema").count - 1 == 11, "\(run.stdout.prefix(3000))")
        // Both runs reported, and between them every operation the daemon describes was tested.
        let tested = run.stdout.matches(of: /Tested: (\d+)/).compactMap { Int($0.1) }
        let total = run.stdout.matches(of: /Selected: \d+\/(\d+)/).compactMap { Int($0.1) }
        #expect(tested.count == 2 && total.count == 2, "\(run.stdout.suffix(3000))")
        #expect(tested.reduce(0, +) == total.first && (total.first ?? 0) > 100, "tested \(tested) of \(total)")
        #expect(server.isRunning, "the daemon died under the generated requests")
    }
}
