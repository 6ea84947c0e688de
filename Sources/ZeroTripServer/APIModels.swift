import Foundation
import ZeroTrip

struct WhoAmI: Codable { var credentialId: String; var department: String; var scopes: [String] }
struct DepartmentList: Codable { var departments: [Department] }
struct DepartmentDetail: Codable { var department: Department; var keys: [SigningKeyInfo] }
struct CreateDepartment: Codable { var code: String; var name: String; var algorithm: String? }
struct CredentialList: Codable { var credentials: [CredentialInfo] }
struct CreateCredential: Codable { var department: String; var scopes: [String]; var label: String? }
struct CreatedCredential: Codable { var credential: CredentialInfo; var token: String }
struct AuditReport: Codable { var intact: Bool; var eventCount: Int64?; var headHash: String?; var firstBadSeq: Int64?; var reason: String? }
struct AuditEventList: Codable { var events: [AuditEventView] }
struct AuditEventView: Codable {
    var seq: Int64, occurredAt: String, actor: String, action: String, target: String, outcome: String, details: String, hash: String
    init(_ event: AuditEvent) {
        seq = event.seq; occurredAt = event.occurredAt; actor = event.actor; action = event.action
        target = event.target; outcome = event.outcome; details = event.details; hash = event.hash.map { String(format: "%02x", $0) }.joined()
    }
}
