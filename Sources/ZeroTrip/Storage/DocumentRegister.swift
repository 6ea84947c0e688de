import Foundation
import ZeroTripCrypto
import ZeroTripDocuments

/// The document register's tables (`documents`, `document_pdfs`, `document_status_history`, `document_sharing`) and
/// all their SQL.
///
/// Every method runs inside a transaction handed in by its caller, so a use case composes the register with the
/// application, audit and transparency-log writes it needs and commits them together. Rows are never deleted and
/// only the status columns ever change; the schema's triggers refuse anything else.
enum DocumentRegister {
    /// The metadata columns of a full register entry (everything but the PDF).
    static let metadataColumns = """
        id, department_code, kid, matter_code, matter_name, holder_name, holder_id_number, holder_kind, fields, pickup_mode, issued_at,
        valid_until, issued_by, supersedes, pdf_sha256, content_sha256, token, status, status_reason, status_changed_at, superseded_by
        """

    // MARK: Writing

    /// Adds a document and its exact PDF. Fails (and with it the caller's transaction) if the id exists.
    static func insert(_ record: ResultDocumentRecord, pdf: [UInt8], in db: SQLTransaction) throws {
        let fieldsJSON = String(decoding: try JSONEncoder().encode(record.fields), as: UTF8.self)
        try db.insertRows(
            documentRow,
            values: [
                record.id, record.departmentCode, record.kid, record.matterCode, record.matterName, record.holderName,
                record.holderIDNumber, record.holderKind.rawValue, fieldsJSON, record.pickupMode.rawValue, record.issuedAt, record.validUntil,
                record.issuedBy, record.supersedes, Data(Hex.decode(record.pdfSHA256) ?? []),
                Data(Hex.decode(record.contentSHA256) ?? []), record.token,
            ])
        // After the document's row: the PDF refers to it.
        try db.insertRows(pdfRow, values: [record.id, Data(pdf)])
    }

    private static let documentRow = SQLTransaction.RowInsert(
        "documents",
        columns: [
            "id", "department_code", "kid", "matter_code", "matter_name", "holder_name", "holder_id_number", "holder_kind", "fields",
            "pickup_mode", "issued_at", "valid_until", "issued_by", "supersedes", "pdf_sha256", "content_sha256", "token",
        ])
    private static let pdfRow = SQLTransaction.RowInsert("document_pdfs", columns: ["document_id", "pdf"])

