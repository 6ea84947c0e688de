import Foundation
public import ZeroTripDocuments

/// Whether a material is needed to accept a matter at all, or may follow.
public enum MaterialKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Core material: a matter is never accepted without it.
    case primary
    /// Secondary material: may follow under 容缓, or under 容缺 when trust-eligible.
    case secondary
}

/// One material a matter asks for.
public struct MatterMaterial: Sendable, Hashable, Codable {
    /// Stable code within the matter, e.g. `LEASE`.
    public var code: String
    /// Name shown to applicants and clerks.
    public var name: String
    /// Primary or secondary.
    public var kind: MaterialKind
    /// A secondary material that may be missing under trust-based approval (容缺).
    public var trustEligible: Bool
    /// Result types (matter codes of the catalogue, usually other departments' matters) whose valid result
    /// documents satisfy this material, so the applicant's consent replaces the paper (e.g. 居住登记's
    /// `EMPLOYMENT_PROOF` ← RSJ's `JYSYDJ` 就业失业登记证明 or `GRCBZM` 个人参保证明).
    public var acceptedResults: [String] = []

    /// Creates a material.
    public init(code: String, name: String, kind: MaterialKind, trustEligible: Bool, acceptedResults: [String] = []) {
        self.code = code
        self.name = name
        self.kind = kind
        self.trustEligible = trustEligible
        self.acceptedResults = acceptedResults
    }

    private enum CodingKeys: String, CodingKey { case code, name, kind, trustEligible, acceptedResults }

    /// Decodes a stored catalogue version; versions stored before `acceptedResults` existed accept none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(MaterialKind.self, forKey: .kind)
        trustEligible = try container.decode(Bool.self, forKey: .trustEligible)
        acceptedResults = try container.decodeIfPresent([String].self, forKey: .acceptedResults) ?? []
    }
}

/// What happens to the result under 容缺 until the missing materials arrive.
public enum TrustDelivery: String, Sendable, Hashable, Codable, CaseIterable {
    /// The result is issued at once with an open obligation.
    case issueNow = "issue_now"
    /// The result is produced when the missing materials are handed in at pickup.
    case holdForPickup = "hold_for_pickup"
}

/// The result document a matter produces.
public struct MatterResultTemplate: Sendable, Hashable, Codable {
    /// Document title (≤ 24 characters).
    public var title: String
    /// Validity in days.
    public var validDays: Int
    /// Pickup mode printed on the document.
    public var pickup: PickupMode
    /// Field labels, in order; an application supplies a value for each.
    public var fields: [String]
}

/// A government service matter (事项) in the catalogue.
public struct Matter: Sendable, Hashable, Codable {
    /// Matter code (A-Z 0-9 _ -, ≤ 32), printed on documents.
    public var code: String
    /// Name.
    public var name: String
    /// Responsible department: its windows read credit for this matter and issue its results.
    public var department: String
    /// Statutory/committed time limit in working days.
    public var timeLimitDays: Int
    /// Working days to hand in missing materials under 容缺; nil when the matter allows no 容缺.
    public var trustDeadlineDays: Int?
    /// What happens to the result under 容缺.
    public var trustDelivery: TrustDelivery
    /// Working days to hand in the remaining materials under 容缓; nil when the matter allows no 容缓.
    public var deferralDeadlineDays: Int?
    /// Materials.
    public var materials: [MatterMaterial]
    /// The result document.
    public var result: MatterResultTemplate

    /// The material with `code`.
    public func material(_ code: String) -> MatterMaterial? { materials.first { $0.code == code } }

    /// Every result type some material of this matter accepts, sorted.
    public var acceptedResults: [String] { Array(Set(materials.flatMap(\.acceptedResults))).sorted() }
}

/// One version of the matter catalogue.
public struct MatterCatalogue: Sendable, Hashable, Codable {
    /// Version number (1, 2, …); 0 before the first is stored.
    public var version: Int
    /// Matters by code.
    public var matters: [Matter]

    /// The matter with `code`.
    public func matter(_ code: String) -> Matter? {
        let upper = code.uppercased()
        return matters.first { $0.code == upper }
    }

