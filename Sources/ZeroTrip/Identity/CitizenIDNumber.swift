/// Checks of the 18-character citizen identity number (GB 11643-1999): digits, MOD 11-2 check character,
/// a real birth date. (Region prefixes and the population registry come with applicant identity.)
public enum CitizenIDNumber {
    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// The normalised number (upper-case X), or an error saying what is wrong.
    public static func validate(_ raw: String) throws(ZeroTripError) -> String {
        let value = raw.uppercased()
        let characters = Array(value)
        guard characters.count == 18 else { throw ZeroTripError(.invalidInput, "a citizen ID number has 18 characters") }
        guard characters.prefix(17).allSatisfy(\.isASCIIDigit), characters[17].isASCIIDigit || characters[17] == "X" else {
            throw ZeroTripError(.invalidInput, "a citizen ID number is 17 digits and a check character (0-9 or X)")
        }
        let digits = characters.prefix(17).map { Int(String($0))! }
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        guard checkCharacters[sum % 11] == characters[17] else { throw ZeroTripError(.invalidInput, "the citizen ID number's check character is wrong") }
        let year = digits[6...9].reduce(0) { $0 * 10 + $1 }, month = digits[10] * 10 + digits[11], day = digits[12] * 10 + digits[13]
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard year >= 1900, (1...12).contains(month), (1...lengths[month - 1]).contains(day) else {
            throw ZeroTripError(.invalidInput, "the citizen ID number's birth date is not a real date")
        }
        return value
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
