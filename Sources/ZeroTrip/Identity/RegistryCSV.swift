public import Foundation

/// One person as read from a registry file, before it is stored.
public struct RegistryEntry: Sendable, Hashable {
    /// Citizen ID number (validated, upper-case X).
    public var idNumber: String
    /// Name as on the ID card (NFC, trimmed).
    public var name: String
    /// Registered mobile phone (11 digits).
    public var phone: String
    /// ID card valid from, `YYYY-MM-DD`.
    public var cardValidFrom: String
    /// ID card valid until, `YYYY-MM-DD` or `long-term` (长期).
    public var cardValidUntil: String

    /// Creates an entry; use ``validated(today:)`` before storing it.
    public init(idNumber: String, name: String, phone: String, cardValidFrom: String, cardValidUntil: String) {
        self.idNumber = idNumber
        self.name = name
        self.phone = phone
        self.cardValidFrom = cardValidFrom
        self.cardValidUntil = cardValidUntil
    }

    /// Checks every field; returns the normalised entry.
    public func validated(today: Date) throws(ZeroTripError) -> RegistryEntry {
        var copy = self
        copy.idNumber = try CitizenIDNumber.validate(idNumber.trimmingWhitespace(), today: today)
        copy.name = try Self.personName(name)
        copy.phone = try Self.phoneNumber(phone)
        copy.cardValidFrom = try Self.date(cardValidFrom, field: "card_valid_from")
        let until = cardValidUntil.trimmingWhitespace()
        copy.cardValidUntil = until == "长期" || until.lowercased() == "long-term" ? "long-term" : try Self.date(until, field: "card_valid_until")
        if copy.cardValidUntil != "long-term", copy.cardValidUntil < copy.cardValidFrom {
            throw ZeroTripError(.invalidInput, "card_valid_until is before card_valid_from")
        }
        return copy
    }

    /// A person's name: 1–32 characters (NFC), letters with the middle dot `·` of minority and
    /// foreign names and single spaces; no digits, punctuation or control characters.
    public static func personName(_ raw: String) throws(ZeroTripError) -> String {
        let name = raw.precomposedStringWithCanonicalMapping.trimmingWhitespace()
        guard (1...32).contains(name.count) else { throw ZeroTripError(.invalidInput, "name must be 1–32 characters") }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || scalar == "·" || scalar == "•" || scalar == " " || scalar.properties.generalCategory == .nonspacingMark
        }
        guard allowed, name.unicodeScalars.contains(where: { $0.properties.isAlphabetic }) else {
            throw ZeroTripError(.invalidInput, "name may contain only letters, the middle dot · and spaces")
        }
        return name
    }

    /// A mainland mobile number: 11 digits, `1[3-9]…`.
    public static func phoneNumber(_ raw: String) throws(ZeroTripError) -> String {
        let phone = raw.trimmingWhitespace()
        let bytes = Array(phone.utf8)
        guard bytes.count == 11, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), bytes[0] == 0x31, bytes[1] >= 0x33 else {
            throw ZeroTripError(.invalidInput, "phone must be an 11-digit mobile number starting 13–19")
        }
        return phone
    }

    /// A calendar date `YYYY-MM-DD`.
    public static func date(_ raw: String, field: String) throws(ZeroTripError) -> String {
        let value = raw.trimmingWhitespace()
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard value.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1900...2200).contains(year), (1...12).contains(month)
        else { throw ZeroTripError(.invalidInput, "\(field) must be a date YYYY-MM-DD") }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...lengths[month - 1]).contains(day) else { throw ZeroTripError(.invalidInput, "\(field) is not a real date") }
        return value
    }
}

/// The registry import file: UTF-8 CSV (RFC 4180 quoting, optional BOM, LF or CRLF) with the header
/// `id_number,name,phone,card_valid_from,card_valid_until` (columns in any order, extra columns refused).
///
/// Parsing never stops at a bad row: each line is accepted or rejected with its line number and reason.
public enum RegistryCSV {
    /// Largest file accepted.
    public static let maximumFileBytes = 64 << 20
    /// Largest line accepted.
    public static let maximumLineBytes = 1024
    /// The required columns.
    public static let columns = ["id_number", "name", "phone", "card_valid_from", "card_valid_until"]

    /// A refused line.
    public struct Rejection: Sendable, Hashable, Codable {
        /// 1-based line number in the file.
        public var line: Int
        /// Why, without the line's personal data.
        public var reason: String
    }

