public import struct Foundation.Date
import ZeroTripDocuments

/// The 18-character citizen identity number of GB 11643-1999: a 6-digit region code (GB/T 2260),
/// the birth date `YYYYMMDD`, a 3-digit sequence (odd for men) and an ISO 7064 MOD 11-2 check character.
///
/// ``check(_:today:)`` returns what is wrong as a value; ``validate(_:today:)`` throws
/// `invalid_id_number` with that reason. Legacy 15-digit numbers carry no check character and are refused.
public enum CitizenIDNumber {
    /// Why a number was refused; the raw value is stable and appears in error messages and import reports.
    public enum Problem: String, Sendable, Hashable, CaseIterable {
        /// Not exactly 18 characters (15-digit legacy numbers included).
        case length
        /// Not 17 digits followed by a digit or `X`.
        case characters
        /// The check character does not match the other 17 digits.
        case checkCharacter = "check_character"
        /// The birth date is not a real calendar date (or is before 1850).
        case birthDate = "birth_date"
        /// The birth date is after today.
        case futureBirthDate = "future_birth_date"
        /// The first digits are not a GB/T 2260 province with a prefecture (or 810000/820000/830000).
        case region

        /// A sentence for people.
        public var explanation: String {
            switch self {
            case .length: "a citizen ID number has 18 characters (15-digit legacy numbers are not accepted)"
            case .characters: "a citizen ID number is 17 digits and a check character (0-9 or X)"
            case .checkCharacter: "the check character does not match (ISO 7064 MOD 11-2)"
            case .birthDate: "the birth date (characters 7–14) is not a real date"
            case .futureBirthDate: "the birth date (characters 7–14) is in the future"
            case .region: "the region code (characters 1–6) is not a known GB/T 2260 region"
            }
        }
    }

    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// GB/T 2260 province-level codes (first two digits). 81, 82 and 83 are the Hong Kong, Macao and
    /// Taiwan residence-permit prefixes (810000, 820000, 830000).
    public static let provinceCodes: Set<Int> = [
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
        50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
    ]

    /// The check character for the first 17 digits.
    public static func checkCharacter(for first17: String) -> Character? {
        let digits = first17.compactMap(\.wholeNumberValue)
        guard first17.count == 17, digits.count == 17, first17.allSatisfy(\.isASCIIDigit) else { return nil }
        return checkCharacters[zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11]
    }

    /// The first problem of `raw`, or `nil` when it is a valid number. `today` bounds the birth date
    /// (China Standard Time).
    public static func check(_ raw: String, today: Date = Date()) -> Problem? {
        // Over the UTF-8 bytes: a window checks one on every credit read, and Characters cost a grapheme walk each.
        var digits = [Int](repeating: 0, count: 17)
        var count = 0, last: UInt8 = 0, onlyDigitsAndX = true
        for byte in raw.utf8 {
            if count < 17 {
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    digits[count] = Int(byte - UInt8(ascii: "0"))
                } else {
                    onlyDigitsAndX = false
                }
            } else if count == 17 {
                last = byte
            }
            count += 1
            // A multi-byte character counts once, as Characters did (an 18-character string of them is `characters`).
            if byte >= 0x80 {
                onlyDigitsAndX = false
                if byte & 0xC0 == 0x80 { count -= 1 }
            }
        }
        guard count == 18 else { return .length }
        let isDigit = last >= UInt8(ascii: "0") && last <= UInt8(ascii: "9")
        guard onlyDigitsAndX, isDigit || last == UInt8(ascii: "X") || last == UInt8(ascii: "x") else { return .characters }
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        guard checkBytes[sum % 11] == (last == UInt8(ascii: "x") ? UInt8(ascii: "X") : last) else { return .checkCharacter }
        let year = digits[6...9].reduce(0) { $0 * 10 + $1 }, month = digits[10] * 10 + digits[11], day = digits[12] * 10 + digits[13]
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard year >= 1850, (1...12).contains(month), (1...lengths[month - 1]).contains(day) else { return .birthDate }
        guard year * 10000 + month * 100 + day <= chinaDate(today) else { return .futureBirthDate }
        let province = digits[0] * 10 + digits[1], prefecture = digits[2] * 10 + digits[3], county = digits[4] * 10 + digits[5]
        guard provinceCodes.contains(province) else { return .region }
        if province >= 81 {
            guard prefecture == 0, county == 0 else { return .region }
        } else {
            guard prefecture != 0 else { return .region }
        }
        return nil
    }

    private static let checkBytes: [UInt8] = checkCharacters.map { $0.asciiValue! }

    /// The normalised number (upper-case X), or `invalid_id_number` with the reason.
    public static func validate(_ raw: String, today: Date = Date()) throws(ZeroTripError) -> String {
        if let problem = check(raw, today: today) {
            throw ZeroTripError(.invalidIDNumber, "invalid citizen ID number (\(problem.rawValue)): \(problem.explanation)")
        }
        return raw.uppercased()
    }

    /// The birth date of a valid number as `YYYY-MM-DD`.
    public static func birthDate(of number: String) -> String {
        let c = Array(number)
        return String(c[6...9]) + "-" + String(c[10...11]) + "-" + String(c[12...13])
    }

    /// `yyyymmdd` of `date` in China Standard Time (UTC+8, no daylight saving).
    static func chinaDate(_ date: Date) -> Int {
        let time = ChinaTime(date)
        return time.year * 10000 + time.month * 100 + time.day
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
