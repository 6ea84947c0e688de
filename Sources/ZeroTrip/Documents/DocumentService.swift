import Foundation
import ZeroTripCrypto
public import ZeroTripDocuments
import GRDB
import Synchronization

/// Issues, stores, revokes, re-issues and verifies result documents.
///
/// Rendering and signing run on the caller's task (in parallel across requests); the register row and its
/// audit event are written in one transaction, so a document exists with its exact PDF bytes or not at all.
/// Stored documents are never overwritten: the schema's triggers refuse it.
public final class DocumentService: Sendable {
    let database: AppDatabase
    let administration: DistrictAdministration
    let clock: ZeroTripClock
    /// Public base URL of the verification page.
    public let verificationBaseURL: String
    private let renderer: Result<ResultDocumentRenderer, DocumentError>
    private let verifierCache = Mutex<(generation: Int64, checkedAt: Date, verifier: DocumentVerifier)?>(nil)
    private let departmentNames = Mutex<[String: String]>([:])
    private let sealCache = Mutex<[String: (seal: ActiveSeal, checkedAt: Date)]>([:])
    /// The transparency log the register writes to.
    public let log: TransparencyLog

    /// Creates the service; the font is loaded here (a missing font fails issuance, not verification).
    public init(database: AppDatabase, administration: DistrictAdministration, clock: ZeroTripClock, verificationBaseURL: String, fontPath: String) {
        self.database = database
        self.administration = administration
        self.clock = clock
        self.verificationBaseURL = verificationBaseURL
        self.log = TransparencyLog(database: database)
        do {
            renderer = .success(ResultDocumentRenderer(font: try CJKFont(path: fontPath), verificationBaseURL: verificationBaseURL))
        } catch {
            renderer = .failure(error)
        }
    }

    // MARK: Issuing

    /// Issues a document: validates, renders, seals, signs, and registers it with an audit event.
    public func issue(_ request: IssueDocumentRequest, actor: String) async throws -> IssuedDocument {
        try await issue(request, actor: actor, supersedes: nil)
    }

    /// Issues a corrected document replacing `id`, which becomes `superseded` in the same transaction.
    public func reissue(_ id: String, with request: IssueDocumentRequest, actor: String) async throws -> IssuedDocument {
        guard let old = try await record(id: id) else { throw ZeroTripError(.notFound, "no document \(id.prefix(40))") }
        guard old.status == .valid else { throw ZeroTripError(.documentNotValid, "document \(old.id) is \(old.status.rawValue) and cannot be re-issued") }
        guard old.departmentCode == request.departmentCode.uppercased() else {
            throw ZeroTripError(.forbidden, "a document is re-issued by the department that issued it")
        }
        return try await issue(request, actor: actor, supersedes: old.id)
    }

    private func issue(_ raw: IssueDocumentRequest, actor: String, supersedes: String?) async throws -> IssuedDocument {
        // A rotation can switch the key between signing and committing: the commit refuses a key that is no
        // longer active, and the document is signed again with the new one.
        for attempt in 1...3 {
            do {
                return try await issueOnce(raw, actor: actor, supersedes: supersedes)
            } catch let error as ZeroTripError where error.code == .keyNotActive && attempt < 3 {
                sealCache.withLock { $0[raw.departmentCode.uppercased()] = nil }
            }
        }
        throw ZeroTripError(.noActiveKey, "the department's key changed repeatedly during issuance; try again")
    }

