public import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Private key files in `Keys/`: written once with mode 0600, never overwritten, and refused
/// when group or others may read or write them.
public struct KeyFileStore: Sendable {
    /// The `Keys/` directory.
    public let directory: URL

    /// A store rooted at `directory`.
    public init(directory: URL) { self.directory = directory }

    /// Creates `Keys/` (mode 0700) if needed.
    public func prepare() throws(ZeroTripError) {
        do {
            try ExclusiveFile.makeDirectory(directory, permissions: 0o700)
        } catch {
            throw ZeroTripError(.storageFailure, "cannot create the key directory \(directory.lastPathComponent)/").causedBy(error)
        }
    }

    /// Writes a new file `name` with `contents`, mode 0600. Fails if it exists: keys are never overwritten.
    public func create(_ name: String, contents: String) throws(ZeroTripError) {
        try prepare()
        try ExclusiveFile.create(path: directory.appendingPathComponent(name).path, displayName: "key file \(name)", contents: contents, mode: 0o600)
    }

    /// ``create(_:contents:)`` from async code (a department or key made over HTTP): the file is synced to disk before
    /// this returns, milliseconds of waiting on the device that must not hold one of the cooperative pool's threads.
    public func create(_ name: String, contents: String) async throws {
        try await BlockingWork.onDevice { try self.create(name, contents: contents) }
    }

    /// Removes a file this process just created, when the transaction it belonged to failed.
    public func discard(_ name: String) {
        unlink(directory.appendingPathComponent(name).path)
    }

    /// Reads `name` after checking it is a regular file that only its owner can access.
    public func read(_ name: String) throws(ZeroTripError) -> String {
        let path = directory.appendingPathComponent(name).path
        try Self.checkPermissions(path: path, name: name)
        guard let data = FileManager.default.contents(atPath: path), data.count <= 64 * 1024 else {
            throw ZeroTripError(.missingKeyFile, "key file \(name) cannot be read")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether `name` exists.
    public func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
    }

    /// Checks every file in `Keys/` except README.md; the daemon refuses to start on any failure.
    public func checkAllPermissions() throws(ZeroTripError) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names.sorted() where name != "README.md" && !name.hasPrefix(".") {
            try Self.checkPermissions(path: directory.appendingPathComponent(name).path, name: name)
        }
    }

    static func checkPermissions(path: String, name: String) throws(ZeroTripError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw ZeroTripError(.missingKeyFile, "key file \(name) does not exist")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ZeroTripError(.insecureKeyFile, "key file \(name) is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ZeroTripError(
                .insecureKeyFile,
                "key file \(name) is accessible by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 on it")
        }
    }
}
