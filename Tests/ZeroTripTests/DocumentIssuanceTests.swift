import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
@testable import ZeroTripDocuments
import ZeroTripTestSupport

/// Issued documents checked with tools nobody here wrote: qpdf, poppler (pdftotext, pdffonts, pdfsig, pdftoppm),
/// pyHanko and zxing-cpp. If they disagree with us, we are wrong.
@Suite("Result documents: issuance checked by independent tools", .tags(.externalTool), .notInFastLoop, .serialized)
struct DocumentIssuanceTests {
    static let request = IssueDocumentRequest(
        departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: "张三丰", holderIDNumber: "440104199001010010",
        fields: [
            ResultField(label: "参保险种", value: "企业职工基本养老保险"), ResultField(label: "参保状态", value: "正常参保"),
            ResultField(label: "缴费起止", value: "2015年07月至2026年10月"), ResultField(label: "累计缴费月数", value: "136个月"),
        ],
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

    @Test(
        "Rare characters (CJK Extension B and E) in the holder's name and a value are drawn from the fallback font; one no font has is refused naming the field and the character; a line break in a value starts a new line"
    )
    func charactersAndLineBreaks() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        // 𠮷 (U+20BB7) and 𬌗 (U+2C317) are outside the main font; no installed font has U+30000 (Extension G).
        var missing = Self.request
        missing.fields[2] = ResultField(label: "工作单位", value: "\u{30000}野家餐饮有限公司")
        do {
            _ = try await district.services.documents.issue(missing, actor: "test")
            Issue.record("issued a character no font can draw")
        } catch let error as ZeroTripError {
            #expect(error.code == .unsupportedCharacter)
            #expect(error.message.contains("field 3 (工作单位)") && error.message.contains("\u{30000} (U+30000)"), "\(error.message)")
        }
        #expect(try await district.services.documents.records(department: "RSJ", limit: 10).isEmpty, "nothing stored")

        _ = try await district.services.identity.registry.importCSV(
            Array("id_number,name,phone,card_valid_from,card_valid_until\n440104199202020071,𠮷田𬌗,13900000031,2018-01-15,长期\n".utf8), actor: "test")
        var rare = Self.request
        rare.holderName = "𠮷田𬌗"
        rare.holderIDNumber = "440104199202020071"
        rare.fields[2] = ResultField(label: "工作单位", value: "𠮷 野家 𬌗")
        let issued = try await district.services.documents.issue(rare, actor: "test")
        let rareDirectory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: rareDirectory) }
        let rareFile = rareDirectory.appendingPathComponent("rare.pdf")
        try Data(issued.pdf).write(to: rareFile)
        let text = try ExternalTool.run(["pdftotext", "-enc", "UTF-8", rareFile.path, "-"]).stdout
        #expect(text.contains("𠮷田𬌗") && text.contains("𠮷 野家 𬌗"), "\(text)")
        let fonts = try ExternalTool.run(["pdffonts", rareFile.path]).stdout
        #expect(fonts.contains("HanaMin"), "the fallback font is embedded: \(fonts)")
        for row in fonts.split(separator: "\n").dropFirst(2) {
            #expect(row.split(separator: " ", omittingEmptySubsequences: true).suffix(5).prefix(3) == ["yes", "yes", "yes"], "emb/sub/uni: \(row)")
        }
        #expect(try ExternalTool.run(["qpdf", "--check", rareFile.path]).status == 0)
        // Each rare character, drawn alone as a word of the value, leaves ink where pdftotext places it.
        let words = try Self.words(rareFile).filter { $0.text == "𠮷" || $0.text == "𬌗" }
        #expect(words.count == 2, "\(words.map(\.text))")
        let scale = 150.0 / 72
        for word in words {
            let prefix = rareDirectory.appendingPathComponent("glyph-\(word.text.unicodeScalars.first!.value)").path
            let crop = [
                "-x", "\(Int(word.x0 * scale))", "-y", "\(Int(word.y0 * scale))", "-W", "\(Int((word.x1 - word.x0) * scale) + 1)", "-H",
                "\(Int((word.y1 - word.y0) * scale) + 1)",
            ]
            #expect(try ExternalTool.run(["pdftoppm", "-r", "150", "-gray", "-f", "1", "-l", "1"] + crop + [rareFile.path, prefix]).status == 0)
            let pgm = try [UInt8](Data(contentsOf: URL(fileURLWithPath: prefix + "-1.pgm")))
            var newlines = 0, start = 0
            while newlines < 3, start < pgm.count { if pgm[start] == 0x0A { newlines += 1 }; start += 1 }
            let ink = pgm[start...].count { $0 < 128 }
            #expect(ink > 40, "\(word.text) drawn with \(ink) dark pixels")
        }
        let report = try await district.services.documents.verifyPDF(issued.pdf, actor: "test")
        #expect(
            report.result == .valid && report.document?.holderName == "𠮷**", "\(report.reasons) \(String(describing: report.document?.holderName))")

        var twoLines = Self.request
        twoLines.fields[2] = ResultField(label: "缴费起止", value: "2015年07月至2020年12月\n2021年03月至2026年10月")
        let document = try await district.services.documents.issue(twoLines, actor: "test")
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("lines.pdf")
        try Data(document.pdf).write(to: file)
        let lines = try ExternalTool.run(["pdftotext", "-enc", "UTF-8", file.path, "-"]).stdout.split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        #expect(lines.contains("2015年07月至2020年12月") && lines.contains("2021年03月至2026年10月"), "\(lines)")
    }

    @Test("The seal is stamped like ink (multiplied): text under its star stays black when rendered with pdftoppm")
    func sealKeepsTextReadable() async throws {
        let (_, _, file) = try await Self.issued()
        // The star of the seal: centre and radii as drawn, shrunk a little so anti-aliased edges do not count.
        let centre = (
            x: ResultDocumentRenderer.pageWidth - ResultDocumentRenderer.margin - ResultDocumentRenderer.sealSize + 8 + ResultDocumentRenderer
                .sealSize / 2,
            y: ResultDocumentRenderer.sealCenterY
        )
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
        let rendered = try ExternalTool.run([
            "pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-x", "\(left)", "-y", "\(top)", "-W", "\(side)", "-H", "\(side)", file.path, prefix,
        ])
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

    /// Word boxes of every page (pdftotext -bbox), in points from the top of the page.
    struct Word { var page: Int; var x0, y0, x1, y1: Double; var text: String }

    static func words(_ file: URL) throws -> [Word] {
        let boxes = try ExternalTool.run(["pdftotext", "-bbox", file.path, "-"]).stdout
        var words: [Word] = []
        for (index, page) in boxes.components(separatedBy: "<page ").dropFirst().enumerated() {
            for match in page.matches(of: /xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</) {
                words.append(
                    Word(
                        page: index + 1, x0: Double(match.1)!, y0: Double(match.2)!, x1: Double(match.3)!, y1: Double(match.4)!,
                        text: String(match.5)))
            }
        }
        return words
    }

    /// A field value of `count` characters: Chinese text with amounts and dates that must not break.
    static func longValue(_ count: Int, seed: Int) -> String {
        var value = ""
        var part = 0
        while value.count < count {
            value += "第\(seed)项第\(part)段：2015年07月缴费61728.45元已核实，"
            part += 1
        }
        return String(value.prefix(count))
    }

    @Test(
        "Tables of any size the limits allow flow over pages: nothing overlaps the QR, the seal (only issuer and date), the margins or the footer; pages numbered; the QR and seal on the last page",
        arguments: [(1, 10), (11, 10), (12, 10), (20, 10), (20, 400)])
    func pagination(fields: Int, length: Int) async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        var request = Self.request
        request.fields = (1...fields).map { ResultField(label: "项目\($0)", value: length <= 10 ? "第\($0)项内容已核实无误" : Self.longValue(length, seed: $0)) }
        let document = try await district.services.documents.issue(request, actor: "test")
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("table.pdf")
        try Data(document.pdf).write(to: file)
        let info = try ExternalTool.run(["pdfinfo", file.path]).stdout
        let pages = try #require(info.firstMatch(of: /Pages:\s+(\d+)/).map { Int($0.1)! })
        if fields <= 11 && length <= 10 { #expect(pages == 1, "\(fields) one-line fields fit on one page") }
        if length == 400 { #expect(pages >= 5, "twenty 400-character fields on \(pages) pages") }
        if fields == 12 { #expect(pages == 2, "the 12th one-line field moves with the seal to page 2 (\(pages) pages)") }

        let words = try Self.words(file)
        let height = ResultDocumentRenderer.pageHeight, width = ResultDocumentRenderer.pageWidth
        let qr = ResultDocumentRenderer.qrFrame
        let qrBox = (x0: qr.x, y0: height - qr.y - qr.size, x1: qr.x + qr.size, y1: height - qr.y)
        let sealX = width - ResultDocumentRenderer.margin - ResultDocumentRenderer.sealSize + 8
        let sealBox = (
            x0: sealX, y0: height - ResultDocumentRenderer.sealCenterY - ResultDocumentRenderer.sealSize / 2,
            x1: sealX + ResultDocumentRenderer.sealSize, y1: height - ResultDocumentRenderer.sealCenterY + ResultDocumentRenderer.sealSize / 2
        )
        let issued = ChinaTime(document.record.issuedAt).chineseDate
        let footerZone = height - ResultDocumentRenderer.pageBottom + 8
        var valueText = ""
        for word in words {
            func overlaps(_ box: (x0: Double, y0: Double, x1: Double, y1: Double)) -> Bool {
                word.x0 < box.x1 - 0.5 && word.x1 > box.x0 + 0.5 && word.y0 < box.y1 - 0.5 && word.y1 > box.y0 + 0.5
            }
            #expect(word.x0 >= 55 && word.x1 <= width - 55, "page \(word.page): \(word.text) runs into the side margin")
            if word.page == pages {
                #expect(!overlaps(qrBox), "\(word.text) runs under the QR")
                if overlaps(sealBox) {
                    #expect("区人力资源和社会保障局".contains(word.text) || word.text == issued || word.text == "电子印章", "\(word.text) is under the seal")
                }
            } else {
                // Above the footer lines, or one of them: no row of the table reaches the footer.
                let inFooter = word.y0 >= footerZone
                #expect(word.y1 <= height - ResultDocumentRenderer.pageBottom + 2 || inFooter, "page \(word.page): \(word.text) runs into the footer")
                if inFooter {
                    #expect(
                        word.text.hasPrefix("本文书由") || word.text.hasPrefix("核验：扫描末页二维码") || word.text.hasPrefix("http")
                            || ["第", "页", "共"].contains(word.text) || Int(word.text) != nil, "page \(word.page): \(word.text) in the footer")
                }
            }
            if word.x0 >= ResultDocumentRenderer.margin + 132, word.y1 < footerZone - 8 { valueText += word.text }
        }
        // Every value, read back in page and line order from the value column, whole (no row was cut or lost).
        for field in request.fields { #expect(valueText.contains(field.value), "\(field.label) is not on the pages whole") }
        if pages > 1 {
            for page in 1...pages {
                let line = words.filter { $0.page == page && $0.y0 >= height - 40 }.map(\.text).joined()
                #expect(line == "第\(page)页共\(pages)页", "page \(page) numbered \(line)")
            }
            #expect(words.contains { $0.page == 2 && $0.text == "\(request.matterName)（续页）" }, "a continuation page names the document")
        }

        // The QR on the last page decodes to the token, which verifies; the seal's widget is on that page.
        let prefix = directory.appendingPathComponent("last").path
        #expect(try ExternalTool.run(["pdftoppm", "-r", "150", "-png", "-f", "\(pages)", "-l", "\(pages)", file.path, prefix]).status == 0)
        let png = try #require(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasPrefix("last") && $0.hasSuffix(".png") })
        let decoded = try ExternalTool.run(["python3", ExternalTool.validator("decode_qr.py"), directory.appendingPathComponent(png).path])
        #expect(decoded.status == 0 && decoded.stdout.contains(document.qrContent), "\(decoded.stdout) \(decoded.stderr)")
        if length == 400 {
            #expect(try ExternalTool.run(["qpdf", "--check", file.path]).status == 0)
            try FileManager.default.copyItem(at: district.home.rootCertificateURL, to: directory.appendingPathComponent("root.pem"))
            let sig = try ExternalTool.run(["bash", ExternalTool.validator("pdfsig_check.sh"), file.path, Self.root(beside: file)])
            #expect(sig.status == 0 && sig.stdout.contains("Total document signed"), "\(sig.stdout) \(sig.stderr)")
            let hanko = try ExternalTool.run(["python3", ExternalTool.validator("pyhanko_validate.py"), file.path, Self.root(beside: file)])
            #expect(hanko.status == 0 && hanko.stdout.contains("\"ENTIRE_FILE\""), "\(hanko.stdout) \(hanko.stderr)")
            let dig = try ExternalTool.run(["python3", ExternalTool.validator("zt_token.py"), "dig", file.path])
            #expect(dig.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == document.record.contentSHA256, "dig over every page's text")
            let report = try await district.services.documents.verifyPDF(document.pdf, actor: "test")
            #expect(report.result == .valid, "\(report.reasons)")
        }
    }

    @Test(
        "A production base URL (30-character HTTPS address) and a 16-character matter code fit QR version 13 at ECC Q for every name length, with room to spare; the token is version 2 and verifies online, offline and in the reference verifier"
    )
    func productionBaseURL() async throws {
        let base = "https://zt.chancheng.foshan.cn"
        #expect(base.count == 30)
        let district = try await TestDistrict(verificationBaseURL: base).setUp()
        let long = String(repeating: "阿", count: 31) + "提"
        let people = [("440104199202020071", "买买提·阿不都热合曼"), ("440104199303030076", long)]
        _ = try await district.services.identity.registry.importCSV(
            Array(
                ("id_number,name,phone,card_valid_from,card_valid_until\n"
                    + people.map { "\($0.0),\($0.1),13900000031,2018-01-15,长期" }.joined(separator: "\n") + "\n").utf8), actor: "test")
        var longest = 0
        for (number, name) in [("440104199001010010", "张三丰")] + people {
            for _ in 0..<12 {
                var request = Self.request
                request.matterCode = "GRCBZM-2026-0001"
                #expect(request.matterCode.count == 16)
                request.holderName = name
                request.holderIDNumber = number
                let document = try await district.services.documents.issue(request, actor: "test")
                #expect(document.qr.version <= 13, "\(name.count)-character name: version \(document.qr.version)")
                #expect(document.qrContent.hasPrefix("HTTPS://ZT.CHANCHENG.FOSHAN.CN/V/?ZT1:"))
                longest = max(longest, document.qrContent.utf8.count)
                let claims = try ResultToken.parse(document.record.token).claims
                #expect(claims.version == 2 && claims.departmentCode == nil && claims.contentDigest.count == 16)
                #expect(claims.maskedHolderName.unicodeScalars.count <= 4)
            }
        }
        // Version 13 at Q holds about 345 characters of this mix of alphanumeric and byte segments.
        #expect(longest <= 330, "longest QR content \(longest) characters")
        let last = try #require(try await district.services.documents.records(department: "RSJ", limit: 1).first)
        let online = try await district.services.documents.verifyToken(ResultToken.verificationURL(base: base, token: last.token), actor: "test")
        #expect(online.result == .valid && online.document?.departmentCode == "RSJ", "\(online.reasons)")
        let offline = try OfflineTrust.load(certificatesDirectory: district.home.certificatesDirectory).verifyToken(last.token, now: Date())
        #expect(offline.result == .valid && offline.claims?.departmentCode == "RSJ", "\(String(describing: offline.reason))")
        let certificates = district.home.certificatesDirectory
        let reference = try ExternalTool.run([
            "python3", ExternalTool.validator("zt_token.py"), "verify", "--cert",
            certificates.appendingPathComponent("departments").path,
            "--root", certificates.appendingPathComponent("root.pem").path, last.token,
        ])
        #expect(reference.status == 0 && reference.stdout.contains("\"dep\": \"RSJ\""), "\(reference.stdout) \(reference.stderr)")
    }

    @Test(
        "An organisation holds a result by unified social credit code under its registered name: printed as 持证单位 and 统一社会信用代码; an unknown code, another name and a malformed code are refused by code with nothing stored"
    )
    func organisationHolder() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        _ = try await district.services.credit.registerOrganization(
            code: "91440604MA4UH1234Y", name: "佛山市禅城区示例科技有限公司",
            establishedOn: CivilDay("2020-01-01")!, dataComplete: true, actor: "test")
        var request = Self.request
        request.matterName = "劳动保障书面审查结果"
        request.holderKind = .organization
        request.holderName = "佛山市禅城区示例科技有限公司"
        request.holderIDNumber = "91440604ma4uh1234y"
        request.fields = [ResultField(label: "审查年度", value: "2026年度"), ResultField(label: "审查结论", value: "合格")]
        var refusals: [(IssueDocumentRequest, ZeroTripError.Code)] = []
        var other = request; other.holderName = "别的公司"; refusals.append((other, .holderMismatch))
        other = request; other.holderIDNumber = "91440604MA4UH12352"; refusals.append((other, .unknownSubject))
        other = request; other.holderIDNumber = "91440604MA4UH12353"; refusals.append((other, .invalidInput))
        other = request; other.holderKind = .person; refusals.append((other, .invalidIDNumber))
        for (refused, code) in refusals {
            let error = await #expect(throws: ZeroTripError.self) { try await district.services.documents.issue(refused, actor: "test") }
            #expect(error?.code == code, "\(String(describing: error))")
        }
        #expect(try await district.services.documents.records(department: "RSJ", limit: 10).isEmpty, "nothing stored")

        let document = try await district.services.documents.issue(request, actor: "test")
        #expect(document.record.holderKind == .organization && document.record.holderIDNumber == "91440604MA4UH1234Y")
        #expect(document.record.maskedHolderName == "佛山市禅城区示例科技有限公司", "an organisation's name is public")
        let stored = try #require(try await district.services.documents.record(id: document.record.id))
        #expect(stored.holderKind == .organization)
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("organisation.pdf")
        try Data(document.pdf).write(to: file)
        let lines = try ExternalTool.run(["pdftotext", "-enc", "UTF-8", file.path, "-"]).stdout.split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        #expect(lines.contains("持证单位：") && lines.contains("统一社会信用代码：") && !lines.contains("持证人："), "\(lines.prefix(12))")
        #expect(lines.contains("佛山市禅城区示例科技有限公司") && lines.contains("91440604MA4UH1234Y"))
        let report = try await district.services.documents.verifyToken(document.qrContent, actor: "test")
        #expect(report.result == .valid, "\(report.reasons)")
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
        for expected in [
            "个人参保证明", "区人力资源和社会保障局", "张三丰", "440104199001010010", "企业职工基本养老保险", "正常参保",
            "2015年07月至2026年10月", "136个月", "参保险种", "累计缴费月数", "禅城区",
        ] {
            #expect(lines.contains(expected), "pdftotext lacks the line \(expected): \(text)")
        }
        #expect(text.contains(ResultDocumentRenderer.groupedID(document.record.id.rawValue)))
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
        #expect(report.document?.id == document.record.id.rawValue)
        #expect(report.document?.holderName == "张**")
    }

    @Test("The token's dig is the SHA-256 of the page's first content stream (one page), recomputed by an independent PDF reader")
    func digRecomputed() async throws {
        let (_, document, file) = try await Self.issued()
        let output = try ExternalTool.run([
            "python3", "-c",
            """
            import sys, hashlib
            from pypdf import PdfReader
            page = PdfReader(sys.argv[1]).pages[0]
            print(hashlib.sha256(page["/Contents"][0].get_object().get_data()).hexdigest())
            """, file.path,
        ])
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
