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

    @Test("Wrapped field values keep numbers whole and never start a line with 、 or 。 (read back with pdftotext)")
    func lineBreaking() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The amount lands at every position across the first line's end in one of these values.
        let values = (0..<24).map { "累计缴纳" + String(repeating: "缴", count: $0) + "61728.45元、其中个人部分12345.67元。" }
        var text = ""
        for chunk in stride(from: 0, to: values.count, by: 4) {
            var request = Self.request
            request.fields = values[chunk..<chunk + 4].enumerated().map { ResultField(label: "缴费说明\($0.offset + 1)", value: $0.element) }
            let document = try await district.services.documents.issue(request, actor: "test")
            let file = directory.appendingPathComponent("\(chunk).pdf")
            try Data(document.pdf).write(to: file)
            text += try ExternalTool.run(["pdftotext", "-enc", "UTF-8", file.path, "-"]).stdout
        }
        #expect(text.components(separatedBy: "61728.45").count - 1 == values.count, "an amount was broken across lines: \(text)")
        #expect(text.components(separatedBy: "12345.67").count - 1 == values.count, "an amount was broken across lines: \(text)")
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(!lines.contains { $0.hasPrefix("、") || $0.hasPrefix("。") }, "a line starts with a closing mark")
        #expect(lines.contains { $0.hasPrefix("61728.45") }, "some value wrapped right before the amount (the case being tested)")
    }

    @Test("A character the font lacks is refused naming the field and the character; a line break in a value starts a new line")
    func charactersAndLineBreaks() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        var rare = Self.request
        rare.fields[2] = ResultField(label: "工作单位", value: "𠮷野家餐饮有限公司")
        do {
            _ = try await district.services.documents.issue(rare, actor: "test")
            Issue.record("issued a character the font cannot draw")
        } catch let error as ZeroTripError {
            #expect(error.code == .unsupportedCharacter)
            #expect(error.message.contains("field 3 (工作单位)") && error.message.contains("𠮷 (U+20BB7)"), "\(error.message)")
        }
        #expect(try await district.services.documents.records(department: "RSJ", limit: 10).isEmpty, "nothing stored")

        var twoLines = Self.request
        twoLines.fields[2] = ResultField(label: "缴费起止", value: "2015年07月至2020年12月\n2021年03月至2026年10月")
        let document = try await district.services.documents.issue(twoLines, actor: "test")
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("lines.pdf")
        try Data(document.pdf).write(to: file)
        let lines = try ExternalTool.run(["pdftotext", "-enc", "UTF-8", file.path, "-"]).stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("2015年07月至2020年12月") && lines.contains("2021年03月至2026年10月"), "\(lines)")
    }

    @Test("The seal is stamped like ink (multiplied): text under its star stays black when rendered with pdftoppm")
    func sealKeepsTextReadable() async throws {
        let (_, _, file) = try await Self.issued()
        // The star of the seal: centre and radii as drawn, shrunk a little so anti-aliased edges do not count.
        let centre = (x: ResultDocumentRenderer.pageWidth - ResultDocumentRenderer.margin - ResultDocumentRenderer.sealSize + 8 + ResultDocumentRenderer.sealSize / 2,
                      y: ResultDocumentRenderer.sealCenterY)
        let star = (0..<10).map { point -> (Double, Double) in
            let angle = Double.pi / 2 + Double(point) * Double.pi / 5
            let r = (point % 2 == 0 ? 19.0 : 7.6) * 0.85
            return (centre.x + r * cos(angle), centre.y + r * sin(angle))
        }
        func insideStar(_ x: Double, _ y: Double) -> Bool {
            var inside = false
            var j = star.count - 1
            for i in star.indices {
                let (xi, yi) = star[i], (xj, yj) = star[j]
                if (yi > y) != (yj > y), x < (xj - xi) * (y - yi) / (yj - yi) + xi { inside.toggle() }
                j = i
            }
            return inside
        }
        let dpi = 150.0, scale = dpi / 72
        let left = Int((centre.x - 25) * scale), top = Int((ResultDocumentRenderer.pageHeight - centre.y - 25) * scale), side = Int(50 * scale)
        let prefix = file.deletingPathExtension().path + "-seal"
        let rendered = try ExternalTool.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-x", "\(left)", "-y", "\(top)", "-W", "\(side)", "-H", "\(side)", file.path, prefix])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let ppm = try [UInt8](Data(contentsOf: URL(fileURLWithPath: prefix + "-1.ppm")))
        // Binary PPM: "P6\n<w> <h>\n255\n" then RGB triples.
        var newlines = 0, start = 0
        while newlines < 3, start < ppm.count { if ppm[start] == 0x0A { newlines += 1 }; start += 1 }
        let header = String(decoding: ppm[0..<start], as: UTF8.self).split(whereSeparator: \.isWhitespace)
        let (width, height) = (Int(header[1])!, Int(header[2])!)
        var black = 0, red = 0
        for row in 0..<height {
            for column in 0..<width {
                let x = (Double(left + column) + 0.5) / scale, y = ResultDocumentRenderer.pageHeight - (Double(top + row) + 0.5) / scale
                guard insideStar(x, y) else { continue }
                let offset = start + 3 * (row * width + column)
                let (r, g, b) = (ppm[offset], ppm[offset + 1], ppm[offset + 2])
                if max(r, g, b) < 90 { black += 1 } else if r > 150 && g < 90 && b < 90 { red += 1 }
            }
        }
        #expect(red > 100, "the star is drawn (\(red) red pixels)")
        #expect(black > 20, "text under the star shows through (\(black) black pixels); an opaque seal hides it")
    }

    @Test("A 24-character title is set on two lines inside the margins (pdftotext -bbox), and nothing below it overlaps")
    func longTitle() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        var request = Self.request
        request.matterName = "城乡居民基本养老保险待遇领取资格认证结果告知证明"
        #expect(request.matterName.count == 24)
        let document = try await district.services.documents.issue(request, actor: "test")
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("title.pdf")
        try Data(document.pdf).write(to: file)
        let text = try ExternalTool.run(["pdftotext", "-enc", "UTF-8", file.path, "-"]).stdout
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let first = try #require(lines.firstIndex { request.matterName.hasPrefix($0) && !$0.isEmpty && $0.count > 6 })
        #expect(lines[first] + lines[first + 1] == request.matterName, "\(lines.prefix(6))")
        #expect(abs(lines[first].count - lines[first + 1].count) <= 2, "balanced: \(lines[first]) / \(lines[first + 1])")
        // Every word pdftotext places, within the side margins (56 pt of a 595 pt page), with a point of slack.
        let boxes = try ExternalTool.run(["pdftotext", "-bbox", file.path, "-"]).stdout
        for match in boxes.matches(of: /xMin="([0-9.]+)" yMin="[0-9.]+" xMax="([0-9.]+)"/) {
            let (xMin, xMax) = (Double(match.1)!, Double(match.2)!)
            #expect(xMin >= 55 && xMax <= 595.28 - 55, "text from \(xMin) to \(xMax) pt runs into the margin")
        }
        // The number and the rule moved down with the title: the number line follows the title's second line.
        #expect(lines[first + 2].hasPrefix("文书编号"), "\(lines.prefix(6))")
    }

    @Test("As many one-line fields as fit on the page: none of the text runs under the QR, only the issuer and date under the seal; one more is refused by name")
    func fullPageHasNoOverlap() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        var fitted: IssuedDocument?
        var refusal: ZeroTripError?
        for count in 1...20 {
            var request = Self.request
            request.fields = (1...count).map { ResultField(label: "项目\($0)", value: "第\($0)项内容已核实无误") }
            do {
                fitted = try await district.services.documents.issue(request, actor: "test")
            } catch let error as ZeroTripError {
                refusal = error
                break
            }
        }
        let document = try #require(fitted)
        #expect(document.record.fields.count >= 8, "only \(document.record.fields.count) one-line fields fit")
        let error = try #require(refusal, "20 fields fitted on one page")
        #expect(error.code == .invalidInput && error.message.contains("do not fit on one page"), "\(error.message)")
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("full.pdf")
        try Data(document.pdf).write(to: file)
        // pdftotext -bbox: word boxes in points from the top of the page.
        let height = ResultDocumentRenderer.pageHeight
        let qr = ResultDocumentRenderer.qrFrame
        let qrBox = (x0: qr.x, y0: height - qr.y - qr.size, x1: qr.x + qr.size, y1: height - qr.y)
        let sealX = ResultDocumentRenderer.pageWidth - ResultDocumentRenderer.margin - ResultDocumentRenderer.sealSize + 8
        let sealBox = (x0: sealX, y0: height - ResultDocumentRenderer.sealCenterY - ResultDocumentRenderer.sealSize / 2,
                       x1: sealX + ResultDocumentRenderer.sealSize, y1: height - ResultDocumentRenderer.sealCenterY + ResultDocumentRenderer.sealSize / 2)
        let boxes = try ExternalTool.run(["pdftotext", "-bbox", file.path, "-"]).stdout
        var underSeal: [String] = []
        var words = 0
        for match in boxes.matches(of: /xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</) {
            words += 1
            let (x0, y0, x1, y1) = (Double(match.1)!, Double(match.2)!, Double(match.3)!, Double(match.4)!)
            func overlaps(_ box: (x0: Double, y0: Double, x1: Double, y1: Double)) -> Bool {
                x0 < box.x1 - 0.5 && x1 > box.x0 + 0.5 && y0 < box.y1 - 0.5 && y1 > box.y0 + 0.5
            }
            #expect(!overlaps(qrBox), "\(match.5) runs under the QR")
            if overlaps(sealBox) { underSeal.append(String(match.5)) }
        }
        #expect(words > 30)
        // The issuer's name and the date (printed on the page), and the seal's own ring text and label.
        let issued = ChinaTime(document.record.issuedAt).chineseDate
        #expect(!underSeal.isEmpty && underSeal.allSatisfy { "区人力资源和社会保障局".contains($0) || $0 == issued || $0 == "电子印章" }, "under the seal: \(underSeal), date \(issued)")
    }

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
