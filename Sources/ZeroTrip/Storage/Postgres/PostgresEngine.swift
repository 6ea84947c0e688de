import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// Where a district's PostgreSQL database is, from `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?OPTIONS]`.
///
/// Options: `sslmode=disable|prefer|require` (default `prefer`, as libpq), `schema=NAME` (the tables live in that
/// schema, created when missing; default `public`), `readers=N` (reader connections of this daemon, 1–32, default
/// 4; with the writer a daemon holds N + 1 connections). The password may instead come from `PGPASSWORD`. The
/// ``redacted`` form is the only one that appears in logs and errors.
package struct PostgresLocation: Sendable, Hashable {
    package enum TLSMode: String, Sendable { case disable, prefer, require }

    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var schema: String?
    package var tls: TLSMode
    package var readers: Int

    /// True for the addresses this engine takes (`postgres://` and `postgresql://`).
    package static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    package init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ZeroTripError) {
        func invalid(_ why: String) -> ZeroTripError {
            ZeroTripError(.invalidConfiguration, "the database address is not a valid postgres:// URL: \(why)")
        }
        guard Self.isPostgresURL(text), let components = URLComponents(string: text) else {
            throw invalid("expected postgres://USER@HOST[:PORT]/DATABASE")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw invalid("no database name") }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 } ?? environment["PGPASSWORD"]
        self.database = database.removingPercentEncoding ?? database
        var tls = TLSMode.prefer
        var schema: String?
        var readers = 4
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else { throw invalid("sslmode must be disable, prefer or require") }
                tls = mode
            case "schema":
                guard let value = item.value, value.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
                    throw invalid("schema must be a lower-case SQL name")
                }
                schema = value
            case "readers":
                guard let value = item.value.flatMap(Int.init), (1...32).contains(value) else { throw invalid("readers must be 1 to 32") }
                readers = value
            default:
                throw invalid("unknown option \(item.name) (known: sslmode, schema, readers)")
            }
        }
        self.tls = tls
        self.schema = schema
        self.readers = readers
    }

    /// `location` as it may appear in logs: a `postgres://` URL without its password, anything else (an SQLite path)
    /// unchanged.
    package static func redacted(_ location: String) -> String {
        (try? PostgresLocation(url: location, environment: [:]).redacted) ?? location
    }

    /// The address without its password, for logs, errors and `readyz`.
    package var redacted: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (schema.map { "?schema=\($0)" } ?? "")
    }

    func configuration() throws -> PostgresConnection.Configuration {
        let tlsSetting: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable: tlsSetting = .disable
        case .prefer: tlsSetting = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tlsSetting = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsSetting)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", "zerotrip")]
        if let schema { configuration.options.additionalStartupParameters.append(("search_path", schema)) }
        return configuration
    }
}

