public import struct Foundation.Date
public import Foundation
import ZeroTripCrypto

/// One entry of the append-only, hash-chained audit log.
///
/// `hash = SHA-256("zerotrip-audit-v1" ‖ prevHash ‖ u64be(seq) ‖ lp(occurredAt) ‖ lp(actor) ‖
/// lp(action) ‖ lp(target) ‖ lp(outcome) ‖ lp(details))`, where `lp` is a 4-byte big-endian length
/// followed by the UTF-8 bytes. The first event's `prevHash` is 32 zero bytes. See docs/audit-log.md.
public struct AuditEvent: Sendable, Hashable {
    /// Position in the log, from 1 without gaps.
    public var seq: Int64
    /// When it happened, as stored (ISO 8601 UTC with milliseconds).
    public var occurredAt: String
    /// Who acted: `cli`, `credential:<id>`, `anonymous`…
    public var actor: String
    /// What was attempted, e.g. `department.created`, `auth.denied`.
    public var action: String
    /// What it concerned, e.g. `department:RSJ`, `route:GET /v1/departments`.
    public var target: String
    /// `success`, `denied` or `failure`.
    public var outcome: String
    /// Extra facts as compact JSON; never secrets.
    public var details: String
    /// Hash of the previous event.
    public var prevHash: [UInt8]
    /// Hash of this event.
    public var hash: [UInt8]

    /// The hash this event should have.
    public var computedHash: [UInt8] {
        var bytes = Array("zerotrip-audit-v1".utf8) + prevHash
        withUnsafeBytes(of: UInt64(bitPattern: seq).bigEndian) { bytes += $0 }
        for field in [occurredAt, actor, action, target, outcome, details] {
            let utf8 = Array(field.utf8)
            withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { bytes += $0 }
            bytes += utf8
        }
        return Digest.sha256(bytes)
    }

    /// Formats a date the way the log stores it.
    /// `2026-12-01T21:34:27.097Z`: UTC, milliseconds truncated — the ISO 8601 form with fractional seconds, built
    /// by arithmetic (the audit log and the transparency log stamp every entry with it).
    public static func timestamp(_ date: Date) -> String { utc(date, separator: UInt8(ascii: "T"), suffix: true) }

    /// `2026-12-01 21:34:27.097`: the form SQLite columns hold dates in (GRDB's), for binding a time to a query on a
    /// hot path without a DateFormatter.
    /// Milliseconds are rounded to the nearest, as GRDB stores them, so a stored instant and its query form agree.
    static func databaseText(_ date: Date) -> String { utc(date, separator: UInt8(ascii: " "), suffix: false, rounding: .toNearestOrAwayFromZero) }

    private static func utc(_ date: Date, separator: UInt8, suffix: Bool, rounding: FloatingPointRoundingRule = .down) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(rounding))
        let days = Int(milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000)
        let inDay = Int(milliseconds - Int64(days) * 86_400_000)
        let (year, month, day) = CivilDay.civil(from: days)
        guard (0...9999).contains(year) else {
            // Beyond four-digit years (never a real event): the same fields, the year as it comes.
            func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
            let ms = inDay % 1000
            return "\(year)-\(two(month))-\(two(day))\(Character(Unicode.Scalar(separator)))\(two(inDay / 3_600_000)):\(two(inDay / 60_000 % 60))"
                + ":\(two(inDay / 1000 % 60)).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)\(suffix ? "Z" : "")"
        }
        // Written as bytes: every audit event and every dated query parameter formats one, and string interpolation
        // of a dozen small pieces cost more than the rest of the event.
        var bytes = [UInt8](repeating: UInt8(ascii: "0"), count: suffix ? 24 : 23)
        func put(_ value: Int, at offset: Int, digits: Int) {
            var value = value
            for position in stride(from: offset + digits - 1, through: offset, by: -1) {
                bytes[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, at: 0, digits: 4)
        bytes[4] = UInt8(ascii: "-"); put(month, at: 5, digits: 2)
        bytes[7] = UInt8(ascii: "-"); put(day, at: 8, digits: 2)
        bytes[10] = separator; put(inDay / 3_600_000, at: 11, digits: 2)
        bytes[13] = UInt8(ascii: ":"); put(inDay / 60_000 % 60, at: 14, digits: 2)
        bytes[16] = UInt8(ascii: ":"); put(inDay / 1000 % 60, at: 17, digits: 2)
        bytes[19] = UInt8(ascii: "."); put(inDay % 1000, at: 20, digits: 3)
        if suffix { bytes[23] = UInt8(ascii: "Z") }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Something to record in the audit log.
public struct AuditEntry: Sendable {
    /// Who acted.
    public var actor: String
    /// What was attempted.
    public var action: AuditAction
    /// What it concerned.
    public var target: String
    /// `success`, `denied` or `failure`.
    public var outcome: String
    /// Extra facts; values must not contain secrets.
    public var details: [String: String]

    /// Creates an entry.
    public init(actor: String, action: AuditAction, target: String, outcome: String = "success", details: [String: String] = [:]) {
        self.actor = actor
        self.action = action
        self.target = target
        self.outcome = outcome
        self.details = details
    }
}
