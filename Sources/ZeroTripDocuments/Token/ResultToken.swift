public import ZeroTripCrypto
import Foundation

/// The claims of a ZeroTrip QR result token (specified in docs/qr-token.md §6).
///
/// Encoded as a deterministic CBOR map with integer keys, carried as the payload of a COSE_Sign1 signed with ES256
/// by the issuing department's seal key, then Base45 with the prefix `ZT1:`. Version 2 (issued since 2026-12) leaves
/// out the department code (the seal certificate's one OU names it), carries the first 16 bytes of the content
/// digest and masks the holder's name with at most three `*`: 20–50 bytes less than version 1, which is what lets a
/// production base URL (`HTTPS://` and a 30-character host) and a 16-character matter code fit QR version 13 at
/// ECC Q for every name. Version 1 tokens stay valid.
public struct ResultTokenClaims: Sendable, Hashable {
    /// The version new tokens are issued with.
    public static let currentVersion = 2
    /// Format version (1 or 2).
    public var version: Int
    /// The 16-byte document id.
    public var documentID: [UInt8]
    /// Issuing department code: carried by version 1; for version 2 the verifier fills it from the seal
    /// certificate's OU (nil until a seal is found).
    public var departmentCode: String?
    /// Matter code.
    public var matterCode: String
    /// Issue time, seconds since the Unix epoch.
    public var issuedAt: Int64
    /// End of validity, seconds since the Unix epoch.
    public var expiresAt: Int64
    /// The content digest (docs/qr-token.md, "dig"): the SHA-256 (version 1) or its first 16 bytes (version 2).
    public var contentDigest: [UInt8]
    /// The holder's masked name.
    public var maskedHolderName: String

    /// Creates claims as they are carried.
    public init(
        version: Int = 1, documentID: [UInt8], departmentCode: String?, matterCode: String, issuedAt: Int64, expiresAt: Int64,
        contentDigest: [UInt8], maskedHolderName: String
    ) {
        self.version = version
        self.documentID = documentID
        self.departmentCode = departmentCode
        self.matterCode = matterCode
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.contentDigest = contentDigest
        self.maskedHolderName = maskedHolderName
    }

    /// The claims of a new token (``currentVersion``) for a document whose content SHA-256 is `contentSHA256` and
    /// whose holder is `holderName`: digest shortened and name masked as that version carries them.
    public static func issuing(
        documentID: [UInt8], departmentCode: String, matterCode: String, issuedAt: Int64, expiresAt: Int64,
        contentSHA256: [UInt8], holderName: String
    ) -> ResultTokenClaims {
        ResultTokenClaims(
            version: currentVersion, documentID: documentID, departmentCode: departmentCode, matterCode: matterCode,
            issuedAt: issuedAt, expiresAt: expiresAt, contentDigest: Array(contentSHA256.prefix(16)),
            maskedHolderName: maskedName(holderName, version: currentVersion))
    }

    /// The document id as 32 lowercase hex digits.
    public var documentIDHex: String { Hex.encode(documentID) }

    /// Whether the token's digest is that of a document whose content SHA-256 is `contentSHA256`.
    public func digestMatches(_ contentSHA256: [UInt8]) -> Bool {
        version == 1 ? contentDigest == contentSHA256 : contentSHA256.count == 32 && contentDigest == Array(contentSHA256.prefix(16))
    }

    /// `holderName` masked as token `version` carries it: the first Unicode scalar, then one `*` per further scalar
    /// (version 1) or at most three (version 2: the token no longer tells how long a name is).
    public static func maskedName(_ holderName: String, version: Int) -> String {
        guard let first = holderName.unicodeScalars.first else { return "" }
        let stars = holderName.unicodeScalars.count - 1
        return String(first) + String(repeating: "*", count: version == 1 ? stars : min(stars, 3))
    }

