import Foundation
import Synchronization
import ZeroTrip
import ZeroTripDocuments

/// The JSON Schema of a request body type, read from the type itself: the type is decoded once by a decoder that
/// answers every request with a placeholder and writes down what was asked for (which member, of what type, whether
/// through `decodeIfPresent`).
///
/// Why not written by hand: the body types are what the handlers decode, so a schema derived from them cannot drift
/// from what the daemon accepts. Strict decoding (``JSONResponse/decode(_:from:limit:)``) refuses unknown members,
/// hence `additionalProperties: false` on every object but dictionaries.
enum BodySchema {
    /// The schema of `type`; `{}` (anything) for a type whose own `init(from:)` refuses the placeholders. Objects are
    /// named components (``components``) referred to by `$ref`, so a type met in many answers is described once.
    static func of<T: Decodable>(_ type: T.Type) -> JSONValue {
        (try? record(type, path: []))?.schema ?? [:]
    }

    /// Every object type described so far, by component name: `#/components/schemas/<name>`.
    static var components: [String: JSONValue] { registry.withLock { $0.mapValues(\.schema) } }

    /// The Swift type behind each component, module included (`ZeroTripServer.ApplicationView`): a test checks that
    /// answers are built from this target's types, not the domain's.
    static var componentTypes: [String: String] { registry.withLock { $0.mapValues(\.type) } }

    /// Per type: a placeholder value, the object's schema and the Swift type's full name, recorded once.
    private static let registry = Mutex<[String: (value: Placeholder, schema: JSONValue, type: String)]>([:])

    /// A recorded placeholder kept for the next time its type is met: a plain value, never shared mutable state.
    private struct Placeholder: @unchecked Sendable { let value: Any }

    /// A placeholder value of `type` and its schema.
    static func record<T: Decodable>(_ type: T.Type, path: [any CodingKey]) throws -> (value: T, schema: JSONValue) {
        if let scalar = scalar(type) { return scalar }
        if let described = type as? any SchemaDescribed.Type, let value = described.schemaPlaceholder as? T {
            return (value, described.jsonSchema)
        }
        if let choice = type as? any (CaseIterable & RawRepresentable).Type, let found = enumeration(choice), let value = found.value as? T {
            return (value, found.schema)
        }
        let name = componentName(type)
        if let name, let known = registry.withLock({ $0[name] }), let value = known.value.value as? T {
            return (value, ["$ref": .string("#/components/schemas/\(name)")])
        }
        guard path.count < 16 else { throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "schema too deep")) }
        let recorder = Recorder(codingPath: path)
        let value = try T(from: recorder)
        // Only objects of a named type become components: arrays and dictionaries stay where they are used.
        var schema = recorder.schema
        if let augmented = type as? any SchemaAugmented.Type, case .object(var members) = schema, case .object(var properties) = members["properties"]
        {
            for (key, property) in augmented.writtenMembers { properties[key] = property }
            members["properties"] = .object(properties)
            members["required"] = .array(((members["required"]?.strings ?? []) + augmented.writtenMembers.keys.sorted()).map { .string($0) })
            schema = .object(members)
        }
        guard let name, schema["properties"] != nil else { return (value, schema) }
        registry.withLock { $0[name] = (Placeholder(value: value), schema, String(reflecting: type)) }
        return (value, ["$ref": .string("#/components/schemas/\(name)")])
    }

    /// `VolumesView.Department` for `ZeroTripServer.VolumesView.Department`: the type's path without its module,
    /// unique where the bare name is not; `nil` for generic types (arrays, dictionaries, optionals).
    static func componentName<T>(_ type: T.Type) -> String? {
        if let named = type as? any SchemaNamed.Type { return named.schemaName }
        let full = String(reflecting: type)
        guard !full.contains("<"), !full.contains("("), let dot = full.firstIndex(of: ".") else { return nil }
        return String(full[full.index(after: dot)...])
    }

    private static func scalar<T>(_ type: T.Type) -> (value: T, schema: JSONValue)? {
        func make(_ value: Any, _ schema: JSONValue) -> (T, JSONValue)? { (value as? T).map { ($0, schema) } }
        switch type {
        case is String.Type: return make("", ["type": "string"])
        case is Bool.Type: return make(false, ["type": "boolean"])
        case is Int.Type: return make(0 as Int, ["type": "integer"])
        case is Int64.Type: return make(0 as Int64, ["type": "integer", "format": "int64"])
        case is Int32.Type: return make(0 as Int32, ["type": "integer", "format": "int32"])
        case is UInt64.Type: return make(0 as UInt64, ["type": "integer", "minimum": 0])
        case is Int8.Type: return make(0 as Int8, ["type": "integer", "minimum": -128, "maximum": 127])
        case is Int16.Type: return make(0 as Int16, ["type": "integer", "minimum": -32768, "maximum": 32767])
        case is UInt.Type: return make(0 as UInt, ["type": "integer", "minimum": 0])
        case is UInt8.Type: return make(0 as UInt8, ["type": "integer", "minimum": 0, "maximum": 255])
        case is UInt16.Type: return make(0 as UInt16, ["type": "integer", "minimum": 0, "maximum": 65535])
        case is UInt32.Type: return make(0 as UInt32, ["type": "integer", "minimum": 0, "format": "int64"])
        // As the response encoder writes them (`JSONEncoder`'s ISO 8601 dates and base64 data).
        case is Date.Type: return make(Date(timeIntervalSince1970: 0), ["type": "string", "format": "date-time"])
        case is Data.Type: return make(Data(), ["type": "string", "contentEncoding": "base64"])
        case is URL.Type: return make(URL(fileURLWithPath: "/"), ["type": "string", "format": "uri-reference"])
        case is Double.Type: return make(0 as Double, ["type": "number"])
        case is Float.Type: return make(0 as Float, ["type": "number"])
        default: return nil
        }
    }

    /// `schema` or null: `"type": [t, "null"]` for a simple type, else `anyOf`.
    static func nullable(_ schema: JSONValue) -> JSONValue {
        guard case .object(var members) = schema else { return schema }
        if case .string(let type) = members["type"], members["enum"] == nil {
            members["type"] = [.string(type), "null"]
            return .object(members)
        }
        return ["anyOf": [schema, ["type": "null"]]]
    }

    /// A string enumeration lists its raw values.
    private static func enumeration<E: CaseIterable & RawRepresentable>(_ type: E.Type) -> (value: Any, schema: JSONValue)? {
        let values = type.allCases.compactMap { $0.rawValue as? String }
        guard let first = type.allCases.first, values.count == type.allCases.count else { return nil }
        return (first, ["type": "string", "enum": .array(values.map { .string($0) })])
    }
}

