public import struct Foundation.Date

/// A district department that issues and verifies result documents.
public struct Department: Sendable, Hashable, Codable {
    /// Short code, e.g. `RSJ`.
    public var code: String
    /// Full name, e.g. `区人力资源和社会保障局`.
    public var name: String
    /// When it was created.
    public var createdAt: Date
    /// kid of its active seal key, if any.
    public var activeKid: String?

    /// Creates a value.
    public init(code: String, name: String, createdAt: Date, activeKid: String?) {
        self.code = code
        self.name = name
        self.createdAt = createdAt
        self.activeKid = activeKid
    }
}

/// A signing key registered in the database (the private half stays in `Keys/`).
public struct SigningKeyInfo: Sendable, Hashable, Codable {
    /// First 8 bytes of SHA-256 over the DER certificate, hex.
    public var kid: String
    /// `root` or `seal`.
    public var role: KeyRole
    /// Department code for seal keys.
    public var departmentCode: String?
    /// `P-256` or `SM2`.
    public var algorithm: String
    /// `pending`, `active`, `retired` or `revoked`.
    public var status: KeyStatus
    /// The certificate, PEM.
    public var certificatePEM: String
    /// Certificate validity start.
    public var notBefore: Date
    /// Certificate validity end.
    public var notAfter: Date
    /// When a pending key takes over signing.
    public var activateAt: Date? = nil
    /// When it stopped signing.
    public var retiredAt: Date? = nil
    /// When it was revoked.
    public var revokedAt: Date? = nil
    /// Documents signed after this time (or not provably before it) are revoked.
    public var revokedNotAfter: Date? = nil
    /// Why it was revoked (`key_compromise`, `superseded`, `cessation_of_operation`, `affiliation_changed`).
    public var revocationReason: String? = nil
    /// Documents signed with it.
    public var usageCount: Int = 0
    /// Optional limit on documents signed.
    public var maxUses: Int? = nil
    /// Optional limit on the age of the key for signing, in seconds.
    public var maxAgeSeconds: Int? = nil
    /// Set when a limit is 90 % used: rotate soon.
    public var warning: String? = nil
}

/// The initialised district.
public struct DistrictInfo: Sendable, Hashable, Codable {
    /// The district's name, e.g. `禅城区`.
    public var name: String
    /// The province above it, e.g. `广东省` (empty when not recorded).
    public var province: String = ""
    /// The city above it, e.g. `佛山市` (empty when not recorded).
    public var city: String = ""
    /// The full administrative name a clerk in another city reads on a document: `广东省佛山市禅城区`.
    public var administrativeName: String { province + city + name }

    /// `department` as a full issuing-authority name: `区人力资源和社会保障局` of 禅城区 in 佛山市, 广东省 →
    /// `广东省佛山市禅城区人力资源和社会保障局`. A name already naming the district gets only what is above it.
    public func issuerName(_ department: String) -> String {
        if department.hasPrefix(province + city + name) { return department }
        if !name.isEmpty, department.hasPrefix(name) { return province + city + department }
        // `区…局` under a district ending in 区 (or 县, 市): the leading level word stands for the district.
        if let level = name.last, department.first == level { return administrativeName + department.dropFirst() }
        return administrativeName + department
    }
    /// kid of the root certificate.
    public var rootKid: String
    /// When it was initialised.
    public var createdAt: Date
}
