import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
@testable import ZeroTripDocuments
import ZeroTripTestSupport

/// Issued documents checked with tools nobody here wrote: qpdf, poppler (pdftotext, pdffonts, pdfsig, pdftoppm),
/// pyHanko and zxing-cpp. If they disagree with us, we are wrong.
@Suite("Result documents: issuance checked by independent tools", .serialized)
struct DocumentIssuanceTests {
    static let request = IssueDocumentRequest(
        departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: "张三丰", holderIDNumber: "440104199001010010",
        fields: [ResultField(label: "参保险种", value: "企业职工基本养老保险"), ResultField(label: "参保状态", value: "正常参保"),
                 ResultField(label: "缴费起止", value: "2015年07月至2026年10月"), ResultField(label: "累计缴费月数", value: "136个月")],
        validDays: 365, pickupMode: .qrSelfPrint)

    /// Issues one document into a fresh district and writes it, with the root certificate, to a directory that
    /// outlives the district (the district's own directory goes when the fixture is released).
    static func issued() async throws -> (TestDistrict, IssuedDocument, URL) {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        let document = try await district.services.documents.issue(request, actor: "test")
        let directory = try ExternalTool.temporaryDirectory()
        let file = directory.appendingPathComponent("\(document.record.id).pdf")
        try Data(document.pdf).write(to: file)
        try FileManager.default.copyItem(at: district.home.rootCertificateURL, to: directory.appendingPathComponent("root.pem"))
        return (district, document, file)
    }

    /// The root certificate copied beside `file`.
    static func root(beside file: URL) -> String { file.deletingLastPathComponent().appendingPathComponent("root.pem").path }

    @Test("qpdf --check finds no errors")
    func qpdfCheck() async throws {
        let (_, _, file) = try await Self.issued()
        let output = try ExternalTool.run(["qpdf", "--check", file.path])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        #expect(output.stdout.contains("No syntax or stream encoding errors found"))
    }

    @Test("pdftotext returns the title, department and field values exactly; pdffonts shows embedded subsets with ToUnicode")
    func textAndFonts() async throws {
        let (_, document, file) = try await Self.issued()
        let text = try ExternalTool.run(["pdftotext", "-enc", "UTF-8", file.path, "-"]).stdout
        let lines = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for expected in ["个人参保证明", "区人力资源和社会保障局", "张三丰", "440104199001010010", "企业职工基本养老保险", "正常参保",
                         "2015年07月至2026年10月", "136个月", "参保险种", "累计缴费月数", "禅城区"] {
            #expect(lines.contains(expected), "pdftotext lacks the line \(expected): \(text)")
        }
        #expect(text.contains(ResultDocumentRenderer.groupedID(document.record.id)))
        let fonts = try ExternalTool.run(["pdffonts", file.path]).stdout
        let rows = fonts.split(separator: "\n").dropFirst(2)
        #expect(rows.count == 2, "expected the template font and the per-document font: \(fonts)")
        for row in rows {
            let columns = row.split(separator: " ", omittingEmptySubsequences: true)
            #expect(row.contains("CID TrueType") && row.contains("Identity-H"), "\(row)")
            #expect(columns.suffix(5).prefix(3) == ["yes", "yes", "yes"], "emb/sub/uni must all be yes: \(row)")
            #expect(columns[0].dropFirst(6).hasPrefix("+"), "subset tag missing: \(row)")
        }
    }

    @Test("pyHanko, with the district root as the only trust anchor: intact, trusted, whole file, PAdES B-B")
    func pyHanko() async throws {
        let (_, _, file) = try await Self.issued()
        let output = try ExternalTool.run(["python3", ExternalTool.validator("pyhanko_validate.py"), file.path, Self.root(beside: file)])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(report["intact"] as? Bool == true)
        #expect(report["trusted"] as? Bool == true)
        #expect(report["bottom_line"] as? Bool == true)
        #expect(report["coverage"] as? String == "ENTIRE_FILE")
        #expect(report["pades_level"] as? String == "B-B")
        let checks = report["pades_checks"] as? [String: Any] ?? [:]
        #expect(checks["no_signing_time_attr"] as? Bool == true)
        #expect(checks["signing_certificate_v2_attr"] as? Bool == true)
    }