/// The PostgreSQL engine: one writer thread and several reader threads, each with its own connection.
///
/// Store code is synchronous (it is shared with SQLite), so it runs on these threads, which wait for each answer;
/// the awaiting task suspends meanwhile and Swift's cooperative pool stays free. Writes of this daemon queue on
/// the one writer connection; writes of several daemons meet at the database-wide advisory lock each write
/// transaction takes first. Reads run on the reader connections, each in one REPEATABLE READ snapshot.
package final class PostgresEngine: Sendable {
    /// The advisory lock every write transaction holds (a fixed number: "ZT" and 1).
    static let writeLockKey: Int64 = 0x5A54_0001
    /// The advisory lock the schema migration holds, so daemons starting together migrate once.
    static let migrationLockKey: Int64 = 0x5A54_0002

    package let location: PostgresLocation
    private let writer: PostgresLanes
    private let readers: PostgresLanes

    /// Connects, creates the schema if asked for one that does not exist, and runs the pending migrations.
    package init(location: PostgresLocation, watchedTable: String?, onWatchedTableCommit: @escaping @Sendable () -> Void) throws {
        self.location = location
        let configuration = try location.configuration()
        var logger = Logger(label: "zerotrip.postgres")
        logger.logLevel = .critical
        try Self.prepare(location: location, configuration: configuration, logger: logger)
        writer = PostgresLanes(
            name: "zt-pg-write", count: 1, configuration: configuration, logger: logger,
            watchedTable: watchedTable, onWatchedTableCommit: onWatchedTableCommit)
        readers = PostgresLanes(
            name: "zt-pg-read", count: location.readers, configuration: configuration, logger: logger,
            watchedTable: nil, onWatchedTableCommit: {})
    }

    deinit {
        writer.stop()
        readers.stop()
    }

    func read<T: Sendable>(severalStatements: Bool = false, _ body: @escaping @Sendable (SQLTransaction) throws -> T) async throws -> T {
        try await readers.readTransaction(snapshotAtOnce: severalStatements, body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (SQLTransaction) throws -> T) async throws -> T {
        try await writer.writeTransaction(body)
    }

    /// ``write(_:)`` with its outcome handed to `completion` on the writer's thread (``PostgresLanes/writeTransaction(_:completion:)``).
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLTransaction) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void)
    {
        writer.writeTransaction(body, completion: completion)
    }

    /// Statement round trips on a reader connection (``PostgresSession/roundTrips(_:)``), for the benchmarks.
    package func roundTrips(_ count: Int) async throws -> (waited: Duration, pipelined: Duration) {
        try await readers.onSession { try $0.roundTrips(count) }
    }

    /// Schema and migrations, on a connection of their own, under the migration lock.
    private static func prepare(location: PostgresLocation, configuration: PostgresConnection.Configuration, logger: Logger) throws {
        let connection = try PostgresLanes.connect(configuration, logger: logger)
        defer { try? connection.close().wait() }
        let session = PostgresSession(connection: connection, logger: logger, watchedTable: nil)
        if let schema = location.schema {
            try session.executeScript("CREATE SCHEMA IF NOT EXISTS \(schema)")
        }
        _ = try session.execute(sql: "SELECT pg_advisory_lock(\(migrationLockKey))", arguments: [])
        defer { _ = try? session.execute(sql: "SELECT pg_advisory_unlock(\(migrationLockKey))", arguments: []) }
        try session.executeScript(
            """
            CREATE TABLE IF NOT EXISTS zerotrip_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
            """)
        let applied = Set(try session.fetchAll(sql: "SELECT name FROM zerotrip_migrations", arguments: []).map { $0["name"] as String })
        for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
            try session.begin(write: true)
            do {
                try session.executeScript(migration.sql)
                _ = try session.execute(sql: "INSERT INTO zerotrip_migrations (name) VALUES (?)", arguments: [.text(migration.name)])
                try session.commit()
            } catch {
                session.rollback()
                throw error
            }
        }
    }
}

/// Threads that each own one PostgreSQL connection and take transactions from one queue.
final class PostgresLanes: @unchecked Sendable {
    private final class Job {
        let run: (PostgresSession) -> Void
        let fail: (any Error) -> Void
        /// A write transaction's body and how to answer it, for ``runBatch(_:on:)``; nil for other work.
        let write: WriteWork?
        init(run: @escaping (PostgresSession) -> Void, fail: @escaping (any Error) -> Void, write: WriteWork? = nil) {
            self.run = run
            self.fail = fail
            self.write = write
        }
    }

    /// A write transaction's body, separated from its answer so several can share one transaction.
    private final class WriteWork {
        /// Runs the body and keeps its value for `finish`.
        let attempt: (SQLTransaction) throws -> Void
        /// Answers the caller: with the kept value when `error` is nil.
        let finish: (_ error: (any Error)?) -> Void
        init(attempt: @escaping (SQLTransaction) throws -> Void, finish: @escaping ((any Error)?) -> Void) {
            self.attempt = attempt
            self.finish = finish
        }
    }

    /// Write transactions queued together that the writer commits as one (``runBatch(_:on:)``).
    static let maximumWriteBatch = 32

    // Guarded by `condition` (the reason for @unchecked Sendable).
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopped = false
    private var started = false

    private let name: String
    private let count: Int
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let watchedTable: String?
    private let onWatchedTableCommit: @Sendable () -> Void

