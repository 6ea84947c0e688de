import Foundation
import Hummingbird
import ZeroTrip
import ZeroTripDocuments

/// The public verification page (`GET /V/?…`, `/v/{number}`): server-rendered, Chinese, readable on a phone, no
/// scripts. It states the result in one word and, for a document the register identifies, shows what was signed —
/// every field, the holder with the middle of the name and of the ID number masked, issuer and dates — so a clerk
/// holding the paper can compare it line by line: a paper altered under a genuine QR code no longer passes as 有效.
/// An invalid or unidentifiable code shows nothing it claims.
enum VerificationPage {
    /// The page for `report`; `record` is the register entry when the register identified a genuine document.
    /// `pdfLink`: where the original PDF can be fetched, when the holder leaves the link on.
    static func render(
        _ report: VerificationReport?, record: ResultDocumentRecord? = nil, pdfLink: String? = nil, district: String,
        issuer: String? = nil
    ) -> String {
        guard let report else {
            return page(
                district: district, title: "电子文书核验", tone: .neutral, banner: "请扫描文书上的二维码",
                body: """
                    <p>用手机扫描电子文书上的二维码，即可在此核验文书真伪与状态。</p>\(numberForm)
                    """)
        }
        let (word, tone): (String, Tone) =
            switch report.result {
            case .valid: ("有效", .valid)
            case .invalid: ("无效", .invalid)
            case .revoked: (report.reasons.first?.code == .superseded ? "已撤销（已被替代）" : "已撤销", .invalid)
            case .expired: ("已过期", .expired)
            case .unknown: ("无法核验", .neutral)
            }
        // Only what the register confirmed is shown: an invalid or unknown answer's claims come from an unverified code.
        let identified = report.registerChecked && [.valid, .expired, .revoked].contains(report.result)
        var rows: [(String, String)] = []
        if identified, let document = report.document {
            if let name = document.matterName { rows.append(("文书名称", name)) }
            rows.append(("签发机关", issuer ?? document.departmentName ?? document.departmentCode))
            if let record {
                if record.holderKind == .organization {
                    // An organisation's name and code are public: shown whole for comparison with the paper.
                    rows.append((record.holderKind.holderLabel, record.holderName))
                    rows.append((record.holderKind.numberLabel, record.holderIDNumber))
                } else {
                    rows.append(("持证人", PersonalDataMask.nameForComparison(record.holderName)))
                    rows.append(("证件号码", PersonalDataMask.idNumberForComparison(record.holderIDNumber)))
                }
                for field in record.fields { rows.append((field.label, field.value)) }
            } else {
                rows.append(("持证人", document.holderName))
            }
            rows.append(("签发时间", ChinaTime(document.issuedAt).minuteText))
            rows.append(("有效期至", ChinaTime(document.validUntil).minuteText))
            if let changed = document.statusChangedAt { rows.append(("撤销时间", ChinaTime(changed).minuteText)) }
            if let reason = document.statusReason { rows.append(("撤销原因", reasonText(reason))) }
            if let newer = document.supersededBy { rows.append(("替代文书", ResultDocumentRenderer.groupedID(newer))) }
            if let revocation = report.keyRevocation {
                rows.append(("印章停用时间", ChinaTime(revocation.notAfter).minuteText + "（北京时间）"))
                if let reason = revocation.reason { rows.append(("停用原因", reasonText(reason))) }
            }
            rows.append(("文书编号", ResultDocumentRenderer.groupedID(document.id)))
        }
        if report.result != .valid, let reason = report.reasons.first { rows.append(("说明", explanation(reason.code))) }
        rows.append(("核验时间", ChinaTime(report.verifiedAt).minuteText + "（北京时间）"))
        let table = rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined()
        var notes: [String] = []
        if identified, record != nil {
            notes.append("<p class=\"compare\">请将以上内容与纸质文书逐项核对：任何一项不一致，说明纸质文书被改动，应以本页为准。</p>")
        }
        if report.method == .id {
            notes.append("<p class=\"note\">按文书编号查询只能说明登记库中该编号文书的状态，不能证明您手中的纸质文书未被改动；请逐项核对，或扫描文书上的二维码。</p>")
        }
        if let pdfLink {
            notes.append("<p class=\"pdf\"><a href=\"\(escape(pdfLink))\">查看或打印原件（PDF，含完整身份信息，持证人已开放）</a></p>")
        }
        notes.append("<p class=\"note\">\(report.registerChecked ? "已比对签发登记库。" : "未能比对签发登记库。")本页不显示完整身份信息。</p>")
        return page(
            district: district, title: "电子文书核验结果：\(word)", tone: tone, banner: word, body: "<table>\(table)</table>" + notes.joined() + numberForm)
    }

    /// A box to type the number printed on a document (`/v/?n=…`; the printed form with dashes is accepted).
    static let numberForm = """
        <form class="lookup" method="get" action="/v/"><label for="n">按文书编号查询</label>
        <input id="n" name="n" inputmode="latin" autocomplete="off" maxlength="48" placeholder="文书编号（32位，可含短横线）">
        <button type="submit">查询</button></form>
        """

