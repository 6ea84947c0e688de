import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Foundation
import Synchronization
import ZeroTrip

/// The JSON error body every failing response carries: `{"error": {"code": "...", "message": "...", "detail": "..."}}`:
/// the stable code, a Chinese message a caller can show to a person, and the English detail of what was wrong.
struct APIErrorBody: Codable, Sendable {
    struct Detail: Codable, Sendable {
        var code: String
        var message: String
        var detail: String
    }
    var error: Detail
}

/// Maps domain error codes to HTTP statuses. This is the only place statuses are chosen for errors.
enum HTTPErrorMapping {
    static func status(for code: ZeroTripError.Code) -> HTTPResponse.Status {
        switch code.kind {
        case .invalidInput: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .conflict: .conflict
        case .unprocessable: .unprocessableContent
        case .tooLarge: .contentTooLarge
        case .tooManyRequests: .tooManyRequests
        // The daemon's own set-up or load (key passphrase, configuration, a busy database): the operator must act, the
        // caller may retry later.
        case .unavailable: .serviceUnavailable
        case .fault: .internalServerError
        }
    }

    /// What a failure's log line says: where it was raised and what failed underneath, never the message (it is in
    /// the answer) or secrets.
    static func logMetadata(_ domain: ZeroTripError, thrown: any Error, route: String) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "code": "\(domain.code)", "error": "\(String(describing: type(of: thrown)))", "route": "\(route)",
            "at": "\(domain.file):\(domain.line)",
        ]
        if let cause = domain.cause { metadata["cause"] = "\(cause)" }
        return metadata
    }

    /// Logs a failure the operator should see: a 500 as an error (`<what> failed`) with where it was raised and its
    /// cause; a 503 (a passphrase, a token, the database, the configuration: the operator must act) as a warning
    /// (`<what> refused: service unavailable`) once per code every ten seconds however many meet it, with how many were
    /// not logged since (`alsoSince`); a refusal of the caller's own making (4xx) not at all.
    static func logFailure(_ domain: ZeroTripError, thrown: any Error, route: String, what: String, logger: Logger, throttle: UnavailableLog) {
        let status = status(for: domain.code)
        if status.code >= 500, status != .serviceUnavailable {
            logger.error("\(what) failed", metadata: logMetadata(domain, thrown: thrown, route: route))
        } else if status == .serviceUnavailable, let suppressed = throttle.shouldLog(domain.code) {
            var metadata = logMetadata(domain, thrown: thrown, route: route)
            if suppressed > 0 { metadata["alsoSince"] = "\(suppressed)" }
            logger.warning("\(what) refused: service unavailable", metadata: metadata)
        }
    }

    /// Converts anything thrown by a handler into a domain error safe to show.
    static func domainError(from error: any Error) -> ZeroTripError {
        switch error {
        case let error as ZeroTripError:
            return error
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge: return ZeroTripError(.payloadTooLarge, "request body is too large")
            case .notFound: return ZeroTripError(.notFound, "no such route")
            case .methodNotAllowed: return ZeroTripError(.methodNotAllowed, "method not allowed on this route")
            case .badRequest: return ZeroTripError(.invalidInput, error.body ?? "bad request")
            default:
                // Any other status the framework raised keeps its number (answered as is, see the middleware).
                let kind: ZeroTripError.Kind = (500...).contains(error.status.code) ? .fault : .invalidInput
                return ZeroTripError(.init("http_\(error.status.code)", kind: kind), error.body ?? error.status.reasonPhrase)
            }
        case is DecodingError:
            return ZeroTripError(.invalidInput, "request body is not the expected JSON")
        case is NIOTooManyBytesError:
            // A body over the route's own limit (collectBody(upTo:)), however it was framed.
            return ZeroTripError(.payloadTooLarge, "request body is too large for this route")
        case is HTTPParserError:
            // Malformed framing (a bad chunk size, say) while the handler read the body.
            return ZeroTripError(.invalidInput, "the request is not well-formed HTTP")
        case let error as any HTTPResponseError where (400..<500).contains(error.status.code):
            return ZeroTripError(error.status == .contentTooLarge ? .payloadTooLarge : .invalidInput, error.status.reasonPhrase)
        default:
            return ZeroTripError(.internalError, "internal error")
        }
    }

    static func response(for error: ZeroTripError, status: HTTPResponse.Status? = nil) -> Response {
        let body = APIErrorBody(
            error: .init(code: error.code.rawValue, message: ChineseMessages.apiMessage(error.code.rawValue), detail: error.message))
        let data =
            (try? JSONEncoder().encode(body))
            ?? Data(#"{"error":{"code":"internal_error","message":"服务内部错误，请稍后再试。","detail":"internal error"}}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // Every 429 and 503 says when to come back: the error's own time when it knows one (a rate limit's bucket, a
        // lockout's end), else a second for a busy database and a minute for the rest.
        let answered = status ?? self.status(for: error.code)
        if let seconds = error.retryAfterSeconds ?? ([.databaseBusy, .databaseUnavailable, .overloaded].contains(error.code) ? 1 : nil)
            ?? ([.tooManyRequests, .serviceUnavailable].contains(answered) ? 60 : nil)
        {
            headers[.retryAfter] = String(seconds)
        }
        if error.code == .stepUpRequired {
            // RFC 9470: the client should re-authenticate at a higher level.
            headers[.wwwAuthenticate] = #"Bearer error="insufficient_user_authentication", error_description="a higher identity tier is required""#
        }
        return Response(status: answered, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every thrown error, including the router's own 404s and body-limit errors,
/// into the JSON error body, and logs server-side failures without request secrets.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// This application's throttle of 503 warnings.
    let unavailableLog = UnavailableLog()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let domain = HTTPErrorMapping.domainError(from: error)
            let status = HTTPErrorMapping.status(for: domain.code)
            HTTPErrorMapping.logFailure(
                domain, thrown: error, route: context.endpointPath ?? "unmatched", what: "request", logger: context.logger, throttle: unavailableLog)
            let path = request.uri.path
            // No route matched: when the path is a route of other methods, say which (RFC 9110 §15.5.6).
            if let error = error as? HTTPError, error.status == .notFound, let allowed = ZeroTripAPI.methods(allowedAt: path),
                !allowed.contains(request.method.rawValue)
            {
                var response = HTTPErrorMapping.response(
                    for: ZeroTripError(
                        .methodNotAllowed, "\(request.method) is not a method of \(path.prefix(64)); it takes \(allowed.joined(separator: ", "))"))
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            let answered = domain.code.rawValue.hasPrefix("http_") ? HTTPResponse.Status(code: Int(domain.code.rawValue.dropFirst(5)) ?? 500) : status
            // The people-facing pages answer with a page, in Chinese, under the pages' CSP: never the JSON body.
            if path == "/my" || path.hasPrefix("/my/") || path == "/window" || path.hasPrefix("/window/") {
                return PageRenderer.errorPage(domain, status: answered)
            }
            return HTTPErrorMapping.response(for: domain, status: answered)
        }
    }
}

/// Refuses a declared body larger than the limit before reading any of it.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw ZeroTripError(.payloadTooLarge, "request body of \(length) bytes exceeds the limit of \(limit) bytes")
        }
        return try await next(request, context)
    }
}

