import Foundation
public import ZeroTrip

/// The demo points scheme, as shipped or with its reviewing and certificate department moved.
public enum PointsFixtures {
    /// `demo/points-policy.yaml`, with `department: GAJ` replaced by `department` (the reviewer of proofs and the
    /// certificate's issuer), and the insurance rule's points per year replaced by `insurancePoints`.
    public static func policy(department: String = "GAJ", insurancePoints: Int = 3) throws -> [UInt8] {
        let text = String(decoding: try CreditFixtures.file("points-policy.yaml"), as: UTF8.self)
            .replacingOccurrences(of: "department: GAJ", with: "department: \(department)")
            .replacingOccurrences(of: "rule: { per: 12, points: 3 }", with: "rule: { per: 12, points: \(insurancePoints) }")
        return Array(text.utf8)
    }

    /// Loads the scheme and returns its version.
    @discardableResult
    public static func load(_ services: ZeroTripServices, department: String = "GAJ", insurancePoints: Int = 3) async throws -> Int {
        try await services.points.loadPolicy(try policy(department: department, insurancePoints: insurancePoints), actor: "test").version
    }

    /// The smallest proof a phone sends: a PNG signature and a few bytes.
    public static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]

    /// The subject (`person:<id>`) of the registered person with `idNumber`.
    public static func subject(_ services: ZeroTripServices, _ idNumber: String) async throws -> SubjectID {
        guard let id = try await services.identity.registry.subject(idNumber: idNumber) else {
            throw ZeroTripError(.unknownSubject, "\(idNumber) is not registered")
        }
        return .person(id)
    }
}
