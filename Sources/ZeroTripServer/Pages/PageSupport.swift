import Foundation
import Hummingbird
import Mustache
import NIOCore
import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import HTTPTypes
import Synchronization

/// Renders the page templates (``PageTemplates``) into responses carrying the pages' security headers.
struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    init() {
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in PageTemplates.all {
            // The templates are constants compiled into the binary and every one is rendered by the page tests;
            // one that does not parse is a programming error, not a run-time condition.
            do { templates[name] = try MustacheTemplate(string: text) } catch { preconditionFailure("page template \(name): \(error)") }
        }
        library = MustacheLibrary(templates: templates)
    }

    /// The page `name` over `context`, as a response with `status` and the page headers.
    func response(_ name: String, _ context: [String: Any], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        let html = library.render(context, withTemplate: name) ?? ""
        var headers = Self.headers
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// No caching of personal pages, no scripts, styles only from this server, forms only to it, never in a frame.
    static let headers: HTTPFields = {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.init("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        // Not `no-referrer`: under it browsers send `Origin: null` with the page's own form posts, and the origin
        // check could no longer tell them from a forged one. `same-origin` still tells other sites nothing.
        headers[.referrerPolicy] = "same-origin"
        headers[.contentTypeOptions] = "nosniff"
        headers[.frameOptions] = "DENY"
        return headers
    }()

    /// The notice page in the frame `base`: `title`, `message`, a link back, and `Retry-After` when `retryAfter` is
    /// given (shown on the page too). Every refusal and failure page of /my and /window is one.
    func notice(
        _ base: [String: Any], title: String, message: String, back: String, backText: String = "返回",
        status: HTTPResponse.Status, retryAfter: Int? = nil
    ) -> Response {
        var context = base
        context["title"] = title
        context["message"] = message
        context["back"] = back
        context["backText"] = backText
        var headers = HTTPFields()
        if let retryAfter {
            context["retryAfter"] = retryAfter
            headers[.retryAfter] = String(retryAfter)
        }
        return response("notice", context, status: status, headers: headers)
    }

    /// The notice for a domain error: the Chinese message of its code, its status, its `Retry-After`.
    func notice(
        _ base: [String: Any], for error: ZeroTripError, title: String = "未能完成", back: String, backText: String = "返回",
        status: HTTPResponse.Status? = nil
    ) -> Response {
        notice(
            base, title: title, message: ChineseMessages.text(for: error), back: back, backText: backText,
            status: status ?? HTTPErrorMapping.status(for: error.code), retryAfter: error.retryAfterSeconds)
    }

    /// A page for an error raised before any page handler could answer (a body over the daemon's limit, a malformed
    /// request): the Chinese message of its code, the status, `Retry-After` when the error has one.
    static func errorPage(_ error: ZeroTripError, status: HTTPResponse.Status) -> Response {
        PageRenderer().notice(["district": "本区", "service": "政务服务"], for: error, back: "/", backText: "返回首页", status: status)
    }

    /// `303 See Other` to `location` (after a form post, and to the login page).
    static func redirect(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    /// The style sheet, cached for a day (it changes only with the binary).
    static func styleSheet() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/css; charset=utf-8"
        headers[.cacheControl] = "public, max-age=86400"
        headers[.contentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: PageTemplates.css)))
    }
}

/// The district's full administrative name as every page shows it (`广东省佛山市禅城区`), read at most once a
/// minute: it changes only with `zerotrip district set-area` (before `zerotrip init`, "本区", read again next time).
final class DistrictNameCache: Sendable {
    private let cached = Mutex<(info: DistrictInfo, readAt: ContinuousClock.Instant)?>(nil)
    private let services: ZeroTripServices

    init(services: ZeroTripServices) { self.services = services }

    private func info() async -> DistrictInfo? {
        if let entry = cached.withLock({ $0 }), ContinuousClock.now - entry.readAt < .seconds(60) { return entry.info }
        guard let loaded = try? await services.administration.district() else { return cached.withLock { $0?.info } }
        cached.withLock { $0 = (loaded, ContinuousClock.now) }
        return loaded
    }

