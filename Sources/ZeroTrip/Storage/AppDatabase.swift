package import GRDB
import Foundation
import Synchronization

/// ZeroTrip's database: SQLite through GRDB (a WAL-mode `DatabasePool` in production, the default) or PostgreSQL
/// through postgres-nio (``PostgresEngine``, for several daemons on one shared database), with named, append-only
/// migrations for each.
///
/// Access is asynchronous only. The daemon runs on Swift's cooperative pool, which has one thread per core (two
/// here): a synchronous `read`/`write` parks a pool thread on a connection, and once every pool thread is parked
/// nothing can hand a connection back (the hang of issue 13). `read` and `write` suspend instead and run the
/// closure on the engine's own threads (GRDB's serial queues, ``ReadExecutor``, ``PostgresLanes``). Stores see
/// only ``SQLTransaction``, whichever engine holds the data.
public struct AppDatabase: Sendable {
    enum Engine: Sendable {
        case sqlite(any DatabaseWriter)
        case postgres(PostgresEngine)
    }

    let engine: Engine
    /// Group commit for stand-alone audit events (``AuditLog/append(_:at:to:)``).
    public let audit: AuditBatcher
    /// How long reads and writes waited to begin (for `/metrics`).
    public let waits: DatabaseWaits
    /// Counts committed transactions of this process that changed a signing key's status (a row in
    /// `signing_key_history`), so caches of key material refresh at once after this daemon created, rotated or
    /// revoked a key; changes by another process are found by the caches' periodic check of the history.
    let keyChanges: TableChangeCounter

    /// The reader threads of a file database (nil in memory, where GRDB's own async read serves).
    private let readers: ReadExecutor.Lifetime?
    /// The background checkpoint of a file database, once ``startBackgroundCheckpoints()`` ran.
    private let checkpointer = CheckpointerSlot()

    private final class CheckpointerSlot: Sendable {
        let current = Mutex<WALCheckpointer.Lifetime?>(nil)
    }

    /// The SQLite writer (nil on PostgreSQL): backups and checkpoints only; everything else awaits `read`/`write`.
    var sqliteWriter: (any DatabaseWriter)? {
        if case .sqlite(let writer) = engine { return writer }
        return nil
    }

