import HTTPTypes
import Hummingbird
import Testing
import ZeroTrip
@testable import ZeroTripServer

@Suite("A result document's PDF as an answer")
struct PDFResponseTests {
    static let id = DocumentID(rawValue: "0123456789abcdef0123456789abcdef")!

    @Test("API downloads are attachments, never cached; pages add nosniff; the public link opens inline")
    func headers() {
        let download = PDFResponse.make([0x25, 0x50, 0x44, 0x46], id: Self.id)
        #expect(download.headers[.contentType] == "application/pdf")
        #expect(download.headers[.contentDisposition] == "attachment; filename=\"\(Self.id).pdf\"")
        #expect(download.headers[.cacheControl] == "no-store")
        #expect(download.headers[HTTPField.Name("X-Content-Type-Options")!] == nil)

        let page = PDFResponse.page([0x25], id: Self.id)
        #expect(page.headers[.contentDisposition] == "attachment; filename=\"\(Self.id).pdf\"")
        #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")

        let shared = PDFResponse.page([0x25], id: Self.id, inline: true)
        #expect(shared.headers[.contentDisposition] == "inline; filename=\"\(Self.id).pdf\"")
        #expect(shared.headers[.cacheControl] == "no-store" && shared.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
    }
}