    @Test("pdfsig: signature valid, certificate trusted (root in an NSS database), total document signed")
    func pdfsig() async throws {
        let (_, _, file) = try await Self.issued()
        let output = try ExternalTool.run(["bash", ExternalTool.validator("pdfsig_check.sh"), file.path, Self.root(beside: file)])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        #expect(output.stdout.contains("Signature is Valid."))
        #expect(output.stdout.contains("Certificate is Trusted."))
        #expect(output.stdout.contains("Total document signed"))
    }

    @Test("Rendering page 1 and decoding it with zxing-cpp yields the token, which verifies; the QR stays within version 13")
    func qrFromRenderedPage() async throws {
        let (district, document, file) = try await Self.issued()
        let prefix = file.deletingLastPathComponent().appendingPathComponent("page").path
        #expect(try ExternalTool.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", file.path, prefix]).status == 0)
        let output = try ExternalTool.run(["python3", ExternalTool.validator("decode_qr.py"), prefix + "-1.png"])
        #expect(output.status == 0, "\(output.stderr)")
        struct Decoded: Decodable { struct Code: Decodable { var text: String; var version: Int? }; var codes: [Code] }
        let decoded = try JSONDecoder().decode(Decoded.self, from: Data(output.stdout.utf8))
        let scanned = try #require(decoded.codes.first)
        #expect(scanned.text == document.qrContent)
        #expect((scanned.version ?? document.qr.version) <= 13)
        #expect(document.qrContent.utf8.count <= 400)
        let report = try await district.services.documents.verifyToken(scanned.text, actor: "test")
        #expect(report.result == .valid, "\(report.reasons)")
        #expect(report.document?.id == document.record.id)
        #expect(report.document?.holderName == "张**")
    }

    @Test("The token's dig is the SHA-256 of page 1's first content stream, recomputed by an independent PDF reader")
    func digRecomputed() async throws {
        let (_, document, file) = try await Self.issued()
        let output = try ExternalTool.run(["python3", "-c", """
            import sys, hashlib
            from pypdf import PdfReader
            page = PdfReader(sys.argv[1]).pages[0]
            print(hashlib.sha256(page["/Contents"][0].get_object().get_data()).hexdigest())
            """, file.path])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == document.record.contentSHA256)
    }

    @Test("The register keeps the exact PDF bytes and their SHA-256; stored documents cannot be rewritten or deleted")
    func registerIsImmutable() async throws {
        let (district, document, _) = try await Self.issued()
        let stored = try await #require(try district.services.documents.pdf(id: document.record.id))
        #expect(stored == document.pdf)
        #expect(Digest.sha256(stored) == Hex.decode(document.record.pdfSHA256))
        let refusals = [
            ("UPDATE document_pdfs SET pdf = x'00' WHERE document_id = ?", "immutable"),
            ("DELETE FROM document_pdfs WHERE document_id = ?", "never deleted"),
            ("UPDATE documents SET token = 'x' WHERE id = ?", "immutable"),
            ("DELETE FROM documents WHERE id = ?", "never deleted"),
        ]
        for (sql, reason) in refusals {
            let error = await #expect(throws: SQLFailure.self) {
                try await district.services.database.write { db in try db.execute(sql: sql, arguments: [document.record.id]) }
            }
            #expect(error?.kind == .ruleViolation && error?.message.contains(reason) == true, "\(sql)")
        }
        await #expect(try district.services.documents.pdf(id: document.record.id) == document.pdf)
        let events = try await AuditLog.events(in: district.services.database, limit: 10)
        #expect(events.contains { $0.action == "document.issued" && $0.target == "document:\(document.record.id)" && !$0.details.contains("440104") })
    }
}
