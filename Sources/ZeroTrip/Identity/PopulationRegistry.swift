import Foundation
import Synchronization
import ZeroTripCrypto
import ZeroTripDocuments

/// Loads ``IdentityKeys`` on first use and keeps them (the file is created on the first import).
final class IdentityKeySource: Sendable {
    private let store: KeyFileStore
    private let cached = Mutex<IdentityKeys?>(nil)

    init(store: KeyFileStore) { self.store = store }

    func keys() throws(ZeroTripError) -> IdentityKeys {
        if let keys = cached.withLock({ $0 }) { return keys }
        let keys = try IdentityKeys.loadOrCreate(store)
        cached.withLock { $0 = keys }
        return keys
    }
}

/// What an import did.
public struct RegistryImportReport: Sendable, Hashable, Codable {
    /// New persons.
    public var inserted = 0
    /// Persons whose name, phone or card validity changed.
    public var updated = 0
    /// Rows identical to what was stored.
    public var unchanged = 0
    /// Refused rows with line numbers and reasons; nothing of them was stored.
    public var rejected: [RegistryCSV.Rejection] = []
    /// Rows accepted (inserted + updated + unchanged).
    public var accepted: Int { inserted + updated + unchanged }
}

/// The population registry (自然人库): persons keyed by citizen ID number, imported from CSV.
///
/// The ID number is stored as a keyed hash (HMAC-SHA-256, the lookup index), an AES-256-GCM copy
/// bound to the row, and a masked display form; phone numbers as an encrypted copy and a masked form.
public struct PopulationRegistry: Sendable {
    let database: AppDatabase
    let keySource: IdentityKeySource
    let clock: ZeroTripClock

    init(database: AppDatabase, keySource: IdentityKeySource, clock: ZeroTripClock) {
        self.database = database
        self.keySource = keySource
        self.clock = clock
    }

    /// Rows written per transaction by an import: a registry file of a district (hundreds of thousands of rows) is
    /// written in short transactions, so a daemon serving beside the CLI waits milliseconds for the write lock, not
    /// the whole import.
    static let importChunkSize = 500

    /// Imports a registry CSV file: valid rows are inserted or updated in short transactions of
    /// ``importChunkSize`` rows, invalid rows are reported and skipped, and one audit event with the totals commits
    /// with the last chunk. Importing the same file twice changes nothing the second time, so an import that stops
    /// part-way (the error says how far it got) is finished by running it again. `progress` is told the rows written
    /// and the rows to write after each chunk (a long import should not look hung).
    public func importCSV(
        _ bytes: [UInt8], actor: String,
        progress: (@Sendable (_ written: Int, _ total: Int) -> Void)? = nil
    ) async throws -> RegistryImportReport {
        let now = clock.now()
        let parsed = try RegistryCSV.parse(bytes, today: now)
        let keys = try keySource.keys()
        var report = RegistryImportReport(rejected: parsed.rejections)
        let entries = parsed.entries.map { $0.entry }
        var start = 0
        repeat {
            let chunk = Array(entries[start..<min(start + Self.importChunkSize, entries.count)])
            let isLast = start + chunk.count >= entries.count
            let before = report
            do {
                report = try await database.write { db in
                    var report = before
                    for entry in chunk {
                        switch try Self.upsert(entry, keys: keys, actor: actor, at: now, in: db) {
                        case .inserted: report.inserted += 1
                        case .updated: report.updated += 1
                        case .unchanged: report.unchanged += 1
                        }
                    }
                    if isLast {
                        try AuditLog.append(
                            AuditEntry(
                                actor: actor, action: .personsImported, target: "registry",
                                details: [
                                    "inserted": "\(report.inserted)", "updated": "\(report.updated)", "unchanged": "\(report.unchanged)",
                                    "rejected": "\(report.rejected.count)",
                                ]), at: now, in: db)
                    }
                    return report
                }
            } catch {
                let failure = (error as? ZeroTripError) ?? ZeroTripError(.storageFailure, "writing the registry failed")
                guard start > 0 else { throw failure }
                // The chunks already committed are in the registry: their import is audited although the file was not
                // finished (best effort: the database may be what failed).
                _ = try? await AuditLog.append(
                    AuditEntry(
                        actor: actor, action: .personsImported, target: "registry", outcome: "incomplete",
                        details: [
                            "inserted": "\(before.inserted)", "updated": "\(before.updated)", "unchanged": "\(before.unchanged)",
                            "rejected": "\(before.rejected.count)", "rows_written": "\(start)", "reason": failure.code.rawValue,
                        ]), at: now, to: database)
                throw ZeroTripError(failure.code, "\(failure.message) (the first \(start) rows were imported; importing the file again finishes it)")
            }
            start += chunk.count
            progress?(start, entries.count)
        } while start < entries.count
        return report
    }

