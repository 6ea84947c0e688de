import Foundation
import GRDB
import ZeroTripCrypto

/// Moves a district from its SQLite file to an empty PostgreSQL database (`zerotrip migrate-to`).
///
/// Every row of every table is copied as it is, hashes, chain links and log nodes included, in one PostgreSQL
/// transaction from one SQLite read snapshot: the target gets all of it or nothing. Afterwards both databases are
/// compared (row counts, audit chain and head, transparency-log size and root) and the result says whether they
/// agree. Stop the daemon first: the copy is the snapshot taken when the migration began.
public enum DatabaseMigration {
    /// Tables in an order that satisfies every foreign key (a document's `superseded_by` is filled in after all
    /// documents are in, as it points forward). Not `device_challenges`: they live two minutes and the daemon is
    /// stopped for the move, so an app mid-login simply asks for a new one.
    static let tables = [
        "district", "departments", "signing_keys", "signing_key_history", "root_links", "online_keys", "root_crls", "credentials",
        "credential_history",
        "audit_events", "audit_head", "persons", "person_history", "assurance_records", "verification_flows", "auth_counters",
        "device_keys", "applicant_sessions", "sms_outbox", "documents", "document_pdfs", "document_status_history", "document_sharing",
        "log_leaves", "log_nodes", "log_tree_heads", "catalogue_versions", "credit_policy_versions", "credit_organizations",
        "credit_events", "applications", "application_materials", "application_history", "application_flags", "commitments",
        "obligations", "notification_outbox", "window_sessions", "consent_grants", "service_ratings", "complaints", "staff", "service_needs",
        "points_policy_versions", "points_runs", "points_scores", "points_claims", "points_disputes", "figures_built", "daily_figures",
    ]

    /// What was copied and how the two databases compare afterwards.
    public struct Summary: Sendable {
        /// Rows per table (source, target) and whether their contents are equal: every row's every value, dates
        /// compared to the millisecond, in any order (the engines may sort text differently).
        public var rows: [(table: String, source: Int, target: Int, sameContent: Bool)]
        /// The audit chain of each side (must be intact and end at the same hash).
        public var sourceAudit: AuditVerification
        public var targetAudit: AuditVerification
        /// Transparency-log size and root of each side.
        public var sourceLog: (size: UInt64, root: [UInt8])
        public var targetLog: (size: UInt64, root: [UInt8])

        /// True when every count, the audit head and the log root agree and both chains are intact.
        public var identical: Bool {
            guard rows.allSatisfy({ $0.source == $0.target && $0.sameContent }), sourceLog.size == targetLog.size, sourceLog.root == targetLog.root,
                case .intact(let sourceCount, let sourceHead) = sourceAudit, case .intact(let targetCount, let targetHead) = targetAudit
            else { return false }
            return sourceCount == targetCount && sourceHead == targetHead
        }
    }

