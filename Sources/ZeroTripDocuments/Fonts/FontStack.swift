import Synchronization

/// The document font and its fallbacks as one source of glyphs: a character the main font lacks is drawn from the
/// first fallback font that has it, so a holder named with a CJK Extension B character (𠮷) gets a document
/// instead of a refusal.
///
/// Glyph ids carry their font in bits 24–31 (0 for the main font, n for fallback n; a font's own ids fit in 16
/// bits), so text runs, widths, line breaking and subsetting keep working on plain `UInt32`s, and a document
/// that uses only the main font has exactly the glyph ids it had before fallbacks existed. Fallback fonts given by
/// path are opened at the first character the main font lacks, not before: most processes (the CLI, a daemon
/// issuing common names) never need them.
public final class FontStack: Sendable {
    /// The main font.
    public let main: CJKFont
    private let fallbackPaths: [String]
    private let loaded: Mutex<[CJKFont]?>

    /// `main` then `fallbacks`; at most 255 fallbacks (the tag's range).
    public init(main: CJKFont, fallbacks: [CJKFont] = []) {
        self.main = main
        fallbackPaths = []
        loaded = Mutex(Array(fallbacks.prefix(255)))
    }

    /// The main font and the fallback fonts among `paths` that load, opened when first needed (a missing file is
    /// left out: documents then refuse the characters only it had, naming them).
    public init(main: CJKFont, fallbackPaths: [String]) {
        self.main = main
        self.fallbackPaths = Array(fallbackPaths.prefix(255))
        loaded = Mutex(nil)
    }

    /// The fallback fonts, opened on first use.
    public var fallbacks: [CJKFont] {
        loaded.withLock { fonts in
            if let fonts { return fonts }
            let opened = fallbackPaths.compactMap { path in try? CJKFont(path: path, preprocessed: false) }
            fonts = opened
            return opened
        }
    }

    /// The tagged glyph for `scalar` from the first font that has one, or nil.
    public func glyph(for scalar: Unicode.Scalar) -> UInt32? {
        if let glyph = main.glyph(for: scalar) { return glyph }
        for (index, font) in fallbacks.enumerated() {
            if let glyph = font.glyph(for: scalar) { return UInt32(index + 1) << 24 | glyph }
        }
        return nil
    }

    /// The font a glyph tag names: 0 the main font (without opening the fallbacks), n fallback n.
    func font(at index: Int) -> CJKFont {
        index == 0 ? main : fallbacks[index - 1]
    }

    /// The font of a tagged glyph.
    func font(of glyph: UInt32) -> CJKFont { font(at: Self.fontIndex(of: glyph)) }

    /// The font tag of a tagged glyph (0: the main font, n: fallback n).
    static func fontIndex(of glyph: UInt32) -> Int { Int(glyph >> 24) }

    /// A tagged glyph's id in its own font.
    static func localID(of glyph: UInt32) -> UInt32 { glyph & 0xFF_FFFF }

    /// The advance of a tagged glyph at `size` points.
    func width(of glyph: UInt32, size: Double) -> Double {
        let font = font(of: glyph)
        return Double(font.advance(of: Self.localID(of: glyph))) * size / Double(font.unitsPerEm)
    }
}