    private func issueOnce(_ raw: IssueDocumentRequest, actor: String, supersedes: String?) async throws -> IssuedDocument {
        let request = try raw.validated()
        let renderer = try self.renderer.get()
        let now = clock.now()
        let seal = try await activeSeal(request.departmentCode, now: now)
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let id = try withCrypto("generating a document id") { () throws(CryptoError) in try SecureRandom.bytes(count: 16) }
        let content = ResultDocumentContent(
            documentID: id, districtName: seal.districtName, departmentCode: seal.department.code, departmentName: seal.department.name,
            matterCode: request.matterCode, matterName: request.matterName, holderName: request.holderName, holderIDNumber: request.holderIDNumber,
            fields: request.fields, issuedAt: issuedAt, validUntil: issuedAt.addingTimeInterval(TimeInterval(request.validDays) * 86_400),
            pickupMode: request.pickupMode, supersedes: supersedes.flatMap(Hex.decode))
        let rendered: RenderedDocument
        do { rendered = try renderer.render(content, sealer: seal.sealer, signingTime: issuedAt) } catch { throw ZeroTripError(error) }

        let record = ResultDocumentRecord(
            id: Hex.encode(id), departmentCode: seal.department.code, kid: seal.kidHex, matterCode: request.matterCode, matterName: request.matterName,
            holderName: request.holderName, holderIDNumber: request.holderIDNumber, fields: request.fields, pickupMode: request.pickupMode,
            issuedAt: issuedAt, validUntil: content.validUntil, issuedBy: actor, supersedes: supersedes,
            pdfSHA256: Hex.encode(rendered.pdfSHA256), contentSHA256: Hex.encode(rendered.contentDigest), token: rendered.token,
            status: .valid, statusReason: nil, statusChangedAt: nil, supersededBy: nil)
        let fieldsJSON = String(decoding: try JSONEncoder().encode(request.fields), as: UTF8.self)
        do {
            try await database.write { db in
                if let supersedes {
                    // Re-check inside the transaction: two concurrent re-issues must not both win.
                    let status = try String.fetchOne(db, sql: "SELECT status FROM documents WHERE id = ?", arguments: [supersedes])
                    guard status == DocumentStatus.valid.rawValue else {
                        throw ZeroTripError(.documentNotValid, "document \(supersedes) is no longer valid")
                    }
                }
                try db.cachedStatement(sql: """
                    UPDATE signing_keys SET usage_count = usage_count + 1 WHERE kid = ? AND status = 'active'
                        AND (max_uses IS NULL OR usage_count < max_uses)
                        AND (max_age_seconds IS NULL OR (julianday(?) - julianday(created_at)) * 86400 < max_age_seconds)
                    """).execute(arguments: [record.kid, now])
                if db.changesCount == 0 {
                    let status = try String.fetchOne(db, sql: "SELECT status FROM signing_keys WHERE kid = ?", arguments: [record.kid])
                    throw status == "active"
                        ? ZeroTripError(.keyLimitReached, "the seal key \(record.kid) reached its maximum use or age; rotate it (zerotrip keys rotate)")
                        : ZeroTripError(.keyNotActive, "the seal key \(record.kid) stopped signing")
                }
                try db.cachedStatement(sql: """
                    INSERT INTO documents (id, department_code, kid, matter_code, matter_name, holder_name, holder_id_number, fields,
                        pickup_mode, issued_at, valid_until, issued_by, supersedes, pdf, pdf_sha256, content_sha256, token)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [record.id, record.departmentCode, record.kid, record.matterCode, record.matterName, record.holderName,
                                     record.holderIDNumber, fieldsJSON, record.pickupMode.rawValue, record.issuedAt, record.validUntil,
                                     actor, supersedes, Data(rendered.pdf), Data(rendered.pdfSHA256), Data(rendered.contentDigest), rendered.token])
                try AuditLog.append(AuditEntry(actor: actor, action: "document.issued", target: "document:\(record.id)",
                                               details: ["department": record.departmentCode, "matter": record.matterCode, "kid": record.kid,
                                                         "pdf_sha256": record.pdfSHA256] .merging(supersedes.map { ["supersedes": $0] } ?? [:]) { a, _ in a }),
                                    at: now, in: db)
                try TransparencyLog.append(kind: "document.issued", ref: "document:\(record.id)", fields: [
                    "document": record.id, "department": record.departmentCode, "kid": record.kid, "matter": record.matterCode,
                    "pdf_sha256": record.pdfSHA256, "content_sha256": record.contentSHA256,
                    "issued_at": String(Int64(record.issuedAt.timeIntervalSince1970)), "valid_until": String(Int64(record.validUntil.timeIntervalSince1970)),
                ], at: now, in: db)
                if let supersedes {
                    try Self.changeStatus(db, id: supersedes, to: .superseded, reason: "superseded", supersededBy: record.id, actor: actor, at: now)
                }
            }
        } catch let error as ZeroTripError {
            throw error
        } catch {
            throw ZeroTripError(.storageFailure, "registering the document failed; nothing was stored")
        }
        return IssuedDocument(record: record, pdf: rendered.pdf, qrContent: rendered.qrContent, qr: rendered.qr)
    }

    /// The department's active seal, re-read at most once a second (a rotated key takes over within a second).
    private func activeSeal(_ code: String, now: Date) async throws -> ActiveSeal {
        if let cached = sealCache.withLock({ $0[code] }), abs(now.timeIntervalSince(cached.checkedAt)) < 1 { return cached.seal }
        let seal = try await administration.activeSeal(department: code)
        sealCache.withLock { $0[code] = (seal, now) }
        return seal
    }

    // MARK: Revocation

    /// Revokes a valid document. Revoked and superseded documents never change status again.
    @discardableResult
    public func revoke(_ id: String, reason: RevocationReason, actor: String, department: String? = nil) async throws -> ResultDocumentRecord {
        guard let record = try await record(id: id) else { throw ZeroTripError(.notFound, "no document \(id.prefix(40))") }
        if let department, department.uppercased() != record.departmentCode {
            throw ZeroTripError(.forbidden, "only the issuing department (or an admin) revokes a document")
        }
        guard record.status == .valid else { throw ZeroTripError(.documentNotValid, "document \(record.id) is already \(record.status.rawValue)") }
        let now = clock.now()
        do {
            try await database.write { db in
                try Self.changeStatus(db, id: record.id, to: .revoked, reason: reason.rawValue, supersededBy: nil, actor: actor, at: now)
            }
        } catch let error as DatabaseError where error.message?.contains("cannot change status again") == true {
            throw ZeroTripError(.documentNotValid, "document \(record.id) was revoked or superseded meanwhile")
        } catch let error as ZeroTripError {
            // changeStatus's own conditional update lost the race to a concurrent revocation: a conflict, not a failure.
            throw error
        } catch {
            throw ZeroTripError(.storageFailure, "revoking the document failed; nothing changed")
        }
        return try await self.record(id: record.id)!
    }

    static func changeStatus(_ db: Database, id: String, to status: DocumentStatus, reason: String, supersededBy: String?, actor: String, at now: Date) throws {
        try db.execute(sql: """
            UPDATE documents SET status = ?, status_reason = ?, status_changed_at = ?, superseded_by = ? WHERE id = ? AND status = 'valid'
            """, arguments: [status.rawValue, reason, now, supersededBy, id])
        guard db.changesCount == 1 else { throw ZeroTripError(.documentNotValid, "document \(id) is no longer valid") }
        try db.execute(sql: "INSERT INTO document_status_history (document_id, status, reason, actor, changed_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [id, status.rawValue, reason, actor, now])
        try TransparencyLog.append(kind: status == .revoked ? "document.revoked" : "document.superseded", ref: "document:\(id)",
                                   fields: ["document": id, "reason": reason].merging(supersededBy.map { ["superseded_by": $0] } ?? [:]) { a, _ in a }, at: now, in: db)
        try AuditLog.append(AuditEntry(actor: actor, action: status == .revoked ? "document.revoked" : "document.superseded",
                                       target: "document:\(id)", details: ["reason": reason].merging(supersededBy.map { ["superseded_by": $0] } ?? [:]) { a, _ in a }),
                            at: now, in: db)
    }

    // MARK: Reading

    static let metadataColumns = """
        id, department_code, kid, matter_code, matter_name, holder_name, holder_id_number, fields, pickup_mode, issued_at, valid_until,
        issued_by, supersedes, pdf_sha256, content_sha256, token, status, status_reason, status_changed_at, superseded_by
        """

    /// The register entry of `id`, or nil.
    public func record(id: String) async throws -> ResultDocumentRecord? {
        guard id.utf8.count == 32, Hex.decode(id) != nil else { return nil }
        return try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.metadataColumns) FROM documents WHERE id = ?", arguments: [id.lowercased()]).map(Self.record(from:))
        }
    }

    /// The register entry whose exact PDF has SHA-256 `digest`.
    public func record(pdfSHA256 digest: [UInt8]) async throws -> ResultDocumentRecord? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.metadataColumns) FROM documents WHERE pdf_sha256 = ?", arguments: [Data(digest)]).map(Self.record(from:))
        }
    }

    /// The exact stored PDF of `id`.
    public func pdf(id: String) async throws -> [UInt8]? {
        guard id.utf8.count == 32, Hex.decode(id) != nil else { return nil }
        return try await database.read { db in
            try Data.fetchOne(db, sql: "SELECT pdf FROM documents WHERE id = ?", arguments: [id.lowercased()]).map { [UInt8]($0) }
        }
    }

    /// Documents of a department, newest first.
    public func records(department: String?, limit: Int) async throws -> [ResultDocumentRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.metadataColumns) FROM documents WHERE ? IS NULL OR department_code = ? ORDER BY issued_at DESC, id LIMIT ?
                """, arguments: [department, department, max(1, min(limit, 1000))]).map(Self.record(from:))
        }
    }

    /// Documents issued to the holder with citizen ID number `idNumber`, newest first (the applicant's "my results").
    public func records(holderIDNumber idNumber: String, limit: Int) async throws -> [ResultDocumentRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.metadataColumns) FROM documents WHERE holder_id_number = ? ORDER BY issued_at DESC, id LIMIT ?
                """, arguments: [idNumber.uppercased(), max(1, min(limit, 1000))]).map(Self.record(from:))
        }
    }

    static func record(from row: Row) throws -> ResultDocumentRecord {
        let fields = try JSONDecoder().decode([ResultField].self, from: Data((row["fields"] as String).utf8))
        return ResultDocumentRecord(
            id: row["id"], departmentCode: row["department_code"], kid: row["kid"], matterCode: row["matter_code"], matterName: row["matter_name"],
            holderName: row["holder_name"], holderIDNumber: row["holder_id_number"], fields: fields,
            pickupMode: PickupMode(rawValue: row["pickup_mode"]) ?? .qrSelfPrint, issuedAt: row["issued_at"], validUntil: row["valid_until"],
            issuedBy: row["issued_by"], supersedes: row["supersedes"], pdfSHA256: Hex.encode([UInt8](row["pdf_sha256"] as Data)),
            contentSHA256: Hex.encode([UInt8](row["content_sha256"] as Data)), token: row["token"],
            status: DocumentStatus(rawValue: row["status"]) ?? .revoked, statusReason: row["status_reason"],
            statusChangedAt: row["status_changed_at"], supersededBy: row["superseded_by"])
    }

    // MARK: Verification

    /// The offline verifier over every registered seal certificate, rebuilt when the key history grows
    /// (checked at most once a second, so a new key is honoured within a second, also when another process added it).
    public func verifier() async throws -> DocumentVerifier {
        let now = clock.now()
        let cached = verifierCache.withLock { $0 }
        if let cached, abs(now.timeIntervalSince(cached.checkedAt)) < 1 { return cached.verifier }
        let generation: Int64 = try await database.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM signing_key_history") ?? 0
        }
        if let cached, cached.generation == generation {
            verifierCache.withLock { $0 = (generation, now, cached.verifier) }
            return cached.verifier
        }
        let verifier = DocumentVerifier(roots: try await administration.rootCertificates(), sealCertificates: try await administration.sealCertificates())
        verifierCache.withLock { $0 = (generation, now, verifier) }
        return verifier
    }

    /// Verifies a token (or scanned URL) against the trust material and the register; audited unless `audit` is false.
    public func verifyToken(_ text: String, actor: String, audit: Bool = true) async throws -> VerificationReport {
        let now = clock.now()
        let verifier = try await verifier()
        let outcome = verifier.verifyToken(text, now: now)
        var report = VerificationReport(result: outcome.result, reasons: outcome.reason.map { [$0] } ?? [], document: nil,
                                        registerChecked: false, method: .token, verifiedAt: now)
        if let claims = outcome.claims {
            report.document = DocumentSummary(
                id: claims.documentIDHex, departmentCode: claims.departmentCode, departmentName: nil, matterCode: claims.matterCode, matterName: nil,
                holderName: claims.maskedHolderName, issuedAt: Date(timeIntervalSince1970: TimeInterval(claims.issuedAt)),
                validUntil: Date(timeIntervalSince1970: TimeInterval(claims.expiresAt)), status: nil, statusChangedAt: nil, statusReason: nil,
                supersededBy: nil, kid: outcome.seal.map { Hex.encode($0.certificate.kid) } ?? "")
        }
        if let claims = outcome.claims, outcome.result == .valid || outcome.result == .expired {
            report.registerChecked = true
            let record = try await record(id: claims.documentIDHex)
            if let record {
                report.document = try await summary(of: record)
                if record.departmentCode != claims.departmentCode || record.kid != report.document?.kid
                    || record.contentSHA256 != Hex.encode(claims.contentDigest) || Int64(record.issuedAt.timeIntervalSince1970) != claims.issuedAt
                    || Int64(record.validUntil.timeIntervalSince1970) != claims.expiresAt || record.matterCode != claims.matterCode {
                    report.result = .invalid
                    report.reasons = [VerificationReason("register_mismatch", "the token does not match the register entry of its document")]
                } else {
                    try await apply(record: record, now: now, to: &report)
                }
            } else {
                report.result = .invalid
                report.reasons = [VerificationReason("not_registered", "the token is correctly signed but its document is not in the register")]
            }
        }
        if audit { try await recordVerification(report, actor: actor, now: now) }
        return report
    }

    /// Verifies an uploaded PDF: its single signature, the chain, then the register by exact file hash.
    public func verifyPDF(_ bytes: [UInt8], actor: String, audit: Bool = true) async throws -> VerificationReport {
        let now = clock.now()
        let verifier = try await verifier()
        let record = await bytes.count <= SignedPDF.maximumLength ? try record(pdfSHA256: Digest.sha256(bytes)) : nil
        let outcome = verifier.verifyPDF(bytes, now: now, signingTime: record?.issuedAt)
        var report = VerificationReport(result: outcome.result, reasons: outcome.reason.map { [$0] } ?? [], document: nil,
                                        registerChecked: false, method: .pdf, verifiedAt: now)
        if outcome.result == .valid {
            report.registerChecked = true
            if let record {
                report.document = try await summary(of: record)
                if record.kid != outcome.seal.map({ Hex.encode($0.certificate.kid) }) {
                    report.result = .invalid
                    report.reasons = [VerificationReason("register_mismatch", "the register names another seal for this file")]
                } else {
                    try await apply(record: record, now: now, to: &report)
                }
            } else {
                report.result = .invalid
                report.reasons = [VerificationReason("not_registered", "the signature is intact but this exact file was never issued")]
            }
        }
        if audit { try await recordVerification(report, actor: actor, now: now) }
        return report
    }

    /// Looks a document up by id (the footer link): register only, no cryptography on the presented data.
    public func verifyID(_ id: String, actor: String, audit: Bool = true) async throws -> VerificationReport {
        let now = clock.now()
        var report = VerificationReport(result: .unknown, reasons: [VerificationReason("not_registered", "no document with this number")],
                                        document: nil, registerChecked: true, method: .id, verifiedAt: now)
        if let record = try await record(id: id) {
            report.document = try await summary(of: record)
            report.result = .valid
            report.reasons = []
            try await apply(record: record, now: now, to: &report)
        }
        if audit { try await recordVerification(report, actor: actor, now: now) }
        return report
    }

    private func apply(record: ResultDocumentRecord, now: Date, to report: inout VerificationReport) async throws {
        report.transparency = try await log.proof(for: "document:\(record.id)", kind: "document.issued")
        if let key = try await database.read({ db in
            try Row.fetchOneCopy(db.cachedStatement(sql: "SELECT status, revoked_not_after, revocation_reason FROM signing_keys WHERE kid = ?"), arguments: [record.kid])
        }), (key["status"] as String) == "revoked", let notAfter = key["revoked_not_after"] as Date? {
            // Valid only when the log proves the issuance before the key's "not after" time.
            if try await !log.isLogged(ref: "document:\(record.id)", kind: "document.issued", notAfter: notAfter) {
                report.result = .revoked
                report.reasons = [VerificationReason("key_revoked", "the seal key was revoked (\(key["revocation_reason"] ?? "unspecified")) from \(AuditEvent.timestamp(notAfter)); this document is not provably older")]
                return
            }
        }
        switch record.status {
        case .revoked:
            report.result = .revoked
            report.reasons = [VerificationReason("revoked", "revoked (\(record.statusReason ?? "unspecified"))")]
        case .superseded:
            report.result = .revoked
            report.reasons = [VerificationReason("superseded", "replaced by document \(record.supersededBy ?? "?")")]
        case .valid:
            if record.isExpired(at: now) {
                report.result = .expired
                report.reasons = [VerificationReason("expired", "the document's validity ended")]
            } else if report.result == .expired {
                report.result = .valid
                report.reasons = []
            }
        }
    }

    private func summary(of record: ResultDocumentRecord) async throws -> DocumentSummary {
        // Department names never change once created, so they are cached.
        var name = departmentNames.withLock { $0[record.departmentCode] }
        if name == nil, let department = try await administration.department(code: record.departmentCode) {
            name = department.name
            departmentNames.withLock { $0[record.departmentCode] = department.name }
        }
        return DocumentSummary(
            id: record.id, departmentCode: record.departmentCode, departmentName: name, matterCode: record.matterCode,
            matterName: record.matterName, holderName: record.maskedHolderName, issuedAt: record.issuedAt, validUntil: record.validUntil,
            status: record.status, statusChangedAt: record.statusChangedAt, statusReason: record.statusReason,
            supersededBy: record.supersededBy, kid: record.kid)
    }

    private func recordVerification(_ report: VerificationReport, actor: String, now: Date) async throws {
        try await AuditLog.append(Self.auditEntry(for: report, actor: actor), at: now, to: database)
    }

    /// The audit entry of a verification: method, result and first reason, never the presented token.
    public static func auditEntry(for report: VerificationReport, actor: String) -> AuditEntry {
        var details = ["method": report.method.rawValue, "result": report.result.rawValue]
        if let reason = report.reasons.first { details["reason"] = reason.code }
        return AuditEntry(actor: actor, action: "document.verified", target: "document:\(report.document?.id ?? "unidentified")", details: details)
    }
}
