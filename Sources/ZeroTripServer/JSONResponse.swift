import Hummingbird
import Foundation
import NIOCore
import ZeroTrip

/// JSON encoding and bounded decoding for handlers.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try (value as? any JSONWritable)?.jsonBytes ?? ResponseEncoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads at most `limit` bytes and decodes JSON; oversized → `payload_too_large`, bad JSON → `invalid_input`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw ZeroTripError(.payloadTooLarge, "request body exceeds the limit of \(limit) bytes")
        } catch is NIOTooManyBytesError {
            throw ZeroTripError(.payloadTooLarge, "request body exceeds the limit of \(limit) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw ZeroTripError(.invalidInput, "request body is not the expected JSON object")
        }
    }
}
