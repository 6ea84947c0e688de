public import Foundation
import ZeroTripCrypto

/// A finished, signed result document.
public struct RenderedDocument: Sendable {
    /// The exact PDF bytes.
    public let pdf: [UInt8]
    /// SHA-256 of ``pdf``.
    public let pdfSHA256: [UInt8]
    /// SHA-256 of the decoded page content stream (the token's `dig`).
    public let contentDigest: [UInt8]
    /// The `ZT1:` token.
    public let token: String
    /// The QR content: the verification URL carrying the token.
    public let qrContent: String
    /// The QR symbol drawn on the page.
    public let qr: QRMatrix
}

/// Lays out, embeds, seals and signs result documents: A4, PDF 1.7 aiming at PDF/A-2u, one page (more when the table needs them) with
/// the title, holder, fields table, dates and document number in Chinese (embedded subset CJK font),
/// a vector QR code carrying the signed token, and a PAdES B-B signature whose widget shows a red seal.
///
/// The file is written in one pass: `/ByteRange` and `/Contents` are reserved at their final size and
/// patched in place, so no PDF parser ever touches our own output.
public struct ResultDocumentRenderer: Sendable {
    /// The document font.
    public var font: CJKFont { fonts.main }
    /// The document font and the fallbacks drawn for characters it lacks.
    public let fonts: FontStack
    /// The verification base URL, e.g. `https://zt.chancheng.gov.cn`.
    public let verificationBaseURL: String
    private let cache: FontSubsetCache
    /// Glyphs every document may use (ASCII, digits, date characters, punctuation), always in /F1.
    private let alwaysUnicode: [UInt32: Unicode.Scalar]

    static let pageWidth = 595.28
    static let pageHeight = 841.89
    static let margin = 56.0
    static let sealSize = 128.0
    /// The bottom band holds the QR (left) and the issuer, date and seal (right), side by side; the table and the
    /// facts under it must end above it, so the seal never sits on the table and the QR never covers a line.
    static let qrFrame = (x: 56.0, y: 96.0, size: 118.0)
    /// The seal's centre line: its ring spans `sealSize` around it, beside the QR.
    static let sealCenterY = qrFrame.y + sealSize / 2
    /// The lowest baseline the facts under the table may use: a line above the QR's top edge.
    static let lowestFactBaseline = qrFrame.y + qrFrame.size + 14
    /// Where the table starts on a continuation page, under its short header (title 续页, number, rule).
    static let continuationTableTop = pageHeight - 120
    /// The lowest a table row may reach on a page that is not the last: above the two footer lines.
    static let pageBottom = 76.0

    /// Creates a renderer drawing with `font`, and with the first of `fallbacks` that has a character `font` lacks.
    public init(font: CJKFont, fallbacks: [CJKFont] = [], verificationBaseURL: String) {
        self.init(fonts: FontStack(main: font, fallbacks: fallbacks), verificationBaseURL: verificationBaseURL)
    }

    /// Creates a renderer drawing with `fonts`.
    public init(fonts: FontStack, verificationBaseURL: String) {
        self.fonts = fonts
        let font = fonts.main
        self.verificationBaseURL = verificationBaseURL
        cache = FontSubsetCache()
        var always: [UInt32: Unicode.Scalar] = [:]
        // With what continuation pages and their numbers print (续页, 第 N 页 共 M 页, 末页), so /F1 stays one subset.
        for scalar in (0x21...0x7E).compactMap(Unicode.Scalar.init) + Array("年月日至个：，。（）、—续页第共末".unicodeScalars) {
            if let glyph = font.glyph(for: scalar), always[glyph] == nil { always[glyph] = scalar }
        }
        alwaysUnicode = always
    }

    /// Renders, seals and signs `content` with `sealer` (signing time `signingTime`, written to `/M`).
    /// `signing_failed`, or the token's own code (`token_unavailable`, …) when a seal held in a token failed: that is
    /// the token's state, not the document's, and the caller answers it as "unavailable, retry".
    static func signingCode(_ error: CryptoError) -> DocumentError.Code {
        error.code.isTokenFailure ? DocumentError.Code(rawValue: error.code.rawValue) : .signingFailed
    }