/// Throttles the warning a 503 logs: one line per error code every ``interval``, so a missing token or a full
/// database is in the log at once, and a polling monitor or a burst of clients cannot flood it.
final class UnavailableLog: Sendable {
    static let interval: Duration = .seconds(10)
    private let state = Mutex<[String: (last: ContinuousClock.Instant, suppressed: Int)]>([:])

    /// `nil` when this occurrence is not to be logged; otherwise how many occurrences of `code` went unlogged before it.
    func shouldLog(_ code: ZeroTripError.Code, now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { entries in
            if let entry = entries[code.rawValue], now - entry.last < Self.interval {
                entries[code.rawValue]?.suppressed += 1
                return nil
            }
            let suppressed = entries[code.rawValue]?.suppressed ?? 0
            entries[code.rawValue] = (now, 0)
            return suppressed
        }
    }
}

/// What the people-facing pages log when they turn a failure into a page (they never let it reach the JSON error
/// middleware): the same lines, a 500 as an error with where it was raised and its cause, a 503 as a throttled warning.
/// Refusals of the caller's own making (4xx) are the page's answer, not the operator's concern, and are not logged.
enum PageFailureLog {
    static let logger = Logger(label: "zerotrip.pages")
    static let unavailable = UnavailableLog()

    /// Logs `error`, met on the page `route` (a pattern or a page name, never a path with values), if the operator should see it.
    static func record(
        _ error: ZeroTripError, route: String, logger: Logger = PageFailureLog.logger, unavailable: UnavailableLog = PageFailureLog.unavailable
    ) {
        HTTPErrorMapping.logFailure(error, thrown: error, route: route, what: "page", logger: logger, throttle: unavailable)
    }
}