    /// The outcome of parsing a file.
    public struct Parsed: Sendable {
        /// Valid rows with their line numbers, in file order.
        public var entries: [(line: Int, entry: RegistryEntry)] = []
        /// Refused rows.
        public var rejections: [Rejection] = []
    }

    /// Parses `bytes`. Throws only when the file as a whole is unusable (too large, no valid header).
    public static func parse(_ bytes: [UInt8], today: Date) throws(ZeroTripError) -> Parsed {
        guard bytes.count <= maximumFileBytes else { throw ZeroTripError(.payloadTooLarge, "registry file exceeds \(maximumFileBytes >> 20) MiB") }
        let lines = numberedLines(bytes)
        guard let headerLine = lines.first?.line, let header = String(validating: headerLine, as: UTF8.self),
            let headerFields = try? fields(of: header)
        else {
            throw ZeroTripError(.invalidInput, "line 1: the header must be \(columns.joined(separator: ","))")
        }
        let names = headerFields.map { $0.trimmingWhitespace().lowercased() }
        guard Set(names) == Set(columns), names.count == columns.count else {
            throw ZeroTripError(
                .invalidInput,
                "line 1: the header must name exactly the columns \(columns.joined(separator: ",")) (got \(names.joined(separator: ",").prefix(120)))"
            )
        }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var parsed = Parsed()
        var seen: [String: Int] = [:]
        for (number, line) in lines.dropFirst() {
            do throws(ZeroTripError) {
                guard line.count <= maximumLineBytes else { throw ZeroTripError(.invalidInput, "line longer than \(maximumLineBytes) bytes") }
                guard let text = String(validating: line, as: UTF8.self) else { throw ZeroTripError(.invalidInput, "not valid UTF-8") }
                let values = try fields(of: text)
                guard values.count == columns.count else {
                    throw ZeroTripError(.invalidInput, "expected \(columns.count) fields, found \(values.count)")
                }
                let entry = try RegistryEntry(
                    idNumber: values[index["id_number"]!], name: values[index["name"]!], phone: values[index["phone"]!],
                    cardValidFrom: values[index["card_valid_from"]!], cardValidUntil: values[index["card_valid_until"]!]
                ).validated(today: today)
                if let earlier = seen[entry.idNumber] { throw ZeroTripError(.invalidInput, "the same ID number as line \(earlier)") }
                seen[entry.idNumber] = number
                parsed.entries.append((number, entry))
            } catch {
                parsed.rejections.append(Rejection(line: number, reason: "\(error.code): \(error.message)"))
            }
        }
        return parsed
    }

    /// The lines of a CSV file numbered from 1, with a UTF-8 byte-order mark and CR line ends removed; blank lines
    /// (only spaces and tabs) after the header are left out. Shared by every CSV import.
    static func numberedLines(_ bytes: [UInt8]) -> [(number: Int, line: ArraySlice<UInt8>)] {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if let first = lines.first, first.starts(with: [0xEF, 0xBB, 0xBF]) { lines[0] = first.dropFirst(3) }
        return lines.enumerated().compactMap { offset, raw in
            let line = stripCR(raw)
            if offset > 0, line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
            return (offset + 1, line)
        }
    }

    private static func stripCR(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        line.last == 0x0D ? line.dropLast() : line
    }

    /// Splits one line into fields with RFC 4180 quoting ("" is a quote inside a quoted field).
    static func fields(of line: String) throws(ZeroTripError) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false, wasQuoted = false
        var iterator = line.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            if quoted {
                if scalar == "\"" {
                    // Either an escaped quote ("") or the end of the quoted part.
                    var lookahead = iterator
                    if lookahead.next() == "\"" { current.unicodeScalars.append("\""); iterator = lookahead } else { quoted = false }
                } else {
                    current.unicodeScalars.append(scalar)
                }
            } else if scalar == "," {
                fields.append(current); current = ""; wasQuoted = false
            } else if scalar == "\"" {
                guard current.trimmingWhitespace().isEmpty, !wasQuoted else { throw ZeroTripError(.invalidInput, "a quote inside an unquoted field") }
                current = ""; quoted = true; wasQuoted = true
            } else {
                guard !wasQuoted || scalar == " " else { throw ZeroTripError(.invalidInput, "text after a closing quote") }
                current.unicodeScalars.append(scalar)
            }
        }
        guard !quoted else { throw ZeroTripError(.invalidInput, "an unterminated quoted field (quoted line breaks are not supported)") }
        fields.append(current)
        return fields
    }
}
