import Foundation
public import ZeroTripCrypto

/// Input validation shared by the CLI and HTTP paths.
public enum Validation {
    /// A key algorithm name: `P-256` or `SM2`.
    public static func algorithm(_ name: String) throws(ZeroTripError) -> KeyAlgorithm {
        guard let algorithm = KeyAlgorithm(rawValue: name) else {
            throw ZeroTripError(.invalidInput, "algorithm must be P-256 or SM2")
        }
        return algorithm
    }

    /// Department codes: 2–16 characters, upper-case ASCII letters and digits, starting with a letter.
    public static func departmentCode(_ code: String) throws(ZeroTripError) -> String {
        let utf8 = Array(code.utf8)
        guard (2...16).contains(utf8.count),
            let first = utf8.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first),
            utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            throw ZeroTripError(.invalidInput, "department code must be 2–16 upper-case letters or digits, starting with a letter")
        }
        return code
    }

    /// Whether `code` (already upper-cased) is a matter code: 1–32 of A-Z 0-9 _ -, as printed on documents and in tokens.
    public static func isMatterCode(_ code: String) -> Bool {
        (1...32).contains(code.utf8.count)
            && code.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D }
    }

    /// Names of districts and departments: 1–64 characters, no control characters, trimmed.
    public static func name(_ name: String, field: String) throws(ZeroTripError) -> String {
        let trimmed = name.trimmingWhitespace()
        guard (1...64).contains(trimmed.count), !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ZeroTripError(.invalidInput, "\(field) must be 1–64 characters without control characters")
        }
        return trimmed
    }

    /// A person's free text (a comment, a detail): trimmed, a form's CR LF line breaks as LF, at most `limit`
    /// Unicode scalars (as the databases count a column's length: an emoji sequence is several), no control
    /// characters but line breaks.
    public static func note(_ text: String, field: String, limit: Int) throws(ZeroTripError) -> String {
        let note = text.replacingOccurrences(of: "\r\n", with: "\n").trimmingWhitespace()
        guard note.unicodeScalars.count <= limit, !note.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" })
        else {
            throw ZeroTripError(.invalidInput, "\(field) must be at most \(limit) characters without control characters")
        }
        return note
    }

    /// Free-text labels: 0–128 characters, no control characters.
    public static func label(_ label: String) throws(ZeroTripError) -> String {
        guard label.count <= 128, !label.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ZeroTripError(.invalidInput, "label must be at most 128 characters without control characters")
        }
        return label
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
