/// Base45 (RFC 9285): the QR alphanumeric-mode friendly encoding the EU DCC uses.
public enum Base45 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    /// A decoding failure.
    public struct DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
        /// Why decoding failed.
        public let message: String
        /// The message.
        public var description: String { message }
    }

    /// Encodes bytes: each pair becomes three characters, a final single byte two.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 1) / 2 * 3)
        var index = 0
        while index + 1 < bytes.count {
            var n = Int(bytes[index]) << 8 | Int(bytes[index + 1])
            for _ in 0..<3 { out.append(alphabet[n % 45]); n /= 45 }
            index += 2
        }
        if index < bytes.count {
            var n = Int(bytes[index])
            for _ in 0..<2 { out.append(alphabet[n % 45]); n /= 45 }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes text, refusing characters outside the alphabet, impossible lengths and
    /// out-of-range groups, and any input longer than `maximumLength` characters before allocating.
    public static func decode(_ text: String, maximumLength: Int = 4096) throws(DecodingError) -> [UInt8] {
        let utf8 = Array(text.utf8.prefix(maximumLength + 1))
        guard utf8.count <= maximumLength else { throw DecodingError(message: "Base45 input longer than \(maximumLength) characters") }
        guard utf8.count % 3 != 1 else { throw DecodingError(message: "Base45 input length \(utf8.count) is impossible") }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 3 * 2 + 1)
        var index = 0
        while index < utf8.count {
            let group = utf8[index..<min(index + 3, utf8.count)]
            var n = 0
            var factor = 1
            for character in group {
                let value = values[Int(character)]
                guard value >= 0 else { throw DecodingError(message: "character outside the Base45 alphabet") }
                n += Int(value) * factor
                factor *= 45
            }
            if group.count == 3 {
                guard n <= 0xFFFF else { throw DecodingError(message: "Base45 group out of range") }
                out.append(UInt8(n >> 8))
                out.append(UInt8(n & 0xFF))
            } else {
                guard n <= 0xFF else { throw DecodingError(message: "Base45 group out of range") }
                out.append(UInt8(n))
            }
            index += 3
        }
        return out
    }
}
