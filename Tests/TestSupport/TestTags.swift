import Foundation
public import Testing

extension Tag {
    /// The test runs a tool nobody here wrote: openssl, gmssl, qpdf, poppler, pyHanko, zxing-cpp, Python validators,
    /// Chromium or nginx.
    @Tag public static var externalTool: Self
    /// The test starts `zerotrip` processes: the command line or daemons.
    @Tag public static var process: Self
}

/// The inner loop: `ZEROTRIP_FAST_TESTS=1 swift test` skips what is tagged ``Testing/Tag/externalTool`` or
/// ``Testing/Tag/process`` (the suites and tests also marked ``Testing/Trait/notInFastLoop``). The test command runs
/// everything.
public enum FastLoop {
    /// Whether `ZEROTRIP_FAST_TESTS` is `1`.
    public static let enabled = ProcessInfo.processInfo.environment["ZEROTRIP_FAST_TESTS"] == "1"
}

extension Trait where Self == ConditionTrait {
    /// Skipped in the inner loop (``FastLoop``); goes beside `.tags(.externalTool)` or `.tags(.process)`, since a tag
    /// alone cannot skip anything (`swift test --filter` selects by name on this toolchain, not by tag).
    public static var notInFastLoop: Self {
        .disabled(if: FastLoop.enabled, "ZEROTRIP_FAST_TESTS=1 skips external tools and processes")
    }
}