    /// Parses a catalogue file (YAML or JSON); every error names its line. `departmentExists` checks responsible departments.
    public static func parse(_ bytes: [UInt8], departmentExists: (String) -> Bool) throws(ZeroTripError) -> MatterCatalogue {
        let root = try StructuredFile.root(bytes, code: .invalidCatalogue)
        try root.only(["matters", "name"])
        var seen = Set<String>()
        var matters: [Matter] = []
        // Result types named by materials, checked once every matter is known (a reference may point further down).
        var references: [(result: String, matter: String, field: StructuredFile.Field)] = []
        for field in try root.list("matters", maxCount: 2000) {
            try field.only(["code", "name", "department", "timeLimitDays", "trustApproval", "deferral", "materials", "result"])
            let code = try field.string("code", maxLength: 32).uppercased()
            guard Validation.isMatterCode(code) else {
                throw field.error(at: "code", "matter codes are 1–32 of A-Z 0-9 _ -")
            }
            guard seen.insert(code).inserted else { throw field.error(at: "code", "matter \(code) appears twice") }
            let departmentField = try field.required("department")
            let department = try departmentField.text(maxLength: 16).uppercased()
            guard (try? Validation.departmentCode(department)) != nil else { throw departmentField.error("not a department code") }
            guard departmentExists(department) else { throw departmentField.error("no department \(department)") }
            var trustDays: Int?
            var delivery = TrustDelivery.issueNow
            if let trust = field.child("trustApproval") {
                try trust.only(["deadlineDays", "delivery"])
                trustDays = try trust.integer("deadlineDays", in: 1...120)
                if let text = try trust.optionalString("delivery") {
                    guard let value = TrustDelivery(rawValue: text) else { throw trust.error(at: "delivery", "must be issue_now or hold_for_pickup") }
                    delivery = value
                }
            }
            var deferralDays: Int?
            if let deferral = field.child("deferral") {
                try deferral.only(["deadlineDays"])
                deferralDays = try deferral.integer("deadlineDays", in: 1...120)
            }
            let matterCode = code
            var materialCodes = Set<String>()
            let materials = try field.list("materials", maxCount: 50).map { item throws(ZeroTripError) in
                try item.only(["code", "name", "kind", "trustEligible", "acceptedResults"])
                let code = try item.string("code", maxLength: 32).uppercased()
                guard code.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else {
                    throw item.error(at: "code", "material codes are 1–32 of A-Z 0-9 _")
                }
                guard materialCodes.insert(code).inserted else { throw item.error(at: "code", "material \(code) appears twice") }
                let kindField = try item.required("kind")
                guard let kind = MaterialKind(rawValue: try kindField.text()) else { throw kindField.error("must be primary or secondary") }
                let eligible = try item.bool("trustEligible", default: false)
                if eligible && kind == .primary { throw item.error(at: "trustEligible", "a primary material is never trust-eligible") }
                var accepted: [String] = []
                if item.child("acceptedResults") != nil {
                    accepted = try item.list("acceptedResults", maxCount: 20).map { entry throws(ZeroTripError) in
                        let result = try entry.text(maxLength: 32).uppercased()
                        guard Validation.isMatterCode(result) else { throw entry.error("result types are matter codes: 1–32 of A-Z 0-9 _ -") }
                        references.append((result, matterCode, entry))
                        return result
                    }
                    guard Set(accepted).count == accepted.count else { throw item.error(at: "acceptedResults", "a result type appears twice") }
                }
                return MatterMaterial(
                    code: code, name: try item.string("name", maxLength: 64), kind: kind, trustEligible: eligible, acceptedResults: accepted)
            }
            guard materials.contains(where: { $0.kind == .primary }) else {
                throw field.error(at: "materials", "a matter needs at least one primary material")
            }
            if trustDays != nil, !materials.contains(where: \.trustEligible) {
                throw field.error(at: "trustApproval", "trustApproval needs at least one trust-eligible material")
            }
            let resultField = try field.required("result")
            try resultField.only(["title", "validDays", "pickup", "fields"])
            let title = try resultField.string("title", maxLength: DocumentLimits.matterName)
            let pickupText = try resultField.optionalString("pickup") ?? PickupMode.qrSelfPrint.rawValue
            guard let pickup = PickupMode(rawValue: pickupText) else {
                throw resultField.error(at: "pickup", "must be one of \(PickupMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            // One field of the document is the application number, added at issuance.
            let maxLabels = DocumentLimits.fields.upperBound - 1
            let labels = try resultField.list("fields", maxCount: maxLabels).map { label throws(ZeroTripError) in
                try label.text(maxLength: DocumentLimits.fieldLabel)
            }
            guard !labels.isEmpty, Set(labels).count == labels.count else {
                throw resultField.error(at: "fields", "1–\(maxLabels) distinct field labels are needed")
            }
            matters.append(
                Matter(
                    code: code, name: try field.string("name", maxLength: 64), department: department,
                    timeLimitDays: try field.integer("timeLimitDays", in: 1...365), trustDeadlineDays: trustDays, trustDelivery: delivery,
                    deferralDeadlineDays: deferralDays, materials: materials,
                    result: MatterResultTemplate(
                        title: title, validDays: try resultField.integer("validDays", in: DocumentLimits.validDays), pickup: pickup, fields: labels)))
        }
        guard !matters.isEmpty else { throw root.error("the catalogue lists no matter") }
        for reference in references {
            guard seen.contains(reference.result) else {
                throw reference.field.error("no matter \(reference.result) in this catalogue produces that result")
            }
            guard reference.result != reference.matter else { throw reference.field.error("a matter's material cannot be its own result") }
        }
        return MatterCatalogue(version: 0, matters: matters)
    }
}