/// The decoder that records: one per object, array or scalar met.
private final class Recorder: Decoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// What was asked of this value so far.
    private(set) var schema: JSONValue = [:]

    init(codingPath: [any CodingKey]) { self.codingPath = codingPath }

    func set(_ schema: JSONValue) { self.schema = schema }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedRecorder<Key>(self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { UnkeyedRecorder(self) }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleRecorder(self) }
}

/// An object's members; a dictionary when its keys are asked for (`allKeys`), with one placeholder member.
private final class KeyedRecorder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: Recorder
    var codingPath: [any CodingKey] { recorder.codingPath }
    private var properties: [String: JSONValue] = [:]
    private var required: [String] = []
    private var dictionary = false

    init(_ recorder: Recorder) {
        self.recorder = recorder
        publish()
    }

    var allKeys: [Key] {
        dictionary = true
        publish()
        return Key(stringValue: "*").map { [$0] } ?? []
    }

    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    private func publish() {
        if dictionary {
            recorder.set(["type": "object", "additionalProperties": properties["*"] ?? [:]])
            return
        }
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        recorder.set(.object(schema))
    }

    private func member<T: Decodable>(_ type: T.Type, _ key: Key, required isRequired: Bool) throws -> T {
        let (value, schema) = try BodySchema.record(type, path: codingPath + [key])
        // `decodeIfPresent` takes null as absent.
        properties[key.stringValue] = isRequired ? schema : BodySchema.nullable(schema)
        if isRequired && !dictionary { required.append(key.stringValue) }
        publish()
        return value
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try member(type, key, required: true) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try member(type, key, required: true) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try member(type, key, required: true) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try member(type, key, required: true) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try member(type, key, required: true) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try member(type, key, required: true) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try member(type, key, required: true) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try member(type, key, required: true) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try member(type, key, required: true) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try member(type, key, required: true) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try member(type, key, required: true) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try member(type, key, required: true) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try member(type, key, required: true) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try member(type, key, required: true) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try member(type, key, required: true) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try member(type, key, required: false) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try member(type, key, required: false) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try member(type, key, required: false) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "nested containers are not described"))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "nested containers are not described"))
    }
    func superDecoder() throws -> any Decoder { recorder }
    func superDecoder(forKey key: Key) throws -> any Decoder { recorder }
}

