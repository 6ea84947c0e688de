internal import COpenSSL

/// Facts about the linked OpenSSL library.
public enum OpenSSLLibrary {
    /// The runtime version string, e.g. `OpenSSL 3.0.19 27 Jan 2026`.
    public static var versionText: String { String(cString: OpenSSL_version(Int32(OPENSSL_VERSION))) }
    /// The version the headers were compiled against.
    public static var headerVersionText: String { String(cString: zt_OPENSSL_VERSION_TEXT()) }
}
