import Foundation
import ZeroTripCrypto
public import ZeroTripDocuments
import Synchronization

/// Issues, stores, revokes, re-issues and verifies result documents.
///
/// Rendering and signing run on the caller's task (in parallel across requests); the register row and its
/// audit event are written in one transaction, so a document exists with its exact PDF bytes or not at all.
/// Stored documents are never overwritten: the schema's triggers refuse it.
public final class DocumentService: Sendable {
    let database: AppDatabase
    private let issuedCounter = Atomic<Int>(0)

    /// Documents this process has issued and registered since it started (every route: direct issuance, re-issue, an
    /// application's result, a points certificate), for `/metrics`.
    public var issuedSinceStart: Int { issuedCounter.load(ordering: .relaxed) }
    let administration: DistrictAdministration
    /// The population registry every holder must be in, under the name on the document.
    let registry: PopulationRegistry
    let clock: ZeroTripClock
    /// Public base URL of the verification page.
    public let verificationBaseURL: String
    private let renderer: Result<ResultDocumentRenderer, DocumentError>
    private let trustCache = Mutex<TrustState?>(nil)
    /// The refresh of ``trustCache`` under way, keyed by the local key-change count it started at: a refresh that
    /// started before this process's latest key change is not joined.
    private let trustRefresh = SingleFlight<Int, TrustState>()
    private let departmentNames = Mutex<[String: String]>([:])
    private let sealCache = Mutex<[String: (seal: ActiveSeal, checkedAt: Date, keyChanges: Int)]>([:])
    /// The transparency log the register writes to.
    public let log: TransparencyLog

    /// Creates the service; the fonts are loaded here (a missing main font fails issuance, not verification; a
    /// missing fallback font only the characters that need it).
    public init(
        database: AppDatabase, administration: DistrictAdministration, registry: PopulationRegistry, clock: ZeroTripClock,
        verificationBaseURL: String, fontPath: String, fallbackFontPaths: [String] = CJKFont.defaultFallbackPaths
    ) {
        self.database = database
        self.administration = administration
        self.registry = registry
        self.clock = clock
        self.verificationBaseURL = verificationBaseURL
        self.log = TransparencyLog(database: database)
        do {
            let fonts = FontStack(main: try CJKFont(path: fontPath), fallbackPaths: fallbackFontPaths)
            renderer = .success(ResultDocumentRenderer(fonts: fonts, verificationBaseURL: verificationBaseURL))
        } catch {
            renderer = .failure(error)
        }
    }

    // MARK: Issuing

    /// Issues a document: validates, renders, seals, signs, and registers it with an audit event.
    public func issue(_ request: IssueDocumentRequest, actor: String) async throws -> IssuedDocument {
        try await issue(request, actor: actor, supersedes: nil)
    }

    /// Issues `request` for `principal`, whose credential seals for its own department only (an administrator's too:
    /// the seal is a department's). Another department's code is refused with `forbidden`, audited first.
    public func issue(_ request: IssueDocumentRequest, by principal: Principal, route: String) async throws -> IssuedDocument {
        try await checkIssuingDepartment(request, principal, route: route)
        return try await issue(request, actor: principal.actor)
    }

    /// ``reissue(_:with:actor:)`` for `principal`: the document must be one its department issued (or the caller
    /// administers the district) and the new one is sealed by the caller's own department.
    public func reissue(_ id: DocumentID, with request: IssueDocumentRequest, by principal: Principal, route: String) async throws
        -> IssuedDocument
    {
        let record = try await departmentDocument(id: id, for: principal, route: route)
        try await checkIssuingDepartment(request, principal, route: route)
        return try await reissue(record.id, with: request, actor: principal.actor)
    }

    private func checkIssuingDepartment(_ request: IssueDocumentRequest, _ principal: Principal, route: String) async throws {
        let named = request.departmentCode.uppercased()
        guard named != principal.departmentCode.uppercased() else { return }
        throw try await AuditLog.denied(
            ZeroTripError(.forbidden, "a credential issues documents for its own department only"), actor: principal.actor,
            target: "department:\(named.prefix(16))", reason: "other_department", route: route, at: clock.now(), to: database)
    }