    /// `sqlite` or `postgres`.
    public var engineName: String {
        switch engine {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }

    /// Wraps `writer` and runs every pending migration (at start-up, before any request is served).
    package init(_ writer: any DatabaseWriter) throws {
        engine = .sqlite(writer)
        keyChanges = TableChangeCounter(table: "signing_key_history")
        let waits = DatabaseWaits()
        self.waits = waits
        audit = AuditBatcher(write: { batch, completion in Self.write(on: .sqlite(writer), waits: waits, batch, completion: completion) })
        try Self.migrator.migrate(writer)
        writer.add(transactionObserver: keyChanges, extent: .databaseLifetime)
        if let pool = writer as? DatabasePool {
            readers = ReadExecutor.Lifetime(ReadExecutor(path: pool.path, configuration: pool.configuration))
        } else {
            readers = nil
        }
    }

    /// Connects to the PostgreSQL database at `location` and runs every pending migration.
    package init(postgres location: PostgresLocation) throws {
        let keyChanges = TableChangeCounter(table: "signing_key_history")
        let engine: PostgresEngine
        do {
            engine = try PostgresEngine(location: location, watchedTable: keyChanges.table, onWatchedTableCommit: { keyChanges.noteCommit() })
        } catch let error as SQLFailure where error.kind == .unavailable {
            throw ZeroTripError(.databaseUnavailable, "cannot reach the database at \(location.redacted): \(error.message)")
        }
        self.engine = .postgres(engine)
        self.keyChanges = keyChanges
        let waits = DatabaseWaits()
        self.waits = waits
        audit = AuditBatcher(
            write: { batch, completion in Self.write(on: .postgres(engine), waits: waits, batch, completion: completion) },
            readApart: { several, read in try await Self.mappingBusy { try await engine.read(severalStatements: several, read) } })
        readers = nil
    }

    /// Time per statement round trip to PostgreSQL, waited for and pipelined; nil on SQLite.
    package func postgresRoundTrips(_ count: Int = 2_000) async throws -> (waited: Duration, pipelined: Duration)? {
        guard case .postgres(let engine) = engine else { return nil }
        return try await engine.roundTrips(count)
    }

    /// The settings of the daemon's PostgreSQL sessions under which a commit the server has acknowledged is not safe
    /// from a crash (``durabilityGaps(_:)``), as `name=off` in name order; empty when there is none, and on SQLite,
    /// whose writer syncs every commit.
    ///
    /// ZeroTrip answers an issuance or an audited verification once its commit is acknowledged; under such a setting
    /// that answer may not survive. `zerotrip serve` warns at start-up, and `bench documents --database` and `bench
    /// http --database` print it beside their ratios, which a server that skips its syncs flatters.
    package func postgresDurabilityGaps() async throws -> [String] {
        guard case .postgres(let engine) = engine else { return [] }
        return try await engine.read { db in
            Self.durabilityGaps(
                try db.fetchAll(sql: "SELECT name, setting FROM pg_settings WHERE name IN \(Self.durabilitySettings)").map {
                    (name: $0["name"], setting: $0["setting"])
                })
        }
    }

    /// The PostgreSQL settings whose `off` puts acknowledged commits at risk: with `synchronous_commit` off a crash of
    /// the server or its machine loses the last commits; with `fsync` or `full_page_writes` off it can corrupt the
    /// database (a page half-written at the crash). Every other `synchronous_commit` value (`on`, `local`,
    /// `remote_write`, `remote_apply`) waits for the local flush.
    static let durabilitySettings = "('fsync', 'full_page_writes', 'synchronous_commit')"

    /// The gaps among `settings` (rows of `pg_settings`): each one that is `off`, as `name=off`, in name order.
    package static func durabilityGaps(_ settings: [(name: String, setting: String)]) -> [String] {
        settings.filter { $0.setting == "off" }.map { "\($0.name)=off" }.sorted()
    }

    /// Opens the database named by `location`: a `postgres://` URL, or else the path of an SQLite file.
    public static func open(location: String) throws -> AppDatabase {
        if PostgresLocation.isPostgresURL(location) {
            return try AppDatabase(postgres: try PostgresLocation(url: location))
        }
        return try open(path: location)
    }

    /// Runs `body` in a read-only transaction on a reader thread (``ReadExecutor``, ``PostgresLanes``), suspending
    /// (never blocking) the calling task until it has run.
    ///
    /// `severalStatements`: `body` always runs more than one statement. PostgreSQL first tries a read's first `SELECT`
    /// alone and runs it again in a snapshot when it needs more; a read known to need more starts in its snapshot
    /// (one statement fewer). SQLite ignores it.
    package func read<T: Sendable>(severalStatements: Bool = false, _ body: @escaping @Sendable (SQLTransaction) throws -> T) async throws -> T {
        let (asked, waits, original) = (ContinuousClock.now, self.waits, body)
        let body: @Sendable (SQLTransaction) throws -> T = { db in
            waits.record(.read, since: asked)
            return try original(db)
        }
        return try await Self.mappingBusy {
            switch engine {
            case .sqlite(let writer):
                if let readers { return try await readers.executor.read(body) }
                return try await writer.read { db in try body(SQLTransaction(sqlite: db)) }
            case .postgres(let engine):
                // PostgreSQL may run a read twice (a lone statement first, then in a snapshot): its wait is the first start.
                let first = DatabaseWaits.FirstRun()
                return try await engine.read(severalStatements: severalStatements) { db in
                    if first.take() { waits.record(.read, since: asked) }
                    return try original(db)
                }
            }
        }
    }

    /// Runs `body` in one write transaction (committed when it returns, rolled back when it throws) on the engine's
    /// writer. Another process holding the write lock past the busy timeout answers `database_busy` (503 with
    /// `Retry-After`), never a storage failure.
    @discardableResult
    package func write<T: Sendable>(_ body: @escaping @Sendable (SQLTransaction) throws -> T) async throws -> T {
        let (asked, waits) = (ContinuousClock.now, self.waits)
        let body: @Sendable (SQLTransaction) throws -> T = { db in
            waits.record(.write, since: asked)
            return try body(db)
        }
        return try await Self.mappingBusy {
            switch engine {
            case .sqlite(let writer):
                return try await writer.write { db in try body(SQLTransaction(sqlite: db)) }
            case .postgres(let engine):
                return try await engine.write(body)
            }
        }
    }

    /// Drops a PostgreSQL schema with everything in it (a benchmark's throw-away district); nothing on SQLite.
    public func dropSchema(_ schema: String) async throws {
        guard case .postgres(let engine) = engine, schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else { return }
        try await engine.write { db in try db.executeScript("DROP SCHEMA \(schema) CASCADE") }
    }

    /// Busy and unreachable databases become `database_busy` / `database_unavailable` (503 with `Retry-After`).
    private static func mappingBusy<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw mapped(error)
        }
    }

    /// A busy or unreachable database as the errors callers answer with (503 with `Retry-After`); others unchanged.
    private static func mapped(_ error: any Error) -> any Error {
        switch error {
        case let error as DatabaseError where isBusy(error): busyError
        case let error as SQLFailure where error.kind == .busy: busyError
        case let error as SQLFailure where error.kind == .unavailable:
            ZeroTripError(.databaseUnavailable, "the database cannot be reached; try again shortly")
        default: error
        }
    }

    /// ``write(_:)`` with its outcome handed to `completion` on the engine's writer thread (the group commit's
    /// ``AuditBatcher`` hands over its next batch from there).
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLTransaction) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void)
    {
        Self.write(on: engine, waits: waits, body, completion: completion)
    }

    /// ``write(_:completion:)`` on `engine` (the initialisers hand it to the audit batcher before `self` exists).
    private static func write<T: Sendable>(
        on engine: Engine, waits: DatabaseWaits, _ body: @escaping @Sendable (SQLTransaction) throws -> T,
        completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) {
        let asked = ContinuousClock.now
        let body: @Sendable (SQLTransaction) throws -> T = { db in
            waits.record(.write, since: asked)
            return try body(db)
        }
        switch engine {
        case .sqlite(let writer):
            writer.asyncWrite({ db in try body(SQLTransaction(sqlite: db)) }, completion: { _, result in completion(result.mapError(Self.mapped)) })
        case .postgres(let engine):
            engine.write(body) { completion($0.mapError(Self.mapped)) }
        }
    }

    /// For the daemon: checkpoints move from inside the writer's commits to a connection and thread of their own
    /// (``WALCheckpointer``), so no group commit waits for one. Short-lived commands keep SQLite's automatic
    /// checkpoint. Nothing happens for an in-memory database or when already started.
    public func startBackgroundCheckpoints() async throws {
        guard let pool = sqliteWriter as? DatabasePool else { return }
        let started = try checkpointer.current.withLock { current -> Bool in
            guard current == nil else { return false }
            current = WALCheckpointer.Lifetime(try WALCheckpointer(pool: pool))
            return true
        }
        if started { try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") } }
    }

    /// Stops the background checkpoints (graceful shutdown); the writer checkpoints automatically again.
    public func stopBackgroundCheckpoints() async throws {
        guard let pool = sqliteWriter as? DatabasePool, checkpointer.current.withLock({ $0.take() }) != nil else { return }
        try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 1000") }
    }

    static func isBusy(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }

    static var busyError: ZeroTripError {
        ZeroTripError(.databaseBusy, "the database is busy with another writer; try again shortly")
    }

    /// Copies every WAL frame into the database file and truncates the WAL (before a backup, or a benchmark's measurement).
    public func checkpoint() async throws {
        guard let writer = sqliteWriter else { return }
        try await writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Opens (creating if needed) the SQLite database at `path` as a WAL-mode pool.
    public static func open(path: String) throws -> AppDatabase {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // About 5 s of retries before `database_busy`, in steps of 0.2 ms at first: a lock held for a millisecond (a
        // checkpoint waiting for readers, another process's commit) costs about that, not SQLite's default sleeps of
        // 1, 2, 5, 10, 15 … ms.
        configuration.busyMode = .callback { tries in
            usleep(tries < 50 ? 200 : 2000)
            return tries < 50 + 2500
        }
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 4 MiB page cache per connection (six of them in the daemon). A reader drops its cache whenever another
            // connection committed, which under audit load is every few milliseconds, so a larger one only held memory;
            // the hot pages stay in the OS page cache.
            try db.execute(sql: "PRAGMA cache_size = -4096")
            // No memory map. In WAL mode a reader that finds the database changed since its last transaction unmaps
            // the whole file and maps it again; with audit commits every few milliseconds that was a munmap (and a
            // TLB shootdown on every core) per read, most of a verification's CPU time, and the mapped pages
            // counted in the daemon's resident memory. Reads go through the OS page cache instead.
            try db.execute(sql: "PRAGMA mmap_size = 0")
            // When the WAL starts again from its beginning, a log that a burst grew past 64 MiB is cut back to that.
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // Again on the writer: the pool turns WAL mode on after `prepareDatabase` ran, and sets NORMAL as it does,
        // under which a commit is not synced until the next checkpoint, so an answered issuance or audit event could
        // vanish in a power cut. FULL syncs the log at each commit, once per group-committed batch.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        return try AppDatabase(pool)
    }

    /// An in-memory database with the same schema, for tests.
    public static func inMemory() throws -> AppDatabase {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        return try AppDatabase(DatabaseQueue(configuration: configuration))
    }

    /// Migrations are named and only ever appended: never edit one that has shipped.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-22 foundation: district, departments, keys, credentials, audit log") { db in
            try db.execute(
                sql: """
                    CREATE TABLE district (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        name TEXT NOT NULL,
                        root_kid TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    CREATE TABLE departments (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        code TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        name TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    CREATE TABLE signing_keys (
                        kid TEXT PRIMARY KEY,
                        department_id INTEGER REFERENCES departments(id),
                        role TEXT NOT NULL CHECK (role IN ('root', 'seal')),
                        algorithm TEXT NOT NULL,
                        status TEXT NOT NULL,
                        certificate BLOB NOT NULL,
                        key_file TEXT NOT NULL,
                        not_before DATETIME NOT NULL,
                        not_after DATETIME NOT NULL,
                        created_at DATETIME NOT NULL,
                        CHECK ((role = 'root') = (department_id IS NULL))
                    );
                    CREATE INDEX signing_keys_department ON signing_keys(department_id);
                    CREATE TABLE signing_key_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kid TEXT NOT NULL REFERENCES signing_keys(kid),
                        status TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        changed_at DATETIME NOT NULL
                    );
                    CREATE TABLE credentials (
                        id TEXT PRIMARY KEY,
                        department_id INTEGER NOT NULL REFERENCES departments(id),
                        label TEXT NOT NULL,
                        scopes TEXT NOT NULL,
                        secret_hash BLOB NOT NULL,
                        created_at DATETIME NOT NULL,
                        revoked_at DATETIME
                    );
                    CREATE TABLE credential_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        credential_id TEXT NOT NULL REFERENCES credentials(id),
                        change TEXT NOT NULL,
                        changed_at DATETIME NOT NULL
                    );
                    CREATE TABLE audit_events (
                        seq INTEGER PRIMARY KEY,
                        occurred_at TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        target TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        details TEXT NOT NULL,
                        prev_hash BLOB NOT NULL,
                        hash BLOB NOT NULL
                    );
                    CREATE TABLE audit_head (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        seq INTEGER NOT NULL,
                        hash BLOB NOT NULL
                    );

                    -- History is append-only: the application never edits or deletes these rows.
                    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
                        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
                    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
                        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
                    CREATE TRIGGER departments_no_delete BEFORE DELETE ON departments
                        BEGIN SELECT RAISE(ABORT, 'departments are never deleted'); END;
                    CREATE TRIGGER signing_keys_no_delete BEFORE DELETE ON signing_keys
                        BEGIN SELECT RAISE(ABORT, 'signing keys are never deleted'); END;
                    CREATE TRIGGER signing_keys_immutable BEFORE UPDATE OF kid, department_id, role, algorithm, certificate, key_file ON signing_keys
                        BEGIN SELECT RAISE(ABORT, 'signing key material is immutable'); END;
                    CREATE TRIGGER credentials_no_delete BEFORE DELETE ON credentials
                        BEGIN SELECT RAISE(ABORT, 'credentials are never deleted; revoke them'); END;
                    CREATE TRIGGER signing_key_history_no_change BEFORE UPDATE ON signing_key_history
                        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                    CREATE TRIGGER credential_history_no_change BEFORE UPDATE ON credential_history
                        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                    """)
        }
        migrator.registerMigration("2026-11-22 documents: register of issued result documents") { db in
            try db.execute(
                sql: """
                    CREATE TABLE documents (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        department_code TEXT NOT NULL,
                        kid TEXT NOT NULL REFERENCES signing_keys(kid),
                        matter_code TEXT NOT NULL,
                        matter_name TEXT NOT NULL,
                        holder_name TEXT NOT NULL,
                        holder_id_number TEXT NOT NULL,
                        fields TEXT NOT NULL,
                        pickup_mode TEXT NOT NULL,
                        issued_at DATETIME NOT NULL,
                        valid_until DATETIME NOT NULL,
                        issued_by TEXT NOT NULL,
                        supersedes TEXT REFERENCES documents(id),
                        pdf BLOB NOT NULL,
                        pdf_sha256 BLOB NOT NULL UNIQUE,
                        content_sha256 BLOB NOT NULL,
                        token TEXT NOT NULL,
                        status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked', 'superseded')),
                        status_reason TEXT,
                        status_changed_at DATETIME,
                        superseded_by TEXT REFERENCES documents(id)
                    );
                    CREATE INDEX documents_holder ON documents(holder_id_number);
                    CREATE INDEX documents_department ON documents(department_code, issued_at);
                    CREATE TABLE document_status_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        document_id TEXT NOT NULL REFERENCES documents(id),
                        status TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        changed_at DATETIME NOT NULL
                    );
                    -- A document is never deleted or rewritten; only its status moves, once, away from 'valid'.
                    CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
                        BEGIN SELECT RAISE(ABORT, 'documents are never deleted; revoke them'); END;
                    CREATE TRIGGER documents_immutable BEFORE UPDATE OF id, department_code, kid, matter_code, matter_name, holder_name,
                        holder_id_number, fields, pickup_mode, issued_at, valid_until, issued_by, supersedes, pdf, pdf_sha256,
                        content_sha256, token ON documents
                        BEGIN SELECT RAISE(ABORT, 'issued documents are immutable; re-issue instead'); END;
                    CREATE TRIGGER documents_status_once BEFORE UPDATE OF status ON documents WHEN OLD.status != 'valid'
                        BEGIN SELECT RAISE(ABORT, 'a revoked or superseded document cannot change status again'); END;
                    CREATE TRIGGER document_status_history_no_change BEFORE UPDATE ON document_status_history
                        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                    CREATE TRIGGER document_status_history_no_delete BEFORE DELETE ON document_status_history
                        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                    """)
        }
        migrator.registerMigration("2026-11-22 identity: population registry, verifications, assurance, devices, applicant sessions") { db in
            try db.execute(
                sql: """
                    -- The population registry. The citizen ID number is kept as a keyed hash (the index), an
                    -- AES-256-GCM copy bound to the row (opened only to show it at tier ≥ 2 and to find one's
                    -- results), and a masked form for display. See docs/identity.md.
                    CREATE TABLE persons (
                        id TEXT PRIMARY KEY CHECK (length(id) = 17),
                        id_lookup BLOB NOT NULL UNIQUE CHECK (length(id_lookup) = 32),
                        id_sealed BLOB NOT NULL,
                        id_masked TEXT NOT NULL,
                        name TEXT NOT NULL,
                        phone_sealed BLOB NOT NULL,
                        phone_masked TEXT NOT NULL,
                        card_valid_from TEXT NOT NULL,
                        card_valid_until TEXT NOT NULL,
                        created_at DATETIME NOT NULL,
                        updated_at DATETIME NOT NULL
                    );
                    CREATE TABLE person_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        person_id TEXT NOT NULL REFERENCES persons(id),
                        change TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        changed_at DATETIME NOT NULL
                    );
                    -- One verification attempt: an SMS code flow, a pending clerk video check or a window hand-off.
                    -- subject_lookup is the keyed hash of the claimed ID number, set even when it matches nobody.
                    CREATE TABLE verification_flows (
                        id TEXT PRIMARY KEY CHECK (length(id) = 24),
                        secret_hash BLOB NOT NULL,
                        method TEXT NOT NULL CHECK (method IN ('sms', 'video', 'window_card')),
                        subject_lookup BLOB NOT NULL,
                        person_id TEXT REFERENCES persons(id),
                        code_hash BLOB,
                        status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed', 'claimed')),
                        created_at DATETIME NOT NULL,
                        expires_at DATETIME NOT NULL,
                        completed_at DATETIME,
                        assurance_id INTEGER REFERENCES assurance_records(id),
                        client TEXT NOT NULL
                    );
                    CREATE INDEX verification_flows_subject ON verification_flows(subject_lookup, method, created_at);
                    -- Failure counters per (claimed person, method): a new code or flow never resets them.
                    CREATE TABLE auth_counters (
                        subject_lookup BLOB NOT NULL,
                        method TEXT NOT NULL,
                        failures INTEGER NOT NULL DEFAULT 0,
                        lockouts INTEGER NOT NULL DEFAULT 0,
                        locked_until DATETIME,
                        last_failure_at DATETIME,
                        PRIMARY KEY (subject_lookup, method)
                    );
                    CREATE TABLE assurance_records (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        person_id TEXT NOT NULL REFERENCES persons(id),
                        tier INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 3),
                        method TEXT NOT NULL,
                        evidence TEXT NOT NULL,
                        agent TEXT NOT NULL,
                        verified_at DATETIME NOT NULL
                    );
                    CREATE INDEX assurance_records_person ON assurance_records(person_id, verified_at);
                    CREATE TABLE device_keys (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        person_id TEXT NOT NULL REFERENCES persons(id),
                        public_key BLOB NOT NULL,
                        label TEXT NOT NULL,
                        tier INTEGER NOT NULL,
                        assurance_id INTEGER NOT NULL REFERENCES assurance_records(id),
                        created_at DATETIME NOT NULL,
                        revoked_at DATETIME
                    );
                    CREATE INDEX device_keys_person ON device_keys(person_id);
                    CREATE TABLE applicant_sessions (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        person_id TEXT NOT NULL REFERENCES persons(id),
                        tier INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 3),
                        method TEXT NOT NULL,
                        device_id TEXT REFERENCES device_keys(id),
                        created_at DATETIME NOT NULL,
                        expires_at DATETIME NOT NULL,
                        idle_seconds INTEGER NOT NULL,
                        last_seen_at DATETIME NOT NULL,
                        ended_at DATETIME,
                        end_reason TEXT
                    );
                    CREATE INDEX applicant_sessions_person ON applicant_sessions(person_id);
                    -- The default SMS gateway: messages wait here for the demo and tests (production plugs in a real gateway).
                    CREATE TABLE sms_outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        person_id TEXT NOT NULL REFERENCES persons(id),
                        phone_masked TEXT NOT NULL,
                        message TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );

                    CREATE TRIGGER persons_no_delete BEFORE DELETE ON persons
                        BEGIN SELECT RAISE(ABORT, 'persons are never deleted'); END;
                    CREATE TRIGGER persons_identity_immutable BEFORE UPDATE OF id, id_lookup ON persons
                        BEGIN SELECT RAISE(ABORT, 'a person keeps their ID number'); END;
                    CREATE TRIGGER person_history_no_change BEFORE UPDATE ON person_history
                        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                    CREATE TRIGGER person_history_no_delete BEFORE DELETE ON person_history
                        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                    CREATE TRIGGER assurance_records_no_change BEFORE UPDATE ON assurance_records
                        BEGIN SELECT RAISE(ABORT, 'assurance records are append-only'); END;
                    CREATE TRIGGER assurance_records_no_delete BEFORE DELETE ON assurance_records
                        BEGIN SELECT RAISE(ABORT, 'assurance records are append-only'); END;
                    CREATE TRIGGER device_keys_immutable BEFORE UPDATE OF id, person_id, public_key, tier, assurance_id, created_at ON device_keys
                        BEGIN SELECT RAISE(ABORT, 'device keys are immutable; revoke them'); END;
                    """)
        }
        migrator.registerMigration("2026-11-22 trust: key lifecycle, transparency log, trust list") { db in
            try db.execute(
                sql: """
                    -- Key lifecycle: pending → active → retired (verify only) → revoked ("not after" a time).
                    ALTER TABLE signing_keys ADD COLUMN activate_at DATETIME;
                    ALTER TABLE signing_keys ADD COLUMN retired_at DATETIME;
                    ALTER TABLE signing_keys ADD COLUMN revoked_at DATETIME;
                    ALTER TABLE signing_keys ADD COLUMN revoked_not_after DATETIME;
                    ALTER TABLE signing_keys ADD COLUMN revocation_reason TEXT;
                    ALTER TABLE signing_keys ADD COLUMN usage_count INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE signing_keys ADD COLUMN max_uses INTEGER;
                    ALTER TABLE signing_keys ADD COLUMN max_age_seconds INTEGER;
                    CREATE TRIGGER signing_keys_revoked_final BEFORE UPDATE OF status ON signing_keys WHEN OLD.status = 'revoked'
                        BEGIN SELECT RAISE(ABORT, 'a revoked key stays revoked'); END;

                    -- RFC 9162 transparency log: leaves (entry bytes), every perfect subtree hash (level 0 = leaf hashes) and signed tree heads.
                    CREATE TABLE log_leaves (
                        idx INTEGER PRIMARY KEY,
                        kind TEXT NOT NULL,
                        ref TEXT NOT NULL,
                        entry BLOB NOT NULL,
                        appended_at DATETIME NOT NULL
                    );
                    CREATE INDEX log_leaves_ref ON log_leaves(ref);
                    CREATE TABLE log_nodes (
                        level INTEGER NOT NULL,
                        idx INTEGER NOT NULL,
                        hash BLOB NOT NULL,
                        PRIMARY KEY (level, idx)
                    ) WITHOUT ROWID;
                    CREATE TABLE log_tree_heads (
                        tree_size INTEGER NOT NULL,
                        timestamp_ms INTEGER NOT NULL PRIMARY KEY,
                        root_hash BLOB NOT NULL,
                        kid TEXT NOT NULL,
                        signature BLOB NOT NULL
                    );
                    CREATE TRIGGER log_leaves_append_only BEFORE UPDATE ON log_leaves BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
                    CREATE TRIGGER log_leaves_no_delete BEFORE DELETE ON log_leaves BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
                    CREATE TRIGGER log_nodes_append_only BEFORE UPDATE ON log_nodes BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
                    CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
                    CREATE TRIGGER log_tree_heads_append_only BEFORE UPDATE ON log_tree_heads BEGIN SELECT RAISE(ABORT, 'tree heads are append-only'); END;
                    CREATE TRIGGER log_tree_heads_no_delete BEFORE DELETE ON log_tree_heads BEGIN SELECT RAISE(ABORT, 'tree heads are append-only'); END;
                    """)
        }
        migrator.registerMigration("2026-12-01 credit: matter catalogue, credit policy and events, applications, commitments, obligations") { db in
            try db.execute(
                sql: """
                    -- Versioned configuration: each load appends a version; applications keep the version they were accepted under.
                    CREATE TABLE catalogue_versions (
                        version INTEGER PRIMARY KEY,
                        source BLOB NOT NULL,
                        parsed TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        created_by TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    CREATE TABLE credit_policy_versions (
                        version INTEGER PRIMARY KEY,
                        source BLOB NOT NULL,
                        parsed TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        created_by TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    -- Legal persons known to the credit ledger, by unified social credit code (not personal data).
                    CREATE TABLE credit_organizations (
                        code TEXT PRIMARY KEY CHECK (length(code) = 18),
                        name TEXT NOT NULL,
                        established_at DATETIME NOT NULL,
                        data_complete INTEGER NOT NULL,
                        created_by TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    -- Credit events: points, basis, effective and expiry, repairs as new rows. Never changed or deleted.
                    CREATE TABLE credit_events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        subject TEXT NOT NULL,
                        type TEXT NOT NULL,
                        points INTEGER NOT NULL,
                        serious INTEGER NOT NULL,
                        direct_d INTEGER NOT NULL,
                        basis TEXT NOT NULL,
                        effective_at DATETIME NOT NULL,
                        expires_at DATETIME NOT NULL,
                        repairs INTEGER UNIQUE REFERENCES credit_events(id),
                        source TEXT NOT NULL,
                        reference TEXT,
                        recorded_at DATETIME NOT NULL,
                        recorded_by TEXT NOT NULL,
                        UNIQUE (source, reference)
                    );
                    CREATE INDEX credit_events_subject ON credit_events(subject, recorded_at);
                    CREATE TRIGGER credit_events_no_change BEFORE UPDATE ON credit_events BEGIN SELECT RAISE(ABORT, 'credit history is append-only'); END;
                    CREATE TRIGGER credit_events_no_delete BEFORE DELETE ON credit_events BEGIN SELECT RAISE(ABORT, 'credit history is append-only'); END;
                    CREATE TRIGGER catalogue_versions_no_change BEFORE UPDATE ON catalogue_versions BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;
                    CREATE TRIGGER catalogue_versions_no_delete BEFORE DELETE ON catalogue_versions BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;
                    CREATE TRIGGER credit_policy_versions_no_change BEFORE UPDATE ON credit_policy_versions BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;
                    CREATE TRIGGER credit_policy_versions_no_delete BEFORE DELETE ON credit_policy_versions BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;
                    CREATE TRIGGER credit_organizations_no_delete BEFORE DELETE ON credit_organizations BEGIN SELECT RAISE(ABORT, 'subjects are kept'); END;

                    -- Applications for a matter: submitted → accepted → under_review → approved → result_issued → closed (or rejected, terminated).
                    CREATE TABLE applications (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        matter_code TEXT NOT NULL,
                        catalogue_version INTEGER NOT NULL REFERENCES catalogue_versions(version),
                        department_code TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        applicant_name TEXT NOT NULL,
                        mode TEXT NOT NULL CHECK (mode IN ('standard', 'trust', 'deferral')),
                        state TEXT NOT NULL CHECK (state IN ('submitted', 'accepted', 'under_review', 'approved', 'result_issued', 'closed', 'rejected', 'terminated')),
                        submitted_at DATETIME NOT NULL,
                        accepted_at DATETIME,
                        time_limit_due DATETIME,
                        review_started_at DATETIME,
                        review_stall_at DATETIME,
                        document_id TEXT REFERENCES documents(id),
                        created_by TEXT NOT NULL,
                        updated_at DATETIME NOT NULL
                    );
                    CREATE INDEX applications_subject ON applications(subject);
                    CREATE INDEX applications_time_limit ON applications(time_limit_due) WHERE state IN ('accepted', 'under_review', 'approved');
                    CREATE INDEX applications_review ON applications(review_stall_at) WHERE state = 'under_review';
                    CREATE TRIGGER applications_final BEFORE UPDATE OF state ON applications WHEN OLD.state IN ('closed', 'rejected', 'terminated')
                        BEGIN SELECT RAISE(ABORT, 'a finished application does not change'); END;
                    CREATE TRIGGER applications_no_delete BEFORE DELETE ON applications BEGIN SELECT RAISE(ABORT, 'applications are kept'); END;
                    CREATE TABLE application_materials (
                        application_id TEXT NOT NULL REFERENCES applications(id),
                        code TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('provided', 'missing')),
                        provided_at DATETIME,
                        PRIMARY KEY (application_id, code)
                    ) WITHOUT ROWID;
                    CREATE TABLE application_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        application_id TEXT NOT NULL REFERENCES applications(id),
                        state TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        changed_at DATETIME NOT NULL
                    );
                    CREATE INDEX application_history_application ON application_history(application_id);
                    CREATE TRIGGER application_history_no_change BEFORE UPDATE ON application_history BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                    CREATE TRIGGER application_history_no_delete BEFORE DELETE ON application_history BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
                    CREATE TABLE application_flags (
                        application_id TEXT NOT NULL REFERENCES applications(id),
                        flag TEXT NOT NULL,
                        raised_at DATETIME NOT NULL,
                        PRIMARY KEY (application_id, flag)
                    ) WITHOUT ROWID;
                    -- The applicant's signed commitment under 容缺: items, deadline, consequences, and the identity assurance behind it.
                    CREATE TABLE commitments (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        application_id TEXT NOT NULL UNIQUE REFERENCES applications(id),
                        subject TEXT NOT NULL,
                        items TEXT NOT NULL,
                        deadline DATETIME NOT NULL,
                        consequences TEXT NOT NULL,
                        tier INTEGER NOT NULL CHECK (tier >= 2),
                        method TEXT NOT NULL,
                        assurance TEXT NOT NULL,
                        signed_at DATETIME NOT NULL
                    );
                    CREATE TRIGGER commitments_no_change BEFORE UPDATE ON commitments BEGIN SELECT RAISE(ABORT, 'commitments are append-only'); END;
                    CREATE TRIGGER commitments_no_delete BEFORE DELETE ON commitments BEGIN SELECT RAISE(ABORT, 'commitments are append-only'); END;
                    -- Missing materials owed by a deadline: open → fulfilled | rectification → fulfilled | breached.
                    CREATE TABLE obligations (
                        id TEXT PRIMARY KEY,
                        application_id TEXT NOT NULL UNIQUE REFERENCES applications(id),
                        subject TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('trust', 'deferral')),
                        items TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('open', 'rectification', 'fulfilled', 'breached')),
                        deadline DATETIME NOT NULL,
                        remind_at DATETIME,
                        reminded_at DATETIME,
                        rectification_deadline DATETIME,
                        created_at DATETIME NOT NULL,
                        closed_at DATETIME
                    );
                    CREATE INDEX obligations_due ON obligations(deadline) WHERE state = 'open';
                    CREATE INDEX obligations_rectification ON obligations(rectification_deadline) WHERE state = 'rectification';
                    CREATE INDEX obligations_remind ON obligations(remind_at) WHERE state = 'open' AND reminded_at IS NULL;
                    CREATE INDEX obligations_subject ON obligations(subject);
                    CREATE TRIGGER obligations_final BEFORE UPDATE OF state ON obligations WHEN OLD.state IN ('fulfilled', 'breached')
                        BEGIN SELECT RAISE(ABORT, 'a closed obligation does not change'); END;
                    CREATE TRIGGER obligations_no_delete BEFORE DELETE ON obligations BEGIN SELECT RAISE(ABORT, 'obligations are kept'); END;
                    -- Notifications to applicants (reminders, rectification notices); a real gateway would drain this.
                    CREATE TABLE notification_outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        subject TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        reference TEXT NOT NULL,
                        message TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("2026-12-02 root renewal: link certificates between district roots") { db in
            try db.execute(
                sql: """
                    -- After a root renewal both roots stay (signing_keys, role 'root'; district.root_kid names the current one),
                    -- joined by two link certificates: the new key certified by the old root and the old key by the new.
                    CREATE TABLE root_links (
                        issuer_kid TEXT NOT NULL REFERENCES signing_keys(kid),
                        subject_kid TEXT NOT NULL REFERENCES signing_keys(kid),
                        certificate BLOB NOT NULL,
                        created_at DATETIME NOT NULL,
                        PRIMARY KEY (issuer_kid, subject_kid)
                    );
                    CREATE TRIGGER root_links_append_only BEFORE UPDATE ON root_links BEGIN SELECT RAISE(ABORT, 'link certificates are append-only'); END;
                    CREATE TRIGGER root_links_no_delete BEFORE DELETE ON root_links BEGIN SELECT RAISE(ABORT, 'link certificates are append-only'); END;
                    """)
        }
        migrator.registerMigration("2026-12-03 documents: PDF bytes in their own table, beside the register row") { db in
            // The PDF (tens of kilobytes) sat in the middle of the register row: reading the status, token or hashes
            // behind it walked the row's whole overflow chain, a dozen page reads per verification and per listed
            // document. The row keeps what verification reads; the exact bytes move to document_pdfs, as immutable
            // as before. SQLite's table-rebuild procedure: new table, copy, drop, rename (foreign keys are checked
            // once the migration ends), then the indexes and append-only triggers again.
            try db.execute(
                sql: """
                    CREATE TABLE documents_rebuilt (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        department_code TEXT NOT NULL,
                        kid TEXT NOT NULL REFERENCES signing_keys(kid),
                        matter_code TEXT NOT NULL,
                        matter_name TEXT NOT NULL,
                        holder_name TEXT NOT NULL,
                        holder_id_number TEXT NOT NULL,
                        fields TEXT NOT NULL,
                        pickup_mode TEXT NOT NULL,
                        issued_at DATETIME NOT NULL,
                        valid_until DATETIME NOT NULL,
                        issued_by TEXT NOT NULL,
                        supersedes TEXT REFERENCES documents(id),
                        pdf_sha256 BLOB NOT NULL UNIQUE,
                        content_sha256 BLOB NOT NULL,
                        token TEXT NOT NULL,
                        status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'revoked', 'superseded')),
                        status_reason TEXT,
                        status_changed_at DATETIME,
                        superseded_by TEXT REFERENCES documents(id)
                    );
                    INSERT INTO documents_rebuilt (id, department_code, kid, matter_code, matter_name, holder_name, holder_id_number, fields,
                        pickup_mode, issued_at, valid_until, issued_by, supersedes, pdf_sha256, content_sha256, token, status, status_reason,
                        status_changed_at, superseded_by)
                        SELECT id, department_code, kid, matter_code, matter_name, holder_name, holder_id_number, fields,
                        pickup_mode, issued_at, valid_until, issued_by, supersedes, pdf_sha256, content_sha256, token, status, status_reason,
                        status_changed_at, superseded_by FROM documents;
                    CREATE TABLE document_pdfs (
                        document_id TEXT PRIMARY KEY REFERENCES documents(id),
                        pdf BLOB NOT NULL
                    );
                    INSERT INTO document_pdfs (document_id, pdf) SELECT id, pdf FROM documents;
                    DROP TABLE documents;
                    ALTER TABLE documents_rebuilt RENAME TO documents;
                    CREATE INDEX documents_holder ON documents(holder_id_number);
                    CREATE INDEX documents_department ON documents(department_code, issued_at);
                    -- A document is never deleted or rewritten; only its status moves, once, away from 'valid'.
                    CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
                        BEGIN SELECT RAISE(ABORT, 'documents are never deleted; revoke them'); END;
                    CREATE TRIGGER documents_immutable BEFORE UPDATE OF id, department_code, kid, matter_code, matter_name, holder_name,
                        holder_id_number, fields, pickup_mode, issued_at, valid_until, issued_by, supersedes, pdf_sha256,
                        content_sha256, token ON documents
                        BEGIN SELECT RAISE(ABORT, 'issued documents are immutable; re-issue instead'); END;
                    CREATE TRIGGER documents_status_once BEFORE UPDATE OF status ON documents WHEN OLD.status != 'valid'
                        BEGIN SELECT RAISE(ABORT, 'a revoked or superseded document cannot change status again'); END;
                    CREATE TRIGGER document_pdfs_no_change BEFORE UPDATE ON document_pdfs
                        BEGIN SELECT RAISE(ABORT, 'issued documents are immutable; re-issue instead'); END;
                    CREATE TRIGGER document_pdfs_no_delete BEFORE DELETE ON document_pdfs
                        BEGIN SELECT RAISE(ABORT, 'documents are never deleted; revoke them'); END;
                    """)
        }
        migrator.registerMigration("2026-12-04 identity: device-login challenges in the database, shared by every daemon") { db in
            // Held in one daemon's memory, a challenge could only be answered through the daemon that issued it;
            // with several daemons behind a balancer a login then failed half the time. Single use across daemons
            // is the row's deletion (`DELETE … RETURNING`); rows live two minutes.
            try db.execute(
                sql: """
                    CREATE TABLE device_challenges (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        device_id TEXT NOT NULL,
                        nonce TEXT NOT NULL,
                        expires_at DATETIME NOT NULL
                    );
                    CREATE INDEX device_challenges_expiry ON device_challenges(expires_at);
                    """)
        }
        migrator.registerMigration("2026-12-04 documents: the holder's switch for the public link to the original PDF") { db in
            // A row only once the holder has chosen; until then the pickup mode's default applies
            // (PickupMode.pdfLinkByDefault). Beside the immutable register row, like the PDF itself.
            try db.execute(
                sql: """
                    CREATE TABLE document_sharing (
                        document_id TEXT PRIMARY KEY REFERENCES documents(id),
                        pdf_link INTEGER NOT NULL CHECK (pdf_link IN (0, 1)),
                        changed_at DATETIME NOT NULL,
                        changed_by TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("2026-12-04 audit: events by target, for a person's own list of who looked at their data") { db in
            try db.execute(sql: "CREATE INDEX audit_events_target ON audit_events(target, seq)")
        }
        migrator.registerMigration("2026-12-04 documents: the revoked and superseded, indexed for the status list") { db in
            try db.execute(sql: "CREATE INDEX documents_not_valid ON documents(id) WHERE status <> 'valid'")
        }
        migrator.registerMigration("2026-12-04 window stations: clerks signed in with their department's credential") { db in
            // Only a hash of the secret half of the cookie's token is kept (WindowSessions).
            try db.execute(
                sql: """
                    CREATE TABLE window_sessions (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        secret_hash BLOB NOT NULL,
                        credential_id TEXT NOT NULL REFERENCES credentials(id),
                        clerk_id TEXT NOT NULL,
                        clerk_name TEXT NOT NULL,
                        station TEXT NOT NULL,
                        created_at DATETIME NOT NULL,
                        expires_at DATETIME NOT NULL,
                        last_seen_at DATETIME NOT NULL,
                        ended_at DATETIME
                    );
                    """)
        }
        migrator.registerMigration("2026-12-04 district: the province and city above it, for the full issuing-authority name") { db in
            try db.execute(
                sql: """
                    ALTER TABLE district ADD COLUMN province TEXT NOT NULL DEFAULT '';
                    ALTER TABLE district ADD COLUMN city TEXT NOT NULL DEFAULT '';
                    """)
        }
        migrator.registerMigration("2026-12-04 documents: organisations as holders, by unified social credit code") { db in
            try db.execute(
                sql: """
                    ALTER TABLE documents ADD COLUMN holder_kind TEXT NOT NULL DEFAULT 'person' CHECK (holder_kind IN ('person', 'organization'));
                    """)
        }
        migrator.registerMigration("2026-12-04 consent: a person's grants that a department may reuse their results for a matter") { db in
            try db.execute(
                sql: """
                    CREATE TABLE consent_grants (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        subject TEXT NOT NULL,
                        department TEXT NOT NULL,
                        matter TEXT NOT NULL,
                        result_types TEXT NOT NULL,
                        granted_at DATETIME NOT NULL,
                        expires_at DATETIME NOT NULL,
                        channel TEXT NOT NULL CHECK (channel IN ('app', 'window')),
                        granted_by TEXT NOT NULL,
                        assurance_tier INTEGER NOT NULL,
                        withdrawn_at DATETIME,
                        withdrawn_by TEXT
                    );
                    CREATE INDEX consent_grants_subject ON consent_grants(subject, department, matter);
                    CREATE TRIGGER consent_grants_no_delete BEFORE DELETE ON consent_grants
                        BEGIN SELECT RAISE(ABORT, 'consent grants are never deleted'); END;
                    CREATE TRIGGER consent_grants_withdraw_only BEFORE UPDATE ON consent_grants
                        WHEN OLD.withdrawn_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.subject IS NOT OLD.subject
                            OR NEW.department IS NOT OLD.department OR NEW.matter IS NOT OLD.matter OR NEW.result_types IS NOT OLD.result_types
                            OR NEW.granted_at IS NOT OLD.granted_at OR NEW.expires_at IS NOT OLD.expires_at OR NEW.channel IS NOT OLD.channel
                            OR NEW.granted_by IS NOT OLD.granted_by OR NEW.assurance_tier IS NOT OLD.assurance_tier
                        BEGIN SELECT RAISE(ABORT, 'a consent grant changes only by being withdrawn, once'); END;
                    """)
        }
        migrator.registerMigration("2026-12-04 applications: a material satisfied by a reused result names the document") { db in
            try db.execute(sql: "ALTER TABLE application_materials ADD COLUMN document_id TEXT REFERENCES documents(id)")
        }
        migrator.registerMigration("2026-12-04 credit subjects: an organisation's legal representative, who consents for it") { db in
            try db.execute(sql: "ALTER TABLE credit_organizations ADD COLUMN legal_representative TEXT")
        }
        // A grant given without a number of days lasts for the application it is used for: it is bound to the first
        // application that names a result under it (or named when given) and ends when that application ends. A grant
        // changes only by being bound once, ended once or withdrawn once.
        migrator.registerMigration("2026-12-05 consent: a grant for the life of one application") { db in
            try db.execute(
                sql: """
                    ALTER TABLE consent_grants ADD COLUMN lifetime TEXT NOT NULL DEFAULT 'days' CHECK (lifetime IN ('days', 'application'));
                    ALTER TABLE consent_grants ADD COLUMN application_id TEXT REFERENCES applications(id);
                    ALTER TABLE consent_grants ADD COLUMN ended_at DATETIME;
                    CREATE INDEX consent_grants_application ON consent_grants(application_id) WHERE application_id IS NOT NULL;
                    DROP TRIGGER consent_grants_withdraw_only;
                    CREATE TRIGGER consent_grants_bind_end_withdraw_only BEFORE UPDATE ON consent_grants
                        WHEN OLD.withdrawn_at IS NOT NULL OR OLD.ended_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.subject IS NOT OLD.subject
                            OR NEW.department IS NOT OLD.department OR NEW.matter IS NOT OLD.matter OR NEW.result_types IS NOT OLD.result_types
                            OR NEW.granted_at IS NOT OLD.granted_at OR NEW.expires_at IS NOT OLD.expires_at OR NEW.channel IS NOT OLD.channel
                            OR NEW.granted_by IS NOT OLD.granted_by OR NEW.assurance_tier IS NOT OLD.assurance_tier OR NEW.lifetime IS NOT OLD.lifetime
                            OR (OLD.application_id IS NOT NULL AND NEW.application_id IS NOT OLD.application_id)
                        BEGIN SELECT RAISE(ABORT, 'a consent grant changes only by being bound to an application, ended or withdrawn, once each'); END;
                    """)
        }
        // 好差评: an invitation per finished application, rated once; never deleted, changed only by the rating.
        migrator.registerMigration("2026-12-05 evaluation: ratings of finished services") { db in
            try db.execute(
                sql: """
                    CREATE TABLE service_ratings (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        application_id TEXT NOT NULL UNIQUE REFERENCES applications(id),
                        subject TEXT NOT NULL,
                        department TEXT NOT NULL,
                        matter TEXT NOT NULL,
                        clerk TEXT,
                        outcome TEXT NOT NULL CHECK (outcome IN ('closed', 'rejected')),
                        invited_at DATETIME NOT NULL,
                        closes_at DATETIME NOT NULL,
                        rated_at DATETIME,
                        score INTEGER CHECK (score BETWEEN 1 AND 5),
                        tags TEXT NOT NULL DEFAULT '[]',
                        comment TEXT CHECK (comment IS NULL OR length(comment) <= 200)
                    );
                    CREATE INDEX service_ratings_subject ON service_ratings(subject, invited_at);
                    CREATE INDEX service_ratings_rated ON service_ratings(rated_at) WHERE rated_at IS NOT NULL;
                    CREATE TRIGGER service_ratings_no_delete BEFORE DELETE ON service_ratings
                        BEGIN SELECT RAISE(ABORT, 'ratings are never deleted'); END;
                    CREATE TRIGGER service_ratings_rate_once BEFORE UPDATE ON service_ratings
                        WHEN OLD.rated_at IS NOT NULL OR NEW.rated_at IS NULL OR NEW.score IS NULL OR NEW.id IS NOT OLD.id
                            OR NEW.application_id IS NOT OLD.application_id OR NEW.subject IS NOT OLD.subject OR NEW.department IS NOT OLD.department
                            OR NEW.matter IS NOT OLD.matter OR NEW.clerk IS NOT OLD.clerk OR NEW.outcome IS NOT OLD.outcome
                            OR NEW.invited_at IS NOT OLD.invited_at OR NEW.closes_at IS NOT OLD.closes_at
                        BEGIN SELECT RAISE(ABORT, 'a service is rated once, and the rating is kept as given'); END;
                    """)
        }
        // Supervision: the department staff who review applications and supervise, with the number their notices go
        // to; and when a stalled review is escalated to the supervisors.
        migrator.registerMigration("2026-12-05 supervision: staff directory and review escalation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE staff (
                        department TEXT NOT NULL,
                        clerk TEXT NOT NULL,
                        name TEXT NOT NULL,
                        phone TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('reviewer', 'supervisor')),
                        added_at DATETIME NOT NULL,
                        added_by TEXT NOT NULL,
                        PRIMARY KEY (department, clerk)
                    );
                    ALTER TABLE applications ADD COLUMN review_escalate_at DATETIME;
                    -- The SMS outbox carries staff notices too (person_id `staff:<department>/<clerk>`): no longer a person key.
                    CREATE TABLE sms_outbox_rebuilt (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        person_id TEXT NOT NULL,
                        phone_masked TEXT NOT NULL,
                        message TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    INSERT INTO sms_outbox_rebuilt (id, person_id, phone_masked, message, created_at)
                        SELECT id, person_id, phone_masked, message, created_at FROM sms_outbox;
                    DROP TABLE sms_outbox;
                    ALTER TABLE sms_outbox_rebuilt RENAME TO sms_outbox;
                    """)
        }
        // Demand collection (海曙): the services a resident expects to need, by year, counted for planning.
        migrator.registerMigration("2026-12-05 demand: residents' stated service needs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE service_needs (
                        subject TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('schooling', 'public_housing', 'settlement', 'business_loan', 'other')),
                        year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2200),
                        detail TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 200),
                        stated_at DATETIME NOT NULL,
                        PRIMARY KEY (subject, kind, year)
                    );
                    CREATE INDEX service_needs_year ON service_needs(year, kind);
                    """)
        }
        // Points (量化积分): versioned schemes, monthly scoring runs with each score's inputs, proof claims (后申请) and
        // disputes (复核). Scores are never changed; a claim and a dispute are decided once.
        migrator.registerMigration("2026-12-06 points: schemes, scoring runs, claims and disputes") { db in
            try db.execute(
                sql: """
                    CREATE TABLE points_policy_versions (
                        version INTEGER PRIMARY KEY,
                        source BLOB NOT NULL,
                        parsed TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        created_by TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    CREATE TRIGGER points_policy_versions_no_change BEFORE UPDATE ON points_policy_versions BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;
                    CREATE TRIGGER points_policy_versions_no_delete BEFORE DELETE ON points_policy_versions BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;
                    -- One scoring run: the scheduled run of a month (period YYYY-MM, one per district however many daemons)
                    -- or one an admin asked for (no period). A run whose runner died is resumed by the next runner.
                    CREATE TABLE points_runs (
                        id INTEGER PRIMARY KEY,
                        period TEXT UNIQUE,
                        as_of DATETIME NOT NULL,
                        policy_version INTEGER NOT NULL REFERENCES points_policy_versions(version),
                        started_at DATETIME NOT NULL,
                        started_by TEXT NOT NULL,
                        heartbeat_at DATETIME NOT NULL,
                        finished_at DATETIME,
                        persons INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TRIGGER points_runs_no_delete BEFORE DELETE ON points_runs BEGIN SELECT RAISE(ABORT, 'scoring runs are kept'); END;
                    CREATE TRIGGER points_runs_finished BEFORE UPDATE ON points_runs WHEN OLD.finished_at IS NOT NULL
                        BEGIN SELECT RAISE(ABORT, 'a finished scoring run is kept as it is'); END;
                    CREATE TABLE points_scores (
                        run_id INTEGER NOT NULL REFERENCES points_runs(id),
                        subject TEXT NOT NULL,
                        total INTEGER NOT NULL,
                        items TEXT NOT NULL,
                        PRIMARY KEY (run_id, subject)
                    ) WITHOUT ROWID;
                    CREATE TRIGGER points_scores_no_change BEFORE UPDATE ON points_scores BEGIN SELECT RAISE(ABORT, 'scores are append-only'); END;
                    CREATE TRIGGER points_scores_no_delete BEFORE DELETE ON points_scores BEGIN SELECT RAISE(ABORT, 'scores are append-only'); END;
                    CREATE TABLE points_claims (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        subject TEXT NOT NULL,
                        indicator TEXT NOT NULL,
                        option TEXT NOT NULL,
                        statement TEXT NOT NULL CHECK (length(statement) <= 200),
                        evidence BLOB,
                        evidence_type TEXT,
                        department TEXT NOT NULL,
                        policy_version INTEGER NOT NULL REFERENCES points_policy_versions(version),
                        submitted_at DATETIME NOT NULL,
                        decision TEXT CHECK (decision IN ('approved', 'rejected')),
                        decided_by TEXT,
                        decided_at DATETIME,
                        reason TEXT
                    );
                    CREATE UNIQUE INDEX points_claims_open ON points_claims(subject, indicator) WHERE decision IS NULL;
                    CREATE INDEX points_claims_subject ON points_claims(subject, submitted_at);
                    CREATE INDEX points_claims_pending ON points_claims(department, submitted_at) WHERE decision IS NULL;
                    CREATE TRIGGER points_claims_no_delete BEFORE DELETE ON points_claims BEGIN SELECT RAISE(ABORT, 'claims are kept'); END;
                    CREATE TRIGGER points_claims_decide_once BEFORE UPDATE ON points_claims
                        WHEN OLD.decision IS NOT NULL OR NEW.decision IS NULL OR NEW.id IS NOT OLD.id OR NEW.subject IS NOT OLD.subject
                            OR NEW.indicator IS NOT OLD.indicator OR NEW.option IS NOT OLD.option OR NEW.statement IS NOT OLD.statement
                            OR NEW.evidence IS NOT OLD.evidence OR NEW.department IS NOT OLD.department OR NEW.policy_version IS NOT OLD.policy_version
                            OR NEW.submitted_at IS NOT OLD.submitted_at
                        BEGIN SELECT RAISE(ABORT, 'a claim is decided once'); END;
                    CREATE TABLE points_disputes (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        subject TEXT NOT NULL,
                        indicator TEXT NOT NULL,
                        run_id INTEGER REFERENCES points_runs(id),
                        claim_id TEXT UNIQUE REFERENCES points_claims(id),
                        policy_version INTEGER NOT NULL,
                        disputed_points INTEGER NOT NULL,
                        reason TEXT NOT NULL CHECK (length(reason) <= 200),
                        department TEXT NOT NULL,
                        first_reviewer TEXT,
                        filed_at DATETIME NOT NULL,
                        outcome TEXT CHECK (outcome IN ('upheld', 'corrected')),
                        points INTEGER,
                        decided_by TEXT,
                        decided_at DATETIME,
                        decision_reason TEXT,
                        CHECK ((run_id IS NULL) != (claim_id IS NULL)),
                        UNIQUE (subject, indicator, run_id)
                    );
                    CREATE INDEX points_disputes_subject ON points_disputes(subject, filed_at);
                    CREATE INDEX points_disputes_pending ON points_disputes(department, filed_at) WHERE outcome IS NULL;
                    CREATE TRIGGER points_disputes_no_delete BEFORE DELETE ON points_disputes BEGIN SELECT RAISE(ABORT, 'disputes are kept'); END;
                    CREATE TRIGGER points_disputes_decide_once BEFORE UPDATE ON points_disputes
                        WHEN OLD.outcome IS NOT NULL OR NEW.outcome IS NULL OR NEW.id IS NOT OLD.id OR NEW.subject IS NOT OLD.subject
                            OR NEW.indicator IS NOT OLD.indicator OR NEW.run_id IS NOT OLD.run_id OR NEW.claim_id IS NOT OLD.claim_id
                            OR NEW.policy_version IS NOT OLD.policy_version OR NEW.disputed_points IS NOT OLD.disputed_points
                            OR NEW.reason IS NOT OLD.reason OR NEW.department IS NOT OLD.department OR NEW.first_reviewer IS NOT OLD.first_reviewer
                            OR NEW.filed_at IS NOT OLD.filed_at
                        BEGIN SELECT RAISE(ABORT, 'a dispute is decided once'); END;
                    """)
        }
        // Delivery to an SMS operator: the number sealed until the message is delivered (then wiped), attempts and
        // the next try. Rows written before keep only the masked number and are never sent.
        migrator.registerMigration("2026-12-06 sms: delivery to an operator") { db in
            try db.execute(
                sql: """
                    ALTER TABLE sms_outbox ADD COLUMN phone_sealed BLOB;
                    ALTER TABLE sms_outbox ADD COLUMN next_attempt_at DATETIME;
                    ALTER TABLE sms_outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE sms_outbox ADD COLUMN delivered_at DATETIME;
                    ALTER TABLE sms_outbox ADD COLUMN failure TEXT;
                    CREATE INDEX sms_outbox_due ON sms_outbox(next_attempt_at) WHERE phone_sealed IS NOT NULL;
                    """)
        }
        // The district's figures counted as they happen (FiguresStore): statistics of a year read a few thousand rows.
        // A database with applications or ratings already is counted once, at the first statistics read.
        migrator.registerMigration("2026-12-07 figures: daily counts of applications and ratings") { db in
            try db.execute(
                sql: """
                    CREATE TABLE daily_figures (
                        kind TEXT NOT NULL,
                        day TEXT NOT NULL,
                        department TEXT NOT NULL,
                        label TEXT NOT NULL,
                        items INTEGER NOT NULL,
                        total INTEGER NOT NULL,
                        longest INTEGER NOT NULL,
                        extra INTEGER NOT NULL,
                        PRIMARY KEY (kind, day, department, label)
                    ) WITHOUT ROWID;
                    CREATE TABLE figures_built (
                        name TEXT PRIMARY KEY,
                        built_at DATETIME NOT NULL
                    );
                    -- What is under review now, per department, read from the index alone.
                    CREATE INDEX applications_under_review ON applications(department_code, review_stall_at) WHERE state = 'under_review';
                    INSERT INTO figures_built (name, built_at) SELECT 'daily_figures', strftime('%Y-%m-%d %H:%M:%f', 'now')
                        WHERE NOT EXISTS (SELECT 1 FROM applications) AND NOT EXISTS (SELECT 1 FROM service_ratings WHERE rated_at IS NOT NULL);
                    """)
        }
        // A decided claim's proof may be cleared once it is no longer needed (PointsService's retention); nothing else of a decided claim changes, and its proof's media type stays as a record.
        migrator.registerMigration("2026-12-07 points: a decided claim's proof may be cleared") { db in
            try db.execute(
                sql: """
                    DROP TRIGGER points_claims_decide_once;
                    CREATE TRIGGER points_claims_decide_once BEFORE UPDATE ON points_claims
                        WHEN NOT (NEW.id IS OLD.id AND NEW.subject IS OLD.subject AND NEW.indicator IS OLD.indicator AND NEW.option IS OLD.option
                            AND NEW.statement IS OLD.statement AND NEW.evidence_type IS OLD.evidence_type AND NEW.department IS OLD.department
                            AND NEW.policy_version IS OLD.policy_version AND NEW.submitted_at IS OLD.submitted_at
                            AND ((OLD.decision IS NULL AND NEW.decision IS NOT NULL AND NEW.evidence IS OLD.evidence)
                                 OR (OLD.decision IS NOT NULL AND NEW.evidence IS NULL AND NEW.decision IS OLD.decision AND NEW.decided_by IS OLD.decided_by
                                     AND NEW.decided_at IS OLD.decided_at AND NEW.reason IS OLD.reason)))
                        BEGIN SELECT RAISE(ABORT, 'a claim is decided once; only its proof may be cleared after'); END;
                    """)
        }
        // 好差评 for window services without an application (a consultation, a material pre-check, a pickup): the
        // invitation names the service instead of an application; outcome `served`.
        migrator.registerMigration("2026-12-08 evaluation: window services rated without an application") { db in
            try db.execute(
                sql: """
                    CREATE TABLE service_ratings_rebuilt (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        application_id TEXT UNIQUE REFERENCES applications(id),
                        service TEXT CHECK (service IS NULL OR length(service) <= 32),
                        subject TEXT NOT NULL,
                        department TEXT NOT NULL,
                        matter TEXT NOT NULL,
                        clerk TEXT,
                        outcome TEXT NOT NULL CHECK (outcome IN ('closed', 'rejected', 'served')),
                        invited_at DATETIME NOT NULL,
                        closes_at DATETIME NOT NULL,
                        rated_at DATETIME,
                        score INTEGER CHECK (score BETWEEN 1 AND 5),
                        tags TEXT NOT NULL DEFAULT '[]',
                        comment TEXT CHECK (comment IS NULL OR length(comment) <= 200),
                        CHECK ((application_id IS NULL) = (service IS NOT NULL) AND (service IS NULL) = (outcome <> 'served'))
                    );
                    INSERT INTO service_ratings_rebuilt (id, application_id, subject, department, matter, clerk, outcome, invited_at, closes_at,
                                                         rated_at, score, tags, comment)
                        SELECT id, application_id, subject, department, matter, clerk, outcome, invited_at, closes_at, rated_at, score, tags, comment
                        FROM service_ratings;
                    DROP TABLE service_ratings;
                    ALTER TABLE service_ratings_rebuilt RENAME TO service_ratings;
                    CREATE INDEX service_ratings_subject ON service_ratings(subject, invited_at);
                    CREATE INDEX service_ratings_rated ON service_ratings(rated_at) WHERE rated_at IS NOT NULL;
                    CREATE TRIGGER service_ratings_no_delete BEFORE DELETE ON service_ratings
                        BEGIN SELECT RAISE(ABORT, 'ratings are never deleted'); END;
                    CREATE TRIGGER service_ratings_rate_once BEFORE UPDATE ON service_ratings
                        WHEN OLD.rated_at IS NOT NULL OR NEW.rated_at IS NULL OR NEW.score IS NULL OR NEW.id IS NOT OLD.id
                            OR NEW.application_id IS NOT OLD.application_id OR NEW.service IS NOT OLD.service OR NEW.subject IS NOT OLD.subject
                            OR NEW.department IS NOT OLD.department OR NEW.matter IS NOT OLD.matter OR NEW.clerk IS NOT OLD.clerk
                            OR NEW.outcome IS NOT OLD.outcome OR NEW.invited_at IS NOT OLD.invited_at OR NEW.closes_at IS NOT OLD.closes_at
                        BEGIN SELECT RAISE(ABORT, 'a service is rated once, and the rating is kept as given'); END;
                    """)
        }
        // Complaints (投诉, and the follow-up of every poor rating, 差评回访整改): answered once by the department within
        // a deadline; never deleted; apart from the answer only the overdue notice is ever recorded.
        migrator.registerMigration("2026-12-08 evaluation: complaints and their answers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE complaints (
                        id TEXT PRIMARY KEY CHECK (length(id) = 32),
                        subject TEXT NOT NULL,
                        department TEXT NOT NULL,
                        clerk TEXT,
                        rating_id TEXT UNIQUE REFERENCES service_ratings(id),
                        source TEXT NOT NULL CHECK (source IN ('applicant', 'poor_rating')),
                        cause TEXT NOT NULL CHECK (length(cause) <= 32),
                        text TEXT NOT NULL CHECK (length(text) <= 500),
                        filed_at DATETIME NOT NULL,
                        due_at DATETIME NOT NULL,
                        answered_at DATETIME,
                        answered_by TEXT,
                        finding TEXT CHECK (finding IS NULL OR finding IN ('substantiated', 'partly_substantiated', 'unsubstantiated')),
                        action TEXT CHECK (action IS NULL OR length(action) <= 500),
                        reply TEXT CHECK (reply IS NULL OR length(reply) <= 500),
                        overdue_notified_at DATETIME,
                        CHECK ((answered_at IS NULL) = (finding IS NULL) AND (answered_at IS NULL) = (reply IS NULL) AND (answered_at IS NULL) = (answered_by IS NULL))
                    );
                    CREATE INDEX complaints_subject ON complaints(subject, filed_at);
                    CREATE INDEX complaints_filed ON complaints(filed_at);
                    CREATE INDEX complaints_open ON complaints(department, due_at) WHERE answered_at IS NULL;
                    CREATE TRIGGER complaints_no_delete BEFORE DELETE ON complaints
                        BEGIN SELECT RAISE(ABORT, 'complaints are never deleted'); END;
                    CREATE TRIGGER complaints_answer_once BEFORE UPDATE ON complaints
                        WHEN NOT (NEW.id IS OLD.id AND NEW.subject IS OLD.subject AND NEW.department IS OLD.department AND NEW.clerk IS OLD.clerk
                            AND NEW.rating_id IS OLD.rating_id AND NEW.source IS OLD.source AND NEW.text IS OLD.text AND NEW.filed_at IS OLD.filed_at
                            AND NEW.due_at IS OLD.due_at
                            AND ((OLD.answered_at IS NULL AND NEW.answered_at IS NOT NULL AND NEW.overdue_notified_at IS OLD.overdue_notified_at)
                                 OR (NEW.answered_at IS OLD.answered_at AND NEW.answered_by IS OLD.answered_by AND NEW.finding IS OLD.finding
                                     AND NEW.action IS OLD.action AND NEW.reply IS OLD.reply AND NEW.cause IS OLD.cause
                                     AND OLD.overdue_notified_at IS NULL AND NEW.overdue_notified_at IS NOT NULL)))
                        BEGIN SELECT RAISE(ABORT, 'a complaint is answered once, and the answer is kept as given'); END;
                    """)
        }
        // A seal key made in a file may move into a PKCS#11 token (zerotrip keys migrate): its row then names the
        // token key. Nothing else about a key changes, and a key never moves back out of a token.
        migrator.registerMigration("2026-12-09 keys: a seal key file may move into a token") { db in
            try db.execute(
                sql: """
                    DROP TRIGGER signing_keys_immutable;
                    CREATE TRIGGER signing_keys_immutable BEFORE UPDATE OF kid, department_id, role, algorithm, certificate ON signing_keys
                        BEGIN SELECT RAISE(ABORT, 'signing key material is immutable'); END;
                    CREATE TRIGGER signing_keys_key_file_into_token BEFORE UPDATE OF key_file ON signing_keys
                        WHEN NEW.key_file IS NOT OLD.key_file
                            AND (OLD.key_file LIKE 'pkcs11:%' OR NEW.key_file NOT LIKE 'pkcs11:%' OR OLD.role <> 'seal')
                        BEGIN SELECT RAISE(ABORT, 'a key only moves from its file into a token'); END;
                    """)
        }
        // A root key file that shared the seals' passphrase is written again under the root's own (`zerotrip root
        // separate-passphrase`): its row then names the new file, `root-<kid>-…`. Seals still only move into a token.
        migrator.registerMigration("2026-12-10 keys: a root key file may be encrypted again under its own passphrase") { db in
            try db.execute(
                sql: """
                    DROP TRIGGER signing_keys_key_file_into_token;
                    CREATE TRIGGER signing_keys_key_file_into_token BEFORE UPDATE OF key_file ON signing_keys
                        WHEN NEW.key_file IS NOT OLD.key_file
                            AND (OLD.key_file LIKE 'pkcs11:%'
                                OR NOT ((OLD.role = 'seal' AND NEW.key_file LIKE 'pkcs11:%')
                                    OR (OLD.role = 'root' AND NEW.key_file LIKE 'root-' || OLD.kid || '-%.key.pem')))
                        BEGIN SELECT RAISE(ABORT, 'a key only moves from its file into a token, or a root key into a new file of its own'); END;
                    """)
        }
        // The root key may stay offline between ceremonies (docs/keys.md, "The root offline"): an online signing key
        // it certified signs lists and tree heads meanwhile, and the CRL each root signed last is kept to be served
        // while that root is away. An online key is never changed or removed; a newer one replaces it.
        migrator.registerMigration("2026-12-11 keys: online signing keys certified by the root, and each root's last CRL") { db in
            try db.execute(
                sql: """
                    CREATE TABLE online_keys (
                        kid TEXT PRIMARY KEY,
                        root_kid TEXT NOT NULL REFERENCES signing_keys(kid),
                        algorithm TEXT NOT NULL,
                        certificate BLOB NOT NULL,
                        key_file TEXT NOT NULL,
                        created_at DATETIME NOT NULL
                    );
                    CREATE TRIGGER online_keys_append_only BEFORE UPDATE ON online_keys BEGIN SELECT RAISE(ABORT, 'online keys are append-only'); END;
                    CREATE TRIGGER online_keys_no_delete BEFORE DELETE ON online_keys BEGIN SELECT RAISE(ABORT, 'online keys are append-only'); END;
                    CREATE TABLE root_crls (
                        root_kid TEXT PRIMARY KEY REFERENCES signing_keys(kid),
                        number INTEGER NOT NULL,
                        this_update DATETIME NOT NULL,
                        next_update DATETIME NOT NULL,
                        crl BLOB NOT NULL
                    );
                    CREATE TRIGGER root_crls_no_delete BEFORE DELETE ON root_crls BEGIN SELECT RAISE(ABORT, 'a root keeps its last CRL'); END;
                    """)
        }
        return migrator
    }
}

/// Counts the committed transactions of this connection that inserted into, updated or deleted from one table.
final class TableChangeCounter: TransactionObserver, Sendable {
    let table: String
    private let pending = Atomic<Bool>(false)
    private let committed = Atomic<Int>(0)

    init(table: String) {
        self.table = table
    }

    /// Transactions committed so far that changed the table.
    var count: Int { committed.load(ordering: .acquiring) }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        eventKind.tableName == table
    }

    func databaseDidChange(with event: DatabaseEvent) {
        pending.store(true, ordering: .relaxed)
    }

    func databaseDidCommit(_ db: Database) {
        if pending.exchange(false, ordering: .relaxed) { committed.add(1, ordering: .releasing) }
    }

    /// A committed change seen by another engine (PostgreSQL's sessions watch their own statements).
    func noteCommit() {
        committed.add(1, ordering: .releasing)
    }

    func databaseDidRollback(_ db: Database) {
        pending.store(false, ordering: .relaxed)
    }
}