/// An array: one element is decoded to learn its schema, then the array ends.
private final class UnkeyedRecorder: UnkeyedDecodingContainer {
    let recorder: Recorder
    var codingPath: [any CodingKey] { recorder.codingPath }
    var count: Int? { nil }
    private(set) var currentIndex = 0
    var isAtEnd: Bool { currentIndex > 0 }

    init(_ recorder: Recorder) {
        self.recorder = recorder
        recorder.set(["type": "array"])
    }

    private struct Index: CodingKey {
        var stringValue: String { "[\(intValue ?? 0)]" }
        var intValue: Int?
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    private func element<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, schema) = try BodySchema.record(type, path: codingPath + [Index(currentIndex)])
        recorder.set(["type": "array", "items": schema])
        currentIndex += 1
        return value
    }

    func decodeNil() throws -> Bool { false }
    func decode(_ type: Bool.Type) throws -> Bool { try element(type) }
    func decode(_ type: String.Type) throws -> String { try element(type) }
    func decode(_ type: Double.Type) throws -> Double { try element(type) }
    func decode(_ type: Float.Type) throws -> Float { try element(type) }
    func decode(_ type: Int.Type) throws -> Int { try element(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try element(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try element(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try element(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try element(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try element(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try element(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try element(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try element(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try element(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try element(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "nested containers are not described"))
    }
    func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "nested containers are not described"))
    }
    func superDecoder() throws -> any Decoder { recorder }
}

/// A scalar, or a type that decodes itself from one (a wrapper around a string).
private struct SingleRecorder: SingleValueDecodingContainer {
    let recorder: Recorder
    var codingPath: [any CodingKey] { recorder.codingPath }

    init(_ recorder: Recorder) { self.recorder = recorder }

    private func value<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, schema) = try BodySchema.record(type, path: codingPath)
        recorder.set(schema)
        return value
    }

    func decodeNil() -> Bool { false }
    func decode(_ type: Bool.Type) throws -> Bool { try value(type) }
    func decode(_ type: String.Type) throws -> String { try value(type) }
    func decode(_ type: Double.Type) throws -> Double { try value(type) }
    func decode(_ type: Float.Type) throws -> Float { try value(type) }
    func decode(_ type: Int.Type) throws -> Int { try value(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try value(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try value(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try value(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try value(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try value(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try value(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try value(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try value(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try value(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try value(type) }
}

/// A type whose answers carry members its `Decodable` side does not read: written by its `JSONWritable` form for
/// the reader (a verification reason's Chinese message).
/// A type described under a name of its own choosing rather than its Swift name: the API's copy of a domain record
/// keeps the schema name clients already know (`ApplicationRecord` for ``ApplicationView``).
protocol SchemaNamed {
    static var schemaName: String { get }
}

protocol SchemaAugmented {
    /// Always written, so required.
    static var writtenMembers: [String: JSONValue] { get }
}

extension VerificationReason: SchemaAugmented {
    static var writtenMembers: [String: JSONValue] { ["message": ["type": "string", "description": "in Chinese, for a person"]] }
}

/// A type whose own decoding refuses the recorder's placeholders (a day must be `YYYY-MM-DD`): it names a valid
/// value and its schema itself.
protocol SchemaDescribed {
    static var schemaPlaceholder: any Sendable { get }
    static var jsonSchema: JSONValue { get }
}

extension CivilDay: SchemaDescribed {
    static var schemaPlaceholder: any Sendable { CivilDay(number: 0) }
    static var jsonSchema: JSONValue { ["type": "string", "format": "date"] }
}

extension VerificationReason.Code: SchemaDescribed {
    static var schemaPlaceholder: any Sendable { VerificationReason.Code.signatureInvalid }
    static var jsonSchema: JSONValue { ["type": "string", "enum": .array(VerificationReason.Code.all.map { .string($0.rawValue) })] }
}
