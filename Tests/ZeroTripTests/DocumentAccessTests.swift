import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDocuments
import ZeroTripDomainTestSupport

@Suite("Who may read a document: its department, an administrator, its holder; every refusal audited")
struct DocumentAccessTests {
    static let request = IssueDocumentRequest(
        departmentCode: "RSJ", matterCode: "GRCBZM", matterName: "个人参保证明", holderName: "张三丰", holderIDNumber: "440104199001010010",
        fields: [ResultField(label: "参保状态", value: "正常参保")], validDays: 365, pickupMode: .qrSelfPrint)

    static func principal(_ department: String, _ scopes: Set<Scope> = [.documentsIssue]) -> Principal {
        Principal(credentialID: "cred-\(department.lowercased())", departmentCode: department, scopes: scopes)
    }

    @Test(
        "The issuing department reads it, another is refused with forbidden and an audited denial naming the route, an admin of any department reads it"
    )
    func departmentDocument() async throws {
        let district = try await TestDistrict().setUp(departments: [("RSJ", "区人力资源和社会保障局"), ("GAJ", "区公安分局")])
        let documents = district.services.documents
        let issued = try await documents.issue(Self.request, actor: "test")
        let id = issued.record.id

        let typed = try #require(DocumentID(" \(id.rawValue.uppercased()) "), "an id typed in capitals with spaces around parses")
        let own = try await documents.departmentDocument(id: typed, for: Self.principal("rsj"), route: "GET /v1/documents/{id}")
        #expect(own.id == id, "department codes compare case-insensitively")

        await expectError(.forbidden) {
            try await documents.departmentDocument(id: id, for: Self.principal("GAJ"), route: "GET /v1/documents/{id}/pdf")
        }
        let denial = try #require(try await AuditLog.events(in: district.services.database, limit: 5).last)
        #expect(denial.action == AuditAction.authDenied.rawValue)
        #expect(denial.actor == "credential:cred-gaj")
        #expect(denial.target == "document:\(id)")
        #expect(denial.outcome == "denied")
        #expect(denial.details.contains("other_department") && denial.details.contains("GET /v1/documents/{id}/pdf"))

        let asAdmin = try await documents.departmentDocument(id: id, for: Self.principal("GAJ", [.admin]), route: "GET /v1/documents/{id}")
        #expect(asAdmin.id == id)

        let before = try await AuditLog.events(in: district.services.database, limit: 1000).count
        await expectError(.notFound) {
            try await documents.departmentDocument(
                id: DocumentID(rawValue: String(repeating: "0", count: 32))!, for: Self.principal("RSJ"), route: "GET /v1/documents/{id}")
        }
        #expect(try await AuditLog.events(in: district.services.database, limit: 1000).count == before, "an unknown id is not a denial")
    }

    @Test("The holder reads their own document by ID number; anyone else is refused with forbidden and audited as other_person")
    func holderDocument() async throws {
        let district = try await TestDistrict().setUp()
        let documents = district.services.documents
        let id = try await documents.issue(Self.request, actor: "test").record.id

        let own = try await documents.holderDocument(
            id: id, holderIDNumber: "440104199001010010", actor: "person:a", route: "GET /v1/applicant/documents/{id}/pdf")
        #expect(own.id == id)
        for other in ["11010519491231002X", nil] as [String?] {
            await expectError(.forbidden) {
                try await documents.holderDocument(id: id, holderIDNumber: other, actor: "person:b", route: "GET /v1/applicant/documents/{id}/pdf")
            }
            let denial = try #require(try await AuditLog.events(in: district.services.database, limit: 1).first)
            #expect(denial.action == AuditAction.authDenied.rawValue && denial.actor == "person:b" && denial.details.contains("other_person"))
        }
    }
}
