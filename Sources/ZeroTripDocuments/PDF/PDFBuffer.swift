/// The bytes of a PDF file being written in one pass, with the byte offset of every indirect object
/// for the cross-reference table (ISO 32000-1 §7.5).
struct PDFBuffer {
    private(set) var bytes: [UInt8] = []
    private(set) var offsets: [Int: Int] = [:]

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        // Header, then a comment of high bytes so transfer programs treat the file as binary (§7.5.2).
        append("%PDF-1.7\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".unicodeScalars.map { UInt8($0.value) })
    }

    var count: Int { bytes.count }

    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
    mutating func append(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    /// `n 0 obj <dictionary> endobj`.
    mutating func object(_ number: Int, _ dictionary: String) {
        offsets[number] = bytes.count
        append("\(number) 0 obj\n\(dictionary)\nendobj\n")
    }

    /// `n 0 obj <dictionary with /Length> stream … endstream endobj`. `dictionary` is the inside of `<< >>` without /Length.
    mutating func stream(_ number: Int, _ dictionary: String, _ data: [UInt8]) {
        offsets[number] = bytes.count
        append("\(number) 0 obj\n<< \(dictionary) /Length \(data.count) >>\nstream\n")
        append(data)
        append("\nendstream\nendobj\n")
    }

    /// Marks the start of object `number` written by hand.
    mutating func beginObject(_ number: Int) {
        offsets[number] = bytes.count
        append("\(number) 0 obj\n")
    }

    /// Overwrites bytes at `offset` (for the ByteRange and /Contents placeholders).
    mutating func patch(at offset: Int, with data: [UInt8]) {
        bytes.replaceSubrange(offset..<(offset + data.count), with: data)
    }

    /// Writes the cross-reference table and trailer for objects 1…`size - 1`.
    mutating func finish(size: Int, root: Int, id: String) {
        let xref = bytes.count
        append("xref\n0 \(size)\n0000000000 65535 f \n")
        for number in 1..<size {
            let offset = offsets[number]!
            let digits = String(offset)
            append(String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n")
        }
        append("trailer\n<< /Size \(size) /Root \(root) 0 R /ID [<\(id)> <\(id)>] >>\nstartxref\n\(xref)\n%%EOF\n")
    }
}

/// Content-stream number formatting: at most three decimals, no exponent, no trailing zeros.
@inline(__always)
func pdfNumber(_ value: Double) -> String {
    let scaled = (value * 1000).rounded()
    if scaled == 0 { return "0" }
    let negative = scaled < 0
    let magnitude = Int(abs(scaled))
    var text = String(magnitude / 1000)
    var fraction = magnitude % 1000
    if fraction != 0 {
        var digits = 3
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let f = String(fraction)
        text += "." + String(repeating: "0", count: digits - f.count) + f
    }
    return negative ? "-" + text : text
}

/// A PDF literal string with `(`, `)` and `\` escaped; ASCII only.
func pdfLiteral(_ text: String) -> String {
    var out = "("
    for scalar in text.unicodeScalars where scalar.isASCII {
        switch scalar {
        case "(", ")", "\\": out += "\\" + String(scalar)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + ")"
}