    enum UpsertOutcome { case inserted, updated, unchanged }

    static func upsert(_ entry: RegistryEntry, keys: IdentityKeys, actor: String, at now: Date, in db: SQLTransaction) throws -> UpsertOutcome {
        let lookup = keys.lookupHash(idNumber: entry.idNumber)
        if var person = try PersonStore.person(lookup: lookup, in: db) {
            let id = person.id
            let phone = try keys.openValue(person.phoneSealed, context: "phone:\(id)")
            var changed: [String] = []
            if person.name != entry.name { changed.append("name") }
            if phone != entry.phone { changed.append("phone") }
            if person.cardValidFrom != entry.cardValidFrom || person.cardValidUntil != entry.cardValidUntil { changed.append("card_validity") }
            guard !changed.isEmpty else { return .unchanged }
            person.name = entry.name
            person.phoneSealed = try keys.sealValue(entry.phone, context: "phone:\(id)")
            person.phoneMasked = PersonalDataMask.phone(entry.phone)
            person.cardValidFrom = entry.cardValidFrom
            person.cardValidUntil = entry.cardValidUntil
            person.updatedAt = now
            try PersonStore.update(person, change: "updated " + changed.joined(separator: ","), actor: actor, in: db)
            return .updated
        }
        let id =
            "P" + Hex.encode(try withCrypto("generating a subject id") { () throws(CryptoError) in try SecureRandom.bytes(count: 8) }).uppercased()
        let person = PersonStore.Person(
            id: id, idSealed: try keys.sealValue(entry.idNumber, context: "id:\(id)"), idMasked: PersonalDataMask.idNumber(entry.idNumber),
            name: entry.name, phoneSealed: try keys.sealValue(entry.phone, context: "phone:\(id)"), phoneMasked: PersonalDataMask.phone(entry.phone),
            cardValidFrom: entry.cardValidFrom, cardValidUntil: entry.cardValidUntil, createdAt: now, updatedAt: now)
        try PersonStore.insert(person, lookup: lookup, actor: actor, in: db)
        return .inserted
    }

    /// The registry's name for the person with `idNumber` (already validated), nil when the number is not registered.
    func name(idNumber number: String) async throws -> String? {
        let lookup = Data(try keySource.keys().lookupHash(idNumber: number))
        return try await database.read { db in try PersonStore.brief(lookup: lookup, in: db)?.name }
    }

    /// The subject id of the person with `idNumber` (validated first), or `nil`.
    public func subject(idNumber raw: String) async throws -> String? {
        let number = try CitizenIDNumber.validate(raw, today: clock.now())
        let lookup = try keySource.keys().lookupHash(idNumber: number)
        return try await database.read { db in try PersonStore.subjectID(lookup: lookup, in: db) }
    }

    /// The masked summary of person `subject`.
    public func summary(subject: String) async throws -> PersonSummary? {
        try await database.read { db in try PersonStore.person(id: subject, in: db) }.map {
            PersonSummary(
                subject: $0.id, idNumberMasked: $0.idMasked, name: $0.name, phoneMasked: $0.phoneMasked,
                cardValidFrom: $0.cardValidFrom, cardValidUntil: $0.cardValidUntil, createdAt: $0.createdAt, updatedAt: $0.updatedAt)
        }
    }

    /// The full personal data of `subject` (decrypted): only for tier ≥ 2 sessions and internal use.
    public func personalData(subject: String) async throws -> PersonalData? {
        let keys = try keySource.keys()
        guard let person = try await database.read({ db in try PersonStore.person(id: subject, in: db) }) else { return nil }
        return PersonalData(
            idNumber: try keys.openValue(person.idSealed, context: "id:\(subject)"), name: person.name,
            phone: try keys.openValue(person.phoneSealed, context: "phone:\(subject)"),
            cardValidFrom: person.cardValidFrom, cardValidUntil: person.cardValidUntil)
    }

    /// Number of persons.
    public func count() async throws -> Int {
        try await database.read { db in try PersonStore.count(in: db) }
    }
}