    /// The deterministic CBOR encoding (version 2 without key 3).
    public func encoded() -> [UInt8] {
        var pairs: [(CBOR, CBOR)] = [(.int(1), .int(Int64(version))), (.int(2), .bytes(documentID))]
        if version == 1 { pairs.append((.int(3), .text(departmentCode ?? ""))) }
        pairs += [
            (.int(4), .text(matterCode)),
            (.int(5), .int(issuedAt)),
            (.int(6), .int(expiresAt)),
            (.int(7), .bytes(contentDigest)),
            (.int(8), .text(maskedHolderName)),
        ]
        return CBOR.map(pairs).encoded()
    }

    /// The masked-name shape of docs/qr-token.md §6, by Unicode scalar value (not by grapheme, so a combining mark
    /// cannot hide after the first character): one scalar that is not `*` and not a C0/C1 control, then only `*`
    /// (at most three in version 2); 1–64 bytes of UTF-8.
    public static func isMaskedName(_ name: String, version: Int = 1) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.unicodeScalars.first else { return false }
        guard first != "*", !(first.value <= 0x1F || (0x7F...0x9F).contains(first.value)) else { return false }
        guard version == 1 || name.unicodeScalars.count <= 4 else { return false }
        return name.unicodeScalars.dropFirst().allSatisfy { $0 == "*" }
    }

    /// Decodes and checks claims; any deviation from the version 1 or version 2 schema is an error.
    public static func decode(_ bytes: [UInt8]) throws(ResultTokenError) -> ResultTokenClaims {
        let item: CBOR
        do { item = try CBOR.decode(bytes, limits: .init(maximumBytes: 512, maximumDepth: 2, maximumItems: 32)) } catch {
            throw ResultTokenError(.claimsMalformed, "claims are not deterministic CBOR: \(error.message)")
        }
        guard case .map(let pairs) = item, let first = pairs.first, first.0.intValue == 1 else {
            throw ResultTokenError(.claimsMalformed, "claims must be a map starting with the version (key 1)")
        }
        let version: Int
        switch first.1 {
        case .unsigned(1): version = 1
        case .unsigned(2): version = 2
        default: throw ResultTokenError(.claimsMalformed, "unsupported token version")
        }
        // Version 1: keys 1…8; version 2: the same without 3 (the department is the seal certificate's OU).
        let keys: [Int64] = version == 1 ? [1, 2, 3, 4, 5, 6, 7, 8] : [1, 2, 4, 5, 6, 7, 8]
        guard pairs.map({ $0.0.intValue }) == keys.map(Optional.some) else {
            throw ResultTokenError(
                .claimsMalformed, "version \(version) claims must have exactly the keys \(keys.map(String.init).joined(separator: ", "))")
        }
        let value = Dictionary(uniqueKeysWithValues: pairs.map { ($0.0.intValue ?? 0, $0.1) })
        guard case .bytes(let id)? = value[2], id.count == 16 else { throw ResultTokenError(.claimsMalformed, "document id must be 16 bytes") }
        var department: String?
        if version == 1 {
            guard case .text(let code)? = value[3], code.utf8.count >= 2, code.utf8.count <= 16,
                code.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) })
            else { throw ResultTokenError(.claimsMalformed, "department code must be 2–16 of A-Z 0-9") }
            department = code
        }
        guard case .text(let matter)? = value[4], !matter.isEmpty, matter.utf8.count <= 32,
            matter.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D })
        else { throw ResultTokenError(.claimsMalformed, "matter code must be 1–32 of A-Z 0-9 _ -") }
        guard case .unsigned(let iat)? = value[5], case .unsigned(let exp)? = value[6], iat < exp, exp <= UInt64(Int64.max)
        else { throw ResultTokenError(.claimsMalformed, "issue and expiry times must be unsigned with iat < exp") }
        let digestLength = version == 1 ? 32 : 16
        guard case .bytes(let digest)? = value[7], digest.count == digestLength else {
            throw ResultTokenError(.claimsMalformed, "digest must be \(digestLength) bytes")
        }
        guard case .text(let name)? = value[8], Self.isMaskedName(name, version: version) else {
            throw ResultTokenError(
                .claimsMalformed,
                version == 1
                    ? "masked name must be 1–64 bytes: one character that is not * or a control, then only *"
                    : "masked name must be one character that is not * or a control, then at most three *")
        }
        return ResultTokenClaims(
            version: version, documentID: id, departmentCode: department, matterCode: matter, issuedAt: Int64(iat),
            expiresAt: Int64(exp), contentDigest: digest, maskedHolderName: name)
    }
}

