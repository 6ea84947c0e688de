public import ZeroTripCrypto
public import struct Foundation.Date

/// The signature of an uploaded PDF, read without a general PDF parser: only `/ByteRange` and `/Contents`
/// (ISO 32000-1 §12.8.1), with the checks that make the byte ranges trustworthy.
///
/// Requirements: exactly one signature dictionary; `/ByteRange [0 a b c]` with `b + c` = file length,
/// so the signature covers the whole file except its own `/Contents` hex string, which must sit exactly
/// in the gap. Anything else is refused with its own code before any cryptography runs.
public struct SignedPDF: Sendable {
    /// Largest PDF accepted for verification.
    public static let maximumLength = 8 * 1024 * 1024

    /// The whole file.
    public let bytes: [UInt8]
    /// Offset of `<` starting the `/Contents` hex string.
    public let gapStart: Int
    /// Offset just after the closing `>`.
    public let gapEnd: Int
    /// The CMS SignedData (hex-decoded, trailing zero padding removed).
    public let signedData: [UInt8]
    /// The signing time the signature dictionary claims (`/M`, inside the signed ranges), if present and well-formed.
    public let claimedSigningTime: Date?

    /// Locates and checks the single signature of `bytes`.
    public init(_ bytes: [UInt8]) throws(DocumentError) {
        guard bytes.count <= Self.maximumLength else { throw DocumentError(.tooLarge, "PDF larger than \(Self.maximumLength / 1024 / 1024) MiB") }
        guard bytes.count > 64, bytes.starts(with: Array("%PDF-".utf8)) else { throw DocumentError(.notPDF, "not a PDF file (no %PDF- header)") }
        guard bytes.firstIndex(ofBytes: Array("%%EOF".utf8), from: max(0, bytes.count - 1024)) != nil else {
            throw DocumentError(.notPDF, "not a complete PDF file (no %%EOF near the end)")
        }
        let marker = Array("/ByteRange".utf8)
        var occurrences: [Int] = []
        var search = 0
        while let found = bytes.firstIndex(ofBytes: marker, from: search) {
            occurrences.append(found)
            search = found + marker.count
            if occurrences.count > 1 { break }
        }
        guard !occurrences.isEmpty else { throw DocumentError(.unsigned, "the PDF carries no signature") }
        guard occurrences.count == 1 else {
            throw DocumentError(.multipleSignatures, "the PDF carries more than one signature; ZeroTrip documents carry exactly one")
        }

        // Parse "[ n n n n ]".
        var position = occurrences[0] + marker.count
        func skipSpace() { while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09, 0x0C, 0x00].contains(bytes[position]) { position += 1 } }
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "[") else { throw DocumentError(.notPDF, "malformed /ByteRange") }
        position += 1
        var numbers: [Int] = []
        while numbers.count < 5 {
            skipSpace()
            guard position < bytes.count else { throw DocumentError(.notPDF, "malformed /ByteRange") }
            if bytes[position] == UInt8(ascii: "]") { break }
            var value = 0
            var digits = 0
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39, digits < 11 {
                value = value * 10 + Int(bytes[position] - 0x30)
                position += 1
                digits += 1
            }
            guard digits > 0, digits <= 10 else { throw DocumentError(.notPDF, "malformed /ByteRange number") }
            numbers.append(value)
        }
        guard numbers.count == 4, numbers[0] == 0 else { throw DocumentError(.notPDF, "/ByteRange must be [0 a b c]") }
        let a = numbers[1], b = numbers[2], c = numbers[3]
        guard a > 0, b > a + 2, b <= bytes.count, c >= 0, b + c == bytes.count else {
            throw DocumentError(.notPDF, "/ByteRange does not cover the whole file (content added after signing?)")
        }
        guard bytes[a] == UInt8(ascii: "<"), bytes[b - 1] == UInt8(ascii: ">"), (b - a - 2) % 2 == 0 else {
            throw DocumentError(.notPDF, "the /ByteRange gap is not the /Contents hex string")
        }
        // The gap must be preceded by the /Contents key (with optional whitespace).
        var back = a - 1
        while back > 0, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[back]) { back -= 1 }
        let key = Array("/Contents".utf8)
        guard back + 1 >= key.count, Array(bytes[(back + 1 - key.count)...back]) == key else {
            throw DocumentError(.notPDF, "the /ByteRange gap does not start at /Contents")
        }
        let hexLength = b - a - 2
        guard hexLength / 2 <= CMSSignedData.maximumLength else { throw DocumentError(.notPDF, "/Contents too large") }
        var der = [UInt8]()
        der.reserveCapacity(hexLength / 2)
        var index = a + 1
        while index < b - 1 {
            guard let high = Self.hexValue(bytes[index]), let low = Self.hexValue(bytes[index + 1]) else {
                throw DocumentError(.notPDF, "/Contents is not a hex string")
            }
            der.append(high << 4 | low)
            index += 2
        }
        // Strip the zero padding after the DER element.
        guard der.count >= 2, der[0] == 0x30 else { throw DocumentError(.notPDF, "/Contents does not hold a DER SignedData") }
        var length = 0, header = 2
        if der[1] < 0x80 {
            length = Int(der[1])
        } else {
            let count = Int(der[1] & 0x7F)
            guard (1...3).contains(count), der.count >= 2 + count else { throw DocumentError(.notPDF, "/Contents has a malformed DER length") }
            for i in 0..<count { length = length << 8 | Int(der[2 + i]) }
            header += count
        }
        guard header + length <= der.count, der[(header + length)...].allSatisfy({ $0 == 0 }) else {
            throw DocumentError(.notPDF, "/Contents has bytes after its SignedData")
        }
        self.bytes = bytes
        gapStart = a
        gapEnd = b
        signedData = Array(der[0..<(header + length)])
        let dictionaryStart = max(0, occurrences[0] - 512)
        claimedSigningTime = Array(bytes[dictionaryStart..<a]).firstIndex(ofBytes: Array("/M (D:".utf8), from: 0)
            .flatMap { Self.pdfDate(Array(bytes[(dictionaryStart + $0 + 6)..<min(a, dictionaryStart + $0 + 6 + 24)])) }
    }

    /// Parses `YYYYMMDDHHmmSS` followed by `Z` or `±HH'mm'` (PDF 32000-1 §7.9.4).
    static func pdfDate(_ text: [UInt8]) -> Date? {
        guard text.count >= 15, text.prefix(14).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func number(_ from: Int, _ count: Int) -> Int { text[from..<(from + count)].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        let (year, month, day, hour, minute, second) = (number(0, 4), number(4, 2), number(6, 2), number(8, 2), number(10, 2), number(12, 2))
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var offset = 0
        if text[14] == UInt8(ascii: "+") || text[14] == UInt8(ascii: "-") {
            guard text.count >= 20, text[15...16].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), text[18...19].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
            else { return nil }
            offset = (number(15, 2) * 3600 + number(18, 2) * 60) * (text[14] == UInt8(ascii: "+") ? 1 : -1)
        } else if text[14] != UInt8(ascii: "Z") {
            return nil
        }
        // Days from civil (Howard Hinnant).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
        return Date(timeIntervalSince1970: Double(days * 86400 + hour * 3600 + minute * 60 + second - offset))
    }

    /// The digest of the signed ranges with `algorithm`.
    public func signedRangesDigest(_ algorithm: DigestAlgorithm) throws(CryptoError) -> [UInt8] {
        var digest = try Digest(algorithm)
        try digest.update(bytes[0..<gapStart])
        try digest.update(bytes[gapEnd...])
        return try digest.finalize()
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
