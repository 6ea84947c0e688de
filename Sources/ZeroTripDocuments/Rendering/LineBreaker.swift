/// Where a run of text may break across lines, for Chinese documents that also carry numbers and Latin words.
///
/// A simplified reading of UAX #14 with the Chinese line-start and line-end rules (GB/T 15834's punctuation and the
/// usual 避头尾 lists): a break may fall between two CJK characters, after a space, and between a CJK character and
/// a number or Latin word — never inside a number or word ("617.28", "2015", "ZT1:"), never before a closing mark
/// that may not start a line (、。，）…) and never after an opening mark that may not end one (（「“…). When a piece
/// that may not break is wider than the line, it is broken where it must, so nothing runs off the page.
public enum LineBreaker {
    /// How a character behaves at a line edge.
    enum Kind: Equatable {
        /// A CJK character or anything else that may break on either side.
        case ideographic
        /// Part of a number or a Latin word: ASCII letters and digits, and the marks inside numbers and codes.
        case word
        /// A space: a line may break after it.
        case space
        /// May not start a line (closing brackets, 、。，：；！？ and their ASCII forms after CJK text).
        case closing
        /// May not end a line (opening brackets and quotes, currency signs before amounts).
        case opening
    }

    static func kind(of scalar: Unicode.Scalar) -> Kind {
        switch scalar {
        case " ", "\u{3000}": return .space
        case "、", "。", "，", "．", "：", "；", "！", "？", "）", "】", "」", "』", "》", "〉", "〕", "］", "｝", "”", "’",
            "…", "‥", "—", "～", "·", "・", "％", "‰", "℃", "々", "〆", "ー", ")", "]", "}":
            return .closing
        case "（", "【", "「", "『", "《", "〈", "〔", "［", "｛", "“", "‘", "¥", "￥", "$", "＄", "(", "[", "{":
            return .opening
        default:
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ".,:/%-+_'@#&=*~!?;".unicodeScalars.contains(scalar)
            {
                return .word
            }
            return .ideographic
        }
    }

    /// Whether a line may end between `before` and `after`.
    static func mayBreak(between before: Kind, and after: Kind) -> Bool {
        if after == .closing || before == .opening { return false }
        if before == .word && after == .word { return false }
        if after == .space { return false }  // a space stays at the end of the line it follows
        return true
    }

    /// Lines of `scalars`, each the indices of its characters, so that no line is wider than `width` given each
    /// character's `widths` (same count).
    public static func lines(_ scalars: [Unicode.Scalar], widths: [Double], width: Double) -> [Range<Int>] {
        precondition(scalars.count == widths.count)
        guard !scalars.isEmpty else { return [0..<0] }
        let kinds = scalars.map(kind(of:))
        var lines: [Range<Int>] = []
        var start = 0
        var lineWidth = 0.0
        // The last index where the current line may end (the break falls before it), if any.
        var lastBreak: Int?
        var index = 0
        while index < scalars.count {
            if index > start, mayBreak(between: kinds[index - 1], and: kinds[index]) { lastBreak = index }
            if lineWidth + widths[index] > width, index > start {
                // Over the width: end at the last allowed break, or here when the line has none (an unbreakable run
                // wider than the line, broken where it must).
                let end = lastBreak ?? index
                lines.append(start..<end)
                // The next line starts at the break; what it carries over is measured again from there.
                start = end
                index = end
                lineWidth = 0
                lastBreak = nil
                continue
            }
            lineWidth += widths[index]
            index += 1
        }
        lines.append(start..<scalars.count)
        return lines
    }
}