/// Why a token could not be read. The codes are the reason codes of docs/qr-token.md.
public struct ResultTokenError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable reason code: the verification reason a token that cannot be read answers with.
    public typealias Code = VerificationReason.Code

    /// The reason code.
    public let code: Code
    /// Details for people.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}

/// Encoding and bounded decoding of `ZT1:` tokens and of the verification URLs that carry them.
public enum ResultToken {
    /// The prefix of every v1 token.
    public static let prefix = "ZT1:"
    /// Hard limit on token text (characters), checked first.
    public static let maximumTextLength = 600
    /// Hard limit on scanned text (bytes) before the token is extracted: room for a token of ``maximumTextLength``
    /// with every character percent-encoded after a long base URL, so no text the spec accepts is refused on length.
    public static let maximumScannedLength = 4096
    /// Hard limit on the Base45-decoded bytes.
    public static let maximumDecodedLength = 400
    /// Hard limit on the inflated bytes of a compressed token.
    public static let maximumInflatedLength = 1024
    /// Hard limit on the QR content of issued documents.
    public static let maximumQRContentLength = 400
    /// Highest QR version allowed for issued documents (at ECC Q).
    public static let maximumQRVersion = 13

    /// Signs `claims` with `key` under `kid` and returns the token text.
    public static func issue(_ claims: ResultTokenClaims, kid: [UInt8], key: PrivateKey) throws(CryptoError) -> String {
        let message = try COSESign1.sign(payload: claims.encoded(), kid: kid, key: key)
        return prefix + Base45.encode(message.encoded())
    }

    /// Parses token text (no signature check): limits, Base45, optional zlib, COSE_Sign1, claims.
    public static func parse(_ text: String) throws(ResultTokenError) -> (message: COSESign1, claims: ResultTokenClaims) {
        guard text.utf8.count <= maximumTextLength else { throw ResultTokenError(.tokenTooLong, "token longer than \(maximumTextLength) characters") }
        guard text.hasPrefix(prefix) else { throw ResultTokenError(.tokenMalformed, "token must start with \(prefix)") }
        let body = text.utf8.dropFirst(prefix.utf8.count)
        guard body.count / 3 * 2 + 1 <= maximumDecodedLength else {
            throw ResultTokenError(.tokenTooLong, "token decodes to more than \(maximumDecodedLength) bytes")
        }
        var bytes: [UInt8]
        do { bytes = try Base45.decode(String(decoding: body, as: UTF8.self)) } catch {
            throw ResultTokenError(.base45Invalid, "not Base45: \(error)")
        }
        guard bytes.count <= maximumDecodedLength else {
            throw ResultTokenError(.tokenTooLong, "token decodes to more than \(maximumDecodedLength) bytes")
        }
        if bytes.first == 0x78 {
            do { bytes = try Zlib.decompress(bytes, limit: maximumInflatedLength) } catch {
                if case .tooLarge = error {
                    throw ResultTokenError(.decompressedTooLarge, "compressed token inflates beyond \(maximumInflatedLength) bytes")
                }
                throw ResultTokenError(.zlibInvalid, "compressed token is not a valid zlib stream")
            }
        }
        guard bytes.first == 0xD2 else { throw ResultTokenError(.coseMalformed, "not a tagged COSE_Sign1 message") }
        let message: COSESign1
        do { message = try COSESign1.decode(bytes, limits: .init(maximumBytes: maximumInflatedLength, maximumDepth: 4, maximumItems: 64)) } catch {
            throw ResultTokenError(.coseMalformed, error.message)
        }
        guard message.kid.count == 8 else { throw ResultTokenError(.coseMalformed, "kid must be 8 bytes") }
        return (message, try ResultTokenClaims.decode(message.payload))
    }