    /// The full administrative name, e.g. `广东省佛山市禅城区`.
    func get() async -> String {
        await info()?.administrativeName ?? "本区"
    }

    /// A department's full issuing-authority name, e.g. `广东省佛山市禅城区人力资源和社会保障局`.
    func issuer(_ department: String) async -> String {
        await info()?.issuerName(department) ?? department
    }
}

/// Reading `application/x-www-form-urlencoded` bodies of the page forms.
enum PageForm {
    /// Largest form body accepted: the login form is well under 1 KiB; a result's fields at the window, percent-encoded
    /// Chinese, can take several.
    static let maximumBytes = 16_384

    /// The form's fields (the first value of each name); a body over ``maximumBytes`` is refused with
    /// `payload_too_large`, one that is not valid form encoding with `invalid_input`.
    static func fields(of request: Request) async throws -> [String: String] {
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: maximumBytes) } catch {
            throw ZeroTripError(.payloadTooLarge, "the form is larger than \(maximumBytes) bytes")
        }
        return try parse(String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    static func parse(_ text: String) throws -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw ZeroTripError(.invalidInput, "the form is not valid form encoding")
            }
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    private static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// A form sent as `multipart/form-data` (a form with a file): its text fields (the first value of each name) and
    /// its files by field name (empty file inputs left out). At most `limit` bytes; `payload_too_large` beyond,
    /// `invalid_input` when the body is not multipart as RFC 7578 describes it.
    static func multipart(of request: Request, limit: Int) async throws -> (fields: [String: String], files: [String: [UInt8]]) {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
            let range = type.range(of: "boundary=", options: .caseInsensitive)
        else {
            return (try await fields(of: request), [:])
        }
        let boundary = String(type[range.upperBound...].prefix { $0 != ";" }).trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard (1...70).contains(boundary.utf8.count) else { throw ZeroTripError(.invalidInput, "the form's boundary is not valid") }
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: limit) } catch {
            throw ZeroTripError(.payloadTooLarge, "the form is larger than \(limit / 1024) KiB")
        }
        return try parseMultipart(Array(buffer.readableBytesView), boundary: boundary)
    }

    static func parseMultipart(_ body: [UInt8], boundary: String) throws -> (fields: [String: String], files: [String: [UInt8]]) {
        let invalid = ZeroTripError(.invalidInput, "the form is not valid multipart/form-data")
        let delimiter = Array("--\(boundary)".utf8), separator = Array("\r\n\r\n".utf8)
        var fields: [String: String] = [:], files: [String: [UInt8]] = [:]
        guard var start = body.firstIndex(ofBytes: delimiter, from: 0) else { throw invalid }
        while true {
            var position = start + delimiter.count
            if body[position...].starts(with: Array("--".utf8)) { break }
            guard body[position...].starts(with: Array("\r\n".utf8)) else { throw invalid }
            position += 2
            guard let headerEnd = body.firstIndex(ofBytes: separator, from: position),
                // The part's content starts after the blank line; its closing delimiter cannot start before that.
                let next = body.firstIndex(ofBytes: Array("\r\n".utf8) + delimiter, from: headerEnd + separator.count)
            else { throw invalid }
            let headers = String(decoding: body[position..<headerEnd], as: UTF8.self).lowercased()
            let content = Array(body[(headerEnd + separator.count)..<next])
            let original = String(decoding: body[position..<headerEnd], as: UTF8.self)
            guard headers.contains("content-disposition: form-data"), let nameRange = original.range(of: "; name=\"", options: .caseInsensitive)
            else { throw invalid }
            let name = String(original[nameRange.upperBound...].prefix { $0 != "\"" })
            if headers.contains("filename=") {
                if !content.isEmpty && files[name] == nil { files[name] = content }
            } else if fields[name] == nil {
                guard let text = String(validating: content, as: UTF8.self) else { throw invalid }
                fields[name] = text
            }
            start = next + 2
        }
        return (fields, files)
    }
}