    /// Issues a corrected document replacing `id`, which becomes `superseded` in the same transaction.
    public func reissue(_ id: DocumentID, with request: IssueDocumentRequest, actor: String) async throws -> IssuedDocument {
        guard let old = try await record(id: id) else { throw ZeroTripError(.notFound, "no document \(id)") }
        guard old.status == .valid else {
            throw ZeroTripError(.documentNotValid, "document \(old.id) is \(old.status.rawValue) and cannot be re-issued")
        }
        guard old.departmentCode == request.departmentCode.uppercased() else {
            throw ZeroTripError(.forbidden, "a document is re-issued by the department that issued it")
        }
        return try await issue(request, actor: actor, supersedes: old.id)
    }

    private func issue(_ raw: IssueDocumentRequest, actor: String, supersedes: DocumentID?) async throws -> IssuedDocument {
        try await issue(raw, actor: actor, supersedes: supersedes) { _, _ in }
    }

    /// Issues a document and runs `alongside` in the transaction that registers it, so the caller's own changes
    /// (an application moving to "result issued") and the document commit together or not at all.
    ///
    /// A rotation can switch the key between signing and committing: the register refuses a key that is no longer
    /// active, and the document is prepared again with the new one (at most three times).
    func issue(
        _ raw: IssueDocumentRequest, actor: String, supersedes: DocumentID? = nil,
        alongside: @escaping @Sendable (SQLTransaction, PreparedDocument) throws -> Void
    ) async throws -> IssuedDocument {
        for attempt in 1...3 {
            let prepared = try await prepare(raw, actor: actor, supersedes: supersedes)
            do {
                try await database.write { db in
                    try Self.register(prepared, in: db)
                    try alongside(db, prepared)
                }
                issuedCounter.add(1, ordering: .relaxed)
                return prepared.issued
            } catch let error as ZeroTripError where error.code == .keyNotActive && attempt < 3 {
                sealCache.withLock { $0[prepared.record.departmentCode] = nil }
            } catch let error as ZeroTripError {
                throw error
            } catch {
                throw ZeroTripError(.storageFailure, "registering the document failed; nothing was stored").causedBy(error)
            }
        }
        throw ZeroTripError(.noActiveKey, "the department's key changed repeatedly during issuance; try again")
    }

    /// A document validated, sealed, rendered and signed, not yet in the register.
    struct PreparedDocument: Sendable {
        /// The register entry it will become.
        var record: ResultDocumentRecord
        /// The signed PDF, its QR content and symbol.
        var issued: IssuedDocument
        /// The clock reading the document was prepared at (its usage and audit times).
        var preparedAt: Date
    }

    /// Validates `raw`, seals and renders it with the department's active key. Writes nothing: the result enters
    /// the register only through ``register(_:in:)``, inside the caller's transaction.
    func prepare(_ raw: IssueDocumentRequest, actor: String, supersedes: DocumentID?) async throws -> PreparedDocument {
        let request = try raw.validated()
        try await checkHolder(request)
        let renderer = try self.renderer.get()
        let now = clock.now()
        let seal = try await activeSeal(request.departmentCode, now: now)
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let id = try withCrypto("generating a document id") { () throws(CryptoError) in try SecureRandom.bytes(count: 16) }
        let content = ResultDocumentContent(
            documentID: id, districtName: seal.districtName, departmentCode: seal.department.code, departmentName: seal.department.name,
            matterCode: request.matterCode, matterName: request.matterName, holderName: request.holderName, holderIDNumber: request.holderIDNumber,
            holderKind: request.holderKind, fields: request.fields, issuedAt: issuedAt,
            validUntil: issuedAt.addingTimeInterval(TimeInterval(request.validDays) * 86_400),
            pickupMode: request.pickupMode, supersedes: supersedes.flatMap { Hex.decode($0.rawValue) })
        let rendered: RenderedDocument
        if seal.sealer.cms.key.tokenKey == nil {
            do { rendered = try renderer.render(content, sealer: seal.sealer, signingTime: issuedAt) } catch { throw ZeroTripError(error) }
        } else {
            // A seal in a token signs at the token's pace (a network HSM: milliseconds): never on the cooperative pool.
            let sealer = seal.sealer
            do {
                rendered = try await BlockingWork.onDevice { try renderer.render(content, sealer: sealer, signingTime: issuedAt) }
            } catch let error as DocumentError {
                throw ZeroTripError(error)
            }
        }

        let record = ResultDocumentRecord(
            id: DocumentID(uncheckedRawValue: Hex.encode(id)), departmentCode: seal.department.code, kid: seal.kidHex, matterCode: request.matterCode,
            matterName: request.matterName,
            holderName: request.holderName, holderIDNumber: request.holderIDNumber, holderKind: request.holderKind, fields: request.fields,
            pickupMode: request.pickupMode,
            issuedAt: issuedAt, validUntil: content.validUntil, issuedBy: actor, supersedes: supersedes,
            pdfSHA256: Hex.encode(rendered.pdfSHA256), contentSHA256: Hex.encode(rendered.contentDigest), token: rendered.token,
            status: .valid, statusReason: nil, statusChangedAt: nil, supersededBy: nil)
        return PreparedDocument(
            record: record, issued: IssuedDocument(record: record, pdf: rendered.pdf, qrContent: rendered.qrContent, qr: rendered.qr),
            preparedAt: now)
    }

