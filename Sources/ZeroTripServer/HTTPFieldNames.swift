import HTTPTypes

/// The header names HTTPTypes does not define, parsed once: a name made from a string is validated and lowercased
/// each time, which the request log paid on every answer.
extension HTTPField.Name {
    /// `X-Forwarded-For` (de facto standard; RFC 7239's `Forwarded` is not what nginx sends by default).
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// `X-Request-Id`: the request log line's id, so a department reporting a failed call can name its line.
    static let requestID = HTTPField.Name("X-Request-Id")!
    /// `X-Content-Type-Options` (`nosniff`: the browser must not guess another type).
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    /// `X-Frame-Options` (`DENY`: the pages are never framed).
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    /// `Referrer-Policy`.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    /// `Sec-Fetch-Site` (Fetch Metadata: where the browser says a request came from).
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}
