import Foundation

/// The district row, its departments and the link certificates between its roots (`district`, `departments`,
/// `root_links`), and all their SQL. Methods run in the caller's transaction.
enum DistrictStore {
    /// The district, nil before `zerotrip init`.
    static func district(in db: SQLTransaction) throws -> DistrictInfo? {
        try db.fetchOne(sql: "SELECT name, province, city, root_kid, created_at FROM district WHERE id = 1").map {
            DistrictInfo(name: $0["name"], province: $0["province"], city: $0["city"], rootKid: $0["root_kid"], createdAt: $0["created_at"])
        }
    }

    /// Records the district with its first root (there is only ever one district row).
    static func insertDistrict(name: String, province: String, city: String, rootKid: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql: "INSERT INTO district (id, name, province, city, root_kid, created_at) VALUES (1, ?, ?, ?, ?, ?)",
            arguments: [name, province, city, rootKid, now])
    }

    /// Records the province and city above the district; returns whether the district exists.
    static func setArea(province: String, city: String, in db: SQLTransaction) throws -> Bool {
        try db.execute(sql: "UPDATE district SET province = ?, city = ? WHERE id = 1", arguments: [province, city])
        return db.changesCount == 1
    }

    /// The current root's key id.
    static func rootKid(in db: SQLTransaction) throws -> String? {
        try db.fetchOne(String.self, sql: "SELECT root_kid FROM district WHERE id = 1")
    }

    /// Switches the current root from `old` to `new` (compare and swap); false when the root is no longer `old`.
    static func switchRoot(from old: String, to new: String, in db: SQLTransaction) throws -> Bool {
        try db.execute(sql: "UPDATE district SET root_kid = ? WHERE id = 1 AND root_kid = ?", arguments: [new, old])
        return db.changesCount == 1
    }

    // MARK: Departments

    /// Inserts a department and returns its row id (the signing keys' foreign key). A duplicate code fails the
    /// unique constraint.
    static func insertDepartment(code: String, name: String, at now: Date, in db: SQLTransaction) throws -> Int64 {
        try db.fetchValue(
            Int64.self, sql: "INSERT INTO departments (code, name, created_at) VALUES (?, ?, ?) RETURNING id", arguments: [code, name, now])
    }

    /// The row id of department `code`.
    static func departmentID(code: String, in db: SQLTransaction) throws -> Int64? {
        try db.fetchOne(Int64.self, sql: "SELECT id FROM departments WHERE code = ?", arguments: [code])
    }

    /// Department `code` (every department with nil), by code, with its active seal key.
    static func departments(code: String?, in db: SQLTransaction) throws -> [Department] {
        try db.fetchAll(
            sql: """
                SELECT d.code, d.name, d.created_at,
                       (SELECT kid FROM signing_keys k WHERE k.department_id = d.id AND k.status = 'active' ORDER BY k.created_at DESC LIMIT 1) AS kid
                FROM departments d WHERE CAST(? AS TEXT) IS NULL OR d.code = ? ORDER BY d.code
                """, arguments: [code, code]
        ).map {
            Department(code: $0["code"], name: $0["name"], createdAt: $0["created_at"], activeKid: $0["kid"])
        }
    }

    // MARK: Root links

    /// Records a link certificate: `subject`'s key certified by root `issuer`.
    static func insertRootLink(issuer: String, subject: String, certificate: [UInt8], at now: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql: "INSERT INTO root_links (issuer_kid, subject_kid, certificate, created_at) VALUES (?, ?, ?, ?)",
            arguments: [issuer, subject, Data(certificate), now])
    }

    /// Every link certificate (issuer kid, subject kid, DER), oldest first.
    static func rootLinks(in db: SQLTransaction) throws -> [(issuer: String, subject: String, der: Data)] {
        try db.fetchAll(sql: "SELECT issuer_kid, subject_kid, certificate FROM root_links ORDER BY created_at, rowid").map {
            (issuer: $0["issuer_kid"], subject: $0["subject_kid"], der: $0["certificate"])
        }
    }
}
