/// A PKCS#11 URI (RFC 7512): which module, token and object a key lives in, e.g.
/// `pkcs11:token=RSJ%20seals;object=seal-RSJ;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so`.
///
/// Why this form: it is what operators already use with OpenSC, p11-kit, OpenSSL's pkcs11 provider and GnuTLS, so a
/// key named once can be checked with those tools. Values are percent-decoded; an attribute this type does not know is
/// refused rather than ignored (it may be narrowing the match). `pin-value` is accepted, as the RFC allows, but never
/// printed back (``description`` leaves it out).
public struct PKCS11URI: Sendable, Hashable, CustomStringConvertible {
    /// The token's label (`token=`), its serial number (`serial=`), its manufacturer and model.
    public var token: String?
    public var serial: String?
    public var manufacturer: String?
    public var model: String?
    /// The slot's number (`slot-id=`), for tokens without a usable label.
    public var slotID: UInt?
    /// The object's label (`object=`) and id (`id=`, raw bytes).
    public var object: String?
    public var id: [UInt8]?
    /// The object's class: `private`, `public`, `cert`, `secret-key` or `data`.
    public var type: String?
    /// The module to load (`module-path=`, an absolute path).
    public var modulePath: String?
    /// Where the user PIN is read from (`pin-source=`, a file path or `file:` URI).
    public var pinSource: String?
    /// The PIN itself (`pin-value=`); prefer `pin-source` or the environment.
    public var pinValue: String?

    /// An empty URI (matches any token and object).
    public init() {}

    /// The path attributes RFC 7512 defines that a key's location can use.
    static let pathAttributes: Set<String> = [
        "token", "serial", "manufacturer", "model", "slot-id", "object", "id", "type", "library-manufacturer", "library-description",
        "library-version", "slot-description", "slot-manufacturer",
    ]

    /// Parses `text`. Throws ``CryptoError/Code/invalidArgument`` naming what is wrong (never echoing a PIN).
    public init(_ text: String) throws(CryptoError) {
        guard text.utf8.count <= 4096 else { throw CryptoError(.invalidArgument, "a pkcs11: URI is at most 4096 bytes") }
        guard text.hasPrefix("pkcs11:") else { throw CryptoError(.invalidArgument, "a token key is named by a pkcs11: URI (RFC 7512)") }
        let rest = text.dropFirst("pkcs11:".count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? ""
        let query = parts.count > 1 ? String(parts[1]) : ""
        for attribute in path.split(separator: ";") {
            let (name, value) = try Self.split(attribute, separator: "=")
            guard Self.pathAttributes.contains(name) else {
                throw CryptoError(.invalidArgument, "unknown pkcs11: URI path attribute \"\(name.prefix(40))\"")
            }
            switch name {
            case "token": token = try Self.decode(value)
            case "serial": serial = try Self.decode(value)
            case "manufacturer": manufacturer = try Self.decode(value)
            case "model": model = try Self.decode(value)
            case "object": object = try Self.decode(value)
            case "id": id = try Self.decodeBytes(value)
            case "type":
                let decoded = try Self.decode(value)
                guard ["private", "public", "cert", "secret-key", "data"].contains(decoded) else {
                    throw CryptoError(.invalidArgument, "pkcs11: URI type must be private, public, cert, secret-key or data")
                }
                type = decoded
            case "slot-id":
                guard let number = UInt(try Self.decode(value)) else { throw CryptoError(.invalidArgument, "pkcs11: URI slot-id must be a number") }
                slotID = number
            default:
                break  // Library and slot descriptions: accepted, not used to match.
            }
        }
        for attribute in query.split(separator: "&") {
            let (name, value) = try Self.split(attribute, separator: "=")
            switch name {
            case "module-path":
                let decoded = try Self.decode(value)
                guard decoded.hasPrefix("/") else { throw CryptoError(.invalidArgument, "pkcs11: URI module-path must be an absolute path") }
                modulePath = decoded
            case "pin-source": pinSource = try Self.decode(value)
            case "pin-value": pinValue = try Self.decode(value)
            case "module-name": break  // Resolved by p11-kit's registry, which ZeroTrip does not consult: use module-path.
            default: throw CryptoError(.invalidArgument, "unknown pkcs11: URI query attribute \"\(name.prefix(40))\"")
            }
        }
    }

    /// The URI with its path attributes and `module-path`/`pin-source`; a `pin-value` is left out, so the text can be
    /// logged and stored.
    public var description: String {
        var path: [String] = []
        if let token { path.append("token=" + Self.encode(Array(token.utf8))) }
        if let manufacturer { path.append("manufacturer=" + Self.encode(Array(manufacturer.utf8))) }
        if let model { path.append("model=" + Self.encode(Array(model.utf8))) }
        if let serial { path.append("serial=" + Self.encode(Array(serial.utf8))) }
        if let slotID { path.append("slot-id=\(slotID)") }
        if let object { path.append("object=" + Self.encode(Array(object.utf8))) }
        if let id { path.append("id=" + id.map { "%" + Hex.encode([$0]).uppercased() }.joined()) }
        if let type { path.append("type=" + type) }
        var query: [String] = []
        if let modulePath { query.append("module-path=" + Self.encode(Array(modulePath.utf8), keepingSlashes: true)) }
        if let pinSource { query.append("pin-source=" + Self.encode(Array(pinSource.utf8), keepingSlashes: true)) }
        return "pkcs11:" + path.joined(separator: ";") + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    private static func split(_ attribute: Substring, separator: Character) throws(CryptoError) -> (String, Substring) {
        guard let index = attribute.firstIndex(of: separator) else {
            throw CryptoError(.invalidArgument, "pkcs11: URI attribute \"\(attribute.prefix(40))\" has no value")
        }
        return (String(attribute[..<index]), attribute[attribute.index(after: index)...])
    }

    private static func decodeBytes(_ value: Substring) throws(CryptoError) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = value.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(), let decoded = Hex.decode(String(decoding: [high, low], as: UTF8.self))
                else { throw CryptoError(.invalidArgument, "pkcs11: URI has a malformed percent escape") }
                bytes += decoded
            } else {
                bytes.append(byte)
            }
        }
        return bytes
    }

    private static func decode(_ value: Substring) throws(CryptoError) -> String {
        let bytes = try decodeBytes(value)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw CryptoError(.invalidArgument, "pkcs11: URI value is not UTF-8") }
        return text
    }

    /// Percent-encodes all but RFC 3986 unreserved characters (and `/` in paths of the query).
    private static func encode(_ bytes: [UInt8], keepingSlashes: Bool = false) -> String {
        var out = ""
        for byte in bytes {
            let unreserved =
                (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                || [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~")].contains(byte)
            if unreserved || (keepingSlashes && byte == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + Hex.encode([byte]).uppercased()
            }
        }
        return out
    }
}
