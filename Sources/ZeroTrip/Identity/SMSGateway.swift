public import Foundation
import ZeroTripDocuments

/// Where verification codes and notices go. ``OutboxSMSGateway`` keeps every message in the database's `sms_outbox`
/// table, in the transaction that made it (a code is either stored and queued together or neither); when the district
/// configures its operator (`smsGatewayURL`), ``SMSDelivery`` sends the queued messages from a background service.
package protocol SMSGateway: Sendable {
    /// Queues `message` for `phone`: a person's registered number (`subject` their registry id), or a staff
    /// member's for a supervision notice (`subject` `staff:<department>/<clerk>`).
    func enqueue(subject: String, phone: String, message: String, at date: Date, in db: SQLTransaction) throws
}

/// Owner of `sms_outbox` and all its SQL. The number is kept masked for the record; with delivery on, also sealed
/// (AES-GCM under the identity key) until the operator has taken the message, then wiped.
package struct OutboxSMSGateway: SMSGateway {
    /// Seals numbers for delivery when set.
    let sealing: IdentityKeySource?

    /// A gateway that keeps messages for the outbox only (demo, tests, no operator).
    public init() { sealing = nil }

    init(sealing keys: IdentityKeySource?) { sealing = keys }

    /// The context a number is sealed for (bound to its recipient).
    static func context(_ subject: String) -> String { "sms:\(subject)" }

    /// Appends the message to the outbox; due for delivery at once when numbers are sealed.
    package func enqueue(subject: String, phone: String, message: String, at date: Date, in db: SQLTransaction) throws {
        let sealed = try sealing.map { source throws(ZeroTripError) in Data(try source.keys().sealValue(phone, context: Self.context(subject))) }
        try db.execute(
            sql: "INSERT INTO sms_outbox (person_id, phone_masked, message, created_at, phone_sealed, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [subject, PersonalDataMask.phone(phone), message, date, sealed, sealed == nil ? nil : date])
    }

    private static let columns = "id, person_id, phone_masked, message, created_at, attempts, delivered_at, failure"

    /// The newest `limit` messages of the outbox (1–1,000), oldest of them first.
    static func newest(limit: Int, in db: SQLTransaction) throws -> [OutboxMessage] {
        try db.fetchAll(
            sql: "SELECT * FROM (SELECT \(columns) FROM sms_outbox ORDER BY id DESC LIMIT ?) AS newest ORDER BY id",
            arguments: [max(1, min(limit, 1000))]
        ).map {
            OutboxMessage(
                id: $0["id"], subject: $0["person_id"], phoneMasked: $0["phone_masked"], message: $0["message"], createdAt: $0["created_at"],
                attempts: $0["attempts"], deliveredAt: $0["delivered_at"], failure: $0["failure"])
        }
    }

    /// A message due for delivery, with its sealed number.
    struct Due: Sendable {
        var id: Int64
        var subject: String
        var phoneSealed: [UInt8]
        var message: String
        var attempts: Int
    }

    /// Takes up to `limit` messages due at `now` and leases them until `leaseUntil` (another daemon's delivery skips
    /// them meanwhile; one that dies leaves them due again after the lease).
    static func takeDue(at now: Date, limit: Int, leaseUntil: Date, in db: SQLTransaction) throws -> [Due] {
        let rows = try db.fetchAll(
            sql: """
                SELECT id, person_id, phone_sealed, message, attempts FROM sms_outbox
                WHERE phone_sealed IS NOT NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?
                """, arguments: [now, max(1, min(limit, 1000))])
        var due: [Due] = []
        for row in rows {
            let id: Int64 = row["id"]
            guard
                try db.execute(
                    sql: "UPDATE sms_outbox SET next_attempt_at = ? WHERE id = ? AND next_attempt_at <= ?", arguments: [leaseUntil, id, now]) == 1
            else { continue }
            due.append(
                Due(
                    id: id, subject: row["person_id"], phoneSealed: [UInt8](row["phone_sealed"] as Data), message: row["message"],
                    attempts: row["attempts"]))
        }
        return due
    }

    /// The operator took message `id`: delivered, the number wiped.
    static func delivered(_ id: Int64, at now: Date, in db: SQLTransaction) throws {
        try db.execute(
            sql:
                "UPDATE sms_outbox SET delivered_at = ?, phone_sealed = NULL, next_attempt_at = NULL, attempts = attempts + 1, failure = NULL WHERE id = ?",
            arguments: [now, id])
    }

    /// The operator refused or was unreachable: tried again at `retryAt`, or given up (number wiped) when nil.
    static func failed(_ id: Int64, failure: String, retryAt: Date?, in db: SQLTransaction) throws {
        if let retryAt {
            try db.execute(
                sql: "UPDATE sms_outbox SET attempts = attempts + 1, failure = ?, next_attempt_at = ? WHERE id = ?",
                arguments: [failure, retryAt, id])
        } else {
            try db.execute(
                sql: "UPDATE sms_outbox SET attempts = attempts + 1, failure = ?, next_attempt_at = NULL, phone_sealed = NULL WHERE id = ?",
                arguments: [failure, id])
        }
    }
}

/// One message of the outbox.
public struct OutboxMessage: Sendable, Hashable, Codable {
    /// Sequence number.
    public var id: Int64
    /// The person's subject id.
    public var subject: String
    /// The phone, masked.
    public var phoneMasked: String
    /// The text sent (contains the code: the outbox stands in for the phone network).
    public var message: String
    /// When it was queued.
    public var createdAt: Date
    /// Delivery attempts to the operator so far.
    public var attempts: Int = 0
    /// When the operator took it (nil: not delivered, or delivery is not configured).
    public var deliveredAt: Date?
    /// Why the last attempt failed.
    public var failure: String?
}
