import Foundation
import Testing
import ZeroTripTestSupport

@Suite("The fast inner loop skips every test tagged as using an external tool or a process")
struct FastLoopTests {
    @Test("Every @Suite or @Test tagged .externalTool or .process also carries .notInFastLoop (a tag alone skips nothing)")
    func taggedTestsLeaveTheFastLoop() throws {
        let tests = ExternalTool.repositoryRoot.appendingPathComponent("Tests")
        let files = FileManager.default.enumerator(at: tests, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        var tagged = 0
        for file in files where file.pathExtension == "swift" && file.lastPathComponent != "TestTags.swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            // An attribute runs from `@Suite(` or `@Test(` to the declaration it is on.
            for attribute in text.matches(of: /(?s)@(?:Suite|Test)\(.*?\)\s*(?:struct|func|final class|class|enum)\s/) {
                let words = attribute.output
                guard words.contains(".externalTool") || words.contains(".process") else { continue }
                tagged += 1
                #expect(words.contains(".notInFastLoop"), "\(file.lastPathComponent): \(words.prefix(160))")
            }
        }
        #expect(tagged > 20, "the scan found the tagged suites")
    }
}
