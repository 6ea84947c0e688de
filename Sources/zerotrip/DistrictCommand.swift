import ArgumentParser
import ZeroTrip

/// `zerotrip district`: the district's own record (its full administrative name).
struct DistrictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "district",
        abstract: "Show the district, or record the province and city above it (the full name documents and pages print).",
        subcommands: [Show.self, SetArea.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the district's name, full administrative name and root kid (--json for scripts).")
        @OptionGroup var location: LocationOptions
        @Flag(name: .long, help: "JSON.") var json = false
        func run() async throws {
            try await reportingErrors {
                guard let district = try await location.services().administration.district() else {
                    throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first")
                }
                if json { return try printJSON(district) }
                print("\(district.administrativeName) (district \(district.name)); root kid \(district.rootKid)")
            }
        }
    }

    struct SetArea: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-area",
            abstract: "Record the province and city above the district (audited).",
            discussion: """
                Example: zerotrip district set-area --province 广东省 --city 佛山市. Documents issued afterwards print \
                广东省佛山市禅城区 at the top and the verification page names the issuer 广东省佛山市禅城区人力资源和社会保障局; \
                documents already issued keep what they print. Either may be empty (a municipality has no province level).
                """)
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Province, e.g. 广东省 (empty for a municipality such as 北京市).") var province: String
        @Option(name: .long, help: "City, e.g. 佛山市.") var city: String
        func run() async throws {
            try await reportingErrors {
                let district = try await location.services().administration.setAdministrativeArea(province: province, city: city, actor: cliActor)
                print("District \(district.name) is now \(district.administrativeName).")
            }
        }
    }
}