    public func render(_ content: ResultDocumentContent, sealer: DocumentSealer, signingTime: Date) throws(DocumentError) -> RenderedDocument {
        try Self.validate(content)
        let setter = TextSetter(fonts: fonts)
        // Two embedded fonts: /F1 holds the template's glyphs (title, labels, department, digits, ASCII) and is
        // cached across documents; /F2 holds the few glyphs only this document uses (holder name, field values).
        var unicode = alwaysUnicode
        var staticGlyphs = Set(alwaysUnicode.keys)
        var variableGlyphs = Set<UInt32>()
        func glyphs(_ text: String, variable: Bool = false) throws(DocumentError) -> [UInt32] {
            let run = try setter.glyphs(text)
            for (glyph, scalar) in zip(run, text.unicodeScalars) where unicode[glyph] == nil { unicode[glyph] = scalar }
            if variable { variableGlyphs.formUnion(run) } else { staticGlyphs.formUnion(run) }
            return run
        }

        // 1. Page text (everything except the QR symbol, which carries a digest of this stream).
        var page = ContentStream()
        let idHex = Hex.encode(content.documentID)
        let W = Self.pageWidth, H = Self.pageHeight, L = Self.margin, R = Self.pageWidth - Self.margin
        let footerURL = "\(verificationBaseURL.trimmingSuffix("/"))/v/\(idHex)"

        let district = try glyphs(content.districtName)
        page.text(district, x: (W - setter.width(district, size: 12)) / 2, y: H - 70, size: 12)
        // The title on one line when it fits between the margins, else on two balanced lines (as official titles
        // are set), everything below moving down by a line.
        let title = try glyphs(content.matterName)
        let titleLines = Self.titleLines(title, scalars: Array(content.matterName.unicodeScalars), setter: setter, width: R - L)
        for (index, line) in titleLines.enumerated() {
            page.text(line, x: (W - setter.width(line, size: 24)) / 2, y: H - 108 - Double(index) * 32, size: 24, bold: true)
        }
        let shift = Double(titleLines.count - 1) * 32
        let number = try glyphs("文书编号：\(Self.groupedID(idHex))")
        page.text(number, x: (W - setter.width(number, size: 9)) / 2, y: H - 132 - shift, size: 9)
        page.add("0.6 0.08 0.08 RG 1.2 w \(pdfNumber(L)) \(pdfNumber(H - 144 - shift)) m \(pdfNumber(R)) \(pdfNumber(H - 144 - shift)) l S\n")

        var y = H - 176 - shift
        for line in [(content.holderKind.holderLabel, content.holderName), (content.holderKind.numberLabel, content.holderIDNumber)] {
            let label = try glyphs(line.0 + "：")
            page.text(label, x: L, y: y, size: 12)
            page.text(try glyphs(line.1, variable: true), x: L + 96, y: y, size: 12)
            y -= 22
        }

        // Fields table: every row measured first, then placed on pages. Rows flow onto continuation pages; the last
        // page holds the facts above the bottom band (QR, issuer, date, seal), so a row moves there when the band
        // would not fit under the table.
        y -= 6
        let labelWidth = 132.0, lineHeight = 17.0, padding = 6.0
        var rows: [(label: [[UInt32]], value: [[UInt32]], height: Double)] = []
        for (number, field) in content.fields.enumerated() {
            do {
                let labelLines = try setter.wrap(field.label, size: 11, width: labelWidth - 2 * padding)
                let valueLines = try setter.wrap(field.value, size: 11, width: R - L - labelWidth - 2 * padding)
                _ = try glyphs(field.label)
                // Line by line: a line break in a value is where the value starts a new line, not a character to draw.
                for line in field.value.split(separator: "\n") { _ = try glyphs(String(line), variable: true) }
                rows.append((labelLines, valueLines, Double(max(labelLines.count, valueLines.count)) * lineHeight + 2 * padding))
            } catch {
                // Which field the character is in, so the department can correct the request.
                throw DocumentError(error.code, "field \(number + 1) (\(field.label.prefix(20))): \(error.message)")
            }
        }
        let factLines = content.supersedes == nil ? 3.0 : 4.0
        let layout = Self.paginate(heights: rows.map(\.height), firstTop: y, factLines: factLines)
        let pageCount = layout.count
        var pages = [page] + Array(repeating: ContentStream(), count: pageCount - 1)
        let continued = try glyphs(content.matterName + "（续页）")
        let continuedNumber = try glyphs("文书编号：\(Self.groupedID(idHex))")
        for (index, placed) in layout.enumerated() {
            if index > 0 {
                // A continuation page names the document and its number above the rest of the table.
                pages[index].text(continued, x: (W - setter.width(continued, size: 14)) / 2, y: H - 70, size: 14, bold: true)
                pages[index].text(continuedNumber, x: (W - setter.width(continuedNumber, size: 9)) / 2, y: H - 90, size: 9)
                pages[index].add("0.6 0.08 0.08 RG 1.2 w \(pdfNumber(L)) \(pdfNumber(H - 100)) m \(pdfNumber(R)) \(pdfNumber(H - 100)) l S\n")
                y = Self.continuationTableTop
            }
            guard !placed.isEmpty else { continue }
            pages[index].add("0.35 0.35 0.35 RG 0.6 w\n")
            pages[index].add("\(pdfNumber(L)) \(pdfNumber(y)) m \(pdfNumber(R)) \(pdfNumber(y)) l S\n")
            for row in placed.map({ rows[$0] }) {
                let height = row.height
                pages[index].add(
                    "0.94 0.94 0.94 rg \(pdfNumber(L + 0.3)) \(pdfNumber(y - height + 0.3)) \(pdfNumber(labelWidth - 0.6)) \(pdfNumber(height - 0.6)) re f 0 g\n"
                )
                for (line, glyphs) in row.label.enumerated() {
                    pages[index].text(glyphs, x: L + padding, y: y - padding - 12 - Double(line) * lineHeight, size: 11)
                }
                for (line, glyphs) in row.value.enumerated() {
                    pages[index].text(glyphs, x: L + labelWidth + padding, y: y - padding - 12 - Double(line) * lineHeight, size: 11)
                }
                pages[index].add("\(pdfNumber(L)) \(pdfNumber(y - height)) m \(pdfNumber(R)) \(pdfNumber(y - height)) l S\n")
                pages[index].add("\(pdfNumber(L)) \(pdfNumber(y)) m \(pdfNumber(L)) \(pdfNumber(y - height)) l S ")
                pages[index].add("\(pdfNumber(L + labelWidth)) \(pdfNumber(y)) m \(pdfNumber(L + labelWidth)) \(pdfNumber(y - height)) l S ")
                pages[index].add("\(pdfNumber(R)) \(pdfNumber(y)) m \(pdfNumber(R)) \(pdfNumber(y - height)) l S\n")
                y -= height
            }
        }
        page = pages[pageCount - 1]

        y -= 30
        let issued = ChinaTime(content.issuedAt), until = ChinaTime(content.validUntil)
        var facts = [("签发日期", issued.chineseDate), ("有效期至", until.chineseDate), ("领取方式", content.pickupMode.label)]
        if let old = content.supersedes { facts.append(("替代文书", Self.groupedID(Hex.encode(old)))) }
        // The pagination above leaves room for these lines above the QR.
        for (label, value) in facts {
            page.text(try glyphs("\(label)：\(value)"), x: L, y: y, size: 11)
            y -= 18
        }

        // Issuer block, under the seal (right).
        let sealCenterY = Self.sealCenterY
        let issuer = try glyphs(content.departmentName)
        let issuerX = R - setter.width(issuer, size: 12)
        page.text(issuer, x: issuerX, y: sealCenterY + 6, size: 12)
        let date = try glyphs(issued.chineseDate)
        page.text(date, x: R - setter.width(date, size: 12), y: sealCenterY - 14, size: 12)

        // QR caption (the symbol itself is a separate stream).
        let qrSize = Self.qrFrame.size, qrX = Self.qrFrame.x, qrY = Self.qrFrame.y
        let caption = try glyphs("扫码核验真伪")
        page.text(caption, x: qrX + (qrSize - setter.width(caption, size: 9)) / 2, y: qrY - 12, size: 9)
        pages[pageCount - 1] = page

        // Footer on every page; the QR is on the last, and a document of several pages numbers them.
        let footer1 = try glyphs("本文书由\(content.departmentName)加盖电子印章签发，与加盖实物印章的纸质文书具有同等效力。")
        let footer2 = try glyphs("核验：扫描左侧二维码，或访问 \(footerURL)")
        let footerEarlier = try glyphs("核验：扫描末页二维码，或访问 \(footerURL)")
        for index in pages.indices {
            pages[index].text(footer1, x: L, y: 58, size: 8)
            pages[index].text(index == pageCount - 1 ? footer2 : footerEarlier, x: L, y: 46, size: 8)
            if pageCount > 1 {
                let number = try glyphs("第 \(index + 1) 页 共 \(pageCount) 页")
                pages[index].text(number, x: (W - setter.width(number, size: 9)) / 2, y: 28, size: 9)
            }
        }

        // 2. Seal appearance.
        var seal = ContentStream()
        try drawSeal(into: &seal, name: content.departmentName, glyphs: { text throws(DocumentError) in try glyphs(text) })

        // 3. Embed the subsets: the main font's template glyphs (cached across documents) and this document's own,
        // then one subset per fallback font a rare character came from.
        let mainStatic = staticGlyphs.filter { FontStack.fontIndex(of: $0) == 0 }
        let embedded = try cache.embedded(font: font, glyphs: mainStatic, unicode: unicode)
        variableGlyphs.subtract(mainStatic)
        let mainVariable = variableGlyphs.filter { FontStack.fontIndex(of: $0) == 0 }
        var subsets = [(embedded, font)]
        if !mainVariable.isEmpty { subsets.append((try cache.uncached(font: font, glyphs: mainVariable, unicode: unicode), font)) }
        let fallbackGlyphs = Dictionary(
            grouping: staticGlyphs.union(variableGlyphs).filter { FontStack.fontIndex(of: $0) > 0 }, by: FontStack.fontIndex)
        for index in fallbackGlyphs.keys.sorted() {
            let tagged = fallbackGlyphs[index] ?? []
            let fallback = fonts.font(at: index)
            var local: [UInt32: Unicode.Scalar] = [:]
            for glyph in tagged { local[FontStack.localID(of: glyph)] = unicode[glyph] }
            let subset = try cache.uncached(font: fallback, glyphs: Set(tagged.map(FontStack.localID)), unicode: local)
            subsets.append((subset.tagged(UInt32(index)), fallback))
        }
        let fontMappings = subsets.map(\.0.mapping)
        // The text of every page, in page order; `dig` covers them all (one page: exactly that page's stream).
        let pageStreams = pages.map { $0.serialized(fonts: fontMappings) }
        let contentDigest = Digest.sha256(pageStreams.flatMap { $0 })

        // 4. Token and QR.
        let claims = ResultTokenClaims.issuing(
            documentID: content.documentID, departmentCode: content.departmentCode, matterCode: content.matterCode,
            issuedAt: Int64(content.issuedAt.timeIntervalSince1970.rounded(.down)),
            expiresAt: Int64(content.validUntil.timeIntervalSince1970.rounded(.down)),
            contentSHA256: contentDigest, holderName: content.holderName)
        let token: String
        do { token = try ResultToken.issue(claims, kid: sealer.kid, key: sealer.cms.key) } catch {
            throw DocumentError(Self.signingCode(error), "signing the token: \(error.message)")
        }
        let qrContent = ResultToken.verificationURL(base: verificationBaseURL, token: token)
        guard qrContent.utf8.count <= ResultToken.maximumQRContentLength else {
            throw DocumentError(
                .qrTooLarge,
                "QR content is \(qrContent.utf8.count) characters (limit \(ResultToken.maximumQRContentLength)); use a shorter verification base URL")
        }
        let qr: QRMatrix
        do { qr = try QRMatrix(encodingSegmented: qrContent, errorCorrection: .quartile) } catch { throw DocumentError(.qrTooLarge, error.message) }
        guard qr.version <= ResultToken.maximumQRVersion else {
            throw DocumentError(
                .qrTooLarge, "QR version \(qr.version) exceeds \(ResultToken.maximumQRVersion) at ECC Q; use a shorter verification base URL")
        }
        let qrBytes = Self.qrStream(qr, x: qrX, y: qrY, size: qrSize)

        // 5. Write and sign.
        let pdf = try write(
            content: content, pageStreams: pageStreams, qrStream: qrBytes, sealStream: seal.serialized(fonts: fontMappings),
            fonts: subsets, sealer: sealer, signingTime: signingTime, idHex: idHex)
        return RenderedDocument(pdf: pdf, pdfSHA256: Digest.sha256(pdf), contentDigest: contentDigest, token: token, qrContent: qrContent, qr: qr)
    }

