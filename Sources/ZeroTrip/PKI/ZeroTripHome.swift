public import struct Foundation.URL
public import Foundation
public import ZeroTripCrypto

/// The on-disk layout of a ZeroTrip installation: `Keys/` (private keys, mode 0600),
/// `Certificates/` (public certificates) and the SQLite database.
public struct ZeroTripHome: Sendable {
    /// Directory of private key files.
    public var keysDirectory: URL
    /// Directory of public certificates and trust lists.
    public var certificatesDirectory: URL
    /// Path of the SQLite database.
    public var databasePath: String
    /// The scrypt cost of the key files written here (the root and seal keys). Unlocking reads the cost from each
    /// file, so it can change without rewriting old keys. Production keeps RFC 7914's interactive setting; the test
    /// suites' throw-away districts use a cheap one, since every district they create writes several keys.
    public var keyEncryption = PrivateKey.ScryptParameters()
    /// The `pkcs11:` URI (RFC 7512, with `module-path`) of the token new seal keys are made in; nil keeps them in
    /// encrypted key files. Keys already made stay where they are: each key's register row says where it lives.
    public var sealToken: String?

    /// The layout under `root`: `root/Keys`, `root/Certificates`, `root/var/zerotrip.sqlite`.
    public init(root: URL) {
        keysDirectory = root.appendingPathComponent("Keys")
        certificatesDirectory = root.appendingPathComponent("Certificates")
        databasePath = root.appendingPathComponent("var/zerotrip.sqlite").path
    }

    /// An explicit layout.
    public init(keysDirectory: URL, certificatesDirectory: URL, databasePath: String) {
        self.keysDirectory = keysDirectory
        self.certificatesDirectory = certificatesDirectory
        self.databasePath = databasePath
    }

    /// Path of the district root certificate.
    public var rootCertificateURL: URL { certificatesDirectory.appendingPathComponent("root.pem") }

    /// The key file store for `Keys/`.
    public var keyFiles: KeyFileStore { KeyFileStore(directory: keysDirectory) }
}