    /// Moves a valid document to `status` with its history row, log leaf and audit event. Throws `documentNotValid`
    /// when the document is no longer valid (a concurrent revocation won), so the caller's transaction rolls back.
    static func changeStatus(
        _ id: DocumentID, to status: DocumentStatus, reason: String, supersededBy: DocumentID?, actor: String,
        at now: Date, in db: SQLTransaction
    ) throws {
        try db.execute(
            sql: """
                UPDATE documents SET status = ?, status_reason = ?, status_changed_at = ?, superseded_by = ? WHERE id = ? AND status = 'valid'
                """, arguments: [status.rawValue, reason, now, supersededBy, id])
        guard db.changesCount == 1 else { throw ZeroTripError(.documentNotValid, "document \(id) is no longer valid") }
        try db.executeUnanswered(
            sql: "INSERT INTO document_status_history (document_id, status, reason, actor, changed_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [id, status.rawValue, reason, actor, now])
        var details = ["reason": reason]
        if let supersededBy { details["superseded_by"] = supersededBy.rawValue }
        let (action, kind): (AuditAction, LogEntryKind) =
            status == .revoked ? (.documentRevoked, .documentRevoked) : (.documentSuperseded, .documentSuperseded)
        try TransparencyLog.append(
            kind: kind, ref: "document:\(id)", fields: ["document": id.rawValue].merging(details) { a, _ in a }, at: now, in: db)
        try AuditLog.append(AuditEntry(actor: actor, action: action, target: "document:\(id)", details: details), at: now, in: db)
    }

    // MARK: Reading

    /// Every document that is no longer valid (revoked or superseded), for the status list.
    static func statusChanges(in db: SQLTransaction) throws -> [(id: String, status: DocumentStatus, reason: String?, changedAt: Date)] {
        try db.fetchAll(sql: "SELECT id, status, status_reason, status_changed_at FROM documents WHERE status <> 'valid' ORDER BY id").compactMap {
            row in
            guard let status = DocumentStatus(rawValue: row["status"]) else { return nil }
            return (row["id"], status, row["status_reason"], (row["status_changed_at"] as Date?) ?? Date(timeIntervalSince1970: 0))
        }
    }

    /// How many status changes the register has recorded (append-only): the status list is rebuilt when it grows.
    static func statusGeneration(in db: SQLTransaction) throws -> Int64 {
        try db.fetchOne(Int64.self, sql: "SELECT COUNT(*) FROM document_status_history") ?? 0
    }

    /// The status of `id`, or nil when it is not registered.
    static func status(of id: DocumentID, in db: SQLTransaction) throws -> DocumentStatus? {
        try db.fetchOne(String.self, sql: "SELECT status FROM documents WHERE id = ?", arguments: [id])
            .map { DocumentStatus(rawValue: $0) ?? .revoked }
    }

    /// The full register entry of `id`.
    static func record(id: DocumentID, in db: SQLTransaction) throws -> ResultDocumentRecord? {
        try db.fetchOne(sql: "SELECT \(metadataColumns) FROM documents WHERE id = ?", arguments: [id]).map(record(from:))
    }

    /// The register entry whose exact PDF has SHA-256 `digest`.
    static func record(pdfSHA256 digest: [UInt8], in db: SQLTransaction) throws -> ResultDocumentRecord? {
        try db.fetchOne(sql: "SELECT \(metadataColumns) FROM documents WHERE pdf_sha256 = ?", arguments: [Data(digest)]).map(record(from:))
    }

    /// The exact stored PDF of `id`.
    static func pdf(id: DocumentID, in db: SQLTransaction) throws -> [UInt8]? {
        try db.fetchOne(Data.self, sql: "SELECT pdf FROM document_pdfs WHERE document_id = ?", arguments: [id]).map { [UInt8]($0) }
    }

    /// The holder's choice for the public link to document `id`'s PDF, or nil while they have not chosen.
    static func pdfLink(id: DocumentID, in db: SQLTransaction) throws -> Bool? {
        try db.fetchOne(Bool.self, sql: "SELECT pdf_link FROM document_sharing WHERE document_id = ?", arguments: [id])
    }

    /// The holders' choices for the documents `ids` that have one (at most 1,000 ids).
    static func pdfLinks(ids: [DocumentID], in db: SQLTransaction) throws -> [DocumentID: Bool] {
        guard !ids.isEmpty else { return [:] }
        let ids = Array(ids.prefix(1000))
        var links: [DocumentID: Bool] = [:]
        try db.forEach(
            sql: "SELECT document_id, pdf_link FROM document_sharing WHERE document_id IN (\(SQLTransaction.placeholders(ids.count)))",
            arguments: SQLArguments(ids.map { $0 as any SQLValueConvertible })
        ) { row in
            links[row["document_id"] as DocumentID] = row["pdf_link"] as Bool
        }
        return links
    }

    /// Records the holder's choice for the public link to document `id`'s PDF.
    static func setPDFLink(id: DocumentID, enabled: Bool, actor: String, at now: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql: """
                INSERT INTO document_sharing (document_id, pdf_link, changed_at, changed_by) VALUES (?, ?, ?, ?)
                ON CONFLICT (document_id) DO UPDATE SET pdf_link = excluded.pdf_link, changed_at = excluded.changed_at, changed_by = excluded.changed_by
                """, arguments: [id, enabled ? 1 : 0, now, actor])
    }

