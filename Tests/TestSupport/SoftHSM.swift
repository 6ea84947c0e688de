public import Foundation
import Synchronization

/// Throw-away PKCS#11 tokens for tests: Debian's SoftHSM with its token directory in a temporary directory
/// (`SOFTHSM2_CONF`), never the machine's own tokens.
///
/// SoftHSM reads its token directory when the module is initialised, once per process, so every token the tests
/// use is made up front (``tokens`` of them, by `softhsm2-util`, the tool an operator would use) and each test claims
/// its own with ``claim()``.
public enum SoftHSM {
    /// Debian's SoftHSM module.
    public static let modulePath = "/usr/lib/softhsm/libsofthsm2.so"
    /// The user PIN of every test token.
    public static let pin = "2718-2818"
    /// The security officer PIN of every test token.
    public static let soPIN = "31415926"
    /// How many tokens are made.
    public static let tokens = 24

    /// Whether SoftHSM and OpenSC's pkcs11-tool are installed (the test command installs them).
    public static let available: Bool =
        FileManager.default.fileExists(atPath: modulePath) && FileManager.default.isExecutableFile(atPath: "/usr/bin/softhsm2-util")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/pkcs11-tool")

    /// The token directory and configuration, made (with all tokens) on first use; `SOFTHSM2_CONF` is set for this
    /// process and the tools it runs.
    public static let configuration: Result<URL, any Error> = Result {
        let directory = try ExternalTool.temporaryDirectory()
        let tokens = directory.appendingPathComponent("tokens")
        try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
        let conf = directory.appendingPathComponent("softhsm2.conf")
        try Data("directories.tokendir = \(tokens.path)\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n".utf8)
            .write(to: conf)
        setenv("SOFTHSM2_CONF", conf.path, 1)
        for number in 1...SoftHSM.tokens {
            let made = try ExternalTool.run([
                "softhsm2-util", "--init-token", "--free", "--label", label(number), "--so-pin", soPIN, "--pin", pin,
            ])
            guard made.status == 0 else { throw TokenSetupError(message: made.stderr + made.stdout) }
        }
        return conf
    }

    private static let claimed = Atomic<Int>(0)

    /// `zt-test-07`: of equal length, so no label is the start of another (pkcs11-tool's --token-label matches a
    /// prefix).
    static func label(_ number: Int) -> String { "zt-test-" + (number < 10 ? "0" : "") + String(number) }

    /// A token no other test uses: its label and its `pkcs11:` URI (module path included, no PIN).
    public static func claim() throws -> (label: String, uri: String) {
        _ = try configuration.get()
        let number = claimed.add(1, ordering: .relaxed).newValue
        guard number <= tokens else { throw TokenSetupError(message: "all \(tokens) test tokens are taken: raise SoftHSM.tokens") }
        return (label(number), "pkcs11:token=\(label(number))?module-path=\(modulePath)")
    }

    /// A token whose store was taken away by ``withdraw(_:)``.
    public struct Withdrawn: Sendable {
        let directory: URL
        let away: URL

        /// Puts the token's store back where SoftHSM looks for it (once: a second call does nothing).
        public func restore() throws {
            guard FileManager.default.fileExists(atPath: away.path) else { return }
            try FileManager.default.moveItem(at: away, to: directory)
        }
    }

    /// Takes token `label`'s store (SoftHSM keeps each token in a directory of its own) out of SoftHSM's sight, as
    /// pulling a USB key out would, until ``Withdrawn/restore()``.
    public static func withdraw(_ label: String) throws -> Withdrawn {
        let tokens = try configuration.get().deletingLastPathComponent().appendingPathComponent("tokens")
        let candidates = try FileManager.default.contentsOfDirectory(at: tokens, includingPropertiesForKeys: nil)
        guard
            let directory = candidates.first(where: { candidate in
                let object = (try? Data(contentsOf: candidate.appendingPathComponent("token.object"))) ?? Data()
                return object.range(of: Data(label.utf8)) != nil
            })
        else { throw TokenSetupError(message: "no token store holds \(label)") }
        let away = tokens.deletingLastPathComponent().appendingPathComponent("withdrawn-\(label)")
        try FileManager.default.moveItem(at: directory, to: away)
        return Withdrawn(directory: directory, away: away)
    }

    /// `softhsm2-util` or `pkcs11-tool` failed.
    public struct TokenSetupError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { "SoftHSM setup failed: \(message)" }
    }
}
