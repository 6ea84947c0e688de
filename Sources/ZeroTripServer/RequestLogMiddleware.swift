import Hummingbird
import Logging
import Foundation

/// Logs one line per request with the method, the matched route pattern (`/v1/credit/{subject}`, never the
/// values in the path or query: they can carry ID numbers and tokens), the status and the duration, and answers
/// with the line's request id in `X-Request-Id`, so a department reporting a failed call can name the log line.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let level: Logger.Level
    /// Where each answered request is counted (route pattern, method, status, duration).
    let metrics: DaemonMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func log(_ status: Int, _ context: Context) {
            let elapsed = ContinuousClock.now - start
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status, duration: elapsed)
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            context.logger.log(
                level: level, "request",
                metadata: [
                    "method": .string(request.method.rawValue),
                    "route": .string(context.endpointPath ?? "unmatched"),
                    "status": .stringConvertible(status),
                    "ms": .string(String(format: "%.2f", milliseconds)),
                ])
        }
        do {
            var response = try await next(request, context)
            log(response.status.code, context)
            response.headers[.requestID] = context.id
            return response
        } catch {
            log((error as? any HTTPResponseError)?.status.code ?? 500, context)
            throw error
        }
    }
}
