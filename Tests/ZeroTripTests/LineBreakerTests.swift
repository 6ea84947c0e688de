import Testing
import ZeroTripDocuments

@Suite("Line breaking of Chinese text with numbers and Latin words")
struct LineBreakerTests {
    /// The lines of `text` when every character is 1 wide (CJK and ASCII alike) and a line holds `width`.
    static func lines(_ text: String, width: Double) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return LineBreaker.lines(scalars, widths: Array(repeating: 1, count: scalars.count), width: width).map {
            String(String.UnicodeScalarView(scalars[$0]))
        }
    }

    @Test("Numbers and Latin words stay whole: the line ends before them instead")
    func numbersWhole() {
        #expect(Self.lines("个人缴费617.28元", width: 7) == ["个人缴费", "617.28元"])
        #expect(Self.lines("个人缴费617.28元", width: 6) == ["个人缴费", "617.28", "元"])
        #expect(Self.lines("自2015年起", width: 4) == ["自", "2015", "年起"])
        #expect(Self.lines("自2015年起", width: 3) == ["自", "201", "5年起"], "a number wider than the line is broken only where it must")
        #expect(Self.lines("参保号ZT1:ABC共", width: 5) == ["参保号", "ZT1:A", "BC共"])
        #expect(Self.lines("第 12 页", width: 4) == ["第 ", "12 页"], "a space stays with the line it ends")
    }

    @Test("Closing marks never start a line and opening marks never end one")
    func lineStartAndEndRules() {
        #expect(Self.lines("居住登记、社保缴费", width: 4) == ["居住登", "记、社保", "缴费"])
        #expect(Self.lines("已缴费。合计", width: 3) == ["已缴", "费。合", "计"], "。 takes the character before it to the next line")
        #expect(Self.lines("含（补缴）", width: 2) == ["含", "（补", "缴）"], "（ goes down with what it opens")
        #expect(Self.lines("金额¥100元", width: 3) == ["金额", "¥10", "0元"])
    }

    @Test("Lines are never wider than the width, whatever the text; nothing is lost or reordered")
    func neverWider() {
        let samples = [
            "个人缴费617.28元、单位缴费1234.56元（合计1851.84元）。", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "、、、、、、", "（（（（（（",
            "2015年1月至2026年11月累计缴费143个月", "", "a b c d e f g h",
        ]
        for text in samples {
            for width in [1.0, 2, 3, 5, 8, 13] {
                let lines = Self.lines(text, width: width)
                #expect(lines.joined() == text, "\(text) at \(width)")
                #expect(lines.allSatisfy { $0.unicodeScalars.count <= Int(width) }, "\(text) at \(width): \(lines)")
            }
        }
    }
}