    // MARK: Pagination

    /// Row indices per page for table rows of `heights`, the first page's table starting at `firstTop`. A row that
    /// would run below ``pageBottom`` starts a new page (rows are never split: the longest value the limits allow
    /// fits on any page). The last page must also hold `factLines` facts and the bottom band (QR, issuer, date and
    /// seal) under its table; when it cannot, its last row moves to a new last page, so the seal never sits on a
    /// page of its own. A table that fits on one page with its band gives one page, laid out as before pagination.
    static func paginate(heights: [Double], firstTop: Double, factLines: Double) -> [[Int]] {
        func holdsBand(_ bottom: Double) -> Bool {
            bottom - 30 - (factLines - 1) * 18 >= lowestFactBaseline && bottom >= sealCenterY + sealSize / 2 + 6
        }
        var pages: [[Int]] = [[]]
        var y = firstTop
        for (index, height) in heights.enumerated() {
            if y - height < pageBottom, !pages[pages.count - 1].isEmpty {
                pages.append([])
                y = continuationTableTop
            }
            pages[pages.count - 1].append(index)
            y -= height
        }
        if !holdsBand(y) {
            if pages[pages.count - 1].count > 1, let moved = pages[pages.count - 1].popLast() {
                pages.append([moved])
            } else {
                pages.append([])
            }
        }
        return pages
    }

