public import struct Foundation.Date
import ZeroTripDocuments

/// Where verification codes go. The default, ``OutboxSMSGateway``, keeps messages in the database's
/// `sms_outbox` table for the demo and tests; a district plugs in its operator's gateway instead.
///
/// `send` runs inside the write transaction that created the code, so a code is either stored and
/// queued together or neither; a gateway that calls out to the network should enqueue here and
/// deliver from a background service.
package protocol SMSGateway: Sendable {
    /// Queues `message` for `phone`: a person's registered number (`subject` their registry id), or a staff
    /// member's for a supervision notice (`subject` `staff:<department>/<clerk>`).
    func enqueue(subject: String, phone: String, message: String, at date: Date, in db: SQLTransaction) throws
}

/// Keeps messages in `sms_outbox` (phone masked); `zerotrip identity outbox` shows them.
package struct OutboxSMSGateway: SMSGateway {
    /// Creates the gateway.
    public init() {}

    /// Appends the message to the outbox.
    package func enqueue(subject: String, phone: String, message: String, at date: Date, in db: SQLTransaction) throws {
        try db.execute(sql: "INSERT INTO sms_outbox (person_id, phone_masked, message, created_at) VALUES (?, ?, ?, ?)",
                       arguments: [subject, PersonalDataMask.phone(phone), message, date])
    }

    /// The newest `limit` messages of the outbox (1–1,000), oldest of them first.
    static func newest(limit: Int, in db: SQLTransaction) throws -> [OutboxMessage] {
        try db.fetchAll(sql: "SELECT * FROM (SELECT * FROM sms_outbox ORDER BY id DESC LIMIT ?) AS newest ORDER BY id", arguments: [max(1, min(limit, 1000))]).map {
            OutboxMessage(id: $0["id"], subject: $0["person_id"], phoneMasked: $0["phone_masked"], message: $0["message"], createdAt: $0["created_at"])
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
}
