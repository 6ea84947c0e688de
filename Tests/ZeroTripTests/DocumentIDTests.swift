import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport

@Suite("Document ids are parsed once where they arrive")
struct DocumentIDTests {
    static let id = "0123456789abcdef0123456789abcdef"

    @Test(
        "Typed or scanned text: case folded, surrounding spaces ignored; anything but 32 hex digits is refused",
        arguments: [
            (id, id), (id.uppercased(), id), ("  \(id) ", id), (String(id.dropLast()), nil), (id + "0", nil),
            (String(id.dropLast()) + "g", nil), ("", nil), ("document:\(id)", nil), (String(repeating: "a", count: 65), nil),
        ] as [(String, String?)])
    func parsing(text: String, expected: String?) {
        #expect(DocumentID(text)?.rawValue == expected)
    }

    @Test("The stored form is exact: no case folding or trimming when reading it back")
    func storedForm() {
        #expect(DocumentID(rawValue: Self.id) != nil)
        #expect(DocumentID(rawValue: Self.id.uppercased()) == nil)
        #expect(DocumentID(rawValue: " \(Self.id)") == nil)
    }

    @Test("A name that is not an id is not_found, like an id nobody issued; JSON carries the plain digits")
    func namedAndCoded() throws {
        expectError(.notFound) { try DocumentID.named("../etc/passwd") }
        expectError(.notFound) { try DocumentID.named(nil) }
        #expect(try DocumentID.named(Self.id.uppercased()).rawValue == Self.id)
        let encoded = try JSONEncoder().encode([try DocumentID.named(Self.id)])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"\(Self.id)\"]")
        #expect(try JSONDecoder().decode([DocumentID].self, from: encoded).first?.rawValue == Self.id)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([DocumentID].self, from: Data("[\"\(Self.id.uppercased())\"]".utf8)) }
    }
}
