public import Foundation

/// One look at a person's data by someone other than the person: a department verifying one of their results,
/// reading their credit level or asking whether they meet an assurance tier, or the public verification page
/// opened for one of their results. The person's own "who looked at my data" page lists these (the idea of
/// Estonia's Data Tracker); they are read from the audit log, so the person sees what the district's auditors see.
public struct DataAccess: Sendable, Hashable {
    /// Who looked.
    public enum Viewer: Sendable, Hashable {
        /// A department, through one of its credentials.
        case department(code: String, name: String?)
        /// Anyone who scanned the QR code or typed the number on the public page (counted per minute).
        case publicPage
        /// The district's own processes (the daily sweep, a clerk's command line).
        case district
    }

    /// When (for counted page views: the start of the minute).
    public var occurredAt: Date
    /// Who looked.
    public var viewer: Viewer
    /// The audit action: `document.verified`, `credit.read`, `identity.checked`, `document.pdf_shared`.
    public var action: String
    /// The document looked at, for document actions.
    public var documentID: String?
    /// That document's matter name (the person's own register entry), for document actions.
    public var matterName: String?
    /// How many times (page views are counted per minute; everything else is one).
    public var count: Int
    /// The audit details (matter, result, level…), for the page to explain the access.
    public var details: [String: String]
}

extension ZeroTripServices {
    /// The actions that count as someone looking at a person's data.
    static let dataAccessActions = [
        "document.verified", "credit.read", "identity.checked", "document.pdf_shared", "identity.assured", "document.reused",
    ]

    /// The newest `limit` accesses to the data of the person `subject` by anyone else, newest first: verifications
    /// of the person's results (at most their newest 200), credit reads and tier checks naming them.
    public func dataAccesses(subject: String, limit: Int = 100) async throws -> [DataAccess] {
        guard let person = try await identity.registry.personalData(subject: subject) else { return [] }
        let documents = try await documents.records(holderIDNumber: person.idNumber, limit: 200)
        let targets = [SubjectID.person(subject).rawValue] + documents.map { "document:\($0.id)" }
        let matters = Dictionary(documents.map { ($0.id, $0.matterName) }, uniquingKeysWith: { first, _ in first })
        let ownActor = "applicant:\(subject)"
        return try await database.read { db in
            let events = try AuditLog.events(targets: targets, actions: Self.dataAccessActions, limit: limit, in: db)
            let credentials = Dictionary(
                try CredentialStore.list(department: nil, in: db).map { ($0.id, $0.departmentCode) },
                uniquingKeysWith: { first, _ in first })
            let names = Dictionary(
                try DistrictStore.departments(code: nil, in: db).map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
            return events.compactMap { event -> DataAccess? in
                guard event.actor != ownActor, event.outcome != "denied" else { return nil }
                let viewer: DataAccess.Viewer
                // `credential:<id>`, or `credential:<id>/clerk:<number>` for a clerk at a window station.
                let credential = event.actor.dropFirst("credential:".count).prefix { $0 != "/" }
                if event.actor.hasPrefix("credential:"), let code = credentials[String(credential)] {
                    viewer = .department(code: code, name: names[code])
                } else if event.actor.hasPrefix("public") || event.actor.hasPrefix("client:") || event.actor == "anonymous" {
                    viewer = .publicPage
                } else {
                    viewer = .district
                }
                let details = Self.detailStrings(event.details)
                let date =
                    (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(details["window_start"] ?? event.occurredAt))
                    ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(event.occurredAt)) ?? Date(timeIntervalSince1970: 0)
                let documentID = event.target.hasPrefix("document:") ? String(event.target.dropFirst("document:".count)) : nil
                return DataAccess(
                    occurredAt: date, viewer: viewer, action: event.action, documentID: documentID,
                    matterName: documentID.flatMap(DocumentID.init(rawValue:)).flatMap { matters[$0] },
                    count: details["count"].flatMap(Int.init) ?? 1, details: details)
            }
        }
    }

    private static func detailStrings(_ json: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [:] }
        var strings: [String: String] = [:]
        for (key, value) in object { strings[key] = value as? String ?? (value as? NSNumber)?.stringValue }
        return strings
    }
}
