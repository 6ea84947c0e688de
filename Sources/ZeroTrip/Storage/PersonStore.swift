import Foundation

/// The population registry's rows (`persons`, `person_history`) and all their SQL. ID and phone numbers are stored
/// sealed (AES-GCM under the identity key) with a keyed lookup hash and masked copies; this store never sees them in
/// clear. Methods run in the caller's transaction.
enum PersonStore {
    /// A person's row.
    struct Person: Sendable {
        var id: String
        var idSealed: [UInt8]
        var idMasked: String
        var name: String
        var phoneSealed: [UInt8]
        var phoneMasked: String
        var cardValidFrom: String
        var cardValidUntil: String
        var createdAt: Date
        var updatedAt: Date

        static let columns = """
            id, id_sealed, id_masked, name, phone_sealed, phone_masked, card_valid_from, card_valid_until, created_at, updated_at
            """
    }

    /// The person whose ID number has keyed hash `lookup`.
    static func person(lookup: [UInt8], in db: SQLTransaction) throws -> Person? {
        try db.fetchOne(sql: "SELECT \(Person.columns) FROM persons WHERE id_lookup = ?", arguments: [Data(lookup)]).map(Person.init(row:))
    }

    /// Person `id`.
    static func person(id: String, in db: SQLTransaction) throws -> Person? {
        try db.fetchOne(sql: "SELECT \(Person.columns) FROM persons WHERE id = ?", arguments: [id]).map(Person.init(row:))
    }

    /// The subject id, name and registration time of the person with lookup hash `lookup` (the credit hot path's read).
    static func brief(lookup: Data, in db: SQLTransaction) throws -> (id: String, name: String, createdAt: Date)? {
        if let ahead = db.readAhead(.personsByLookup, lookup, as: Brief.self) { return ahead }
        return try db.fetchOne(sql: "SELECT id, name, created_at FROM persons WHERE id_lookup = ?", arguments: [lookup])
            .map { (id: $0[0], name: $0[1], createdAt: $0[2]) }
    }

    /// Runs `body` with the persons of `lookups` (ID-number hashes) read in one statement, 500 a statement at most;
    /// within it ``brief(lookup:in:)`` answers those from memory, an absent one included. `body` gets the persons found.
    ///
    /// A group-committed batch of window credit reads runs inside the writer's transaction (``AuditBatcher``), where on
    /// PostgreSQL every statement is a round trip made under the write lock: one read for the batch instead of one per
    /// request. Dropped when `body` returns.
    static func readingAhead<T>(lookups: [Data], in db: SQLTransaction, _ body: ([(id: String, name: String, createdAt: Date)]) throws -> T)
        throws -> T
    {
        let asked = Set(lookups)
        guard !asked.isEmpty else { return try body([]) }
        var found: [Data: Brief] = [:]
        let all = Array(asked)
        for start in stride(from: 0, to: all.count, by: 500) {
            let chunk = all[start..<min(all.count, start + 500)]
            for row in try db.fetchAll(
                sql: "SELECT id, name, created_at, id_lookup FROM persons WHERE id_lookup IN (\(SQLTransaction.placeholders(chunk.count)))",
                arguments: SQLArguments(chunk))
            {
                found[row[3] as Data] = (id: row[0], name: row[1], createdAt: row[2])
            }
        }
        return try db.readingAhead(.personsByLookup, SQLTransaction.ReadAhead(asked: asked, found: found)) { try body(Array(found.values)) }
    }

    /// A person as a credit read needs them.
    private typealias Brief = (id: String, name: String, createdAt: Date)

    /// The name and registration time of person `id`.
    static func brief(id: String, in db: SQLTransaction) throws -> (name: String, createdAt: Date)? {
        try db.fetchOne(sql: "SELECT name, created_at FROM persons WHERE id = ?", arguments: [id])
            .map { (name: $0[0], createdAt: $0[1]) }
    }

    /// The subject id of the person with lookup hash `lookup`.
    static func subjectID(lookup: [UInt8], in db: SQLTransaction) throws -> String? {
        try db.fetchOne(String.self, sql: "SELECT id FROM persons WHERE id_lookup = ?", arguments: [Data(lookup)])
    }

    /// How many persons are registered.
    static func count(in db: SQLTransaction) throws -> Int {
        try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM persons") ?? 0
    }

    /// Registers a person, with a `created` history row.
    static func insert(_ person: Person, lookup: [UInt8], actor: String, in db: SQLTransaction) throws {
        try db.execute(
            sql: """
                INSERT INTO persons (id, id_lookup, id_sealed, id_masked, name, phone_sealed, phone_masked, card_valid_from, card_valid_until, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                person.id, Data(lookup), Data(person.idSealed), person.idMasked, person.name, Data(person.phoneSealed), person.phoneMasked,
                person.cardValidFrom, person.cardValidUntil, person.createdAt, person.updatedAt,
            ])
        try history(person.id, "created", actor: actor, at: person.createdAt, in: db)
    }

    /// Replaces a person's name, phone and card validity (the ID number never changes), recording `change`.
    static func update(_ person: Person, change: String, actor: String, in db: SQLTransaction) throws {
        try db.execute(
            sql: """
                UPDATE persons SET name = ?, phone_sealed = ?, phone_masked = ?, card_valid_from = ?, card_valid_until = ?, updated_at = ? WHERE id = ?
                """,
            arguments: [
                person.name, Data(person.phoneSealed), person.phoneMasked, person.cardValidFrom, person.cardValidUntil, person.updatedAt, person.id,
            ])
        try history(person.id, change, actor: actor, at: person.updatedAt, in: db)
    }

    private static func history(_ id: String, _ change: String, actor: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql: "INSERT INTO person_history (person_id, change, actor, changed_at) VALUES (?, ?, ?, ?)", arguments: [id, change, actor, now])
    }
}

extension PersonStore.Person {
    /// Decodes a row of ``columns`` by position.
    init(row: SQLRow) {
        id = row[0]
        idSealed = [UInt8](row[1] as Data)
        idMasked = row[2]
        name = row[3]
        phoneSealed = [UInt8](row[4] as Data)
        phoneMasked = row[5]
        cardValidFrom = row[6]
        cardValidUntil = row[7]
        createdAt = row[8]
        updatedAt = row[9]
    }
}