    // MARK: Validation

    /// `title` (24 pt) as one line if it fits `width`, else two lines of about equal width broken where the line
    /// rules allow (``LineBreaker``).
    static func titleLines(_ title: [UInt32], scalars: [Unicode.Scalar], setter: TextSetter, width: Double) -> [[UInt32]] {
        let widths = title.map { setter.width([$0], size: 24) }
        let total = widths.reduce(0, +)
        guard total > width else { return [title] }
        var lines = LineBreaker.lines(scalars, widths: widths, width: min(width, total / 2 + 24))
        if lines.count > 2 { lines = LineBreaker.lines(scalars, widths: widths, width: width) }
        return lines.map { Array(title[$0]) }
    }

    /// Limits on every printed value, checked before any work.
    static func validate(_ content: ResultDocumentContent) throws(DocumentError) {
        func check(_ value: String, _ what: String, max: Int) throws(DocumentError) {
            guard !value.isEmpty, value.count <= max else { throw DocumentError(.invalidInput, "\(what) must be 1–\(max) characters") }
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) else {
                throw DocumentError(.invalidInput, "\(what) contains control characters")
            }
        }
        guard content.documentID.count == 16 else { throw DocumentError(.invalidInput, "document id must be 16 bytes") }
        try check(content.districtName, "district name", max: DocumentLimits.districtName)
        try check(content.departmentName, "department name", max: DocumentLimits.departmentName)
        try check(content.matterName, "matter name", max: DocumentLimits.matterName)
        try check(content.holderName, "holder name", max: DocumentLimits.holderName)
        try check(content.holderIDNumber, "holder ID number", max: DocumentLimits.holderIDNumber)
        guard DocumentLimits.fields.contains(content.fields.count) else {
            throw DocumentError(.invalidInput, "a document has \(DocumentLimits.fields.lowerBound)–\(DocumentLimits.fields.upperBound) fields")
        }
        for field in content.fields {
            try check(field.label, "field label", max: DocumentLimits.fieldLabel)
            try check(field.value, "field value", max: DocumentLimits.fieldValue)
        }
        guard content.validUntil > content.issuedAt else { throw DocumentError(.invalidInput, "valid-until must be after the issue time") }
    }

    /// A document number as the paper prints it: groups of eight joined by dashes (the verification page shows it the
    /// same way, so a clerk can compare the two).
    public static func groupedID(_ hex: String) -> String {
        var out = ""
        for (index, character) in hex.enumerated() {
            if index > 0 && index % 8 == 0 { out += "-" }
            out.append(character)
        }
        return out
    }

    // MARK: Seal and QR

    /// A round red seal: double ring, five-pointed star, the department name along the upper arc, 电子印章 below.
    private func drawSeal(into seal: inout ContentStream, name: String, glyphs: (String) throws(DocumentError) -> [UInt32]) throws(DocumentError) {
        let size = Self.sealSize, c = size / 2, radius = size / 2 - 3
        // Multiplied onto the page, as ink stamped on paper: white stays the page, black text under the ring, the
        // star and the name stays black, so the issuer's name and the date remain readable through the seal.
        seal.add("q /Stamp gs 0.86 0.08 0.1 RG 0.86 0.08 0.1 rg 3 w\n")
        seal.add(Self.circle(cx: c, cy: c, r: radius) + " S 0.8 w " + Self.circle(cx: c, cy: c, r: radius - 4.5) + " S\n")
        var star = ""
        for point in 0..<10 {
            let angle = Double.pi / 2 + Double(point) * Double.pi / 5
            let r = point % 2 == 0 ? 19.0 : 7.6
            star += "\(pdfNumber(c + r * cos(angle))) \(pdfNumber(c + r * sin(angle))) \(point == 0 ? "m" : "l") "
        }
        seal.add(star + "h f\n")
        let characters = Array(name.unicodeScalars)
        let glyphSize = characters.count > 14 ? 11.0 : 13.0
        let textRadius = radius - 8 - glyphSize * 0.9
        let span = min(250.0, Double(characters.count) * (glyphSize + 1.5) / textRadius * 180 / Double.pi) * Double.pi / 180
        for (index, scalar) in characters.enumerated() {
            let glyph = try glyphs(String(scalar))
            let theta = characters.count == 1 ? Double.pi / 2 : Double.pi / 2 + span / 2 - Double(index) * span / Double(characters.count - 1)
            let phi = theta - Double.pi / 2
            let advance = fonts.width(of: glyph[0], size: glyphSize)
            let x = c + textRadius * cos(theta) - advance / 2 * cos(phi)
            let y = c + textRadius * sin(theta) - advance / 2 * sin(phi)
            seal.rotatedText(glyph, x: x, y: y, size: glyphSize, angle: phi)
        }
        let label = try glyphs("电子印章")
        let labelWidth = TextSetter(fonts: fonts).width(label, size: 10)
        seal.text(label, x: c - labelWidth / 2, y: c - 36, size: 10)
        seal.add("Q\n")
    }

    static func circle(cx: Double, cy: Double, r: Double) -> String {
        let k = 0.5523 * r
        func p(_ x: Double, _ y: Double) -> String { "\(pdfNumber(x)) \(pdfNumber(y))" }
        return "\(p(cx + r, cy)) m \(p(cx + r, cy + k)) \(p(cx + k, cy + r)) \(p(cx, cy + r)) c "
            + "\(p(cx - k, cy + r)) \(p(cx - r, cy + k)) \(p(cx - r, cy)) c "
            + "\(p(cx - r, cy - k)) \(p(cx - k, cy - r)) \(p(cx, cy - r)) c "
            + "\(p(cx + k, cy - r)) \(p(cx + r, cy - k)) \(p(cx + r, cy)) c h"
    }

    /// Dark modules as filled rectangles (horizontal runs merged), with a 4-module quiet zone inside `size`.
    /// A `cm` scales one unit to one module with the origin at the symbol's top-left, so every rectangle is
    /// written in small integers.
    static func qrStream(_ qr: QRMatrix, x: Double, y: Double, size: Double) -> [UInt8] {
        let module = size / Double(qr.size + 8)
        var out = Array(
            "q 1 g \(pdfNumber(x)) \(pdfNumber(y)) \(pdfNumber(size)) \(pdfNumber(size)) re f 0 g \(pdfNumber(module)) 0 0 \(pdfNumber(-module)) \(pdfNumber(x + 4 * module)) \(pdfNumber(y + size - 4 * module)) cm\n"
                .utf8)
        out.reserveCapacity(out.count + qr.size * qr.size * 3)
        func appendInt(_ value: Int) {
            if value >= 100 { out.append(UInt8(48 + value / 100)) }
            if value >= 10 { out.append(UInt8(48 + value / 10 % 10)) }
            out.append(UInt8(48 + value % 10))
        }
        for row in 0..<qr.size {
            var column = 0
            while column < qr.size {
                guard qr.isDark(x: column, y: row) else { column += 1; continue }
                let start = column
                while column < qr.size && qr.isDark(x: column, y: row) { column += 1 }
                appendInt(start); out.append(0x20); appendInt(row); out.append(0x20)
                appendInt(column - start); out.append(contentsOf: [0x20, 0x31, 0x20, 0x72, 0x65, 0x0A])  // " 1 re\n"
            }
        }
        out.append(contentsOf: Array("f Q\n".utf8))
        return out
    }

    // MARK: File

    private func write(
        content: ResultDocumentContent, pageStreams: [[UInt8]], qrStream: [UInt8], sealStream: [UInt8],
        fonts: [(EmbeddedFont, CJKFont)], sealer: DocumentSealer, signingTime: Date, idHex: String
    ) throws(DocumentError) -> [UInt8] {
        let W = Self.pageWidth, H = Self.pageHeight
        let textBytes = pageStreams.reduce(0) { $0 + $1.count }
        var pdf = PDFBuffer(capacity: fonts.reduce(0) { $0 + $1.0.fontFile.count } + textBytes + 2 * sealer.reservedSignatureLength + 16_000)
        // /F1 is objects 6–10; /F2, /F3, … five objects each from 16 on, in the order of `fonts`.
        let fontObjects = fonts.indices.map { $0 == 0 ? 6 : 16 + 5 * ($0 - 1) }
        let fontResources = fontObjects.enumerated().map { "/F\($0.offset + 1) \($0.element) 0 R" }.joined(separator: " ")
        let sealRect = (x: Self.pageWidth - Self.margin - Self.sealSize + 8, y: Self.sealCenterY - Self.sealSize / 2)
        // Page 1 is objects 3 (page) and 4 (text); further pages follow the fonts, a page object and its text each.
        let firstExtra = 16 + 5 * (fonts.count - 1)
        let pageObjects = [3] + (1..<pageStreams.count).map { firstExtra + 2 * ($0 - 1) }
        let lastPage = pageObjects[pageObjects.count - 1]

        pdf.object(
            1,
            "<< /Type /Catalog /Pages 2 0 R /Lang (zh-CN) /Metadata 14 0 R /ViewerPreferences << /DisplayDocTitle true >> "
                + "/AcroForm << /Fields [11 0 R] /SigFlags 3 >> "
                + "/OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB IEC61966-2.1) /DestOutputProfile 15 0 R >>] >>"
        )
        pdf.object(2, "<< /Type /Pages /Kids [\(pageObjects.map { "\($0) 0 R" }.joined(separator: " "))] /Count \(pageObjects.count) >>")
        for (index, object) in pageObjects.enumerated() {
            let text = index == 0 ? 4 : object + 1
            // The last page carries the QR symbol (a second content stream) and the seal's signature widget.
            let contents = object == lastPage ? "[\(text) 0 R 5 0 R] /Annots [11 0 R]" : "[\(text) 0 R]"
            pdf.object(
                object,
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(pdfNumber(W)) \(pdfNumber(H))] "
                    + "/Resources << /Font << \(fontResources) >> /ProcSet [/PDF /Text] >> /Contents \(contents) >>")
            pdf.stream(text, "/Filter /FlateDecode", Zlib.compress(pageStreams[index], level: 1))
        }
        pdf.stream(5, "/Filter /FlateDecode", Zlib.compress(qrStream, level: 1))
        for ((embedded, font), first) in zip(fonts, fontObjects) { writeFont(embedded, of: font, firstObject: first, into: &pdf) }
        pdf.object(
            11,
            "<< /Type /Annot /Subtype /Widget /FT /Sig /T (ZeroTrip seal \(content.departmentCode)) /V 13 0 R /F 132 /P \(lastPage) 0 R "
                + "/Rect [\(pdfNumber(sealRect.x)) \(pdfNumber(sealRect.y)) \(pdfNumber(sealRect.x + Self.sealSize)) \(pdfNumber(sealRect.y + Self.sealSize))] "
                + "/AP << /N 12 0 R >> >>")
        pdf.stream(
            12,
            "/Type /XObject /Subtype /Form /BBox [0 0 \(pdfNumber(Self.sealSize)) \(pdfNumber(Self.sealSize))] /Resources << /Font << \(fontResources) >> /ExtGState << /Stamp << /Type /ExtGState /BM /Multiply >> >> >> /Filter /FlateDecode",
            Zlib.compress(sealStream, level: 1))
        let issued = ChinaTime(content.issuedAt)
        let metadata = PDFAMetadata(
            title: content.matterName, author: content.departmentName, subject: "\(content.districtName) \(content.matterName) 电子证照",
            producer: "ZeroTrip", createDate: issued.iso8601, documentID: "uuid:\(Self.uuid(idHex))")
        pdf.stream(14, "/Type /Metadata /Subtype /XML", metadata.xmpPacket())
        pdf.stream(15, "/N 3 /Filter /FlateDecode", Self.compressedProfile)

        // Signature dictionary last: /ByteRange and /Contents placeholders at their final size.
        pdf.beginObject(13)
        pdf.append("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (\(ChinaTime(signingTime).pdfDate)) /ByteRange [0 ")
        let byteRangeOffset = pdf.count
        pdf.append(String(repeating: " ", count: 32) + "] /Contents ")
        let contentsStart = pdf.count
        pdf.append([UInt8(ascii: "<")] + [UInt8](repeating: 0x30, count: 2 * sealer.reservedSignatureLength) + [UInt8(ascii: ">")])
        let contentsEnd = pdf.count
        pdf.append(" >>\nendobj\n")
        pdf.finish(size: firstExtra + 2 * (pageStreams.count - 1), root: 1, id: idHex.uppercased())

        let total = pdf.count
        let ranges = "\(contentsStart) \(contentsEnd) \(total - contentsEnd)"
        pdf.patch(at: byteRangeOffset, with: Array((ranges + String(repeating: " ", count: 32 - ranges.count)).utf8))
        let signedData: [UInt8]
        do {
            var digest = try ZeroTripCrypto.Digest(.sha256)
            try digest.update(pdf.bytes[0..<contentsStart])
            try digest.update(pdf.bytes[contentsEnd...])
            signedData = try sealer.cms.signedData(contentDigest: digest.finalize())
        } catch {
            throw DocumentError(Self.signingCode(error), "CMS signature: \(error.message)")
        }
        guard signedData.count <= sealer.reservedSignatureLength else { throw DocumentError(.signingFailed, "signature larger than its reservation") }
        pdf.patch(at: contentsStart + 1, with: Self.upperHex(signedData))
        return pdf.bytes
    }

    /// Type0 font `n`, its CIDFontType2 `n+1`, descriptor `n+2`, FontFile2 `n+3`, ToUnicode `n+4`.
    private func writeFont(_ font: EmbeddedFont, of source: CJKFont, firstObject n: Int, into pdf: inout PDFBuffer) {
        pdf.object(
            n,
            "<< /Type /Font /Subtype /Type0 /BaseFont /\(font.baseFont) /Encoding /Identity-H /DescendantFonts [\(n + 1) 0 R] /ToUnicode \(n + 4) 0 R >>"
        )
        pdf.object(
            n + 1,
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /\(font.baseFont) "
                + "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor \(n + 2) 0 R /CIDToGIDMap /Identity /DW 1000 /W [\(font.widths)] >>"
        )
        let scale = 1000.0 / Double(source.unitsPerEm)
        let ascent = Int(Double(source.ascender) * scale), descent = Int(Double(source.descender) * scale)
        pdf.object(
            n + 2,
            "<< /Type /FontDescriptor /FontName /\(font.baseFont) /Flags 4 /FontBBox [-100 \(descent) 1100 \(ascent)] "
                + "/ItalicAngle 0 /Ascent \(ascent) /Descent \(descent) /CapHeight \(ascent) /StemV 80 /FontFile2 \(n + 3) 0 R >>")
        pdf.stream(n + 3, "/Filter /FlateDecode /Length1 \(font.fontFileLength)", font.fontFile)
        pdf.stream(n + 4, "/Filter /FlateDecode", font.toUnicode)
    }

    static let compressedProfile = Zlib.compress(SRGBProfile.bytes, level: 9)

    static func upperHex(_ bytes: [UInt8]) -> [UInt8] {
        let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return out
    }

    static func uuid(_ hex: String) -> String {
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = Substring(self)
        while s.hasSuffix(suffix) { s = s.dropLast(suffix.count) }
        return String(s)
    }
}
