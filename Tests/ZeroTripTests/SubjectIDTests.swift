import Foundation
import Testing
import ZeroTrip

@Suite("Subject ids")
struct SubjectIDTests {
    @Test("A person's and an organization's id: stored text, kind and back, and JSON as a plain string")
    func forms() throws {
        let person = SubjectID.person("a1b2c3")
        #expect(person.rawValue == "person:a1b2c3")
        #expect(person.personID == "a1b2c3" && person.organizationCode == nil)
        let organization = SubjectID.organization("91440604MA4W0XXXXX")
        #expect(organization.rawValue == "organization:91440604MA4W0XXXXX")
        #expect(organization.organizationCode == "91440604MA4W0XXXXX" && organization.personID == nil)
        // Text that is neither names no kind.
        #expect(SubjectID(rawValue: "id:4406**********0023").personID == nil)
        #expect(SubjectID(rawValue: "id:4406**********0023").organizationCode == nil)
        #expect(String(decoding: try JSONEncoder().encode(person), as: UTF8.self) == #""person:a1b2c3""#)
        #expect(try JSONDecoder().decode(SubjectID.self, from: Data(#""organization:X1""#.utf8)) == .organization("X1"))
    }
}