/// The cookies of the applicant pages and their CSRF tokens.
///
/// The session cookie holds the applicant session token (the same session as the API's bearer token, with the same
/// tiers and lifetimes): `HttpOnly` so no script can read it, `SameSite=Strict` so no other site's page sends it,
/// `Secure` when the district is served over TLS. Each form carries a CSRF token derived from the session token
/// (HMAC), so it needs no storage and dies with the session; before login, a random value in a cookie of its own
/// is repeated in the form (double submit). Every POST also checks `Origin` and `Sec-Fetch-Site`.
struct PageCookies: Sendable {
    static let session = "zt_session"
    static let preSession = "zt_pre"
    static let flow = "zt_flow"

    /// Whether cookies are marked `Secure` (the district's pages are served over TLS).
    let secure: Bool

    func cookie(_ name: String, _ value: String, path: String = "/", maxAge: Int?) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: secure, httpOnly: true, sameSite: .strict)
    }

    func clearing(_ name: String, path: String = "/") -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: path, secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// The pre-login form token of the `name` cookie (path `path`): the one the browser holds, or a new random one
    /// set on `headers` (double submit: the form repeats it).
    func preSessionToken(_ request: Request, name: String, path: String, headers: inout HTTPFields) throws -> String {
        if let existing = request.cookies[name]?.value, existing.utf8.count == 32 { return existing }
        let token = Hex.encode(try SecureRandom.bytes(count: 16))
        headers.setCookie(cookie(name, token, path: path, maxAge: 3600))
        return token
    }

    /// Whether a posted `form` is the site's own: sent from this origin and carrying `expected` as its `csrf` field.
    static func isGenuine(_ request: Request, form: [String: String], expected: String) -> Bool {
        sameOrigin(request) && matches(form["csrf"], expected)
    }

    /// The CSRF token of the session `token`.
    static func csrfToken(session token: String) -> String {
        Base64.encodeURLSafe(HMAC.sha256(key: Array(token.utf8), Array("zerotrip page form".utf8)))
    }

    /// Whether `presented` is the expected token (constant time).
    static func matches(_ presented: String?, _ expected: String) -> Bool {
        guard let presented, !expected.isEmpty else { return false }
        return ConstantTime.equals(Array(presented.utf8), Array(expected.utf8))
    }

    /// Whether the browser says the request came from this site: `Sec-Fetch-Site` same-origin (or a typed address),
    /// and an `Origin`, when sent, naming the host the request was sent to.
    static func sameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[.secFetchSite], site != "same-origin" && site != "none" { return false }
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority, let url = URL(string: origin), let originHost = url.host else { return false }
        let port = url.port.map { ":\($0)" } ?? ""
        return "\(originHost)\(port)".lowercased() == host.lowercased()
    }
}

/// A QR code as inline SVG (drawn by the server, so the strict CSP needs no image source).
enum QRCodeSVG {
    /// `text` as a QR code at `errorCorrection`, or nil when it does not fit one.
    static func svg(encoding text: String, errorCorrection: QRMatrix.ErrorCorrection, label: String) -> String? {
        guard let matrix = try? QRMatrix(encodingSegmented: text, errorCorrection: errorCorrection) else { return nil }
        let quiet = 4
        let size = matrix.size + 2 * quiet
        var path = ""
        path.reserveCapacity(matrix.size * matrix.size * 4)
        for y in 0..<matrix.size {
            var x = 0
            while x < matrix.size {
                guard matrix.isDark(x: x, y: y) else { x += 1; continue }
                var run = 1
                while x + run < matrix.size && matrix.isDark(x: x + run, y: y) { run += 1 }
                path += "M\(x + quiet) \(y + quiet)h\(run)v1h-\(run)z"
                x += run
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" shape-rendering="crispEdges" role="img" aria-label="\(MarkupEscaping.escape(label))">\
            <rect width="\(size)" height="\(size)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }
}

extension HTTPFields {
    /// Adds a `Set-Cookie` field (several may be set on one response).
    mutating func setCookie(_ cookie: Cookie) {
        append(HTTPField(name: .setCookie, value: cookie.description))
    }
}