    /// A document names a person the district knows: the ID number must be in the population registry and the holder
    /// name must be the registry's name for it, so a result can never be issued to one person under another's number
    /// (and then listed among that other person's results). Neither the registry's name nor the number is echoed.
    private func checkHolder(_ request: IssueDocumentRequest) async throws {
        if request.holderKind == .organization {
            // An organisation is a holder the district knows as a credit subject, under exactly its registered name.
            let code = request.holderIDNumber
            guard let registered = try await database.read({ db in try CreditLedger.organization(code, in: db) }) else {
                throw ZeroTripError(
                    .unknownSubject,
                    "the holder's unified social credit code \(code) is not a registered organisation (zerotrip credit organizations)")
            }
            guard registered.displayName == request.holderName else {
                throw ZeroTripError(.holderMismatch, "holderName is not the registered name of organisation \(code)")
            }
            return
        }
        let masked = PersonalDataMask.idNumber(request.holderIDNumber)
        guard let name = try await registry.name(idNumber: request.holderIDNumber) else {
            throw ZeroTripError(.unknownPerson, "the holder's ID number \(masked) is not in the population registry (zerotrip persons import)")
        }
        guard name == request.holderName else {
            throw ZeroTripError(.holderMismatch, "holderName is not the registry's name for ID number \(masked)")
        }
    }

    /// Enters a prepared document into the register inside the caller's transaction: counts the key's use, stores
    /// the entry and its PDF, appends the audit event and the log leaf, and marks the document it replaces as
    /// superseded. Throws `keyNotActive` when the key stopped signing since ``prepare(_:actor:supersedes:)``.
    static func register(_ prepared: PreparedDocument, in db: SQLTransaction) throws {
        let record = prepared.record
        let now = prepared.preparedAt
        if let supersedes = record.supersedes {
            // Re-checked inside the transaction: two concurrent re-issues must not both win.
            guard try DocumentRegister.status(of: supersedes, in: db) == .valid else {
                throw ZeroTripError(.documentNotValid, "document \(supersedes) is no longer valid")
            }
        }
        try SigningKeyStore.consumeUse(kid: record.kid, at: now, in: db)
        try DocumentRegister.insert(record, pdf: prepared.issued.pdf, in: db)
        var details = ["department": record.departmentCode, "matter": record.matterCode, "kid": record.kid, "pdf_sha256": record.pdfSHA256]
        if let supersedes = record.supersedes { details["supersedes"] = supersedes.rawValue }
        try AuditLog.append(
            AuditEntry(actor: record.issuedBy, action: .documentIssued, target: "document:\(record.id)", details: details),
            at: now, in: db)
        try TransparencyLog.append(
            kind: LogEntryKind.documentIssued, ref: TransparencyLog.documentReference(record.id),
            fields: [
                "document": record.id.rawValue, "department": record.departmentCode, "kid": record.kid, "matter": record.matterCode,
                "pdf_sha256": record.pdfSHA256, "content_sha256": record.contentSHA256,
                "issued_at": String(Int64(record.issuedAt.timeIntervalSince1970)),
                "valid_until": String(Int64(record.validUntil.timeIntervalSince1970)),
            ], at: now, in: db)
        if let supersedes = record.supersedes {
            try DocumentRegister.changeStatus(
                supersedes, to: .superseded, reason: "superseded", supersededBy: record.id, actor: record.issuedBy,
                at: now, in: db)
            _ = try MaterialReopening.reopen(
                documentID: supersedes.rawValue, status: .superseded, supersededBy: record.id.rawValue, actor: record.issuedBy, at: now, in: db)
        }
    }

