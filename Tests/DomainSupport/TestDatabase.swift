import Foundation
public import ZeroTrip

/// The database a test runs on: SQLite in memory, or a fresh schema of the PostgreSQL database named by
/// `ZEROTRIP_TEST_DATABASE_URL` (scripts/test.sh runs the suites both ways against a throw-away cluster).
public enum TestDatabase {
    /// The PostgreSQL URL the suites run against, nil for SQLite.
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["ZEROTRIP_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// True when the tests run on PostgreSQL.
    public static var isPostgres: Bool { postgresURL != nil }

    /// A new, empty, migrated database of the engine under test.
    public static func make() throws -> AppDatabase {
        guard let url = postgresURL else { return try AppDatabase.inMemory() }
        return try AppDatabase.open(location: newSchema("t_", on: url).url + "&readers=1")
    }

    /// A schema of its own on the PostgreSQL database `url` (named `prefix` and 16 random hex digits, created on
    /// first use): its name, and `url` pointing at it.
    public static func newSchema(_ prefix: String, on url: String) -> (name: String, url: String) {
        let name = prefix + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        return (name, url + (url.contains("?") ? "&" : "?") + "schema=\(name)")
    }
}

/// What tests do to the database behind the stores' backs (an attacker with direct access, an injected fault), in
/// each engine's own SQL.
extension SQLTransaction {
    /// Removes every append-only and immutability rule (trigger) of `table`.
    package func dropRules(on table: String) throws {
        if engineName == "postgres" {
            try executeScript("ALTER TABLE \(table) DISABLE TRIGGER USER")
        } else {
            for name in try fetchAll(String.self, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", arguments: [table]) {
                try execute(sql: "DROP TRIGGER \(name)")
            }
        }
    }

    /// Makes inserts into `table` whose `column` equals `value` fail with `message`, as a full disk or a failing
    /// gateway would; ``removeFault(_:on:)`` lifts it.
    package func injectFault(_ name: String, on table: String, when column: String, equals value: String, message: String) throws {
        if engineName == "postgres" {
            try executeScript(
                """
                CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.\(column) = '\(value)' THEN RAISE EXCEPTION '\(message)'; END IF;
                    RETURN NEW;
                END
                $$;
                CREATE TRIGGER \(name) BEFORE INSERT ON \(table) FOR EACH ROW EXECUTE PROCEDURE \(name)();
                """)
        } else {
            try execute(
                sql: "CREATE TRIGGER \(name) BEFORE INSERT ON \(table) WHEN NEW.\(column) = '\(value)' BEGIN SELECT RAISE(ABORT, '\(message)'); END")
        }
    }

    package func removeFault(_ name: String, on table: String) throws {
        if engineName == "postgres" {
            try executeScript("DROP TRIGGER \(name) ON \(table); DROP FUNCTION \(name)()")
        } else {
            try execute(sql: "DROP TRIGGER \(name)")
        }
    }

    /// The names of the application's tables.
    package func tableNames() throws -> [String] {
        engineName == "postgres"
            ? try fetchAll(String.self, sql: "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
            : try fetchAll(String.self, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
    }

    /// SQL for a BLOB column's bytes as text (`replace` on an entry), and back.
    package func blobAsText(_ column: String) -> String {
        engineName == "postgres" ? "convert_from(\(column), 'UTF8')" : "CAST(\(column) AS TEXT)"
    }

    package func textAsBlob(_ expression: String) -> String {
        engineName == "postgres" ? "convert_to(\(expression), 'UTF8')" : "CAST(\(expression) AS BLOB)"
    }
}
