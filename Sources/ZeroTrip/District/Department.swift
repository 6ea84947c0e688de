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
    public var role: String
    /// Department code for seal keys.
    public var departmentCode: String?
    /// `P-256` or `SM2`.
    public var algorithm: String
    /// `active`, `retired`, `revoked`…
    public var status: String
    /// The certificate, PEM.
    public var certificatePEM: String
    /// Certificate validity start.
    public var notBefore: Date
    /// Certificate validity end.
    public var notAfter: Date
}

/// The initialised district.
public struct DistrictInfo: Sendable, Hashable, Codable {
    /// The district's name, e.g. `禅城区`.
    public var name: String
    /// kid of the root certificate.
    public var rootKid: String
    /// When it was initialised.
    public var createdAt: Date
}
