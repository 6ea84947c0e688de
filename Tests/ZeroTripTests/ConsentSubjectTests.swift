import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripDomainTestSupport

@Suite("A consent grant's subject is a SubjectID above the store, in the form grants were always stored below it")
struct ConsentSubjectTests {
    @Test(
        "Stored forms: a person by registry id alone, an organisation as organization:<code>; both read back as the SubjectID given",
        arguments: [SubjectID.person("3f2a9c"), SubjectID.organization("91440604MA4UJ8XQ3F")])
    func storedForm(_ subject: SubjectID) {
        let stored = ConsentStore.stored(subject)
        #expect(stored == (subject.personID ?? subject.rawValue))
        #expect(ConsentStore.subject(stored: stored) == subject)
    }

    @Test("A person's grant given through the service is stored by registry id and listed, withdrawn and audited under person:<id>")
    func personGrant() async throws {
        let district = try await ApplicationTests.district()
        let services = district.services
        let person = try #require(try await services.identity.registry.subject(idNumber: IdentityFixtures.zhang.id))
        let grant = try await services.consent.grant(
            subject: .person(person), department: nil, matter: "JZDJ", resultTypes: nil, days: 30, channel: .app, actor: "test",
            assuranceTier: 1)
        #expect(grant.subject == .person(person))
        let stored = try await services.database.read { db in
            try db.fetchOne(String.self, sql: "SELECT subject FROM consent_grants WHERE id = ?", arguments: [grant.id])
        }
        #expect(stored == person, "the stored form is unchanged: existing grants keep matching")
        #expect(try await services.consent.grants(subject: .person(person)).map(\.id) == [grant.id])
        _ = try await services.consent.withdraw(id: grant.id, subject: .person(person), actor: "test")
        let events = try await AuditLog.events(in: services.database, limit: 1000).filter { $0.action.hasPrefix("consent.") }
        #expect(events.map(\.target) == ["person:\(person)", "person:\(person)"], "\(events.map(\.target))")
        await expectError(.notFound) { try await services.consent.withdraw(id: grant.id, subject: .person("someone-else"), actor: "test") }
    }
}
