import Yams

/// A YAML (or JSON, which YAML 1.2 includes) configuration document read node by node, so that every
/// error names the line it is about: `line 14 (matters[2].materials[0].kind): must be primary or secondary`.
struct StructuredFile {
    /// Largest document accepted.
    static let maximumBytes = 1 << 20

    /// Parses `bytes` and returns the root, which must be a mapping.
    static func root(_ bytes: [UInt8], code: ZeroTripError.Code) throws(ZeroTripError) -> Field {
        guard bytes.count <= maximumBytes else { throw ZeroTripError(code, "the file is larger than \(maximumBytes) bytes") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw ZeroTripError(code, "the file is not UTF-8") }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ZeroTripError(code, "not valid YAML or JSON: \(String(describing: error).prefix(300))")
        } catch {
            throw ZeroTripError(code, "not valid YAML or JSON")
        }
        guard let node else { throw ZeroTripError(code, "the file is empty") }
        let root = Field(node: node, path: "", code: code)
        guard node.mapping != nil else { throw root.error("the document must be a mapping") }
        return root
    }

    /// One node with its path from the root.
    struct Field {
        let node: Node
        let path: String
        let code: ZeroTripError.Code

        /// 1-based line of the node.
        var line: Int { (node.mark?.line ?? 0) }

        func error(_ message: String) -> ZeroTripError {
            ZeroTripError(code, "line \(line)\(path.isEmpty ? "" : " (\(path))"): \(message)")
        }

        /// An error about the value of `key` (or this node when the key is absent).
        func error(at key: String, _ message: String) -> ZeroTripError {
            (child(key) ?? self).error(message)
        }

        /// Refuses keys other than `allowed` (typos never fall back to defaults).
        func only(_ allowed: Set<String>) throws(ZeroTripError) {
            guard let mapping = node.mapping else { throw error("must be a mapping") }
            for (key, _) in mapping {
                let name = key.string ?? ""
                if !allowed.contains(name) {
                    throw Field(node: key, path: path, code: code).error(
                        "unknown key \"\(name.prefix(40))\"; expected one of \(allowed.sorted().joined(separator: ", "))")
                }
            }
        }

        /// The keys of a mapping, in file order; nil when this is not a mapping.
        var keyNames: [String]? { node.mapping.map { $0.keys.map { $0.string ?? "" } } }

        func child(_ key: String) -> Field? {
            guard let value = node.mapping?[key] else { return nil }
            if case .scalar(let scalar) = value,
                scalar.tag.rawValue == Tag.Name.null.rawValue || (scalar.string == "~" || (scalar.string.isEmpty && scalar.style == .plain))
            {
                return nil
            }
            return Field(node: value, path: path.isEmpty ? key : "\(path).\(key)", code: code)
        }

        func required(_ key: String) throws(ZeroTripError) -> Field {
            guard let field = child(key) else { throw error("\"\(key)\" is required") }
            return field
        }

        /// The scalar as text.
        func text(maxLength: Int = 200) throws(ZeroTripError) -> String {
            guard case .scalar(let scalar) = node else { throw error("must be a single value") }
            let value = scalar.string.trimmingWhitespace()
            guard !value.isEmpty, value.count <= maxLength,
                !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw error("must be 1–\(maxLength) characters without control characters")
            }
            return value
        }

        func string(_ key: String, maxLength: Int = 200) throws(ZeroTripError) -> String { try required(key).text(maxLength: maxLength) }

        func optionalString(_ key: String, maxLength: Int = 200) throws(ZeroTripError) -> String? {
            try child(key).map { field throws(ZeroTripError) in try field.text(maxLength: maxLength) }
        }

        func integer(in range: ClosedRange<Int>) throws(ZeroTripError) -> Int {
            guard case .scalar(let scalar) = node, let value = Int(scalar.string), range.contains(value) else {
                throw error("must be a whole number in \(range.lowerBound)…\(range.upperBound)")
            }
            return value
        }

        func integer(_ key: String, in range: ClosedRange<Int>, default fallback: Int? = nil) throws(ZeroTripError) -> Int {
            guard let field = child(key) else {
                if let fallback { return fallback }
                throw error("\"\(key)\" is required")
            }
            return try field.integer(in: range)
        }

        func optionalInteger(_ key: String, in range: ClosedRange<Int>) throws(ZeroTripError) -> Int? {
            try child(key).map { field throws(ZeroTripError) in try field.integer(in: range) }
        }

        func number(_ key: String, in range: ClosedRange<Double>) throws(ZeroTripError) -> Double {
            let field = try required(key)
            guard case .scalar(let scalar) = field.node, let value = Double(scalar.string), range.contains(value) else {
                throw field.error("must be a number in \(range.lowerBound)…\(range.upperBound)")
            }
            return value
        }

        func bool(_ key: String, default fallback: Bool) throws(ZeroTripError) -> Bool {
            guard let field = child(key) else { return fallback }
            guard case .scalar(let scalar) = field.node, let value = Bool.construct(from: scalar) else { throw field.error("must be true or false") }
            return value
        }

        func list(_ key: String, required needed: Bool = true, maxCount: Int = 10_000) throws(ZeroTripError) -> [Field] {
            guard let field = child(key) else {
                if needed { throw error("\"\(key)\" is required") }
                return []
            }
            guard case .sequence(let sequence) = field.node else { throw field.error("must be a list") }
            guard sequence.count <= maxCount else { throw field.error("has more than \(maxCount) entries") }
            return sequence.enumerated().map { Field(node: $1, path: "\(field.path)[\($0)]", code: code) }
        }

        /// The entries of a mapping, in file order.
        func entries(_ key: String, maxCount: Int = 10_000) throws(ZeroTripError) -> [(key: String, value: Field)] {
            let field = try required(key)
            guard let mapping = field.node.mapping else { throw field.error("must be a mapping") }
            guard mapping.count <= maxCount else { throw field.error("has more than \(maxCount) entries") }
            var result: [(key: String, value: Field)] = []
            for (name, value) in mapping {
                let keyField = Field(node: name, path: field.path, code: code)
                let text = try keyField.text(maxLength: 64)
                result.append((text, Field(node: value, path: "\(field.path).\(text)", code: code)))
            }
            return result
        }
    }
}
