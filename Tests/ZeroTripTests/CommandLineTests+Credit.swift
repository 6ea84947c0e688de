import Foundation
import Testing
import ZeroTrip
import ZeroTripTestSupport

extension CommandLineTests {
    static let demoDirectory = ExternalTool.repositoryRoot.appendingPathComponent("demo").path

    @Test("zerotrip demo credit-scenario: the README story from 容缺 to revocation, with the refusals")
    func creditScenario() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try run(["demo", "credit-scenario", "--demo", Self.demoDirectory], in: dir)
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("level B, 容缺 available") })
        #expect(lines.filter { $0.contains("QR verifies:") }.map { $0.contains("valid") && !$0.contains("revoked") } == [true, false])
        #expect(lines.contains { $0.contains("QR verifies: revoked") && $0.contains("application terminated") })
        #expect(lines.contains { $0.contains("陈建国: level C") && $0.hasSuffix("it was B") })
        #expect(lines.contains { $0.contains("黄丽华") && $0.contains("[trust_approval_refused]") })
        #expect(lines.contains { $0.contains("张三丰") && $0.contains("[primary_material_missing]") })
    }

    @Test("Credit CLI on the demo district: levels, an audited window check, a catalogue error naming the line, an import refused whole")
    func creditCommands() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let setup = try run(["demo", "setup", "--persons", Self.demoPersons], in: dir)
        #expect(setup.status == 0 && setup.output.contains("陈建国: level B (score 75)"), "\(setup.output)")
        #expect(setup.output.contains("周永安: level D"))
        let again = try run(["demo", "setup", "--persons", Self.demoPersons], in: dir)
        #expect(again.output.contains("0 credit records imported (4 already there)"), "\(again.output)")
        let check = try run(["credit", "check", "440604197803150419", "--matter", "JZDJ", "--department", "GAJ"], in: dir)
        #expect(check.status == 0 && check.output.contains("\"level\" : \"B\"") && !check.output.contains("score"), "\(check.output)")
        let denied = try run(["credit", "check", "440604197803150419", "--matter", "JZDJ", "--department", "RSJ"], in: dir)
        #expect(denied.status == 1 && denied.output.contains("error [forbidden]"))
        let organization = try run(["credit", "level", "91440604MA51ABCD1X"], in: dir)
        #expect(organization.output.contains("\"level\" : \"M\""))
        try "matters:\n  - code: X1\n    name: 测试\n    department: GAJ\n    timeLimitDays: many\n".write(
            to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let bad = try run(["catalogue", "load", "bad.yaml"], in: dir)
        #expect(bad.status == 1 && bad.output.contains("error [invalid_catalogue]") && bad.output.contains("line "), "\(bad.output)")
        #expect(try run(["catalogue", "versions", "--json"], in: dir).output.components(separatedBy: "\"version\"").count == 2)
        #expect(try run(["catalogue", "versions"], in: dir).output.hasPrefix("VERSION  LOADED (UTC)"))
        try
            "subject,type,effective_date,reference\n440104199001010010,administrative_penalty,2026-05-01,X1\n440104199001010010,speeding,2026-05-01,X2\n"
            .write(to: dir.appendingPathComponent("events.csv"), atomically: true, encoding: .utf8)
        let refused = try run(["credit", "import", "events.csv", "--source", "court"], in: dir)
        #expect(refused.status == 1 && refused.output.contains("line 3"), "\(refused.output)")
        #expect(try run(["credit", "level", "440104199001010010"], in: dir).output.contains("\"score\" : 100"))
        let audit = try run(["audit", "tail"], in: dir)
        #expect(audit.output.contains("credit.read"))
    }
}