    /// The department's active seal, re-read at most once a second (a key change by another process takes over within
    /// a second). A key change committed by this process discards every cached seal at once: the cache entry carries
    /// the process's key-change count from *before* its read, so a seal read while a rotation committed is never
    /// served afterwards (it was: racing issuances put the retired seal back and used up their retries).
    private func activeSeal(_ code: String, now: Date) async throws -> ActiveSeal {
        let changes = database.keyChanges.count
        if let cached = sealCache.withLock({ $0[code] }), cached.keyChanges == changes, abs(now.timeIntervalSince(cached.checkedAt)) < 1 {
            return cached.seal
        }
        let seal = try await administration.activeSeal(department: code)
        sealCache.withLock { $0[code] = (seal, now, changes) }
        return seal
    }

    // MARK: Revocation

    /// Revokes a valid document. Revoked and superseded documents never change status again.
    @discardableResult
    public func revoke(_ id: DocumentID, reason: RevocationReason, actor: String, department: String? = nil) async throws -> ResultDocumentRecord {
        guard let record = try await record(id: id) else { throw ZeroTripError(.notFound, "no document \(id)") }
        if let department, department.uppercased() != record.departmentCode {
            throw ZeroTripError(.forbidden, "only the issuing department (or an admin) revokes a document")
        }
        guard record.status == .valid else { throw ZeroTripError(.documentNotValid, "document \(record.id) is already \(record.status.rawValue)") }
        let now = clock.now()
        do {
            try await database.write { db in
                try DocumentRegister.changeStatus(record.id, to: .revoked, reason: reason.rawValue, supersededBy: nil, actor: actor, at: now, in: db)
                // Applications whose materials stood on this result owe them again, in the same commit.
                _ = try MaterialReopening.reopen(documentID: record.id.rawValue, status: .revoked, supersededBy: nil, actor: actor, at: now, in: db)
            }
        } catch let error as SQLFailure where error.kind == .ruleViolation {
            throw ZeroTripError(.documentNotValid, "document \(record.id) was revoked or superseded meanwhile")
        } catch let error as ZeroTripError {
            // changeStatus's own conditional update lost the race to a concurrent revocation: a conflict, not a failure.
            throw error
        } catch {
            throw ZeroTripError(.storageFailure, "revoking the document failed; nothing changed").causedBy(error)
        }
        return try await self.record(id: record.id)!
    }

    // MARK: The public link to the original PDF

    /// Whether the verification page of `record` links to its original PDF: the holder's choice, or until they
    /// choose, the pickup mode's default (``PickupMode/pdfLinkByDefault``).
    public func pdfLink(for record: ResultDocumentRecord) async throws -> Bool {
        try await database.read { db in try DocumentRegister.pdfLink(id: record.id, in: db) } ?? record.pickupMode.pdfLinkByDefault
    }

    /// ``pdfLink(for:)`` of several documents in one read (the applicant's list).
    public func pdfLinks(for records: [ResultDocumentRecord]) async throws -> [DocumentID: Bool] {
        let chosen = try await database.read { db in try DocumentRegister.pdfLinks(ids: records.map(\.id), in: db) }
        return Dictionary(records.map { ($0.id, chosen[$0.id] ?? $0.pickupMode.pdfLinkByDefault) }, uniquingKeysWith: { a, _ in a })
    }

    /// Document `id` when the person asking holds it: `holderIDNumber` is their ID number (nil when the registry
    /// has none). A document of another person is refused (403) and the denial audited with `route`; an unknown
    /// one is `not_found`. The one ownership check of the applicant's document routes.
    public func holderDocument(id: DocumentID, holderIDNumber: String?, actor: String, route: String) async throws -> ResultDocumentRecord {
        guard let record = try await record(id: id) else { throw ZeroTripError(.notFound, "no document \(id)") }
        guard let holderIDNumber, ConstantTime.equals(Array(holderIDNumber.utf8), Array(record.holderIDNumber.utf8)) else {
            throw try await AuditLog.denied(
                ZeroTripError(.forbidden, "document \(record.id) belongs to another person"), actor: actor, target: "document:\(record.id)",
                reason: "other_person", route: route, at: clock.now(), to: database)
        }
        return record
    }

