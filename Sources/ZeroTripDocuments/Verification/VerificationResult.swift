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
    /// The stable reason code, e.g. `signature_invalid`.
    public let code: String
    /// Details for people; never personal data.
    public let message: String

    /// Creates a reason.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// The Chinese explanation of every reason code (``knownCodes``), for people: the verification page shows it and
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
        "status_list_invalid": "文书状态清单无效（不是本区根证书签发的），无法确认文书是否已被撤销。",
        "status_list_stale": "文书状态清单已过期，无法确认文书是否已被撤销，请联网更新后重试。",
        "not_registered": "签发登记库中没有该文书。",
        "register_mismatch": "与签发登记库中的记录不一致，可能是伪造的核验码。",
        "expired": "文书已超过有效期。",
        "revoked": "文书已被签发部门撤销。",
        "superseded": "文书已被新文书替代，请以新文书为准。",
    ]

    /// The Chinese explanation of `code`; a code outside the list still gets one naming it.
    public static func chinese(_ code: String) -> String {
        chineseExplanations[code] ?? "无法核验该文书（\(code)）。"
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
        code = try container.decode(String.self, forKey: .code)
        message = try container.decodeIfPresent(String.self, forKey: .detail) ?? container.decode(String.self, forKey: .message)
    }

    /// Every reason code a verification can answer with, online or offline (docs/verification.md): the token's
    /// parsing, the PDF's structure and signature, the seal and its chain, the trust list, and the register. Pages and
    /// apps explain each one; a code outside this list is a programming error, tested for.
    public static let knownCodes: [String] = [
        // Token
        "token_malformed", "token_too_long", "base45_invalid", "zlib_invalid", "decompressed_too_large", "cose_malformed", "claims_malformed",
        // PDF
        "pdf_malformed", "pdf_unsigned", "pdf_multiple_signatures", "pdf_too_large", "cms_malformed", "pdf_modified", "signing_certificate_mismatch",
        // Seal, chain and trust list
        "kid_unknown", "signature_invalid", "certificate_unsuitable", "certificate_not_valid_at_issuance", "chain_invalid", "department_mismatch",
        "key_revoked", "trust_list_stale", "trust_list_wrong_root",
        // Offline document status
        "status_list_invalid", "status_list_stale",
        // Register
        "not_registered", "register_mismatch", "expired", "revoked", "superseded",
    ]
}
