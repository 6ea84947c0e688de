import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripTestSupport

@Suite("The district's full administrative name: province and city above it, on documents and as the issuer's name")
struct DistrictAreaTests {
    @Test(
        "Issuer names: a department named after the district's level gets the full name; a full name stays as it is",
        arguments: [
            ("区人力资源和社会保障局", "广东省佛山市禅城区人力资源和社会保障局"),
            ("禅城区公安分局", "广东省佛山市禅城区公安分局"),
            ("广东省佛山市禅城区卫生健康局", "广东省佛山市禅城区卫生健康局"),
            ("政务服务数据管理局", "广东省佛山市禅城区政务服务数据管理局"),
        ])
    func issuerNames(department: String, expected: String) {
        let district = DistrictInfo(name: "禅城区", province: "广东省", city: "佛山市", rootKid: "00", createdAt: Date())
        #expect(district.issuerName(department) == expected)
        #expect(DistrictInfo(name: "朝阳区", province: "", city: "北京市", rootKid: "00", createdAt: Date()).issuerName("区市场监督管理局") == "北京市朝阳区市场监督管理局")
    }

    @Test(
        "Recorded at init or later (audited), printed at the top of documents issued afterwards; a bad value is refused by code and changes nothing",
        .tags(.externalTool), .notInFastLoop)
    func recordedAndPrinted() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        let administration = district.services.administration
        #expect(try await administration.district()?.administrativeName == "禅城区")
        let error = await #expect(throws: ZeroTripError.self) {
            try await administration.setAdministrativeArea(province: "广东 省", city: "佛山市", actor: "test")
        }
        #expect(error?.code == .invalidInput)
        #expect(try await administration.district()?.province == "")
        let info = try await administration.setAdministrativeArea(province: "广东省", city: "佛山市", actor: "test")
        #expect(info.administrativeName == "广东省佛山市禅城区")
        let events = try await AuditLog.events(in: district.services.database, limit: 20)
        #expect(events.contains { $0.action == "district.area_changed" && $0.details.contains("佛山市") })

        let document = try await district.services.documents.issue(DocumentIssuanceTests.request, actor: "test")
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("area.pdf")
        try Data(document.pdf).write(to: file)
        let text = try ExternalTool.run(["pdftotext", "-enc", "UTF-8", "-l", "1", file.path, "-"]).stdout
        #expect(text.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces) == "广东省佛山市禅城区", "\(text.prefix(80))")
    }
}