    /// Document `id` as a department sees it: only one it issued, unless the caller administers the district. A refusal
    /// is audited (who asked, for which document, on which route) before it is thrown, so every denial is in the log.
    public func departmentDocument(id: DocumentID, for principal: Principal, route: String) async throws -> ResultDocumentRecord {
        guard let record = try await record(id: id) else { throw ZeroTripError(.notFound, "no document \(id)") }
        guard record.departmentCode == principal.departmentCode.uppercased() || principal.scopes.contains(.admin) else {
            throw try await AuditLog.denied(
                ZeroTripError(.forbidden, "document \(record.id) was issued by another department"), actor: principal.actor,
                target: "document:\(record.id)", reason: "other_department", route: route, at: clock.now(), to: database)
        }
        return record
    }

    /// Switches the public link to document `id`'s PDF on or off. Only its holder decides (``holderDocument(id:holderIDNumber:actor:route:)``).
    public func setPDFLink(id: DocumentID, enabled: Bool, holderIDNumber: String?, actor: String, route: String) async throws -> Bool {
        let record = try await holderDocument(id: id, holderIDNumber: holderIDNumber, actor: actor, route: route)
        let now = clock.now()
        try await database.write { db in
            try DocumentRegister.setPDFLink(id: record.id, enabled: enabled, actor: actor, at: now, in: db)
            try AuditLog.append(
                AuditEntry(
                    actor: actor, action: .documentPdfLinkChanged, target: "document:\(record.id)",
                    details: ["enabled": enabled ? "true" : "false"]), at: now, in: db)
        }
        return enabled
    }

    /// What a scanned QR code gives access to through the public PDF link.
    public enum SharedPDF: Sendable {
        /// The exact stored PDF of a valid document whose holder leaves the link on.
        case pdf(ResultDocumentRecord, [UInt8])
        /// A valid document whose holder has switched the link off (or whose pickup mode keeps it off).
        case notShared(ResultDocumentRecord)
        /// The code does not verify as a valid registered document: nothing is handed out.
        case notValid(VerificationReport)
    }

    /// The original PDF behind a scanned QR code (`/V/?ZT1:…`): only for a token that verifies as a valid document
    /// in the register, and only while its holder leaves the link on. Not audited one by one (the caller counts
    /// anonymous downloads per document per minute).
    public func sharedPDF(scanned text: String) async throws -> SharedPDF {
        let report = try await verifyToken(text, actor: "public:pdf", audit: false)
        guard report.result == .valid, report.registerChecked, let id = report.document.flatMap({ DocumentID(rawValue: $0.id) }),
            let record = try await record(id: id)
        else {
            return .notValid(report)
        }
        guard try await pdfLink(for: record) else { return .notShared(record) }
        guard let pdf = try await pdf(id: record.id) else { return .notValid(report) }
        return .pdf(record, pdf)
    }

    // MARK: Reading

    /// The register entry of `id`, or nil.
    public func record(id: DocumentID) async throws -> ResultDocumentRecord? {
        try await database.read { db in try DocumentRegister.record(id: id, in: db) }
    }

    /// The register entry whose exact PDF has SHA-256 `digest`.
    public func record(pdfSHA256 digest: [UInt8]) async throws -> ResultDocumentRecord? {
        try await database.read { db in try DocumentRegister.record(pdfSHA256: digest, in: db) }
    }

    /// The exact stored PDF of `id`.
    public func pdf(id: DocumentID) async throws -> [UInt8]? {
        try await database.read { db in try DocumentRegister.pdf(id: id, in: db) }
    }

    /// Documents of a department, newest first.
    public func records(department: String?, limit: Int) async throws -> [ResultDocumentRecord] {
        try await database.read { db in try DocumentRegister.records(department: department, limit: limit, in: db) }
    }

    /// Documents issued to the holder with citizen ID number `idNumber`, newest first (the applicant's "my results").
    public func records(holderIDNumber idNumber: String, limit: Int) async throws -> [ResultDocumentRecord] {
        try await database.read { db in try DocumentRegister.records(holderIDNumber: idNumber, limit: limit, in: db) }
    }

    /// The holder's valid results of the types `matterCodes` in force at `now`, newest first (reuse under consent).
    func validRecords(holderIDNumber idNumber: String, matterCodes: [String], at now: Date, limit: Int = 50) async throws -> [ResultDocumentRecord] {
        try await database.read { db in
            try DocumentRegister.validRecords(holderIDNumber: idNumber, matterCodes: matterCodes, at: now, limit: limit, in: db)
        }
    }

    // MARK: Verification

