import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport

@Suite("Population registry: CSV import and storage of ID numbers")
struct PopulationRegistryTests {
    static let header = "id_number,name,phone,card_valid_from,card_valid_until\n"

    @Test("The demo registry imports; a second import changes nothing")
    func idempotent() async throws {
        let district = try TestDistrict()
        let first = try await IdentityFixtures.importDemoRegistry(district.services)
        #expect(first.inserted == 11 && first.rejected.isEmpty)
        let second = try await IdentityFixtures.importDemoRegistry(district.services)
        #expect(second.inserted == 0 && second.updated == 0 && second.unchanged == 11)
        await #expect(try district.services.identity.registry.count() == 11)
    }

    @Test("Bad rows are reported with line and reason; good rows in the same file are imported")
    func badRows() async throws {
        let district = try TestDistrict()
        var bytes = Array(
            (Self.header + """
                440104199001010010,张三丰,13900000001,2018-01-15,长期
                440104199001010011,错校验,13900000001,2018-01-15,长期
                440604198506120023,李晓梅,1390000000,2018-02-15,2038-02-15
                44060419921130003X,王志强,13900000003,2018-03-15
                440604197803150419,\(String(repeating: "长", count: 40)),13900000004,2018-04-15,2038-04-15
                440604198807220626,黄丽华,13900000005,2018-02-30,长期
                440104199001010010,张三丰,13900000001,2018-01-15,长期
                "440605199509090131","林晓东",13900000006,2018-06-15,2038-06-15
                440604200101010248,"吴佳怡,13900000007,2018-07-15,2038-07-15
                440604199306180579,Robert'); DROP TABLE persons;--,13900000009,2018-09-15,长期
                440604199902280891,郑测试,13900000011,2038-11-15,2018-11-15

                """).utf8)
        // A name that is not UTF-8 (GBK bytes of 张三) on its own line.
        bytes += Array("440606196504300358,".utf8) + [0xD5, 0xC5, 0xC8, 0xFD] + Array(",13900000008,2018-08-15,2038-08-15\n".utf8)
        bytes += Array(("440604198711110780,阿依古丽·买买提,13900000010,2018-10-15,2038-10-15," + String(repeating: "x", count: 1100) + "\n").utf8)
        let report = try await district.services.identity.registry.importCSV(bytes, actor: "test")
        #expect(report.inserted == 2, "张三丰 and the quoted 林晓东 row")
        let reasons = Dictionary(uniqueKeysWithValues: report.rejected.map { ($0.line, $0.reason) })
        #expect(reasons[3]?.contains("check_character") == true)
        #expect(reasons[4]?.contains("phone") == true)
        #expect(reasons[5]?.contains("expected 5 fields") == true)
        #expect(reasons[6]?.contains("1–32") == true)
        #expect(reasons[7]?.contains("real date") == true)
        #expect(reasons[8]?.contains("line 2") == true)
        #expect(reasons[10]?.contains("unterminated") == true)
        #expect(reasons[11]?.contains("letters") == true)
        #expect(reasons[12]?.contains("before card_valid_from") == true)
        #expect(reasons[13]?.contains("UTF-8") == true)
        #expect(reasons[14]?.contains("longer than") == true)
        #expect(report.rejected.count == 11)
        #expect(report.rejected.allSatisfy { !$0.reason.contains("4401") }, "reasons never echo the ID number")
    }

