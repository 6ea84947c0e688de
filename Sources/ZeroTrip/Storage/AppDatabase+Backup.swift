public import Foundation
import GRDB
import ZeroTripCrypto

/// What a finished backup holds, for the operator's record (and the audit event it leaves).
public struct BackupSummary: Sendable {
    /// Where the copy is.
    public let path: String
    /// Its size in bytes.
    public let bytes: Int64
    /// SHA-256 of the file, to check a copy moved to other media.
    public let sha256: [UInt8]
    /// Audit events in the copy and the newest one's hash: `zerotrip audit verify` on a restored copy must say the same.
    public let auditEvents: Int64
    /// Leaves of the transparency log in the copy.
    public let logLeaves: Int64
    /// Documents in the register of the copy.
    public let documents: Int64
}

extension AppDatabase {
    /// Copies the live database to a new file at `path` with SQLite's online backup API, while the daemon keeps
    /// serving: the copy is one consistent snapshot (a read transaction), so it never holds half of a transaction.
    ///
    /// The copy is written next to `path` under a temporary name, checked (`PRAGMA integrity_check`), synced to disk,
    /// made readable by its owner only (it holds personal data) and only then linked to `path`, which must not exist:
    /// a failed or interrupted backup leaves no file that looks like a backup, and never replaces an older one.
    /// The backup is recorded in the audit log of the live database. Blocking file work runs on a queue of its
    /// own, never on the cooperative pool.
    public func backup(to path: String, actor: String, at now: Date) async throws -> BackupSummary {
        let target = URL(fileURLWithPath: path).standardizedFileURL
        let directory = target.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ZeroTripError(.invalidInput, "the directory \(directory.path) does not exist")
        }
        guard !FileManager.default.fileExists(atPath: target.path) else {
            throw ZeroTripError(.fileExists, "\(target.path) exists; a backup never replaces a file")
        }
        guard let source = sqliteWriter else {
            throw ZeroTripError(
                .invalidInput, "zerotrip backup copies an SQLite database; back up PostgreSQL with pg_dump or pg_basebackup (docs/deployment.md)")
        }
        let summary: BackupSummary = try await withCheckedThrowingContinuation { continuation in
            Self.backupQueue.async {
                continuation.resume(with: Result { try Self.copy(source, to: target) })
            }
        }
        _ = try await write { db in
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .databaseBackedUp, target: "database",
                    details: [
                        "file": target.lastPathComponent, "bytes": String(summary.bytes), "sha256": Hex.encode(summary.sha256),
                        "audit_events": String(summary.auditEvents), "log_leaves": String(summary.logLeaves),
                    ]), at: now, in: db)
        }
        return summary
    }

    /// Backups run one at a time, away from the cooperative pool and from key unlocks (``BlockingWork``).
    private static let backupQueue = DispatchQueue(label: "zerotrip.backup", qos: .utility)

    private static func copy(_ source: any DatabaseWriter, to target: URL) throws -> BackupSummary {
        let temporary = target.deletingLastPathComponent()
            .appendingPathComponent(
                ".\(target.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0 ... .max))")
        // Created empty with mode 0600 before SQLite opens it, so the personal data is never readable by others.
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw ZeroTripError(.storageFailure, "cannot create a file in \(target.deletingLastPathComponent().path)")
        }
        // The temporary name goes in every case; once linked, the copy lives on under the target's name.
        defer {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: temporary.path + suffix) }
        }
        let counts: (audit: Int64, leaves: Int64, documents: Int64)
        do {
            let destination = try DatabaseQueue(path: temporary.path)
            try source.backup(to: destination)
            counts = try destination.writeWithoutTransaction { db in
                // The copy carries the live database's WAL mode; a backup is one self-contained file.
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
                let check = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                guard check == ["ok"] else {
                    throw ZeroTripError(.storageFailure, "the copy failed SQLite's integrity check: \(check.prefix(3).joined(separator: "; "))")
                }
                return (
                    try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_events") ?? 0,
                    try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM log_leaves") ?? 0,
                    try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM documents") ?? 0
                )
            }
            try destination.close()
        } catch let error as ZeroTripError {
            throw error
        } catch {
            throw ZeroTripError(.storageFailure, "the backup failed; no file was left at the target (\(String(describing: error).prefix(200)))")
        }
        let (bytes, digest) = try BackupFile.syncAndHash(temporary)
        // link(2) fails when the target exists: no race between the check above and here can replace a file.
        guard link(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw errno == EEXIST
                ? ZeroTripError(.fileExists, "\(target.path) exists; a backup never replaces a file")
                : ZeroTripError(.storageFailure, "cannot create \(target.path): \(reason)")
        }
        ExclusiveFile.syncDirectory(target.deletingLastPathComponent().path)
        return BackupSummary(
            path: target.path, bytes: bytes, sha256: digest, auditEvents: counts.audit, logLeaves: counts.leaves,
            documents: counts.documents)
    }
}

/// File steps of a backup, outside `AppDatabase` so that `open` and `read` name the system calls.
private enum BackupFile {
    /// fsyncs `file` and returns its size and SHA-256, reading it in 1 MiB pieces.
    static func syncAndHash(_ file: URL) throws -> (Int64, [UInt8]) {
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ZeroTripError(.storageFailure, "cannot read the copy back: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ZeroTripError(.storageFailure, "cannot sync the copy to disk: \(String(cString: strerror(errno)))") }
        var digest = try withCrypto("hashing the backup") { () throws(CryptoError) in try Digest(.sha256) }
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw ZeroTripError(.storageFailure, "cannot read the copy back: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            total += Int64(count)
            try withCrypto("hashing the backup") { () throws(CryptoError) in try digest.update(buffer[..<count]) }
        }
        let hash = try withCrypto("hashing the backup") { () throws(CryptoError) in try digest.finalize() }
        return (total, hash)
    }
}
