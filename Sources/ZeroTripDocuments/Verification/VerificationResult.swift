/// The answer to "is this document authentic and in force?", shared by token, PDF and page verification.
public enum VerificationResult: String, Sendable, Codable, Hashable, CaseIterable {
    /// Authentic, registered and in force.
    case valid
    /// Forged, altered, malformed or inconsistent with the register.
    case invalid
    /// Authentic but revoked or superseded.
    case revoked
    /// Authentic but past its validity.
    case expired
    /// Signed by a key ZeroTrip does not know: cannot tell.
    case unknown
}

/// Why a verification did not answer ``VerificationResult/valid``: a stable code (docs/qr-token.md) and a message.
public struct VerificationReason: Sendable, Codable, Hashable, CustomStringConvertible {
    /// A stable reason code (docs/verification.md): the same text in every JSON answer, page and log line, named once
    /// here so a verifier cannot answer with a code no page explains (the test compares ``all`` with the Chinese
    /// explanations and the docs).
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        /// `signature_invalid`.
        public let rawValue: String
        /// A code by its text (reading answers back).
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The text.
        public var description: String { rawValue }

        public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        // Token
        public static let tokenMalformed = Code(rawValue: "token_malformed")
        public static let tokenTooLong = Code(rawValue: "token_too_long")
        public static let base45Invalid = Code(rawValue: "base45_invalid")
        public static let zlibInvalid = Code(rawValue: "zlib_invalid")
        public static let decompressedTooLarge = Code(rawValue: "decompressed_too_large")
        public static let coseMalformed = Code(rawValue: "cose_malformed")
        public static let claimsMalformed = Code(rawValue: "claims_malformed")

        // PDF
        public static let pdfMalformed = Code(rawValue: "pdf_malformed")
        public static let pdfUnsigned = Code(rawValue: "pdf_unsigned")
        public static let pdfMultipleSignatures = Code(rawValue: "pdf_multiple_signatures")
        public static let pdfTooLarge = Code(rawValue: "pdf_too_large")
        public static let cmsMalformed = Code(rawValue: "cms_malformed")
        public static let pdfModified = Code(rawValue: "pdf_modified")
        public static let signingCertificateMismatch = Code(rawValue: "signing_certificate_mismatch")

        // Seal, chain and trust list
        public static let kidUnknown = Code(rawValue: "kid_unknown")
        public static let signatureInvalid = Code(rawValue: "signature_invalid")
        public static let certificateUnsuitable = Code(rawValue: "certificate_unsuitable")
        public static let certificateNotValidAtIssuance = Code(rawValue: "certificate_not_valid_at_issuance")
        public static let chainInvalid = Code(rawValue: "chain_invalid")
        public static let departmentMismatch = Code(rawValue: "department_mismatch")
        public static let keyRevoked = Code(rawValue: "key_revoked")
        public static let trustListStale = Code(rawValue: "trust_list_stale")
        public static let trustListWrongRoot = Code(rawValue: "trust_list_wrong_root")
        public static let trustListSignatureInvalid = Code(rawValue: "trust_list_signature_invalid")
        public static let trustListMalformed = Code(rawValue: "trust_list_malformed")

        // Offline document status
        public static let statusListInvalid = Code(rawValue: "status_list_invalid")
        public static let statusListStale = Code(rawValue: "status_list_stale")

        // Register
        public static let notRegistered = Code(rawValue: "not_registered")
        public static let registerMismatch = Code(rawValue: "register_mismatch")
        public static let expired = Code(rawValue: "expired")
        public static let revoked = Code(rawValue: "revoked")
        public static let superseded = Code(rawValue: "superseded")

