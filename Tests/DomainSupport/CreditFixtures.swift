public import Foundation
public import ZeroTrip

/// The demo catalogue, credit policy and credit records, loaded through the real loaders.
public enum CreditFixtures {
    /// `demo/` in the repository.
    public static let demo: URL = IdentityFixtures.demoCSV.deletingLastPathComponent()

    /// 陈建国: one administrative penalty (−25) → B.
    public static let chen = (id: "440604197803150419", name: "陈建国")
    /// 黄丽华: two administrative penalties (−50) → C.
    public static let huang = (id: "440604198807220626", name: "黄丽华")
    /// 周永安: on the dishonest judgment debtor list → D.
    public static let zhou = (id: "440606196504300358", name: "周永安")

    /// Reads a demo file.
    public static func file(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: demo.appendingPathComponent(name))) }

    /// Imports the registry, loads the demo policy and catalogue (departments GAJ, RSJ, ZJJ, WJJ must exist) and the demo credit records.
    public static func load(_ services: ZeroTripServices) async throws {
        try await IdentityFixtures.importDemoRegistry(services)
        _ = try await services.credit.loadPolicy(try file("credit-policy.yaml"), actor: "test")
        _ = try await services.credit.loadCatalogue(try file("catalogue.yaml"), actor: "test")
        _ = try await services.credit.importEvents(try file("credit-events.csv"), source: "demo", actor: "test")
    }

    /// The departments the demo catalogue names.
    public static let departments = [("GAJ", "禅城区公安分局"), ("RSJ", "禅城区人力资源和社会保障局"), ("ZJJ", "禅城区住房城乡建设和水利局"), ("WJJ", "禅城区卫生健康局")]
}