    /// Copies the SQLite database at `sourcePath` into the empty PostgreSQL database at `target` (a `postgres://`
    /// URL) and compares them. `already_initialized` when the target holds a district.
    ///
    /// `progress` is told each table as its rows are copied (the table and the rows copied of it so far) and then as
    /// the copy is compared; it is called often and should be cheap.
    public static func migrate(
        sqlitePath sourcePath: String, to target: String, progress: (@Sendable (_ step: String, _ rows: Int) -> Void)? = nil
    ) async throws -> Summary {
        guard PostgresLocation.isPostgresURL(target) else {
            throw ZeroTripError(.invalidInput, "the target must be a postgres:// URL")
        }
        guard FileManager.default.fileExists(atPath: sourcePath) else {
            throw ZeroTripError(.notInitialized, "no district here: \(sourcePath) does not exist")
        }
        let source = try AppDatabase.open(path: sourcePath)
        let destination = try AppDatabase.open(location: target)
        try await destination.write { pg in
            guard try pg.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM district") == 0 else {
                throw ZeroTripError(.alreadyInitialized, "the target database already holds a district; migrate into an empty one")
            }
            // The source is read on this (the PostgreSQL writer's) thread, from one read transaction of its own
            // connection: rows stream from one snapshot into one target transaction.
            var configuration = Configuration()
            configuration.readonly = true
            let reader = try DatabaseQueue(path: sourcePath, configuration: configuration)
            // The empty target's migration marked its (no) figures counted; the source's figures, or their absence
            // (counted at first use), come with the copy.
            try pg.executeScript("DELETE FROM figures_built; DELETE FROM daily_figures")
            try reader.read { sqlite in
                try copy(from: SQLTransaction(sqlite: sqlite), to: pg, progress: progress)
            }
        }
        var rows: [(table: String, source: Int, target: Int, sameContent: Bool)] = []
        for table in tables {
            progress?("comparing \(table)", 0)
            let columns = try await destination.read { try Self.columns(of: table, in: $0) }
            let (sourceCount, sourceDigest) = try await source.read { try Self.digest(table, columns: columns, in: $0) }
            let (targetCount, targetDigest) = try await destination.read { try Self.digest(table, columns: columns, in: $0) }
            rows.append((table, sourceCount, targetCount, sourceDigest == targetDigest))
        }
        let sourceLog = TransparencyLog(database: source), targetLog = TransparencyLog(database: destination)
        let sourceSize = try await sourceLog.size(), targetSize = try await targetLog.size()
        return Summary(
            rows: rows,
            sourceAudit: try await AuditLog.verify(source), targetAudit: try await AuditLog.verify(destination),
            sourceLog: (sourceSize, try await sourceLog.rootHash(size: sourceSize)),
            targetLog: (targetSize, try await targetLog.rootHash(size: targetSize)))
    }

    /// The target's columns of `table` with their PostgreSQL types (the copy's column list for both sides).
    static func columns(of table: String, in target: SQLTransaction) throws -> [(name: String, type: String)] {
        let columns = try target.fetchAll(
            sql: """
                SELECT column_name, data_type FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position
                """, arguments: [table]
        ).map { (name: $0["column_name"] as String, type: $0["data_type"] as String) }
        guard !columns.isEmpty else { throw ZeroTripError(.storageFailure, "the target has no table \(table)") }
        return columns
    }

    /// A row's values as PostgreSQL takes them: SQLite's text dates become dates where the column is timestamptz.
    static func normalized(_ row: SQLRow, columns: [(name: String, type: String)], table: String) throws -> [SQLValue] {
        var values = row.values
        for (index, column) in columns.enumerated() where column.type == "timestamp with time zone" {
            if case .text(let text) = values[index] {
                guard let date = SQLDateText.parse(text) else {
                    throw ZeroTripError(.storageFailure, "\(table).\(column.name) holds a date that cannot be read")
                }
                values[index] = .date(date)
            }
        }
        return values
    }

    /// Row count and an order-independent digest of every row of `table` (values canonically encoded, dates to the
    /// millisecond).
    static func digest(_ table: String, columns: [(name: String, type: String)], in db: SQLTransaction) throws -> (Int, [UInt8]) {
        var digests: [[UInt8]] = []
        let rows = try db.cursor(sql: "SELECT \(columns.map(\.name).joined(separator: ", ")) FROM \(table)")
        while let row = try rows.next() {
            var encoded: [UInt8] = []
            for value in try normalized(row, columns: columns, table: table) {
                switch value {
                case .null: encoded += Array("n;".utf8)
                case .integer(let number): encoded += Array("i\(number);".utf8)
                case .real(let number): encoded += Array("r\(number);".utf8)
                case .text(let text): encoded += Array("t\(text.utf8.count):".utf8) + Array(text.utf8)
                case .blob(let data): encoded += Array("b\(data.count):".utf8) + Array(data)
                case .date(let date): encoded += Array("d\(SQLValue.storedMilliseconds(date));".utf8)
                }
            }
            digests.append(Digest.sha256(encoded))
        }
        digests.sort { $0.lexicographicallyPrecedes($1) }
        return (digests.count, Digest.sha256(digests.flatMap { $0 }))
    }

    private static func copy(
        from source: SQLTransaction, to target: SQLTransaction, progress: (@Sendable (_ step: String, _ rows: Int) -> Void)?
    ) throws {
        var forwardLinks: [(id: String, supersededBy: String)] = []
        for table in tables {
            let columns = try Self.columns(of: table, in: target)
            let names = columns.map(\.name)
            let insert = "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
            let rows = try source.cursor(sql: "SELECT \(names.joined(separator: ", ")) FROM \(table)")
            var copied = 0
            while let row = try rows.next() {
                copied += 1
                progress?("copying \(table)", copied)
                var values = try Self.normalized(row, columns: columns, table: table)
                for (index, column) in columns.enumerated() {
                    if table == "documents", column.name == "superseded_by", case .text(let later) = values[index] {
                        forwardLinks.append((row["id"], later))
                        values[index] = .null
                    }
                }
                try target.execute(sql: insert, arguments: SQLArguments(values: values))
            }
        }
        for link in forwardLinks {
            try target.execute(sql: "UPDATE documents SET superseded_by = ? WHERE id = ?", arguments: [link.supersededBy, link.id])
        }
        // Sequences continue after the copied ids.
        let serials = try target.fetchAll(
            sql: """
                SELECT table_name, column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'
                """)
        for serial in serials {
            let table: String = serial["table_name"], column: String = serial["column_name"]
            try target.execute(
                sql: "SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'), COALESCE((SELECT MAX(\(column)) FROM \(table)), 0) + 1, false)")
        }
    }
}