    /// Entries of one department (all when nil), newest first, at most `limit` (1–1,000).
    static func records(department: String?, limit: Int, in db: SQLTransaction) throws -> [ResultDocumentRecord] {
        try db.fetchAll(
            sql: """
                SELECT \(metadataColumns) FROM documents WHERE CAST(? AS TEXT) IS NULL OR department_code = ? ORDER BY issued_at DESC, id LIMIT ?
                """, arguments: [department, department, max(1, min(limit, 1000))]
        ).map(record(from:))
    }

    /// Entries issued to the holder with ID number `idNumber`, newest first, at most `limit` (1–1,000).
    static func records(holderIDNumber idNumber: String, limit: Int, in db: SQLTransaction) throws -> [ResultDocumentRecord] {
        try db.fetchAll(
            sql: """
                SELECT \(metadataColumns) FROM documents WHERE holder_id_number = ? ORDER BY issued_at DESC, id LIMIT ?
                """, arguments: [idNumber.uppercased(), max(1, min(limit, 1000))]
        ).map(record(from:))
    }

    /// The holder's valid entries of the result types `matterCodes` (at most 20) still in force at `now`, newest first,
    /// at most `limit`: found by type in the register, however many other results the holder has.
    static func validRecords(
        holderIDNumber idNumber: String, matterCodes: [String], at now: Date, limit: Int,
        in db: SQLTransaction
    ) throws -> [ResultDocumentRecord] {
        guard !matterCodes.isEmpty else { return [] }
        let codes = Array(matterCodes.prefix(20))
        let placeholders = SQLTransaction.placeholders(codes.count)
        var arguments: [(any SQLValueConvertible)?] = [idNumber.uppercased()]
        arguments += codes.map { $0 as (any SQLValueConvertible)? }
        arguments += [now, max(1, min(limit, 1000))]
        return try db.fetchAll(
            sql: """
                SELECT \(metadataColumns) FROM documents
                WHERE holder_id_number = ? AND matter_code IN (\(placeholders)) AND status = 'valid' AND valid_until > ?
                ORDER BY issued_at DESC, id LIMIT ?
                """, arguments: SQLArguments(arguments)
        ).map(record(from:))
    }

    /// The verification columns of `id` (see ``Entry``), the hot path's read.
    static func entry(id: String, in db: SQLTransaction) throws -> Entry? {
        let id = id.lowercased()
        if let ahead = db.readAhead(.documentEntries, id, as: Entry.self) { return ahead }
        return try db.fetchOne(sql: "SELECT \(Entry.columns) FROM documents WHERE id = ?", arguments: [id]).map(Entry.init(row:))
    }

    /// Runs `body` with the entries of `ids` read in one statement (500 ids a statement at most); within it
    /// ``entry(id:in:)`` answers those ids from memory, an absent one included.
    ///
    /// A batch of audited verifications runs inside the writer's transaction, where on PostgreSQL every statement
    /// is a round trip made while holding the database-wide write lock: one read for the batch instead of one per
    /// verification. The entries are dropped when `body` returns, so nothing written later in the transaction is
    /// answered from a stale copy.
    static func readingAhead<T>(ids: [String], in db: SQLTransaction, _ body: () throws -> T) throws -> T {
        let asked = Set(ids.map { $0.lowercased() })
        guard !asked.isEmpty else { return try body() }
        var found: [String: Entry] = [:]
        let all = Array(asked)
        for start in stride(from: 0, to: all.count, by: 500) {
            let chunk = SQLTransaction.paddedList(Array(all[start..<min(all.count, start + 500)]))
            for row in try db.fetchAll(
                prepared: "SELECT \(Entry.columns) FROM documents WHERE id IN (\(SQLTransaction.placeholders(chunk.count)))", texts: chunk)
            {
                let entry = Entry(row: row)
                found[entry.id] = entry
            }
        }
        return try db.readingAhead(.documentEntries, SQLTransaction.ReadAhead(asked: asked, found: found), body)
    }

