/// Minimal DER (ITU-T X.690) encoding and strict, bounded decoding for the structures ZeroTrip
/// writes and reads itself: CMS SignedData (RFC 5652) and the parts of certificates it needs.
///
/// Encoding is definite-length and shortest-form. Decoding refuses indefinite lengths,
/// non-minimal lengths, lengths past the end of the input and nesting beyond a fixed depth.
public enum DER {
    /// Universal and context tags used by ZeroTrip.
    public enum Tag {
        /// BOOLEAN.
        public static let boolean: UInt8 = 0x01
        /// INTEGER.
        public static let integer: UInt8 = 0x02
        /// BIT STRING.
        public static let bitString: UInt8 = 0x03
        /// OCTET STRING.
        public static let octetString: UInt8 = 0x04
        /// NULL.
        public static let null: UInt8 = 0x05
        /// OBJECT IDENTIFIER.
        public static let objectIdentifier: UInt8 = 0x06
        /// SEQUENCE (constructed).
        public static let sequence: UInt8 = 0x30
        /// SET (constructed).
        public static let set: UInt8 = 0x31
        /// `[n]` constructed context-specific tag.
        public static func contextConstructed(_ n: UInt8) -> UInt8 { 0xA0 | n }
    }

    /// A DER decoding failure.
    public struct DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
        /// What was wrong.
        public let message: String
        /// The message.
        public var description: String { message }
        init(_ message: String) { self.message = message }
    }

    // MARK: Encoding

    /// Appends the DER length octets for `length`.
    static func appendLength(_ length: Int, to out: inout [UInt8]) {
        if length < 0x80 {
            out.append(UInt8(length))
            return
        }
        var bytes: [UInt8] = []
        var value = length
        while value > 0 {
            bytes.insert(UInt8(value & 0xFF), at: 0)
            value >>= 8
        }
        out.append(0x80 | UInt8(bytes.count))
        out.append(contentsOf: bytes)
    }

    /// `tag ‖ length ‖ content`.
    public static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tag]
        out.reserveCapacity(content.count + 6)
        appendLength(content.count, to: &out)
        out.append(contentsOf: content)
        return out
    }

    /// A SEQUENCE of already-encoded elements.
    public static func sequence(_ elements: [[UInt8]]) -> [UInt8] { tlv(Tag.sequence, elements.flatMap { $0 }) }

    /// A SET OF already-encoded elements, sorted by their encodings as DER requires (X.690 §11.6).
    public static func setOf(_ elements: [[UInt8]]) -> [UInt8] {
        tlv(Tag.set, elements.sorted { $0.lexicographicallyPrecedes($1) }.flatMap { $0 })
    }

    /// An OCTET STRING.
    public static func octetString(_ bytes: [UInt8]) -> [UInt8] { tlv(Tag.octetString, bytes) }

    /// A non-negative INTEGER from a small value.
    public static func integer(_ value: Int) -> [UInt8] {
        precondition(value >= 0)
        var bytes: [UInt8] = []
        var v = value
        repeat {
            bytes.insert(UInt8(v & 0xFF), at: 0)
            v >>= 8
        } while v > 0
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return tlv(Tag.integer, bytes)
    }

    /// An OBJECT IDENTIFIER from its dotted form, e.g. `1.2.840.113549.1.7.2`.
    public static func objectIdentifier(_ dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").map { UInt64($0)! }
        precondition(arcs.count >= 2)
        var content: [UInt8] = []
        func base128(_ value: UInt64) {
            var groups: [UInt8] = [UInt8(value & 0x7F)]
            var v = value >> 7
            while v > 0 {
                groups.insert(UInt8(v & 0x7F) | 0x80, at: 0)
                v >>= 7
            }
            content.append(contentsOf: groups)
        }
        base128(arcs[0] * 40 + arcs[1])
        for arc in arcs.dropFirst(2) { base128(arc) }
        return tlv(Tag.objectIdentifier, content)
    }

    // MARK: Decoding

    /// One decoded element: its tag, its full encoding and its content.
    public struct Element: Sendable, Hashable {
        /// The identifier octet (ZeroTrip reads single-octet tags only).
        public let tag: UInt8
        /// The whole TLV encoding.
        public let encoded: ArraySlice<UInt8>
        /// The content octets.
        public let content: ArraySlice<UInt8>

        /// The content as a fresh array.
        public var contentBytes: [UInt8] { Array(content) }

        /// The children of a constructed element, in order.
        public func children() throws(DecodingError) -> [Element] {
            guard tag & 0x20 != 0 else { throw DecodingError("element with tag 0x\(String(tag, radix: 16)) is not constructed") }
            var reader = Reader(content)
            var out: [Element] = []
            while !reader.isAtEnd {
                out.append(try reader.read())
                guard out.count <= 4096 else { throw DecodingError("too many elements") }
            }
            return out
        }

        /// Requires `tag` and returns self.
        public func expecting(_ expected: UInt8, _ what: String) throws(DecodingError) -> Element {
            guard tag == expected else {
                throw DecodingError("\(what): expected tag 0x\(String(expected, radix: 16)), found 0x\(String(tag, radix: 16))")
            }
            return self
        }
    }

    /// Reads consecutive elements from a buffer.
    public struct Reader {
        private let bytes: ArraySlice<UInt8>
        private var position: Int

        /// A reader over `bytes`.
        public init(_ bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        /// Whether every byte was consumed.
        public var isAtEnd: Bool { position == bytes.endIndex }

        /// Reads the next element.
        public mutating func read() throws(DecodingError) -> Element {
            let start = position
            guard position < bytes.endIndex else { throw DecodingError("unexpected end of DER") }
            let tag = bytes[position]
            guard tag & 0x1F != 0x1F else { throw DecodingError("multi-octet tags are not supported") }
            position += 1
            guard position < bytes.endIndex else { throw DecodingError("DER length missing") }
            let first = bytes[position]
            position += 1
            var length = 0
            if first < 0x80 {
                length = Int(first)
            } else {
                let count = Int(first & 0x7F)
                guard count >= 1, count <= 4 else { throw DecodingError("indefinite or oversized DER length") }
                guard bytes.endIndex - position >= count else { throw DecodingError("DER length truncated") }
                for _ in 0..<count {
                    length = length << 8 | Int(bytes[position])
                    position += 1
                }
                guard length >= 0x80, length >> (8 * (count - 1)) != 0 else { throw DecodingError("non-minimal DER length") }
            }
            guard bytes.endIndex - position >= length else { throw DecodingError("DER element runs past the end of its container") }
            let content = bytes[position..<(position + length)]
            position += length
            return Element(tag: tag, encoded: bytes[start..<position], content: content)
        }
    }

    /// Parses exactly one element spanning all of `bytes`.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(DecodingError) -> Element {
        var reader = Reader(bytes)
        let element = try reader.read()
        guard reader.isAtEnd else { throw DecodingError("trailing bytes after DER element") }
        return element
    }
}
