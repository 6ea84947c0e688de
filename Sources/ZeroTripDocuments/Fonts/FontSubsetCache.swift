import Synchronization
import ZeroTripCrypto

/// The embedded-font objects for one glyph set, ready to write: most documents of one matter share
/// most characters, so subsets (hb-subset + deflate, about 1 ms) are cached by glyph set.
struct EmbeddedFont: Sendable {
    /// `ABCDEF+UMingCN`.
    let baseFont: String
    /// The compressed subset font program and its uncompressed length.
    let fontFile: [UInt8]
    let fontFileLength: Int
    /// `/W` array contents.
    let widths: String
    /// The compressed ToUnicode CMap.
    let toUnicode: [UInt8]
    /// Original glyph → CID.
    let mapping: [UInt32: UInt16]

    /// The same font with its mapping keyed by ``FontStack`` glyphs of fallback font `index`.
    func tagged(_ index: UInt32) -> EmbeddedFont {
        EmbeddedFont(
            baseFont: baseFont, fontFile: fontFile, fontFileLength: fontFileLength, widths: widths, toUnicode: toUnicode,
            mapping: Dictionary(uniqueKeysWithValues: mapping.map { (index << 24 | $0.key, $0.value) }))
    }
}

/// A bounded cache of ``EmbeddedFont`` keyed by the sorted glyph set.
final class FontSubsetCache: Sendable {
    private let entries = Mutex<[[UInt32]: EmbeddedFont]>([:])
    private let capacity: Int

    init(capacity: Int = 512) { self.capacity = capacity }

    /// The embedded font for `glyphs`, from the cache when another document used the same set.
    func embedded(font: CJKFont, glyphs: Set<UInt32>, unicode: [UInt32: Unicode.Scalar]) throws(DocumentError) -> EmbeddedFont {
        let key = glyphs.sorted()
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let subset = try font.subset(glyphs: glyphs)
        let embedded = Self.build(font: font, key: key, subset: subset, unicode: unicode, level: 6)
        entries.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = embedded
        }
        return embedded
    }

    /// An embedded font for a one-off glyph set (holder names, field values): not cached, compressed fast.
    func uncached(font: CJKFont, glyphs: Set<UInt32>, unicode: [UInt32: Unicode.Scalar]) throws(DocumentError) -> EmbeddedFont {
        Self.build(font: font, key: glyphs.sorted(), subset: try font.subset(glyphs: glyphs), unicode: unicode, level: 1)
    }

    private static func build(font: CJKFont, key: [UInt32], subset: FontSubset, unicode: [UInt32: Unicode.Scalar], level: Int32) -> EmbeddedFont {
        // Subset tag: six capitals derived from the glyph set (ISO 32000-1 §9.6.4).
        var keyBytes: [UInt8] = []
        for glyph in key { keyBytes += [UInt8(glyph >> 8 & 0xFF), UInt8(glyph & 0xFF)] }
        let tag = String(Digest.sha256(keyBytes).prefix(6).map { Character(Unicode.Scalar(UInt8(65) + $0 % 26)) })
        let byCID = subset.newGlyphIDs.sorted { $0.value < $1.value }
        var widths = ""
        var previous: UInt16 = 0
        for (glyph, cid) in byCID {
            let width = font.advance(of: glyph) * 1000 / font.unitsPerEm
            if widths.isEmpty || cid != previous + 1 {
                if !widths.isEmpty { widths += "] " }
                widths += "\(cid) ["
            } else {
                widths += " "
            }
            widths += "\(width)"
            previous = cid
        }
        if !widths.isEmpty { widths += "]" }
        var cmap = """
            /CIDInit /ProcSet findresource begin
            12 dict begin
            begincmap
            /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
            /CMapName /Adobe-Identity-UCS def
            /CMapType 2 def
            1 begincodespacerange
            <0000> <FFFF>
            endcodespacerange

            """
        let mapped = byCID.compactMap { glyph, cid in unicode[glyph].map { (cid, $0) } }
        for chunkStart in stride(from: 0, to: mapped.count, by: 100) {
            let chunk = mapped[chunkStart..<min(chunkStart + 100, mapped.count)]
            cmap += "\(chunk.count) beginbfchar\n"
            for (cid, scalar) in chunk {
                let utf16 = String(scalar).utf16.map { hex4(UInt32($0)) }.joined()
                cmap += "<\(hex4(UInt32(cid)))> <\(utf16)>\n"
            }
            cmap += "endbfchar\n"
        }
        cmap += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        return EmbeddedFont(
            baseFont: "\(tag)+\(font.postScriptName)",
            fontFile: Zlib.compress(subset.fontProgram, level: level), fontFileLength: subset.fontProgram.count,
            widths: widths, toUnicode: Zlib.compress(Array(cmap.utf8), level: level), mapping: subset.newGlyphIDs)
    }
}

func hex4(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
