public import ZeroTripCrypto

extension PrivateKey.ScryptParameters {
    /// The key-file cost of the suites' throw-away districts: N = 2^10 (1 MiB, a few milliseconds) instead of the
    /// production 2^14 (16 MiB, about 50 ms), since every district a test creates writes a root and seal keys. The
    /// format and the unlock path are the same; only the work factor differs.
    public static let testing = PrivateKey.ScryptParameters(n: 1 << 10)
}