    /// What verification needs from the key history: the offline verifier over every registered seal certificate
    /// and the revoked keys with their "not after" times.
    private struct TrustState: Sendable {
        /// `MAX(id)` of `signing_key_history` when read: another process's key change shows as a new value.
        var generation: Int64
        /// This process's committed key changes when read (``AppDatabase/keyChanges``): its own show at once.
        var localChanges: Int
        var checkedAt: ContinuousClock.Instant
        var verifier: DocumentVerifier
        var revokedKeys: [String: SigningKeyStore.Revocation]
    }

    /// What the register says about one document, read in one snapshot: its entry, its inclusion proof and, when
    /// its key is revoked, whether a tree head signed before the revocation's "not after" time covers it.
    private struct RegisterView: Sendable {
        var record: DocumentRegister.Entry
        var proof: InclusionProof?
        var revocation: SigningKeyStore.Revocation?
        var loggedBeforeRevocation: Bool
    }

    /// The offline verifier over every registered seal certificate, rebuilt when the key history grows. A key
    /// change made by this process is seen by the next verification; one made by another process (the CLI)
    /// within a second, when the history is checked again.
    public func verifier() async throws -> DocumentVerifier {
        try await trust().verifier
    }

    private func trust() async throws -> TrustState {
        let localChanges = database.keyChanges.count
        let cached = trustCache.withLock { $0 }
        if let cached, cached.localChanges == localChanges, ContinuousClock.now - cached.checkedAt < .seconds(1) { return cached }
        return try await trustRefresh.value(for: localChanges) { [self] in try await refreshTrust(localChanges: localChanges) }
    }

    private func refreshTrust(localChanges: Int) async throws -> TrustState {
        let now = ContinuousClock.now
        let cached = trustCache.withLock { $0 }
        let (generation, revoked) = try await database.read { db in try SigningKeyStore.revocations(in: db) }
        var state: TrustState
        if let cached, cached.generation == generation, cached.localChanges == localChanges {
            state = cached
        } else {
            let verifier = DocumentVerifier(
                roots: try await administration.rootCertificates(), sealCertificates: try await administration.sealCertificates())
            state = TrustState(generation: generation, localChanges: localChanges, checkedAt: now, verifier: verifier, revokedKeys: revoked)
        }
        state.checkedAt = now
        state.revokedKeys = revoked
        trustCache.withLock { $0 = state }
        return state
    }

    /// The register entry found by `find`, its proof and its key's "logged before" answer, from one snapshot.
    private func registerView(in db: SQLTransaction, trust: TrustState, find: (SQLTransaction) throws -> DocumentRegister.Entry?) throws
        -> RegisterView?
    {
        guard let record = try find(db) else { return nil }
        let ref = TransparencyLog.documentReference(record.id)
        let kind = LogEntryKind.documentIssued
        let revocation = trust.revokedKeys[record.kid]
        // The log only grows: its answers need not share the register row's snapshot (on PostgreSQL that keeps a
        // verification to one lone SELECT of the register, without BEGIN and COMMIT).
        return try db.readingAppendOnly {
            let proof = try log.proof(for: ref, kind: kind, in: db, remember: true)
            let logged = try revocation.map { try log.isLogged(ref: ref, kind: kind, notAfter: $0.notAfter, in: db, remember: true) } ?? true
            return RegisterView(record: record, proof: proof, revocation: revocation, loggedBeforeRevocation: logged)
        }
    }

    /// What an audited verification of document `id` has the batch read for it: the register entry always (one
    /// statement for the whole batch), and the first log leaf of its issuance unless the proof is in memory (one more
    /// statement for the batch, instead of a read of its own per verification).
    private func registerLookup(_ id: String) -> AuditBatcher.Lookup {
        log.hasProofInMemory(for: TransparencyLog.documentReference(id), kind: LogEntryKind.documentIssued)
            ? .document(id: id) : .documentAndIssuanceLeaf(id: id)
    }

    /// Completes `report` with `body` from one snapshot of the register: inside the group-committed transaction that
    /// also appends its audit event (audited: one trip to the database for both), or in a plain read.
    private func answer(
        _ report: VerificationReport, actor: String, audit: Bool, now: Date, lookup: AuditBatcher.Lookup? = nil,
        _ body: @escaping @Sendable (SQLTransaction, inout VerificationReport) throws -> Void
    ) async throws -> VerificationReport {
        if audit {
            return try await database.audit.audited(at: now, lookup: lookup) { db in
                var report = report
                try body(db, &report)
                return (report, Self.auditEntry(for: report, actor: actor))
            }
        }
        return try await database.read { db in
            var report = report
            try body(db, &report)
            return report
        }
    }

