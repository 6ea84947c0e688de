import Foundation

/// The member names of a JSON object's top level, read without building the document: request bodies are checked
/// for members their type does not have (a misspelt `"validdays": 5` must not silently fall back to a default).
/// Runs after `JSONDecoder` accepted the same bytes, so it only has to find its way, not to validate.
enum JSONKeyScanner {
    /// The top-level member names of `bytes`, or nil when it is not an object.
    static func topLevelKeys(_ bytes: some Collection<UInt8>) -> [String]? {
        let bytes = Array(bytes)
        var index = 0
        func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }
        /// Reads a string starting at its opening quote; returns its raw bytes between the quotes.
        func readString() -> ArraySlice<UInt8>? {
            guard index < bytes.count, bytes[index] == 0x22 else { return nil }
            let start = index + 1
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case 0x5C: index += 2
                case 0x22:
                    defer { index += 1 }
                    return bytes[start..<index]
                default: index += 1
                }
            }
            return nil
        }
        /// Skips one value (string, number, literal, or a nested object or array).
        func skipValue() {
            var depth = 0
            while index < bytes.count {
                switch bytes[index] {
                case 0x22: _ = readString(); if depth == 0 { return }; continue
                case 0x7B, 0x5B: depth += 1
                case 0x7D, 0x5D:
                    if depth == 0 { return }
                    depth -= 1
                    if depth == 0 { index += 1; return }
                case 0x2C: if depth == 0 { return }
                default: break
                }
                index += 1
            }
        }
        skipWhitespace()
        guard index < bytes.count, bytes[index] == 0x7B else { return nil }
        index += 1
        var keys: [String] = []
        while true {
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if bytes[index] == 0x7D { return keys }
            if bytes[index] == 0x2C { index += 1; continue }
            guard let raw = readString() else { return nil }
            // Escapes in a member name are rare; let JSONDecoder resolve them when present.
            if raw.contains(0x5C) {
                guard let name = try? JSONDecoder().decode(String.self, from: Data([0x22] + raw + [0x22])) else { return nil }
                keys.append(name)
            } else {
                keys.append(String(decoding: raw, as: UTF8.self))
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == 0x3A else { return nil }
            index += 1
            skipWhitespace()
            skipValue()
        }
    }
}
