public import Foundation

/// Runs tools nobody here wrote (openssl, python3 with gmssl) so tests can check ZeroTrip against them.
public enum ExternalTool {
    /// What a tool printed and its exit status.
    public struct Output: Sendable {
        /// Exit status.
        public var status: Int32
        /// Standard output.
        public var stdout: String
        /// Standard error.
        public var stderr: String
    }

    /// Runs `arguments[0]` from PATH with the rest as arguments, in `directory`.
    @discardableResult
    public static func run(_ arguments: [String], input: String? = nil, in directory: URL? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        // Drain stderr concurrently so a chatty tool cannot block on a full pipe.
        let errorData = LockedData()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorData.set(err.fileHandleForReading.readDataToEndOfFile()); group.leave()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let stderr = errorData.get()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A fresh temporary directory, removed by the caller.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

extension ExternalTool {
    /// The repository root (where Package.swift is), for scripts under Tests/validators.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// `Tests/validators/<name>`.
    public static func validator(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("Tests/validators/\(name)").path
    }
}

/// Whether a headless Chromium can be driven here (Debian's `chromium` and `chromium-driver`, Selenium from PyPI).
public enum Browser {
    public static let available: Bool =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
        && (try? ExternalTool.run(["python3", "-c", "import selenium"]).status) == 0

    /// Where the browser tests leave screenshots: `ZEROTRIP_SCREENSHOTS`, or `.build/screenshots` of the checkout
    /// (never committed).
    public static var screenshots: String {
        ProcessInfo.processInfo.environment["ZEROTRIP_SCREENSHOTS"]
            ?? ExternalTool.repositoryRoot.appendingPathComponent(".build/screenshots").path
    }
}
