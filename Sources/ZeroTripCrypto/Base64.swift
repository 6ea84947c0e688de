/// Standard and URL-safe Base64 (RFC 4648) without Foundation.
public enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Standard Base64 with padding.
    public static func encode(_ bytes: [UInt8]) -> String { encode(bytes, alphabet: standard, pad: true) }

    /// URL-safe Base64 without padding (RFC 4648 §5).
    public static func encodeURLSafe(_ bytes: [UInt8]) -> String { encode(bytes, alphabet: urlSafe, pad: false) }

    /// Decodes standard Base64 with optional padding; `nil` for any other character.
    public static func decodeStandard(_ text: String) -> [UInt8]? {
        var body = Substring(text)
        while body.hasSuffix("=") { body = body.dropLast() }
        guard text.utf8.count - body.utf8.count <= 2, !body.contains("-"), !body.contains("_") else { return nil }
        let urlForm = String(body.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
        return decodeURLSafe(urlForm)
    }

    /// Decodes URL-safe Base64 without padding; `nil` for any other character or an impossible length.
    public static func decodeURLSafe(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(c - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(c - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        if values.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var index = 0
        while index + 1 < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            let a = UInt32(chunk[chunk.startIndex]), b = UInt32(chunk[chunk.startIndex + 1])
            let c = chunk.count > 2 ? UInt32(chunk[chunk.startIndex + 2]) : 0
            let d = chunk.count > 3 ? UInt32(chunk[chunk.startIndex + 3]) : 0
            let word = a << 18 | b << 12 | c << 6 | d
            out.append(UInt8(truncatingIfNeeded: word >> 16))
            if chunk.count > 2 { out.append(UInt8(truncatingIfNeeded: word >> 8)) }
            if chunk.count > 3 { out.append(UInt8(truncatingIfNeeded: word)) }
            index += 4
        }
        // Reject non-canonical trailing bits so one token has exactly one encoding.
        guard encodeURLSafe(out) == text else { return nil }
        return out
    }

    private static func encode(_ bytes: [UInt8], alphabet: [UInt8], pad: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let word = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(word >> 18 & 63)])
            out.append(alphabet[Int(word >> 12 & 63)])
            if remaining > 1 { out.append(alphabet[Int(word >> 6 & 63)]) } else if pad { out.append(UInt8(ascii: "=")) }
            if remaining > 2 { out.append(alphabet[Int(word & 63)]) } else if pad { out.append(UInt8(ascii: "=")) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
