import ArgumentParser
import Foundation
import Synchronization
import ZeroTrip

/// Where the database, keys and certificates are; shared by every command.
struct LocationOptions: ParsableArguments {
    @Option(name: .long, help: "JSON configuration file (see docs/configuration.md).")
    var config: String?

    @Option(
        name: .long, help: "SQLite database path, or a postgres:// URL (default var/zerotrip.sqlite, or ZEROTRIP_DATABASE / ZEROTRIP_DATABASE_URL).")
    var database: String?

    @Option(name: .customLong("keys-dir"), help: "Private key directory (default Keys, or ZEROTRIP_KEYS_DIR).")
    var keysDirectory: String?

    @Option(name: .customLong("certificates-dir"), help: "Certificate directory (default Certificates, or ZEROTRIP_CERTIFICATES_DIR).")
    var certificatesDirectory: String?

    @Option(name: .long, help: "Key passphrase (prefer ZEROTRIP_KEY_PASSPHRASE or Keys/passphrase: flags show up in process lists).")
    var passphrase: String?

    @Option(
        name: .customLong("verification-base-url"),
        help:
            "Public base URL of the verification page, printed on documents and in QR codes (default: http://HOST:PORT the daemon listens on, or ZEROTRIP_VERIFICATION_BASE_URL)."
    )
    var verificationBaseURL: String?

    var overrides: DaemonConfiguration.Overrides {
        var overrides = DaemonConfiguration.Overrides()
        overrides.databasePath = database
        overrides.keysDirectory = keysDirectory
        overrides.certificatesDirectory = certificatesDirectory
        overrides.verificationBaseURL = verificationBaseURL
        return overrides
    }

    func configuration(adding extra: DaemonConfiguration.Overrides? = nil) throws -> DaemonConfiguration {
        var merged = overrides
        if let extra {
            merged.host = extra.host
            merged.port = extra.port
            merged.maxBodyBytes = extra.maxBodyBytes
            merged.tlsCertificatePath = extra.tlsCertificatePath
            merged.tlsKeyPath = extra.tlsKeyPath
            merged.logLevel = extra.logLevel
        }
        return try DaemonConfiguration.load(file: config, environment: ProcessInfo.processInfo.environment, overrides: merged)
    }

    /// The district's services. Commands that work on a district refuse to run where there is none, instead of
    /// creating an empty database (and an identity key) and answering as if all were well ("intact: 0 events").
    /// `init`, `demo setup` and `serve` open the database themselves.
    func services(sealToken: String? = nil) throws -> ZeroTripServices {
        var configuration = try configuration()
        if let sealToken {
            configuration.sealToken = sealToken
            try configuration.validate()
        }
        guard PostgresLocation.isPostgresURL(configuration.databasePath) || FileManager.default.fileExists(atPath: configuration.databasePath) else {
            throw ZeroTripError(
                .notInitialized,
                "no district here: \(configuration.databasePath) does not exist (zerotrip init creates one; "
                    + "--database, --config or ZEROTRIP_DATABASE point to another)")
        }
        return try ZeroTripServices.open(configuration: configuration, passphrase: passphrase)
    }
}

/// Runs a command body, printing domain errors as `error [code]: message` and exiting 1.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ZeroTripError {
        FileHandle.standardError.write(Data("error [\(error.code)]: \(error.message)\(error.cause.map { " (cause: \($0))" } ?? "")\n".utf8))
        throw ExitCode(1)
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error [internal_error]: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Prints `value` as pretty JSON.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Rows aligned under `header` for people reading a terminal (lists print this; `--json` prints the objects). Columns
/// are padded by display width (a CJK character takes two cells); the last column is not padded.
func formatTable(_ header: [String], _ rows: [[String]]) -> String {
    func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { total, scalar in
            total
                + ((0x1100...0x115F).contains(scalar.value) || (0x2E80...0xA4CF).contains(scalar.value) || (0xAC00...0xD7A3).contains(scalar.value)
                    || (0xF900...0xFAFF).contains(scalar.value) || (0xFF00...0xFF60).contains(scalar.value)
                    || (0x20000...0x3FFFD).contains(scalar.value) ? 2 : 1)
        }
    }
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { width($0[column]) }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - width(cell))
        }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
}

/// The audit actor for commands run by hand: `cli:<login user>`.
var cliActor: String {
    "cli:\(ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? NSUserName())"
}

/// A progress line on standard error, at most once a second (standard output stays the result, for scripts): what
/// long CLI work (imports, migrations, benchmark phases) says while it runs.
final class ProgressLine: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    /// Prints `text` if a second has passed since the last line (or none was printed yet).
    func report(_ text: @autoclosure () -> String) {
        let now = ContinuousClock.now
        let due = last.withLock { last -> Bool in
            guard last.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
            last = now
            return true
        }
        if due { FileHandle.standardError.write(Data((text() + "\n").utf8)) }
    }
}