        /// Every code a verification can answer with, online or offline.
        public static let all: [Code] = [
            .tokenMalformed, .tokenTooLong, .base45Invalid, .zlibInvalid, .decompressedTooLarge, .coseMalformed, .claimsMalformed,
            .pdfMalformed, .pdfUnsigned, .pdfMultipleSignatures, .pdfTooLarge, .cmsMalformed, .pdfModified, .signingCertificateMismatch,
            .kidUnknown, .signatureInvalid, .certificateUnsuitable, .certificateNotValidAtIssuance, .chainInvalid, .departmentMismatch, .keyRevoked,
            .trustListStale, .trustListWrongRoot, .trustListSignatureInvalid, .trustListMalformed,
            .statusListInvalid, .statusListStale,
            .notRegistered, .registerMismatch, .expired, .revoked, .superseded,
        ]
    }

    /// The stable reason code, e.g. `signature_invalid`.
    public let code: Code
    /// Details for people; never personal data.
    public let message: String

    /// Creates a reason.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// The Chinese explanation of every reason code (``Code/all``), for people: the verification page shows it and
    /// every JSON answer carries it as the reason's `message`.
    public static let chineseExplanations: [String: String] = [
        "token_malformed": "二维码内容不是本区电子文书的核验码，或内容不完整。",
        "token_too_long": "二维码内容过长，不是本区电子文书的核验码。",
        "base45_invalid": "二维码内容已损坏（编码错误），请重新扫描。",
        "zlib_invalid": "二维码内容已损坏（压缩数据错误），请重新扫描。",
        "decompressed_too_large": "二维码内容异常（解压后过大），已拒绝处理。",
        "cose_malformed": "二维码中的签名结构已损坏。",
        "claims_malformed": "二维码中的文书信息格式错误。",
        "pdf_malformed": "文件不是完整的电子文书PDF，或签名后被追加了内容。",
        "pdf_unsigned": "文件没有电子签章。",
        "pdf_multiple_signatures": "文件包含多个签章，不是本区签发的原始文书。",
        "pdf_too_large": "文件过大，不是本区签发的电子文书。",
        "cms_malformed": "文件中的签章数据已损坏。",
        "pdf_modified": "文件在签章后被修改过。",
        "signing_certificate_mismatch": "签章中的证书信息与签章人不符。",
        "kid_unknown": "签章所用密钥不在本区信任列表中，无法确认来源。",
        "signature_invalid": "签名校验失败，内容可能被篡改或伪造。",
        "certificate_unsuitable": "签章证书不是本区签发部门的印章证书。",
        "certificate_not_valid_at_issuance": "签发时签章证书不在有效期内。",
        "chain_invalid": "签章证书不能追溯到本区根证书。",
        "department_mismatch": "文书所写签发部门与实际签章部门不一致。",
        "key_revoked": "签发部门的印章密钥已停用，无法证明本文书签发于停用之前。",
        "trust_list_stale": "核验所用的信任列表已过期，暂时无法核验，请联网后重试。",
        "trust_list_wrong_root": "信任列表不是由本区根证书签发的。",
        "trust_list_signature_invalid": "信任列表的签名校验失败，可能被篡改，暂时无法核验。",
        "trust_list_malformed": "信任列表格式错误，暂时无法核验。",
        "status_list_invalid": "文书状态清单无效（不是本区根证书签发的），无法确认文书是否已被撤销。",
        "status_list_stale": "文书状态清单已过期，无法确认文书是否已被撤销，请联网更新后重试。",
        "not_registered": "签发登记库中没有该文书。",
        "register_mismatch": "与签发登记库中的记录不一致，可能是伪造的核验码。",
        "expired": "文书已超过有效期。",
        "revoked": "文书已被签发部门撤销。",
        "superseded": "文书已被新文书替代，请以新文书为准。",
    ]

    /// The Chinese explanation of `code`; a code outside the list still gets one naming it.
    public static func chinese(_ code: Code) -> String {
        chineseExplanations[code.rawValue] ?? "无法核验该文书（\(code)）。"
    }

    private enum CodingKeys: String, CodingKey { case code, message, detail }

    /// Encoded as `{"code", "message" (Chinese, for people), "detail" (the English details)}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(Self.chinese(code), forKey: .message)
        try container.encode(message, forKey: .detail)
    }

    /// Reads either form: with `detail` (this version's) or with `message` only (earlier answers).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(Code.self, forKey: .code)
        message = try container.decodeIfPresent(String.self, forKey: .detail) ?? container.decode(String.self, forKey: .message)
    }
}
