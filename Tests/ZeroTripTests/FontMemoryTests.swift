import Foundation
import Testing
import ZeroTripDocuments

/// The daemon's main font is preprocessed for hb-subset at start-up, which reads the whole face; what it read must
/// not stay in the daemon's resident memory.
@Suite("Font memory")
struct FontMemoryTests {
    @Test("Loading the main font leaves few of its pages mapped, and the face still reads from the file afterwards")
    func preprocessedFontGivesItsPagesBack() throws {
        let font = try CJKFont()
        let resident = try #require(Self.residentKilobytes(of: font.file), "no mapping of the font in /proc/self/smaps")
        // Preprocessing reads about 17 MB of uming.ttc; kept mapped, all of it counted in the daemon's memory.
        #expect(resident < 2048, "\(resident) kB of \(font.file.length / 1024) kB stay mapped")
        // The character map and the advances are read again from the file, as a document's layout reads them.
        let glyph = try #require(font.glyph(for: "证"))
        #expect(font.advance(of: glyph) == font.unitsPerEm)
        #expect(font.glyph(for: "\u{30000}") == nil)
    }

    /// The `Rss` of the mapping that starts at the font file's base address, in kB.
    static func residentKilobytes(of file: FontFileMapping) -> Int? {
        // Read to the end: a /proc file has no size, and its text comes in pieces.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps"), let data = try? handle.readToEnd() else { return nil }
        let smaps = String(decoding: data, as: UTF8.self)
        let base = UInt(bitPattern: file.base)
        var inMapping = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let start = UInt(line[..<dash], radix: 16) {
                inMapping = start == base
            } else if inMapping, line.hasPrefix("Rss:") {
                return Int(line.split(separator: " ")[1])
            }
        }
        return nil
    }
}
