import Foundation

/// Owner of `staff`, the supervision directory, and all its SQL. Methods run in the caller's transaction.
enum StaffStore {
    /// Adds `member`, or replaces the entry of the same department and clerk number; true when it was new.
    static func put(_ member: StaffMember, in db: SQLTransaction) throws -> Bool {
        let existed =
            try db.fetchOne(
                Int.self, sql: "SELECT 1 FROM staff WHERE department = ? AND clerk = ?",
                arguments: [member.department, member.clerk]) != nil
        try db.execute(
            sql: """
                INSERT INTO staff (department, clerk, name, phone, role, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (department, clerk) DO UPDATE SET name = excluded.name, phone = excluded.phone, role = excluded.role,
                    added_at = excluded.added_at, added_by = excluded.added_by
                """, arguments: [member.department, member.clerk, member.name, member.phone, member.role.rawValue, member.addedAt, member.addedBy])
        return !existed
    }

    /// Removes a member; false when there was none.
    static func remove(department: String, clerk: String, in db: SQLTransaction) throws -> Bool {
        try db.execute(sql: "DELETE FROM staff WHERE department = ? AND clerk = ?", arguments: [department, clerk])
        return db.changesCount == 1
    }

    static func member(department: String, clerk: String, in db: SQLTransaction) throws -> StaffMember? {
        try db.fetchOne(sql: "SELECT * FROM staff WHERE department = ? AND clerk = ?", arguments: [department, clerk]).map(member(from:))
    }

    /// The department's members (all departments' when nil), by department and clerk number.
    static func members(department: String?, role: StaffRole? = nil, in db: SQLTransaction) throws -> [StaffMember] {
        var conditions: [String] = [], arguments: SQLArguments = []
        if let department { conditions.append("department = ?"); arguments += [department] }
        if let role { conditions.append("role = ?"); arguments += [role.rawValue] }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try db.fetchAll(sql: "SELECT * FROM staff \(filter) ORDER BY department, clerk LIMIT 5000", arguments: arguments).map(member(from:))
    }

    private static func member(from row: SQLRow) -> StaffMember {
        StaffMember(
            department: row["department"], clerk: row["clerk"], name: row["name"], phone: row["phone"],
            role: StaffRole(rawValue: row["role"]) ?? .reviewer, addedAt: row["added_at"], addedBy: row["added_by"])
    }
}