    @Test("An import that fails part-way keeps and audits the chunks already written, says how far it got, and a second run finishes it")
    func partialImportIsAudited() async throws {
        let district = try TestDistrict()
        var lines = Self.header
        for index in 1...700 {
            let first17 = "44010419900101" + String(format: "%03d", index)
            let number = first17 + String(try #require(CitizenIDNumber.checkCharacter(for: first17)))
            lines += "\(number),\(index == 600 ? "故障人" : "测试人"),139\(String(format: "%08d", index)),2018-01-15,长期\n"
        }
        // The 600th row fails to insert, as a full disk or a constraint would, in the second chunk of 500.
        try await district.services.database.write { db in
            try db.injectFault("fail_import", on: "persons", when: "name", equals: "故障人", message: "injected")
        }
        let failure = await #expect(throws: ZeroTripError.self) {
            try await district.services.identity.registry.importCSV(Array(lines.utf8), actor: "test")
        }
        #expect(failure?.code == .storageFailure)
        #expect(failure?.message.contains("the first 500 rows were imported") == true)
        await #expect(try district.services.identity.registry.count() == 500)
        let events = try await AuditLog.events(in: district.services.database, limit: 20)
        let incomplete = try #require(events.last { $0.action == "persons.imported" })
        #expect(incomplete.outcome == "incomplete")
        #expect(incomplete.details.contains("\"rows_written\":\"500\"") && incomplete.details.contains("\"inserted\":\"500\""))

        try await district.services.database.write { db in try db.removeFault("fail_import", on: "persons") }
        let second = try await district.services.identity.registry.importCSV(Array(lines.utf8), actor: "test")
        #expect(second.inserted == 200 && second.unchanged == 500)
        await #expect(try district.services.identity.registry.count() == 700)
    }

    @Test("A file without the header is refused whole and nothing is written")
    func badHeader() async throws {
        let district = try TestDistrict()
        await expectError(.invalidInput) {
            try await district.services.identity.registry.importCSV(Array("440104199001010010,张三丰,13900000001,2018-01-15,长期\n".utf8), actor: "test")
        }
        await expectError(.invalidInput) {
            try await district.services.identity.registry.importCSV(
                Array("id_number,name,phone,card_valid_from,card_valid_until,extra\n".utf8), actor: "test")
        }
        #expect(try await district.services.identity.registry.count() == 0)
        await #expect(try district.tableCounts()["audit_events"] == 0)
    }

    @Test("A changed phone updates the person and appends history; the subject id stays")
    func update() async throws {
        let district = try TestDistrict()
        try await IdentityFixtures.importDemoRegistry(district.services)
        let subject = try await #require(try district.services.identity.registry.subject(idNumber: IdentityFixtures.zhang.id))
        let report = try await district.services.identity.registry.importCSV(
            Array((Self.header + "440104199001010010,张三丰,13912345678,2018-01-15,长期\n").utf8), actor: "test")
        #expect(report.updated == 1)
        await #expect(try district.services.identity.registry.subject(idNumber: IdentityFixtures.zhang.id) == subject)
        await #expect(try district.services.identity.registry.personalData(subject: subject)?.phone == "13912345678")
        await #expect(try district.services.identity.registry.summary(subject: subject)?.phoneMasked == "139****5678")
        let history = try await district.services.database.read { db in
            try db.fetchAll(String.self, sql: "SELECT change FROM person_history WHERE person_id = ?", arguments: [subject])
        }
        #expect(history == ["created", "updated phone"])
    }

    @Test("ID numbers and phones are not stored in clear anywhere in the database")
    func noClearText() async throws {
        let district = try TestDistrict(fileDatabase: true)
        try await IdentityFixtures.importDemoRegistry(district.services)
        _ = try await IdentityFixtures.smsSession(district.services, person: IdentityFixtures.zhang)
        _ = try await district.services.identity.start(method: .sms, idNumber: "440604199902280891", name: "不对的名", client: "test")
        let dump = try await district.services.database.read { db -> String in
            var text = ""
            for table in try db.tableNames() {
                for row in try db.fetchAll(sql: "SELECT * FROM \"\(table)\"") {
                    for value in row.values {
                        switch value {
                        case .text(let s): text += s + "\n"
                        case .blob(let d): text += String(decoding: d, as: UTF8.self) + "\n"
                        default: break
                        }
                    }
                }
            }
            return text
        }
        for line in try String(contentsOf: IdentityFixtures.demoCSV, encoding: .utf8).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",")
            #expect(!dump.contains(fields[0]), "ID number of line \(line.prefix(4))… stored in clear")
            #expect(!dump.contains(fields[2]), "phone stored in clear")
        }
        #expect(dump.contains("4401**********0010"), "the masked form is kept for display")
    }
}