    init(
        name: String, count: Int, configuration: PostgresConnection.Configuration, logger: Logger,
        watchedTable: String?, onWatchedTableCommit: @escaping @Sendable () -> Void
    ) {
        self.name = name
        self.count = count
        self.configuration = configuration
        self.logger = logger
        self.watchedTable = watchedTable
        self.onWatchedTableCommit = onWatchedTableCommit
    }

    static func connect(_ configuration: PostgresConnection.Configuration, logger: Logger) throws -> PostgresConnection {
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: logger
            ).wait()
        } catch let error as PSQLError {
            throw SQLFailure(postgres: error)
        } catch {
            throw SQLFailure(.unavailable, "cannot connect to PostgreSQL: \(type(of: error))")
        }
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `body` on a lane's connection outside any transaction.
    func onSession<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit(Job(run: { session in continuation.resume(with: Result { try body(session) }) }, fail: { continuation.resume(throwing: $0) }))
        }
    }

    /// Runs `body` in one read-only snapshot on a lane's connection.
    ///
    /// A read first runs without a transaction (``PostgresSession/beginOptimisticRead()``); when it needs more
    /// than its one `SELECT`, it runs again from the start in one snapshot. `snapshotAtOnce` skips that first try,
    /// for a read known to run several statements.
    func readTransaction<T: Sendable>(snapshotAtOnce: Bool = false, _ body: @escaping @Sendable (SQLTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                run: { session in
                    if !snapshotAtOnce {
                        session.beginOptimisticRead()
                        let outcome = Result { try body(SQLTransaction(postgres: session)) }
                        if !session.needsSnapshot {
                            switch outcome {
                            case .success: _ = try? session.commit()
                            case .failure: session.rollback()
                            }
                            continuation.resume(with: outcome)
                            return
                        }
                        session.rollback()
                    }
                    do {
                        try session.begin(write: false)
                    } catch {
                        continuation.resume(throwing: error)
                        return
                    }
                    do {
                        let value = try body(SQLTransaction(postgres: session))
                        try session.commit()
                        continuation.resume(returning: value)
                    } catch {
                        session.rollback()
                        continuation.resume(throwing: error)
                    }
                }, fail: { continuation.resume(throwing: $0) })
            submit(job)
        }
    }

    /// Runs `body` in one write transaction on a lane's connection: committed when it returns, rolled back when it
    /// throws.
    ///
    /// A write that finds others queued behind it on the writer shares their transaction, each in a savepoint of its
    /// own (``runBatch(_:on:)``): a durable commit waits for the server's WAL flush, and one flush for the lot is what
    /// lets issuance under load go faster than one flush per document.
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (SQLTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            writeTransaction(body) { continuation.resume(with: $0) }
        }
    }

    /// ``writeTransaction(_:)`` with its outcome handed to `completion`, which runs on the writer's thread right
    /// after the commit (or the failure). For a caller that keeps the writer busy (``AuditBatcher``): it can hand over
    /// its next transaction from there, without first waiting for a turn on Swift's cooperative threads, which under
    /// load are busy with the requests. `completion` must be short and must not block.
    func writeTransaction<T: Sendable>(
        _ body: @escaping @Sendable (SQLTransaction) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) {
        var value: T?
        let work = WriteWork(
            attempt: { db in value = try body(db) },
            finish: { error in
                if let error {
                    completion(.failure(error))
                } else if let value {
                    completion(.success(value))
                } else {
                    completion(.failure(SQLFailure(.other, "the write transaction returned no value")))
                }
            })
        submit(Job(run: { [self] session in runBatch([work], on: session) }, fail: { completion(.failure($0)) }, write: work))
    }

    /// Commits `works` in one transaction. Alone, a write runs as it always did. Together, they first run one after
    /// another with no savepoint, nothing waited for in between: when all of them succeed and the commit finds no
    /// refused statement, that is the whole cost. When one throws or the server refused a statement, nothing was
    /// committed (the server turns the `COMMIT` of a failed transaction into a rollback): the batch is rolled back
    /// and runs again with each write in a savepoint of its own, so the one that fails is undone alone and gets its
    /// own error, and the others commit together. A write body only touches the transaction it is given (the values
    /// it returns are replaced when it runs again), so running it twice stores it once.
    ///
    /// Every caller is answered only after the commit, so none is told "done" before its change is durable; a
    /// commit whose own answer fails (the connection broke) fails them all, since whether it took effect is unknown.
    private func runBatch(_ works: [WriteWork], on session: PostgresSession) {
        switch runTogether(works, on: session) {
        case .committed:
            for work in works { work.finish(nil) }
        case .failed(let error):
            for work in works { work.finish(error) }
        case .oneFailed(let error) where works.count == 1:
            works[0].finish(error)
        case .oneFailed:
            runInSavepoints(works, on: session)
        }
    }

    private enum TogetherOutcome {
        /// Every write is stored.
        case committed
        /// The transaction could not begin, or its commit failed in a way that fails every write of it.
        case failed(any Error)
        /// A write threw or a statement was refused (`error`, the first); nothing was stored and the transaction is
        /// rolled back.
        case oneFailed(any Error)
    }

    /// ``runBatch(_:on:)``'s first try, and the whole of a write alone: every write in one transaction with no
    /// savepoints.
    private func runTogether(_ works: [WriteWork], on session: PostgresSession) -> TogetherOutcome {
        do {
            try session.begin(write: true)
        } catch {
            return .failed(error)
        }
        let transaction = SQLTransaction(postgres: session)
        do {
            for work in works { try work.attempt(transaction) }
            if try session.commit(markingUnknownOutcome: true) { onWatchedTableCommit() }
            return .committed
        } catch let error as PostgresSession.CommitFailed {
            session.rollback()
            return .failed(error.cause)
        } catch {
            session.rollback()
            return .oneFailed(error)
        }
    }

    /// ``runBatch(_:on:)``'s second try, after one of several writes failed: each in a savepoint of its own.
    private func runInSavepoints(_ works: [WriteWork], on session: PostgresSession) {
        do {
            try session.begin(write: true)
        } catch {
            for work in works { work.finish(error) }
            return
        }
        var failures: [ObjectIdentifier: any Error] = [:]
        let transaction = SQLTransaction(postgres: session)
        for work in works {
            do {
                try session.inSavepoint { try work.attempt(transaction) }
            } catch {
                failures[ObjectIdentifier(work)] = error
            }
        }
        do {
            if try session.commit() { onWatchedTableCommit() }
        } catch {
            session.rollback()
            for work in works { work.finish(failures[ObjectIdentifier(work)] ?? error) }
            return
        }
        for work in works { work.finish(failures[ObjectIdentifier(work)]) }
    }

    private func submit(_ job: Job) {
        condition.lock()
        guard !stopped else {
            condition.unlock()
            job.fail(SQLFailure(.unavailable, "the database is closed"))
            return
        }
        if !started { startThreads() }
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Called with `condition` held.
    private func startThreads() {
        started = true
        for index in 0..<count {
            let thread = Thread { [self] in
                nameCurrentThread("\(name)-\(index)")
                serve()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func serve() {
        var session: PostgresSession?
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                if let session { try? session.connection.close().wait() }
                return
            }
            let job = queue.removeFirst()
            // Writes queued behind this one join its transaction (only on the writer: one lane, so nothing else
            // could take them meanwhile).
            var batch: [WriteWork] = []
            if count == 1, let first = job.write {
                batch.append(first)
                while batch.count < Self.maximumWriteBatch, let next = queue.first?.write {
                    queue.removeFirst()
                    batch.append(next)
                }
            }
            condition.unlock()

            // (Re)connect when there is no connection or the last one broke: a restarted or failed-over server
            // costs the transactions that were running, never the daemon.
            if session == nil || session?.connection.isClosed == true {
                do {
                    session = PostgresSession(connection: try Self.connect(configuration, logger: logger), logger: logger, watchedTable: watchedTable)
                } catch {
                    session = nil
                    if batch.count > 1 {
                        for work in batch { work.finish(error) }
                    } else {
                        job.fail(error)
                    }
                    continue
                }
            }
            guard let session else { continue }
            if batch.count > 1 {
                runBatch(batch, on: session)
            } else {
                job.run(session)
            }
        }
    }
}
