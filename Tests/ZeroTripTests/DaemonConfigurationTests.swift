import Foundation
import Testing
@testable import ZeroTrip

@Suite("Daemon configuration: file ← environment ← flags")
struct DaemonConfigurationTests {
    func write(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zt-config-\(UUID().uuidString).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("Later sources win: file, then environment, then flags")
    func precedence() throws {
        let file = try write(#"{"host": "0.0.0.0", "port": 9000, "databasePath": "/tmp/a.sqlite", "logLevel": "debug"}"#)
        var flags = DaemonConfiguration.Overrides()
        flags.port = 9200
        let configuration = try DaemonConfiguration.load(
            file: file, environment: ["ZEROTRIP_PORT": "9100", "ZEROTRIP_DATABASE": "/tmp/b.sqlite"], overrides: flags)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.databasePath == "/tmp/b.sqlite")
        #expect(configuration.port == 9200)
        #expect(configuration.logLevel == "debug")
        #expect(configuration.keysDirectory == "Keys")
    }

    @Test("Fallback fonts: fonts-hanazono by default, a list in the file, a colon-separated list in the environment")
    func fallbackFonts() throws {
        #expect(
            try DaemonConfiguration.load(file: nil, environment: [:], overrides: .init()).fallbackFontPaths.last?.hasSuffix("HanaMinB.ttf") == true)
        let file = try write(#"{"fallbackFontPaths": ["/fonts/a.ttf"]}"#)
        #expect(try DaemonConfiguration.load(file: file, environment: [:], overrides: .init()).fallbackFontPaths == ["/fonts/a.ttf"])
        let environment = ["ZEROTRIP_FALLBACK_FONTS": "/fonts/b.ttf:/fonts/c.ttf"]
        #expect(
            try DaemonConfiguration.load(file: file, environment: environment, overrides: .init()).fallbackFontPaths == [
                "/fonts/b.ttf", "/fonts/c.ttf",
            ])
    }

    @Test("Unless given, the verification base URL follows the listening address; a given one always wins")
    func baseURL() throws {
        #expect(try DaemonConfiguration.load(file: nil, environment: [:], overrides: .init()).verificationBaseURL == "http://127.0.0.1:8080")
        #expect(
            try DaemonConfiguration.load(file: nil, environment: ["ZEROTRIP_PORT": "9090"], overrides: .init()).verificationBaseURL
                == "http://127.0.0.1:9090")
        var flags = DaemonConfiguration.Overrides()
        flags.host = "0.0.0.0"
        flags.port = 8443
        flags.tlsCertificatePath = "/c.pem"
        flags.tlsKeyPath = "/k.pem"
        #expect(try DaemonConfiguration.load(file: nil, environment: [:], overrides: flags).verificationBaseURL == "https://127.0.0.1:8443")
        let given = ["ZEROTRIP_PORT": "9090", "ZEROTRIP_VERIFICATION_BASE_URL": "https://zt.example.gov.cn"]
        #expect(try DaemonConfiguration.load(file: nil, environment: given, overrides: .init()).verificationBaseURL == "https://zt.example.gov.cn")
        let file = try write(#"{"port": 9300, "verificationBaseURL": "https://zt.example.gov.cn"}"#)
        #expect(
            try DaemonConfiguration.load(file: file, environment: ["ZEROTRIP_PORT": "9400"], overrides: .init()).verificationBaseURL
                == "https://zt.example.gov.cn")
    }

    @Test(
        "Invalid settings are refused with invalid_configuration",
        arguments: [
            #"{"port": 70000}"#, #"{"prot": 8080}"#, #"{"tlsCertificatePath": "/x.pem"}"#, #"{"logLevel": "loud"}"#, #"{"maxBodyBytes": 10}"#,
            "not json",
        ])
    func invalid(json: String) throws {
        let file = try write(json)
        let error = #expect(throws: ZeroTripError.self) { try DaemonConfiguration.load(file: file, environment: [:], overrides: .init()) }
        #expect(error?.code == .invalidConfiguration)
    }

    @Test("A non-numeric port in the environment is refused")
    func environment() {
        let error = #expect(throws: ZeroTripError.self) {
            try DaemonConfiguration.load(file: nil, environment: ["ZEROTRIP_PORT": "http"], overrides: .init())
        }
        #expect(error?.code == .invalidConfiguration)
    }
}

extension DaemonConfigurationTests {
    @Test("A postgres:// database is taken from ZEROTRIP_DATABASE_URL or the database key, checked, and shown without its password")
    func postgresLocation() throws {
        let fromEnvironment = try DaemonConfiguration.load(
            file: nil, environment: ["ZEROTRIP_DATABASE_URL": "postgres://zt:s3cret@db.example:6543/district?sslmode=require&readers=2"],
            overrides: DaemonConfiguration.Overrides())
        #expect(fromEnvironment.databasePath.hasPrefix("postgres://"))
        #expect(fromEnvironment.databaseForDisplay == "postgres://zt@db.example:6543/district")
        let location = try PostgresLocation(url: fromEnvironment.databasePath, environment: [:])
        #expect(location.port == 6543 && location.password == "s3cret" && location.tls == .require && location.readers == 2)
        let file = try write(#"{"database": "postgres://zt@127.0.0.1/zerotrip"}"#)
        #expect(
            try DaemonConfiguration.load(file: file, environment: [:], overrides: DaemonConfiguration.Overrides()).databasePath
                == "postgres://zt@127.0.0.1/zerotrip")
        #expect(try PostgresLocation(url: "postgres://zt@h/d", environment: ["PGPASSWORD": "p"]).password == "p")
        for bad in [
            "postgres://h/d", "postgres://zt@/d", "postgres://zt@h/", "postgres://zt@h/d?sslmode=maybe", "postgres://zt@h/d?schema=A-B",
            "postgres://zt@h/d?readers=0", "postgres://zt@h/d?x=1",
        ] {
            let error = #expect(throws: ZeroTripError.self, "\(bad)") {
                try DaemonConfiguration.load(file: nil, environment: ["ZEROTRIP_DATABASE_URL": bad], overrides: DaemonConfiguration.Overrides())
            }
            #expect(error?.code == .invalidConfiguration && error?.message.contains("s3cret") == false)
        }
    }
}
