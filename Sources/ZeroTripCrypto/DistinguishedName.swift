internal import COpenSSL

/// An X.509 distinguished name as an ordered list of attributes, UTF-8 throughout.
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    /// One relative distinguished name attribute, e.g. `CN=区人力资源和社会保障局`.
    public struct Attribute: Sendable, Hashable {
        /// OpenSSL's short name of the attribute type: `C`, `ST`, `L`, `O`, `OU`, `CN`, `serialNumber`…
        public var type: String
        /// The value as UTF-8.
        public var value: String
        /// Creates an attribute.
        public init(type: String, value: String) {
            self.type = type
            self.value = value
        }
    }

    /// Attributes in encoding order (most significant first).
    public var attributes: [Attribute]

    /// Creates a name from attributes in encoding order.
    public init(_ attributes: [Attribute]) { self.attributes = attributes }

    /// The first value of the given attribute type.
    public subscript(type: String) -> String? { attributes.first { $0.type == type }?.value }

    /// The common name (CN), if present.
    public var commonName: String? { self["CN"] }

    /// `C=CN, O=…, CN=…` in encoding order.
    public var description: String { attributes.map { "\($0.type)=\($0.value)" }.joined(separator: ", ") }

    /// Builds the OpenSSL form. Every value is encoded as UTF8String (country as PrintableString).
    func makeX509Name() throws(CryptoError) -> X509NameBox {
        let name = try X509NameBox()
        for attribute in attributes {
            guard !attribute.value.isEmpty, attribute.value.utf8.count <= 256 else {
                throw CryptoError(.invalidArgument, "name attribute \(attribute.type) must be 1–256 bytes")
            }
            let bytes = Array(attribute.value.utf8)
            let ok = bytes.withUnsafeBufferPointer {
                X509_NAME_add_entry_by_txt(name.pointer, attribute.type, MBSTRING_UTF8, $0.baseAddress, Int32($0.count), -1, 0)
            }
            try check(ok, .invalidArgument, "name attribute \(attribute.type) is not valid")
        }
        return name
    }

    /// Reads an OpenSSL `X509_NAME` (borrowed pointer).
    init(borrowing name: OpaquePointer) {
        var attributes: [Attribute] = []
        for index in 0..<X509_NAME_entry_count(name) {
            guard let entry = X509_NAME_get_entry(name, index) else { continue }
            let nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry))
            let type: String
            if nid != NID_undef, let short = OBJ_nid2sn(nid) {
                type = String(cString: short)
            } else {
                var buffer = [CChar](repeating: 0, count: 128)
                OBJ_obj2txt(&buffer, Int32(buffer.count), X509_NAME_ENTRY_get_object(entry), 1)
                type = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            var utf8: UnsafeMutablePointer<UInt8>?
            let length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry))
            var value = ""
            if length >= 0, let utf8 {
                value = String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
                CRYPTO_free(utf8, #fileID, #line)
            }
            attributes.append(Attribute(type: type, value: value))
        }
        self.attributes = attributes
    }
}
