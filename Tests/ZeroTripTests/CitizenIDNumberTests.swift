import Foundation
import Testing
import ZeroTripDomainTestSupport
@testable import ZeroTrip

@Suite("GB 11643-1999 citizen ID numbers")
struct CitizenIDNumberTests {
    static let today = ISO8601DateFormatter().date(from: "2026-11-22T12:00:00Z")!

    @Test(
        "The reference examples and the demo registry are valid",
        arguments: ["11010519491231002X", "440524188001010014", "11010519491231002x", "810000199001010013"])
    func valid(number: String) throws {
        // 810000… is a Hong Kong residence-permit number: its check character is computed the same way.
        let candidate =
            number.hasPrefix("81") ? String(number.prefix(17)) + String(CitizenIDNumber.checkCharacter(for: String(number.prefix(17)))!) : number
        #expect(CitizenIDNumber.check(candidate, today: Self.today) == nil)
        #expect(try CitizenIDNumber.validate(candidate, today: Self.today) == candidate.uppercased())
    }

    @Test(
        "Each defect is named",
        arguments: [
            ("11010519491231002", CitizenIDNumber.Problem.length),
            ("110105491231002", .length),  // legacy 15-digit number
            ("1101051949123100A2", .characters),
            ("11010519491231002Ｘ", .characters),  // full-width X
            ("１1010519491231002X", .characters),  // a full-width digit among the first 17
            ("11010519491231002XX", .length),
            ("110105194912310021", .checkCharacter),
        ])
    func problems(number: String, problem: CitizenIDNumber.Problem) {
        #expect(CitizenIDNumber.check(number, today: Self.today) == problem)
        expectError(.invalidIDNumber) { try CitizenIDNumber.validate(number, today: Self.today) }
    }

    /// Builds a number with a correct check character so only the date or region is wrong.
    static func number(_ first17: String) -> String { first17 + String(CitizenIDNumber.checkCharacter(for: first17)!) }

    @Test("Impossible, early and future birth dates are refused")
    func dates() {
        #expect(CitizenIDNumber.check(Self.number("11010519490230002"), today: Self.today) == .birthDate)  // 30 February
        #expect(CitizenIDNumber.check(Self.number("11010519491301002"), today: Self.today) == .birthDate)  // month 13
        #expect(CitizenIDNumber.check(Self.number("11010518000101002"), today: Self.today) == .birthDate)  // before 1850
        #expect(CitizenIDNumber.check(Self.number("11010520000229002"), today: Self.today) == nil)  // leap day 2000
        #expect(CitizenIDNumber.check(Self.number("11010519000229002"), today: Self.today) == .birthDate)  // 1900 was not a leap year
        #expect(CitizenIDNumber.check(Self.number("11010520261123002"), today: Self.today) == .futureBirthDate)
        #expect(CitizenIDNumber.check(Self.number("11010520261122002"), today: Self.today) == nil)  // born today
    }

    @Test("Unknown region prefixes are refused")
    func regions() {
        #expect(CitizenIDNumber.check(Self.number("99010519491231002"), today: Self.today) == .region)  // no province 99
        #expect(CitizenIDNumber.check(Self.number("10010519491231002"), today: Self.today) == .region)  // no province 10
        #expect(CitizenIDNumber.check(Self.number("44000519491231002"), today: Self.today) == .region)  // prefecture 00
        #expect(CitizenIDNumber.check(Self.number("81010019900101001"), today: Self.today) == .region)  // HK permits are 810000
        #expect(CitizenIDNumber.check(Self.number("44060419921130003"), today: Self.today) == nil)
    }

    @Test("The error names the reason and never echoes the number")
    func message() throws {
        let error = #expect(throws: ZeroTripError.self) { try CitizenIDNumber.validate("110105194912310021", today: Self.today) }
        #expect(error?.code == .invalidIDNumber)
        #expect(error?.message.contains("check_character") == true)
        #expect(error?.message.contains("110105194912310021") == false)
    }
}