    /// The verification columns of the entry whose exact PDF has SHA-256 `digest`.
    static func entry(pdfSHA256 digest: [UInt8], in db: SQLTransaction) throws -> Entry? {
        try db.fetchOne(sql: "SELECT \(Entry.columns) FROM documents WHERE pdf_sha256 = ?", arguments: [Data(digest)])
            .map(Entry.init(row:))
    }

    /// The part of a register row a verification answers from (no field values, no holder ID number: reading and
    /// decoding them per verification cost more than the answer needs).
    struct Entry: Sendable {
        static let columns = """
            id, department_code, kid, matter_code, matter_name, holder_name, issued_at, valid_until, content_sha256, status, status_reason,
            status_changed_at, superseded_by
            """
        var id: String
        var departmentCode: String
        var kid: String
        var matterCode: String
        var matterName: String
        var holderName: String
        var issuedAt: Date
        var validUntil: Date
        var contentSHA256: [UInt8]
        var status: DocumentStatus
        var statusReason: String?
        var statusChangedAt: Date?
        var supersededBy: String?

        /// Decodes a row of ``columns`` by position.
        init(row: SQLRow) {
            id = row[0]
            departmentCode = row[1]
            kid = row[2]
            matterCode = row[3]
            matterName = row[4]
            holderName = row[5]
            issuedAt = row[6]
            validUntil = row[7]
            contentSHA256 = [UInt8](row[8] as Data)
            status = DocumentStatus(rawValue: row[9]) ?? .revoked
            statusReason = row[10]
            statusChangedAt = row[11]
            supersededBy = row[12]
        }

        func isExpired(at date: Date) -> Bool { date > validUntil }

        func summary(departmentName name: String?) -> DocumentSummary {
            DocumentSummary(
                id: id, departmentCode: departmentCode, departmentName: name, matterCode: matterCode, matterName: matterName,
                holderName: PersonalDataMask.name(holderName), issuedAt: issuedAt, validUntil: validUntil, status: status,
                statusChangedAt: statusChangedAt, statusReason: statusReason, supersededBy: supersededBy, kid: kid)
        }
    }

    static func record(from row: SQLRow) throws -> ResultDocumentRecord {
        let fields = try JSONDecoder().decode([ResultField].self, from: Data((row["fields"] as String).utf8))
        return ResultDocumentRecord(
            id: row["id"], departmentCode: row["department_code"], kid: row["kid"], matterCode: row["matter_code"], matterName: row["matter_name"],
            holderName: row["holder_name"], holderIDNumber: row["holder_id_number"],
            holderKind: HolderKind(rawValue: row["holder_kind"]) ?? .person, fields: fields,
            pickupMode: PickupMode(rawValue: row["pickup_mode"]) ?? .qrSelfPrint, issuedAt: row["issued_at"], validUntil: row["valid_until"],
            issuedBy: row["issued_by"], supersedes: row["supersedes"], pdfSHA256: Hex.encode([UInt8](row["pdf_sha256"] as Data)),
            contentSHA256: Hex.encode([UInt8](row["content_sha256"] as Data)), token: row["token"],
            status: DocumentStatus(rawValue: row["status"]) ?? .revoked, statusReason: row["status_reason"],
            statusChangedAt: row["status_changed_at"], supersededBy: row["superseded_by"])
    }
}

extension DocumentRegister {
    /// Per issuing department, documents revoked in [from, to) (a superseded one is not revoked).
    static func revocations(from: Date, to: Date, in db: SQLTransaction) throws -> [String: Int] {
        Dictionary(
            try db.fetchAll(
                sql: """
                    SELECT d.department_code, COUNT(*) FROM document_status_history h JOIN documents d ON d.id = h.document_id
                    WHERE h.status = 'revoked' AND h.changed_at >= ? AND h.changed_at < ? GROUP BY d.department_code
                    """, arguments: [from, to]
            ).map { ($0[0] as String, $0[1] as Int) }, uniquingKeysWith: +)
    }
}
