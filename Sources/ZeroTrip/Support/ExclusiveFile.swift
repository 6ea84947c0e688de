import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Creates files that must not already exist (keys, certificates and issued documents are never overwritten).
package enum ExclusiveFile {
    /// Creates `path` with `mode`, writes `contents` and syncs it; removes the file on any failure.
    static func create(path: String, displayName: String, contents: String, mode: mode_t) throws(ZeroTripError) {
        try create(path: path, displayName: displayName, bytes: Array(contents.utf8), mode: mode)
    }

    /// Creates `path` with `permissions` (0o600 for anything carrying personal data, such as an issued PDF with the
    /// full ID number), writes `bytes` and syncs it; removes the file on any failure. `file_exists` if it exists.
    package static func create(path: String, displayName: String, bytes: [UInt8], permissions: UInt16) throws(ZeroTripError) {
        try create(path: path, displayName: displayName, bytes: bytes, mode: mode_t(permissions))
    }

    static func create(path: String, displayName: String, bytes: [UInt8], mode: mode_t) throws(ZeroTripError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 {
            if errno == EEXIST { throw ZeroTripError(.fileExists, "\(displayName) already exists and is never overwritten") }
            throw ZeroTripError(.storageFailure, "cannot create \(displayName): \(String(cString: strerror(errno)))")
        }
        // open() applies the umask; set the exact mode we promise.
        fchmod(fd, mode)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            written += n
        }
        let ok = written == bytes.count && fsync(fd) == 0
        close(fd)
        if !ok {
            unlink(path)
            throw ZeroTripError(.storageFailure, "cannot write \(displayName)")
        }
        // The name too must survive a power cut, as the contents do: a department committed to the database with a
        // key file whose directory entry was lost could never sign.
        let directory = (path as NSString).deletingLastPathComponent
        syncDirectory(directory.isEmpty ? "." : directory)
    }

    /// Creates `directory` (and its parents) when missing, syncing the parent of each one made, so a new `Keys/` or
    /// `Certificates/departments/` survives a power cut with the files later synced into it.
    static func makeDirectory(_ directory: URL, permissions: Int? = nil) throws {
        var missing: [URL] = []
        var walk = directory.standardizedFileURL
        while !FileManager.default.fileExists(atPath: walk.path), walk.path != "/" {
            missing.append(walk)
            walk = walk.deletingLastPathComponent()
        }
        let attributes: [FileAttributeKey: Any]? = permissions.map { [.posixPermissions: $0] }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: attributes)
        for made in missing.reversed() { syncDirectory(made.deletingLastPathComponent().path) }
    }

    /// Syncs `directory`, so the names created in it are on disk. Best effort: a file system that cannot sync a
    /// directory has already kept the files' data.
    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
