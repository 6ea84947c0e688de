/// A CBOR data item (RFC 8949), limited to what signed tokens need.
///
/// Encoding is deterministic (RFC 8949 §4.2.1): shortest integer and length forms, definite lengths,
/// map keys sorted by their encoded bytes. Decoding is strict and bounded: it refuses indefinite lengths,
/// non-shortest forms, duplicate or unsorted map keys, floats, trailing bytes, and inputs beyond the
/// ``CBOR/Limits`` before allocating for them.
public indirect enum CBOR: Hashable, Sendable {
    /// Major type 0.
    case unsigned(UInt64)
    /// Major type 1: the value is `-1 - n`.
    case negative(UInt64)
    /// Major type 2.
    case bytes([UInt8])
    /// Major type 3.
    case text(String)
    /// Major type 4.
    case array([CBOR])
    /// Major type 5, in encoding order.
    case map([(CBOR, CBOR)])
    /// Major type 6.
    case tagged(UInt64, CBOR)
    /// `true` / `false`.
    case bool(Bool)
    /// `null`.
    case null

    /// Creates an integer item.
    public static func int(_ value: Int64) -> CBOR {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }

    /// The integer value of `.unsigned` or `.negative` when it fits `Int64`.
    public var intValue: Int64? {
        switch self {
        case .unsigned(let n): n <= UInt64(Int64.max) ? Int64(n) : nil
        case .negative(let n): n <= UInt64(Int64.max) ? -1 - Int64(n) : nil
        default: nil
        }
    }

    /// The value for `key` in a map.
    public subscript(key: CBOR) -> CBOR? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    /// Equality by deterministic encoding.
    public static func == (lhs: CBOR, rhs: CBOR) -> Bool { lhs.encoded() == rhs.encoded() }
    /// Hashes the deterministic encoding.
    public func hash(into hasher: inout Hasher) { hasher.combine(encoded()) }

    // MARK: Encoding

    /// The deterministic encoding.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    private func encode(into out: inout [UInt8]) {
        switch self {
        case .unsigned(let n): Self.head(0, n, &out)
        case .negative(let n): Self.head(1, n, &out)
        case .bytes(let b): Self.head(2, UInt64(b.count), &out); out += b
        case .text(let s): let u = Array(s.utf8); Self.head(3, UInt64(u.count), &out); out += u
        case .array(let items):
            Self.head(4, UInt64(items.count), &out)
            for item in items { item.encode(into: &out) }
        case .map(let pairs):
            Self.head(5, UInt64(pairs.count), &out)
            let sorted = pairs.map { ($0.0.encoded(), $0.1) }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
            for (key, value) in sorted { out += key; value.encode(into: &out) }
        case .tagged(let tag, let item): Self.head(6, tag, &out); item.encode(into: &out)
        case .bool(let b): out.append(b ? 0xF5 : 0xF4)
        case .null: out.append(0xF6)
        }
    }

    private static func head(_ major: UInt8, _ value: UInt64, _ out: inout [UInt8]) {
        let m = major << 5
        switch value {
        case 0..<24: out.append(m | UInt8(value))
        case 24...0xFF: out += [m | 24, UInt8(value)]
        case 0x100...0xFFFF: out += [m | 25, UInt8(value >> 8), UInt8(value & 0xFF)]
        case 0x1_0000...0xFFFF_FFFF:
            out.append(m | 26); for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        default:
            out.append(m | 27); for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
    }

    // MARK: Decoding

    /// Bounds applied while decoding untrusted input.
    public struct Limits: Sendable {
        /// Largest input in bytes.
        public var maximumBytes = 4096
        /// Deepest nesting of arrays, maps and tags.
        public var maximumDepth = 8
        /// Most items in one array or map.
        public var maximumItems = 64
        /// The defaults (fit a QR token with a wide margin).
        public init() {}
        /// Explicit limits.
        public init(maximumBytes: Int, maximumDepth: Int, maximumItems: Int) {
            self.maximumBytes = maximumBytes
            self.maximumDepth = maximumDepth
            self.maximumItems = maximumItems
        }
    }

    /// A decoding failure.
    public struct DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
        /// Why decoding failed.
        public let message: String
        /// The message.
        public var description: String { message }
    }

    /// Decodes exactly one item from `bytes`, strictly and within `limits`.
    public static func decode(_ bytes: [UInt8], limits: Limits = .init()) throws(DecodingError) -> CBOR {
        guard bytes.count <= limits.maximumBytes else { throw DecodingError(message: "CBOR input exceeds \(limits.maximumBytes) bytes") }
        var reader = Reader(bytes: bytes, limits: limits)
        let item = try reader.item(depth: 0)
        guard reader.offset == bytes.count else { throw DecodingError(message: "trailing bytes after the CBOR item") }
        return item
    }

    struct Reader {
        let bytes: [UInt8]
        let limits: Limits
        var offset = 0

        mutating func byte() throws(DecodingError) -> UInt8 {
            guard offset < bytes.count else { throw DecodingError(message: "CBOR input ends early") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func take(_ count: UInt64) throws(DecodingError) -> [UInt8] {
            guard count <= UInt64(bytes.count - offset) else { throw DecodingError(message: "CBOR string runs past the end") }
            defer { offset += Int(count) }
            return Array(bytes[offset..<offset + Int(count)])
        }

        mutating func argument(_ info: UInt8) throws(DecodingError) -> UInt64 {
            let value: UInt64
            switch info {
            case 0..<24: return UInt64(info)
            case 24: value = UInt64(try byte()); guard value >= 24 else { throw DecodingError(message: "non-shortest CBOR integer") }
            case 25, 26, 27:
                let width = 1 << Int(info - 24)
                var v: UInt64 = 0
                for _ in 0..<width { v = v << 8 | UInt64(try byte()) }
                let minimum: UInt64 = width == 2 ? 0x100 : width == 4 ? 0x1_0000 : 0x1_0000_0000
                guard v >= minimum else { throw DecodingError(message: "non-shortest CBOR integer") }
                value = v
            default: throw DecodingError(message: "indefinite or reserved CBOR length")
            }
            return value
        }

        mutating func item(depth: Int) throws(DecodingError) -> CBOR {
            guard depth <= limits.maximumDepth else { throw DecodingError(message: "CBOR nesting deeper than \(limits.maximumDepth)") }
            let initial = try byte()
            let major = initial >> 5, info = initial & 0x1F
            switch major {
            case 0: return .unsigned(try argument(info))
            case 1: return .negative(try argument(info))
            case 2: return .bytes(try take(try argument(info)))
            case 3:
                let raw = try take(try argument(info))
                guard let text = String(validating: raw, as: UTF8.self) else { throw DecodingError(message: "CBOR text is not UTF-8") }
                return .text(text)
            case 4:
                let count = try argument(info)
                guard count <= UInt64(limits.maximumItems) else { throw DecodingError(message: "CBOR array longer than \(limits.maximumItems)") }
                var items: [CBOR] = []
                for _ in 0..<count { items.append(try item(depth: depth + 1)) }
                return .array(items)
            case 5:
                let count = try argument(info)
                guard count <= UInt64(limits.maximumItems) else { throw DecodingError(message: "CBOR map larger than \(limits.maximumItems)") }
                var pairs: [(CBOR, CBOR)] = []
                var previousKey: [UInt8]?
                for _ in 0..<count {
                    let start = offset
                    let key = try item(depth: depth + 1)
                    let keyBytes = Array(bytes[start..<offset])
                    if let previousKey, !previousKey.lexicographicallyPrecedes(keyBytes) {
                        throw DecodingError(message: "CBOR map keys duplicated or not in deterministic order")
                    }
                    previousKey = keyBytes
                    pairs.append((key, try item(depth: depth + 1)))
                }
                return .map(pairs)
            case 6: return .tagged(try argument(info), try item(depth: depth + 1))
            default:
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22: return .null
                default: throw DecodingError(message: "unsupported CBOR simple value or float")
                }
            }
        }
    }
}
