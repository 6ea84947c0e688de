import Foundation
import ZeroTripCrypto

/// A result document's id: 32 lowercase hex digits, the register's key, printed in the document's footer and carried
/// in its QR token.
///
/// A type of its own because ids arrive from paths, scanned codes, CLI arguments and forms: parsed once where they
/// arrive (case folded, length and digits checked), a lookup can never be made with an unchecked string, and a
/// document id cannot be passed where a key id, an application id or a subject is expected.
public struct DocumentID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The 32 lowercase hex digits.
    public let rawValue: String

    /// The id `rawValue` when it is exactly 32 lowercase hex digits (as stored); nil otherwise.
    public init?(rawValue: String) {
        guard rawValue.utf8.count == 32, rawValue.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            return nil
        }
        self.rawValue = rawValue
    }

    /// The id a person or program typed or scanned: upper or lower case, surrounding spaces ignored; nil when it is not
    /// 32 hex digits.
    public init?(_ text: some StringProtocol) {
        guard text.utf8.count <= 64 else { return nil }
        self.init(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// A fresh random id (128 bits).
    static func generate() throws(CryptoError) -> DocumentID {
        DocumentID(uncheckedRawValue: Hex.encode(try SecureRandom.bytes(count: 16)))
    }

    /// An id known to be well formed (hex encoded here).
    init(uncheckedRawValue: String) {
        assert(DocumentID(rawValue: uncheckedRawValue) != nil)
        rawValue = uncheckedRawValue
    }

    /// The 32 hex digits, as stored, printed and audited (`document:<id>`).
    public var description: String { rawValue }

    public static func < (lhs: DocumentID, rhs: DocumentID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = DocumentID(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a document id is 32 lowercase hex digits"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension DocumentID: SQLValueConvertible {}

extension DocumentID {
    /// The document a path, argument or form names: text that is not 32 hex digits names no document, so it is
    /// `not_found` like an id nobody issued (the answer does not tell a malformed id from an unknown one).
    public static func named(_ text: String?) throws -> DocumentID {
        guard let text, let id = DocumentID(text) else {
            throw ZeroTripError(.notFound, "no document \(String((text ?? "").prefix(40)))")
        }
        return id
    }
}