    /// Department names never change once created, so they are cached.
    private func departmentName(_ code: String, in db: SQLTransaction) throws -> String? {
        if let name = departmentNames.withLock({ $0[code] }) { return name }
        guard let name = try DistrictStore.departments(code: code, in: db).first?.name else { return nil }
        departmentNames.withLock { $0[code] = name }
        return name
    }

    private static func byID(_ id: String) -> @Sendable (SQLTransaction) throws -> DocumentRegister.Entry? {
        { db in try DocumentRegister.entry(id: id, in: db) }
    }

    private static func byPDFDigest(_ digest: [UInt8]) -> @Sendable (SQLTransaction) throws -> DocumentRegister.Entry? {
        { db in try DocumentRegister.entry(pdfSHA256: digest, in: db) }
    }

    /// Verifies a token (or scanned URL) against the trust material and the register; audited unless `audit` is false.
    public func verifyToken(_ text: String, actor: String, audit: Bool = true) async throws -> VerificationReport {
        guard audit else { return try await tokenReport(text, actor: actor, audit: false) }
        // The signature check comes before the event: an audit batch committing meanwhile may wait for it.
        return try await database.audit.expecting { try await tokenReport(text, actor: actor, audit: true) }
    }

    private func tokenReport(_ text: String, actor: String, audit: Bool) async throws -> VerificationReport {
        let now = clock.now()
        let trust = try await trust()
        let outcome = trust.verifier.verifyToken(text, now: now)
        var report = VerificationReport(
            result: outcome.result, reasons: outcome.reason.map { [$0] } ?? [], document: nil,
            registerChecked: false, method: .token, verifiedAt: now)
        if let claims = outcome.claims {
            report.document = DocumentSummary(
                id: claims.documentIDHex, departmentCode: claims.departmentCode ?? "", departmentName: nil, matterCode: claims.matterCode,
                matterName: nil,
                holderName: claims.maskedHolderName, issuedAt: Date(timeIntervalSince1970: TimeInterval(claims.issuedAt)),
                validUntil: Date(timeIntervalSince1970: TimeInterval(claims.expiresAt)), status: nil, statusChangedAt: nil, statusReason: nil,
                supersededBy: nil, kid: outcome.seal.map { Hex.encode($0.certificate.kid) } ?? "")
        }
        guard let claims = outcome.claims, outcome.result == .valid || outcome.result == .expired else {
            return audit ? try await recorded(report, actor: actor, now: now) : report
        }
        return try await answer(report, actor: actor, audit: audit, now: now, lookup: registerLookup(claims.documentIDHex)) { [self] db, report in
            report.registerChecked = true
            guard let view = try registerView(in: db, trust: trust, find: Self.byID(claims.documentIDHex)) else {
                report.result = .invalid
                report.reasons = [VerificationReason(.notRegistered, "the token is correctly signed but its document is not in the register")]
                return
            }
            let record = view.record
            let tokenKid = report.document?.kid
            report.document = record.summary(departmentName: try departmentName(record.departmentCode, in: db))
            if record.departmentCode != claims.departmentCode || record.kid != tokenKid
                || !claims.digestMatches(record.contentSHA256) || Int64(record.issuedAt.timeIntervalSince1970) != claims.issuedAt
                || Int64(record.validUntil.timeIntervalSince1970) != claims.expiresAt || record.matterCode != claims.matterCode
                || ResultTokenClaims.maskedName(record.holderName, version: claims.version) != claims.maskedHolderName
            {
                report.result = .invalid
                report.reasons = [VerificationReason(.registerMismatch, "the token does not match the register entry of its document")]
            } else {
                Self.apply(view, now: now, to: &report)
            }
        }
    }

    /// Verifies an uploaded PDF: its single signature, the chain, then the register by exact file hash.
    public func verifyPDF(_ bytes: [UInt8], actor: String, audit: Bool = true) async throws -> VerificationReport {
        guard audit else { return try await pdfReport(bytes, actor: actor, audit: false) }
        // As for a token: the signature check comes before the event.
        return try await database.audit.expecting { try await pdfReport(bytes, actor: actor, audit: true) }
    }

