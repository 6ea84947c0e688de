import Synchronization
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
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw ZeroTripError(.invalidInput, Self.describe(error))
        } catch {
            throw ZeroTripError(.invalidInput, "request body is not the expected JSON object")
        }
        // Strict members: a misspelt or unknown member is refused by name instead of being ignored. Request bodies
        // use synthesized Decodable, so their JSON member names are their property names. Top level only.
        if let keys = JSONKeyScanner.topLevelKeys(buffer.readableBytesView) {
            let known = Self.fields(of: value)
            if let unknown = keys.first(where: { !known.contains($0) }) {
                throw ZeroTripError(.invalidInput, "unknown field \"\(unknown.prefix(64))\"; the fields are \(known.sorted().joined(separator: ", "))")
            }
        }
        return value
    }

    /// The stored property names of each request body type, read by reflection once per type: a `Mirror` per
    /// request showed in profiles of the hot routes. A struct's properties are the same for every value.
    private static let knownFields = Mutex<[ObjectIdentifier: Set<String>]>([:])

    private static func fields<T>(of value: T) -> Set<String> {
        let type = ObjectIdentifier(T.self)
        if let known = knownFields.withLock({ $0[type] }) { return known }
        let known = Set(Mirror(reflecting: value).children.compactMap(\.label))
        knownFields.withLock { $0[type] = known }
        return known
    }

    /// A decoding failure in words that name the field: missing, wrong type, null.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ last: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (last.map { [$0] } ?? [])
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field \"\(path(context, key))\""
        case .typeMismatch(let type, let context): return "field \"\(path(context))\" must be \(Self.jsonType(type))"
        case .valueNotFound(let type, let context): return "field \"\(path(context))\" must be \(Self.jsonType(type)), not null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "request body is not valid JSON" : "field \"\(path(context))\" has an invalid value"
        @unknown default: return "request body is not the expected JSON object"
        }
    }

    private static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