    /// The QR content: `BASE/V/?` + the token with space and `%` percent-encoded; scheme and host upper-cased,
    /// so the whole URL stays in the QR alphanumeric set. The token rides in the query because Base45's `/` and `.`
    /// would form dot-segments that browsers rewrite in a path.
    public static func verificationURL(base: String, token: String) -> String {
        var encoded = ""
        encoded.reserveCapacity(token.utf8.count + 40)
        for scalar in token.unicodeScalars {
            switch scalar {
            case " ": encoded += "%20"
            case "%": encoded += "%25"
            default: encoded.unicodeScalars.append(scalar)
            }
        }
        return qrBase(base) + "/V/?" + encoded
    }

    /// `base` with scheme and host upper-cased (QR alphanumeric mode) and no trailing slash.
    public static func qrBase(_ base: String) -> String {
        var trimmed = Substring(base)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let schemeEnd = trimmed.range(of: "://") else { return String(trimmed) }
        let afterScheme = trimmed[schemeEnd.upperBound...]
        let hostEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        return trimmed[..<hostEnd].uppercased() + trimmed[hostEnd...]
    }

    /// Extracts the token from scanned QR text: a bare `ZT1:` token, or a verification URL carrying it as its query
    /// (`…/V/?ZT1:…`, also `/v/`), percent-decoded.
    public static func extract(fromScanned text: String) throws(ResultTokenError) -> String {
        guard text.utf8.count <= maximumScannedLength else {
            throw ResultTokenError(.tokenTooLong, "scanned text longer than \(maximumScannedLength) bytes")
        }
        if text.hasPrefix(prefix) { return text }
        // The first occurrence of either form (docs/qr-token.md §4, step 2), whichever comes first. Searched in the
        // UTF-8 bytes: every verification runs this, and Foundation's `range(of:)` cost more than the CBOR decoding.
        let bytes = Array(text.utf8)
        var start: Int?
        var index = 0
        while index + 4 <= bytes.count {
            if bytes[index] == UInt8(ascii: "/"), bytes[index + 1] | 0x20 == UInt8(ascii: "v"),
                bytes[index + 2] == UInt8(ascii: "/"), bytes[index + 3] == UInt8(ascii: "?")
            {
                start = index + 4
                break
            }
            index += 1
        }
        guard let start else { throw ResultTokenError(.tokenMalformed, "neither a \(prefix) token nor a verification URL") }
        let end = bytes[start...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        let decoded = try percentDecode(bytes[start..<end])
        guard decoded.hasPrefix(prefix) else { throw ResultTokenError(.tokenMalformed, "the URL does not carry a \(prefix) token") }
        return decoded
    }

    /// Strict percent-decoding of UTF-8 bytes (`%XX` with hex digits only); the result must be UTF-8.
    static func percentDecode(_ bytes: ArraySlice<UInt8>) throws(ResultTokenError) -> String {
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: return byte - 0x30
            case 0x41...0x46: return byte - 0x41 + 10
            case 0x61...0x66: return byte - 0x61 + 10
            default: return nil
            }
        }
        guard bytes.contains(UInt8(ascii: "%")) else {
            guard let string = String(validating: bytes, as: UTF8.self) else { throw ResultTokenError(.tokenMalformed, "not UTF-8") }
            return string
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    throw ResultTokenError(.tokenMalformed, "malformed percent-encoding")
                }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        guard let string = String(validating: out, as: UTF8.self) else { throw ResultTokenError(.tokenMalformed, "not UTF-8") }
        return string
    }
}
