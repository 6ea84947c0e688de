import Foundation

/// A case in a department's queue (a points claim or dispute, a complaint) with the person it concerns: their name
/// and masked ID number, enough to match papers and call back, never the full number.
public struct Concerning<Item: Sendable>: Sendable {
    /// The claim, dispute or complaint.
    public var item: Item
    /// The person's name (nil when the registry no longer has them).
    public var name: String?
    /// The ID number masked as everywhere (`3302**********1234`).
    public var idNumberMasked: String?

    /// `item` of `subject` (`person:<id>`), with the person as the registry has them.
    init(_ item: Item, subject: SubjectID, in db: SQLTransaction) throws {
        let person = try subject.personID.flatMap { try PersonStore.person(id: $0, in: db) }
        self.item = item
        name = person?.name
        idNumberMasked = person?.idMasked
    }
}
