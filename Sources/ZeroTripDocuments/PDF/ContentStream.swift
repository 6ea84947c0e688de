/// A PDF content stream under construction whose text refers to glyphs of the *original* font.
///
/// Glyph ids are known only after subsetting (hb-subset renumbers them), so text is kept as runs of
/// original glyph ids and written as 2-byte CIDs (Identity-H) by ``serialized(mapping:)``.
struct ContentStream {
    private enum Segment {
        case operators(String)
        case glyphs([UInt32], size: Double)
    }

    private var segments: [Segment] = []
    private var pending = ""

    /// Appends content-stream operators verbatim.
    mutating func add(_ operators: String) { pending += operators }

    /// Appends a run of glyphs shown at `size` points: serialized as `/Fn size Tf <…> Tj` per font.
    mutating func addGlyphs(_ glyphs: [UInt32], size: Double) {
        if !pending.isEmpty { segments.append(.operators(pending)); pending = "" }
        segments.append(.glyphs(glyphs, size: size))
    }

    /// Every original glyph the stream uses.
    var glyphs: Set<UInt32> {
        var set = Set<UInt32>()
        for case .glyphs(let run, _) in segments { set.formUnion(run) }
        return set
    }

    /// The stream bytes with each glyph shown from the first font whose mapping has it (`/F1`, `/F2`, … in the
    /// order given), renumbered to that font's CIDs.
    func serialized(fonts: [[UInt32: UInt16]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8192)
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        for segment in segments {
            switch segment {
            case .operators(let text): out.append(contentsOf: text.utf8)
            case .glyphs(let run, let size):
                let sizeText = Array(pdfNumber(size).utf8)
                var index = 0
                while index < run.count {
                    let font = fonts.firstIndex { $0[run[index]] != nil } ?? 0
                    out.append(contentsOf: Array("/F\(font + 1) ".utf8))
                    out.append(contentsOf: sizeText)
                    out.append(contentsOf: Array(" Tf <".utf8))
                    while index < run.count, let cid = fonts[font][run[index]] {
                        out.append(hex[Int(cid >> 12) & 0xF]); out.append(hex[Int(cid >> 8) & 0xF])
                        out.append(hex[Int(cid >> 4) & 0xF]); out.append(hex[Int(cid) & 0xF])
                        index += 1
                    }
                    if index < run.count, fonts.allSatisfy({ $0[run[index]] == nil }) { index += 1 }  // never happens: every glyph is embedded
                    out.append(contentsOf: Array("> Tj ".utf8))
                }
            }
        }
        out.append(contentsOf: pending.utf8)
        return out
    }
}

/// Text measured and mapped to glyphs with the document font and its fallbacks.
struct TextSetter {
    let fonts: FontStack

    /// The glyphs of `text`, refusing characters no font has (so nothing silently prints as a box).
    func glyphs(_ text: String) throws(DocumentError) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let glyph = fonts.glyph(for: scalar) else {
                let code = "U+" + String(scalar.value, radix: 16, uppercase: true)
                let shown =
                    scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                    ? code : "\(Character(scalar)) (\(code))"
                let fallbacks = fonts.fallbacks.count
                let missing =
                    fallbacks > 0
                    ? "neither the document font nor its \(fallbacks) fallback fonts have a glyph for \(shown)"
                    : "the document font has no glyph for \(shown) and no fallback font is installed (fonts-hanazono)"
                throw DocumentError(.unsupportedCharacter, "\(missing); write it another way or leave it out")
            }
            out.append(glyph)
        }
        return out
    }

    /// Width of `glyphs` at `size` points.
    func width(_ glyphs: [UInt32], size: Double) -> Double {
        glyphs.reduce(0) { $0 + fonts.width(of: $1, size: size) }
    }

    /// Splits `text` into lines no wider than `width` points: CJK text breaks between characters, numbers and
    /// Latin words stay whole, and the Chinese line-start and line-end rules hold (``LineBreaker``).
    func wrap(_ text: String, size: Double, width: Double) throws(DocumentError) -> [[UInt32]] {
        var lines: [[UInt32]] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let scalars = Array(paragraph.unicodeScalars)
            let run = try glyphs(String(paragraph))
            let widths = run.map { fonts.width(of: $0, size: size) }
            for range in LineBreaker.lines(scalars, widths: widths, width: width) { lines.append(Array(run[range])) }
        }
        return lines
    }
}

extension ContentStream {
    /// Shows `glyphs` with the baseline starting at (`x`, `y`).
    mutating func text(_ glyphs: [UInt32], x: Double, y: Double, size: Double, bold: Bool = false) {
        // Faux bold (fill + thin stroke) is scoped with q/Q so the render mode never leaks into later text.
        add(bold ? "q 0 G \(pdfNumber(size / 40)) w BT 2 Tr " : "BT ")
        add("\(pdfNumber(x)) \(pdfNumber(y)) Td ")
        addGlyphs(glyphs, size: size)
        add(bold ? "ET Q\n" : "ET\n")
    }

    /// Shows `glyphs` rotated by `angle` radians with its origin at (`x`, `y`).
    mutating func rotatedText(_ glyphs: [UInt32], x: Double, y: Double, size: Double, angle: Double) {
        let c = cos(angle), s = sin(angle)
        add("BT \(pdfNumber(c)) \(pdfNumber(s)) \(pdfNumber(-s)) \(pdfNumber(c)) \(pdfNumber(x)) \(pdfNumber(y)) Tm ")
        addGlyphs(glyphs, size: size)
        add("ET\n")
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