    private func pdfReport(_ bytes: [UInt8], actor: String, audit: Bool) async throws -> VerificationReport {
        let now = clock.now()
        let trust = try await trust()
        var view: RegisterView?
        if bytes.count <= SignedPDF.maximumLength {
            let find = Self.byPDFDigest(Digest.sha256(bytes))
            view = try await database.read { [self] db in try registerView(in: db, trust: trust, find: find) }
        }
        let outcome = trust.verifier.verifyPDF(bytes, now: now, signingTime: view?.record.issuedAt)
        var report = VerificationReport(
            result: outcome.result, reasons: outcome.reason.map { [$0] } ?? [], document: nil,
            registerChecked: false, method: .pdf, verifiedAt: now)
        if outcome.result == .valid {
            report.registerChecked = true
            if let view {
                report.document = view.record.summary(departmentName: try await departmentName(view.record.departmentCode))
                if view.record.kid != outcome.seal.map({ Hex.encode($0.certificate.kid) }) {
                    report.result = .invalid
                    report.reasons = [VerificationReason(.registerMismatch, "the register names another seal for this file")]
                } else {
                    Self.apply(view, now: now, to: &report)
                }
            } else {
                report.result = .invalid
                report.reasons = [VerificationReason(.notRegistered, "the signature is intact but this exact file was never issued")]
            }
        }
        return audit ? try await recorded(report, actor: actor, now: now) : report
    }

    /// Looks a document up by id (the footer link): register only, no cryptography on the presented data.
    public func verifyID(_ id: String, actor: String, audit: Bool = true) async throws -> VerificationReport {
        let now = clock.now()
        let report = VerificationReport(
            result: .unknown, reasons: [VerificationReason(.notRegistered, "no document with this number")],
            document: nil, registerChecked: true, method: .id, verifiedAt: now)
        guard id.utf8.count == 32, Hex.decode(id) != nil else { return audit ? try await recorded(report, actor: actor, now: now) : report }
        let trust = try await trust()
        return try await answer(report, actor: actor, audit: audit, now: now, lookup: registerLookup(id.lowercased())) { [self] db, report in
            guard let view = try registerView(in: db, trust: trust, find: Self.byID(id)) else { return }
            report.document = view.record.summary(departmentName: try departmentName(view.record.departmentCode, in: db))
            report.result = .valid
            report.reasons = []
            Self.apply(view, now: now, to: &report)
        }
    }

    private static func apply(_ view: RegisterView, now: Date, to report: inout VerificationReport) {
        let record = view.record
        report.transparency = view.proof
        if let revocation = view.revocation, !view.loggedBeforeRevocation {
            // Valid only when the log proves the issuance before the key's "not after" time.
            report.result = .revoked
            report.keyRevocation = KeyRevocationNotice(notAfter: revocation.notAfter, reason: revocation.reason)
            report.reasons = [
                VerificationReason(
                    .keyRevoked,
                    "the seal key was revoked (\(revocation.reason ?? "unspecified")) from \(AuditEvent.timestamp(revocation.notAfter)); this document is not provably older"
                )
            ]
            return
        }
        switch record.status {
        case .revoked:
            report.result = .revoked
            report.reasons = [VerificationReason(.revoked, "revoked (\(record.statusReason ?? "unspecified"))")]
        case .superseded:
            report.result = .revoked
            report.reasons = [VerificationReason(.superseded, "replaced by document \(record.supersededBy ?? "?")")]
        case .valid:
            if record.isExpired(at: now) {
                report.result = .expired
                report.reasons = [VerificationReason(.expired, "the document's validity ended")]
            } else if report.result == .expired {
                report.result = .valid
                report.reasons = []
            }
        }
    }

    private func departmentName(_ code: String) async throws -> String? {
        if let name = departmentNames.withLock({ $0[code] }) { return name }
        guard let department = try await administration.department(code: code) else { return nil }
        departmentNames.withLock { $0[code] = department.name }
        return department.name
    }

    /// `report` once its audit event is durable.
    private func recorded(_ report: VerificationReport, actor: String, now: Date) async throws -> VerificationReport {
        try await AuditLog.append(Self.auditEntry(for: report, actor: actor), at: now, to: database)
        return report
    }

    /// The audit entry of a verification: method, result and first reason, never the presented token.
    public static func auditEntry(for report: VerificationReport, actor: String) -> AuditEntry {
        var details = ["method": report.method.rawValue, "result": report.result.rawValue]
        if let reason = report.reasons.first { details["reason"] = reason.code.rawValue }
        return AuditEntry(actor: actor, action: .documentVerified, target: "document:\(report.document?.id ?? "unidentified")", details: details)
    }
}
