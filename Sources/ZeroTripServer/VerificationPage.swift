import Foundation
import Hummingbird
import ZeroTrip
import ZeroTripDocuments

/// The public verification page (`GET /v/…`): server-rendered, Chinese, readable on a phone, no scripts.
/// It states the result in one word and shows the issuer, matter, dates and the masked holder: nothing more personal.
enum VerificationPage {
    static func render(_ report: VerificationReport?) -> String {
        guard let report else {
            return page(title: "电子文书核验", color: "#555", banner: "请扫描文书上的二维码", body: "<p>用手机扫描电子文书上的二维码，即可在此核验文书真伪与状态。</p>")
        }
        let (word, color): (String, String) = switch report.result {
        case .valid: ("有效", "#1a7f37")
        case .invalid: ("无效", "#b42318")
        case .revoked: (report.reasons.first?.code == "superseded" ? "已撤销（已被替代）" : "已撤销", "#b42318")
        case .expired: ("已过期", "#9a6700")
        case .unknown: ("无法核验", "#555")
        }
        var rows: [(String, String)] = []
        if let document = report.document {
            if let name = document.matterName { rows.append(("文书名称", name)) }
            rows.append(("签发部门", document.departmentName ?? document.departmentCode))
            rows.append(("持证人", document.holderName))
            rows.append(("签发时间", ChinaTime(document.issuedAt).minuteText))
            rows.append(("有效期至", ChinaTime(document.validUntil).minuteText))
            if let changed = document.statusChangedAt { rows.append(("撤销时间", ChinaTime(changed).minuteText)) }
            if let reason = document.statusReason { rows.append(("撤销原因", reasonText(reason))) }
            if let newer = document.supersededBy { rows.append(("替代文书", newer)) }
            rows.append(("文书编号", document.id))
        }
        if report.result != .valid, let reason = report.reasons.first { rows.append(("说明", explanation(reason.code))) }
        rows.append(("核验时间", ChinaTime(report.verifiedAt).minuteText + "（北京时间）"))
        let table = rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined()
        let note = report.registerChecked ? "已比对签发登记库。" : "未能比对签发登记库。"
        return page(title: "电子文书核验结果：\(word)", color: color, banner: word,
                    body: "<table>\(table)</table><p class=\"note\">\(note)本页不显示完整身份信息。</p>")
    }

    static func reasonText(_ code: String) -> String {
        switch code {
        case "issued_in_error": "签发错误"
        case "facts_changed": "事实变更"
        case "obligation_unmet": "未按承诺补齐材料"
        case "fraud": "虚假承诺或材料"
        case "key_compromise": "印章密钥泄露"
        case "superseded": "已重新签发"
        default: "其他"
        }
    }

    static func explanation(_ code: String) -> String {
        switch code {
        case "kid_unknown": "签名密钥不在本区信任列表中，无法确认来源。"
        case "signature_invalid", "pdf_modified": "签名校验失败，内容可能被篡改。"
        case "not_registered": "签发登记库中没有该文书。"
        case "register_mismatch": "与签发登记库记录不一致。"
        case "expired": "文书已超过有效期。"
        case "revoked": "文书已被签发部门撤销。"
        case "superseded": "文书已被新文书替代，请以新文书为准。"
        default: "二维码内容不完整或格式错误。"
        }
    }

    /// The 429 page of a client that asked too often, with `Retry-After`.
    static func tooManyRequests(retryAfter seconds: Int) -> Response {
        let html = page(title: "请求过于频繁", color: "#9a6700", banner: "请求过于频繁",
                        body: "<p>您所在网络的核验请求过多，请于 \(seconds) 秒后再试。</p><p class=\"note\">如需批量核验，请由部门使用核验接口。</p>")
        var headers = htmlHeaders
        headers[.retryAfter] = String(seconds)
        return Response(status: .tooManyRequests, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Headers of every page: no caching, no scripts or outside resources, no referrer.
    static var htmlHeaders: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.init("Content-Security-Policy")!] = "default-src 'none'; style-src 'unsafe-inline'"
        headers[.init("Referrer-Policy")!] = "no-referrer"
        return headers
    }

    static func page(title: String, color: String, banner: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex"><title>\(escape(title))</title>
        <style>body{font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f6f6f6;color:#222}
        .banner{background:\(color);color:#fff;text-align:center;padding:28px 12px;font-size:32px;font-weight:bold}
        main{max-width:560px;margin:0 auto;padding:16px}table{width:100%;border-collapse:collapse;background:#fff}
        th,td{padding:10px;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top;font-size:16px;word-break:break-all}
        th{width:34%;color:#666;font-weight:normal}.note{color:#666;font-size:14px}</style></head>
        <body><div class="banner">\(escape(banner))</div><main>\(body)</main></body></html>
        """
    }

    static func escape(_ text: String) -> String { MarkupEscaping.escape(text) }
}
