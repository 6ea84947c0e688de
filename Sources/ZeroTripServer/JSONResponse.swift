import Synchronization
import Hummingbird
import Foundation
import NIOCore
import ZeroTrip

/// A type whose JSON is an API answer: declared in this target, apart from the domain's types, so that renaming a
/// domain member cannot change what clients receive. A domain type answered as it is says so by conforming at the
/// end of `APIModels+Domain.swift` (the matter catalogue, a document that is loaded back); the signed formats and the
/// hot verification answers are written by `HotResponses` and never pass through here. OpenAPITests lists which
/// domain types reach the wire, and why.
protocol APIAnswer: Encodable {}

extension Dictionary: APIAnswer where Key == String, Value: Encodable {}

/// A result document's exact PDF as an answer: `attachment` (a download) or `inline` (opened by the browser, the
/// public link behind a QR code), never cached. The pages add `X-Content-Type-Options: nosniff` to it.
enum PDFResponse {
    static func make(_ pdf: [UInt8], id: DocumentID, inline: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/pdf"
        headers[.contentDisposition] = "\(inline ? "inline" : "attachment"); filename=\"\(id).pdf\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: pdf)))
    }

    /// ``make(_:id:inline:)`` for a page: the browser must not guess another type.
    static func page(_ pdf: [UInt8], id: DocumentID, inline: Bool = false) -> Response {
        var response = make(pdf, id: id, inline: inline)
        response.headers[.contentTypeOptions] = "nosniff"
        return response
    }
}

/// JSON encoding and bounded decoding for handlers.
enum JSONResponse {
    static func make<T: APIAnswer>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try (value as? any JSONWritable)?.jsonBytes ?? ResponseEncoder.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The headers of every JSON answer: JSON in UTF-8, never cached (answers carry personal data and change).
    static let headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]

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
        // use synthesized Decodable, so their JSON member names are their property names. The top level is read by
        // the key scanner; bodies with nested objects (issuance fields, a window's card and clerk) are walked too.
        if let keys = JSONKeyScanner.topLevelKeys(buffer.readableBytesView) {
            let shape = Self.shape(of: value)
            if let unknown = keys.first(where: { !shape.fields.contains($0) }) {
                throw ZeroTripError(
                    .invalidInput, "unknown field \"\(unknown.prefix(64))\"; the fields are \(shape.fields.sorted().joined(separator: ", "))")
            }
            if shape.nested, let json = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)),
                let (path, known) = Self.unknownMember(in: json, of: value, at: "")
            {
                throw ZeroTripError(
                    .invalidInput, "unknown field \"\(path.prefix(80))\"; the fields there are \(known.sorted().joined(separator: ", "))")
            }
        }
        return value
    }

    /// What the strict check needs of a body type: its member names, and whether any member holds objects (only
    /// then is the body parsed a second time to look inside them).
    private struct Shape: Sendable {
        var fields: Set<String>
        var nested: Bool
    }

    /// Each request body type's shape, read by reflection once per type: a `Mirror` per request showed in profiles
    /// of the hot routes. A struct's properties are the same for every value.
    private static let shapes = Mutex<[ObjectIdentifier: Shape]>([:])

    private static func shape<T>(of value: T) -> Shape {
        let type = ObjectIdentifier(T.self)
        if let known = shapes.withLock({ $0[type] }) { return known }
        let children = Mirror(reflecting: value).children
        // Optionals count as nested: a nil one cannot show what it would hold.
        let nested = children.contains { [.struct, .class, .collection, .optional].contains(Mirror(reflecting: $0.value).displayStyle) }
        let known = Shape(fields: Set(children.compactMap(\.label)), nested: nested)
        shapes.withLock { $0[type] = known }
        return known
    }

    /// The first member of `json` (parsed) that the decoded `value` has no property for, as a path
    /// (`fields[2].lable`), with the names allowed there. Dictionaries (free keys), enums and scalars end the walk.
    static func unknownMember(in json: Any, of value: Any, at path: String) -> (path: String, known: Set<String>)? {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first else { return nil }
            return unknownMember(in: json, of: wrapped.value, at: path)
        case .struct, .class:
            guard let object = json as? [String: Any] else { return nil }
            var members: [String: Any] = [:]
            for child in mirror.children { if let label = child.label { members[label] = child.value } }
            for key in object.keys.sorted() {
                let inner = path.isEmpty ? key : "\(path).\(key)"
                guard let member = members[key] else { return (inner, Set(members.keys)) }
                if let found = unknownMember(in: object[key]!, of: member, at: inner) { return found }
            }
            return nil
        case .collection:
            guard let array = json as? [Any] else { return nil }
            for (index, (element, member)) in zip(array, mirror.children.map(\.value)).enumerated() {
                if let found = unknownMember(in: element, of: member, at: "\(path)[\(index)]") { return found }
            }
            return nil
        default:
            return nil
        }
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
