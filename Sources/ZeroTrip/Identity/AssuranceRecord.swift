public import struct Foundation.Date

/// How an identity was proven.
public enum AssuranceMethod: String, Sendable, Hashable, Codable, CaseIterable {
    /// ID number + name matched against the registry, plus an SMS code to the registered phone (tier 1).
    case sms
    /// A clerk's live video check (tier 2, remote attended).
    case video
    /// At a window: ID card chip read and the clerk's face check (tier 3).
    case windowCard = "window_card"

    /// The tier this method reaches.
    public var tier: Int {
        switch self {
        case .sms: 1
        case .video: 2
        case .windowCard: 3
        }
    }
}

/// One proof of identity: {tier, method, evidence, agent, time}. Append-only.
public struct AssuranceRecord: Sendable, Hashable, Codable {
    /// Row id.
    public var id: Int64
    /// The person's opaque subject id.
    public var subject: String
    /// 1 (low), 2 (substantial), 3 (high).
    public var tier: Int
    /// How it was proven.
    public var method: AssuranceMethod
    /// What was checked, with personal data masked (e.g. `{"registry":"match","phone":"138****8000"}`).
    public var evidence: [String: String]
    /// Who vouched: `self` for SMS, `credential:<id>/clerk:<employee id>` for clerks.
    public var agent: String
    /// When.
    public var verifiedAt: Date
}

/// A person of the registry as shown to admins and to the person: masked unless asked for in full.
public struct PersonSummary: Sendable, Hashable, Codable {
    /// Opaque subject id (`P` + 16 hex digits), used in sessions and audit records instead of the ID number.
    public var subject: String
    /// Masked ID number, e.g. `4401**********0010`.
    public var idNumberMasked: String
    /// Name.
    public var name: String
    /// Masked phone, e.g. `138****8000`.
    public var phoneMasked: String
    /// ID card valid from.
    public var cardValidFrom: String
    /// ID card valid until (`long-term` for 长期).
    public var cardValidUntil: String
    /// First imported.
    public var createdAt: Date
    /// Last changed.
    public var updatedAt: Date
}

/// Full personal data, shown only at tier ≥ 2.
public struct PersonalData: Sendable, Hashable, Codable {
    /// Citizen ID number in full.
    public var idNumber: String
    /// Name.
    public var name: String
    /// Registered phone in full.
    public var phone: String
    /// ID card valid from.
    public var cardValidFrom: String
    /// ID card valid until.
    public var cardValidUntil: String
}