    /// A typed or scanned document number in its stored form (32 lower-case hex digits), or nil. Dashes and spaces,
    /// as printed on the paper or typed by a clerk, are ignored.
    static func normalizedNumber(_ text: String) -> String? {
        guard text.utf8.count <= 64 else { return nil }
        let digits = String(text.lowercased().unicodeScalars.filter { $0 != "-" && $0 != " " && $0 != "\u{3000}" })
        guard digits.utf8.count == 32, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return digits
    }

    /// Revocation reasons of documents and keys, in Chinese.
    static func reasonText(_ code: String) -> String {
        switch code {
        case "issued_in_error": "签发错误"
        case "facts_changed": "事实变更"
        case "obligation_unmet": "未按承诺补齐材料"
        case "fraud": "虚假承诺或材料"
        case "key_compromise": "印章密钥泄露"
        case "superseded": "已重新签发"
        case "cessation_of_operation": "签发部门停止签发"
        case "affiliation_changed": "签发部门名称或隶属关系变更"
        default: "其他"
        }
    }

    /// The Chinese explanation of every reason code (``VerificationReason/Code/all``).
    static var explanations: [String: String] { VerificationReason.chineseExplanations }

    static func explanation(_ code: VerificationReason.Code) -> String {
        VerificationReason.chinese(code)
    }

    /// The 429 page of a client that asked too often, with `Retry-After`.
    /// Why `/P/?…` hands out no PDF, as a page with `status`, linking back to the verification page when there is one.
    static func pdfRefused(status: HTTPResponse.Status, message: String, back: String?, district: String) -> Response {
        let link = back.map { "<p><a href=\"\(escape($0))\">返回核验结果</a></p>" } ?? ""
        let html = page(district: district, title: "电子文书原件", tone: .neutral, banner: "无法提供原件", body: "<p>\(escape(message))</p>\(link)")
        return Response(status: status, headers: htmlHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func tooManyRequests(retryAfter seconds: Int, district: String) -> Response {
        let html = page(
            district: district, title: "请求过于频繁", tone: .expired, banner: "请求过于频繁",
            body: "<p>您所在网络的核验请求过多，请于 \(seconds) 秒后再试。</p><p class=\"note\">如需批量核验，请由部门使用核验接口。</p>")
        var headers = htmlHeaders
        headers[.retryAfter] = String(seconds)
        return Response(status: .tooManyRequests, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Headers of every page: no caching, no scripts, styles only from this server, never in a frame, no referrer
    /// (the scanned token is in the address).
    static var htmlHeaders: HTTPFields {
        var headers = PageRenderer.headers
        headers[.referrerPolicy] = "no-referrer"
        return headers
    }

    /// The banner's colour, by class in the style sheet (no inline style under the strict CSP).
    enum Tone: String { case valid, invalid, expired, neutral }

    /// A page naming the district and the service at the top, so a look-alike page is harder to pass off.
    static func page(district: String, title: String, tone: Tone, banner: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><title>\(escape(title)) · \(escape(district))政务服务</title>
        <link rel="stylesheet" href="/static/verify.css"></head>
        <body><header class="top">\(escape(district))人民政府 · 电子文书核验</header><div class="banner \(tone.rawValue)">\(escape(banner))</div><main>\(body)</main>
        <footer>\(escape(district))电子政务服务 · 请确认地址栏为本区政务网址，谨防仿冒</footer></body></html>
        """
    }

    /// The verification pages' style sheet (`GET /static/verify.css`).
    static let css = """
        body{font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f6f6f6;color:#222}
        .top{background:#b71c1c;color:#fff;font-size:14px;padding:8px 12px}
        .banner{background:#555;color:#fff;text-align:center;padding:28px 12px;font-size:32px;font-weight:bold}
        .banner.valid{background:#1a7f37}.banner.invalid{background:#b42318}.banner.expired{background:#9a6700}
        main{max-width:560px;margin:0 auto;padding:16px}table{width:100%;border-collapse:collapse;background:#fff}
        th,td{padding:10px;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top;font-size:16px;word-break:break-all}
        th{width:34%;color:#666;font-weight:normal}.note{color:#666;font-size:14px}
        .compare{background:#fff8e1;border-left:4px solid #9a6700;padding:10px;font-size:15px}
        .lookup{margin-top:20px;background:#fff;padding:12px}.lookup label{display:block;margin-bottom:6px;color:#444}
        .lookup input{width:100%;box-sizing:border-box;font-size:16px;padding:8px;margin-bottom:8px}
        .lookup button{font-size:16px;padding:8px 20px}footer{text-align:center;color:#888;font-size:12px;padding:24px 16px}
        """

    static func escape(_ text: String) -> String { MarkupEscaping.escape(text) }
}
