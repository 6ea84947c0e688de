import Testing
@testable import ZeroTripServer

@Suite("Statistics as CSV")
struct StatisticsFormatTests {
    @Test(
        "Text cells are quoted with quotes doubled, and a leading formula character is defused; the file starts with a byte order mark and ends lines with CRLF"
    )
    func cells() {
        #expect(StatisticsFormat.text("禅城区公安分局") == "\"禅城区公安分局\"")
        #expect(StatisticsFormat.text("a \"b\", c") == "\"a \"\"b\"\", c\"")
        for formula in ["=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)"] {
            #expect(StatisticsFormat.text(formula).hasPrefix("\"'"), "\(formula)")
        }
        #expect(StatisticsFormat.csv(.init(header: ["a", "b"], rows: [["1", "\"x\""]])) == "\u{FEFF}a,b\r\n1,\"x\"\r\n")
    }
}
