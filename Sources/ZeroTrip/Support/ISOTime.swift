public import Foundation

/// ISO 8601 times as admins type them: `2026-11-20T10:00+08:00`, with or without seconds and fractions, `Z` or an offset.
public enum ISOTime {
    /// The instant, or nil when the text is not a full date-time with a zone.
    public static func parse(_ text: String) -> Date? {
        guard text.utf8.count <= 40 else { return nil }
        var value = text.trimmingWhitespace()
        // Add seconds when only hours and minutes are given ("T10:00+08:00" → "T10:00:00+08:00").
        if let t = value.firstIndex(of: "T") {
            let time = value[value.index(after: t)...]
            let zoneStart = time.firstIndex { $0 == "+" || $0 == "-" || $0 == "Z" } ?? time.endIndex
            if time[time.startIndex..<zoneStart].count == 5 { value.insert(contentsOf: ":00", at: zoneStart) }
        }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: value) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: value)
    }
}
