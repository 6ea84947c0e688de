import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripServer
import ZeroTripDomainTestSupport

@Suite("The holder's switch for the public link to the original PDF")
struct PDFLinkTests {
    static func path(_ issued: IssuedDocument) -> String {
        String(issued.qrContent[issued.qrContent.range(of: "/V/?")!.lowerBound...])
    }

    @Test("A kiosk result links to its exact PDF from the scanned code; a courier result does not; the holder switches it, nobody else can")
    func holderSwitch() async throws {
        let fixture = try await ServerFixture()
        let kiosk = try await fixture.issueDocument()
        #expect(kiosk.record.pickupMode == .kioskPrint)
        let courier = try await fixture.services.documents.issue(
            IssueDocumentRequest(
                departmentCode: "RSJ", matterCode: "QZDJ", matterName: "求职登记证明", holderName: "李晓梅", holderIDNumber: "440604198506120023",
                fields: [ResultField(label: "求职意向", value: "电子商务")], validDays: 90, pickupMode: .delivery), actor: "test")
        let holder = try await fixture.applicant()
        let stranger = try await IdentityFixtures.windowSession(fixture.services, person: IdentityFixtures.zhang)
        @Sendable func bearer(_ token: String) -> HTTPFields {
            var fields = HTTPFields()
            fields[.authorization] = "Bearer \(token)"
            fields[.contentType] = "application/json"
            return fields
        }
        try await fixture.application().test(.router) { client in
            let kioskPath = Self.path(kiosk), pdfPath = "/P/?" + Self.path(kiosk).dropFirst(4)
            let page = try await client.execute(uri: kioskPath, method: .get) { String(buffer: $0.body) }
            #expect(page.contains("有效") && page.contains("href=\"\(pdfPath)\""), "the page links to the original")
            try await client.execute(uri: pdfPath, method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "application/pdf")
                #expect(Hex.encode(Digest.sha256(Array(response.body.readableBytesView))) == kiosk.record.pdfSHA256, "the exact stored bytes")
            }
            // Delivered on paper: no link, and the PDF URL refuses with a page saying why.
            let courierPage = try await client.execute(uri: Self.path(courier), method: .get) { String(buffer: $0.body) }
            #expect(courierPage.contains("有效") && !courierPage.contains("/P/?"))
            try await client.execute(uri: "/P/?" + Self.path(courier).dropFirst(4), method: .get) { response in
                #expect(response.status == .forbidden && String(buffer: response.body).contains("持证人未开放"))
            }
            // The holder's list says where the link is on; the holder switches the kiosk result off, then the courier one on.
            try await client.execute(uri: "/v1/applicant/documents", method: .get, headers: bearer(holder.token)) { response in
                let list = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                let links = Dictionary(
                    ((list?["documents"] as? [[String: Any]]) ?? []).map { ($0["id"] as? String ?? "", $0["pdfLink"] as? Bool) },
                    uniquingKeysWith: { a, _ in a })
                #expect(links[kiosk.record.id.rawValue] == true && links[courier.record.id.rawValue] == false)
            }
            for (document, enabled) in [(kiosk, false), (courier, true)] {
                try await client.execute(
                    uri: "/v1/applicant/documents/\(document.record.id.rawValue)/pdf-link", method: .put, headers: bearer(holder.token),
                    body: ByteBuffer(string: #"{"enabled": \#(enabled)}"#)
                ) { response in
                    #expect(response.status == .ok && String(buffer: response.body).contains(#""pdfLink":\#(enabled)"#))
                }
            }
            try await client.execute(uri: pdfPath, method: .get) { #expect($0.status == .forbidden) }
            #expect(try await client.execute(uri: kioskPath, method: .get) { String(buffer: $0.body) }.contains("/P/?") == false)
            try await client.execute(uri: "/P/?" + Self.path(courier).dropFirst(4), method: .get) { #expect($0.status == .ok) }
            // Another person cannot switch it (403, audited); a made-up number is 404; a malformed body 400.
            try await client.execute(
                uri: "/v1/applicant/documents/\(kiosk.record.id.rawValue)/pdf-link", method: .put, headers: bearer(stranger.token),
                body: ByteBuffer(string: #"{"enabled": true}"#)
            ) { response in
                #expect(response.status == .forbidden && String(buffer: response.body).contains("forbidden"))
            }
            try await client.execute(
                uri: "/v1/applicant/documents/\(String(repeating: "0", count: 32))/pdf-link", method: .put, headers: bearer(holder.token),
                body: ByteBuffer(string: #"{"enabled": true}"#)
            ) { #expect($0.status == .notFound) }
            try await client.execute(
                uri: "/v1/applicant/documents/\(kiosk.record.id.rawValue)/pdf-link", method: .put, headers: bearer(holder.token),
                body: ByteBuffer(string: #"{"enabled": "yes"}"#)
            ) { #expect($0.status == .badRequest) }
            try await client.execute(
                uri: "/v1/applicant/documents/\(kiosk.record.id.rawValue)/pdf-link", method: .put, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"enabled": true}"#)
            ) { #expect($0.status == .unauthorized) }
            // A revoked document hands out nothing, whatever the switch; neither does a forged or empty code.
            _ = try await fixture.services.documents.revoke(courier.record.id, reason: .issuedInError, actor: "test")
            try await client.execute(uri: "/P/?" + Self.path(courier).dropFirst(4), method: .get) { response in
                #expect(response.status == .notFound && !String(buffer: response.body).contains("%PDF"))
            }
            try await client.execute(uri: "/P/?ZT1:NOT-A-TOKEN", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/P/", method: .get) { #expect($0.status == .notFound) }
        }
        let events = try await AuditLog.events(in: fixture.services.database, limit: 200)
        #expect(events.filter { $0.action == "document.pdf_link.changed" }.count == 2)
        let denied = events.filter { $0.action == "auth.denied" && $0.target == "document:\(kiosk.record.id.rawValue)" }
        #expect(denied.map(\.actor) == [stranger.session.actor])
        // Anonymous downloads and refusals are counts per document per minute, written when flushed.
        try await fixture.services.anonymousAudit.flush(to: fixture.services.database)
        let shared = try await AuditLog.events(in: fixture.services.database, limit: 200).filter { $0.action == "document.pdf_shared" }
        #expect(shared.contains { $0.target == "document:\(kiosk.record.id.rawValue)" && $0.outcome == "success" })
        #expect(shared.contains { $0.target == "document:\(courier.record.id.rawValue)" && $0.outcome == "denied" })
    }
}
