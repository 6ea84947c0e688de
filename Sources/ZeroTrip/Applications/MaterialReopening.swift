import Foundation
import ZeroTripCrypto
import ZeroTripDocuments

/// When a result that stood for an application's material stops being valid (revoked, or superseded by a corrected
/// one), that material is owed again: like 容缺, the applicant gets a deadline to hand it in (a new consent-backed
/// result or the paper) and a notice. Runs inside the transaction that changes the document's status, so the
/// revocation and its consequences commit together.
enum MaterialReopening {
    /// Working days to hand a re-opened material in when the matter names no 容缺 deadline.
    static let defaultDeadlineDays = 10

    /// Re-opens every material of unfinished applications that `documentID` stood for; returns how many applications.
    static func reopen(
        documentID: String, status: DocumentStatus, supersededBy: String?, actor: String, at now: Date,
        in db: SQLTransaction
    ) throws -> Int {
        let uses = try ApplicationStore.materialsSatisfied(byDocument: documentID, in: db)
        guard !uses.isEmpty else { return 0 }
        let policy = try ConfigurationStore.creditPolicy(version: ConfigurationStore.newestVersion(.creditPolicy, in: db), in: db) ?? .builtIn
        var reopened = 0
        for (application, codes) in Dictionary(grouping: uses, by: \.application).sorted(by: { $0.key < $1.key }) {
            guard let record = try ApplicationStore.load(application, in: db), !record.state.isFinal else { continue }
            let items = codes.map(\.code).sorted()
            try ApplicationStore.reopenMaterials(application: application, codes: items, in: db)
            let matter = try ConfigurationStore.catalogue(version: record.catalogueVersion, in: db)?.matter(record.matterCode)
            let names = items.map { code in matter?.material(code)?.name ?? code }
            var details = ["application": application, "materials": items.joined(separator: ","), "document": documentID, "status": status.rawValue]
            var deadlineText = ""
            // An accepted application without an obligation yet gets one, as under 容缺; otherwise the window sees the
            // material missing again (and an existing obligation keeps its own terms).
            if [.accepted, .underReview, .approved, .resultIssued].contains(record.state), record.obligation == nil {
                let deadline = policy.calendar.deadline(workingDays: matter?.trustDeadlineDays ?? defaultDeadlineDays, from: now)
                let obligation = Hex.encode(
                    try withCrypto("generating an obligation id") { () throws(CryptoError) in try SecureRandom.bytes(count: 16) })
                try ApplicationStore.openObligation(
                    id: obligation, application: application, subject: record.subject.rawValue, kind: .trust, items: items,
                    deadline: deadline, remindAt: policy.calendar.reminder(before: deadline, workingDays: policy.reminderWorkingDays),
                    at: now, in: db)
                details["obligation"] = obligation
                details["deadline"] = AuditEvent.timestamp(deadline)
                deadlineText = "，请于\(ChinaTime(deadline).chineseDate)前补交"
            }
            try AuditLog.append(
                AuditEntry(actor: actor, action: .applicationMaterialReopened, target: "application:\(application)", details: details),
                at: now, in: db)
            let why = status == .superseded ? "已被重新签发的文书\(supersededBy.map { "（编号 \($0)）" } ?? "")替代" : "已被签发部门撤销"
            try ApplicationService.notify(
                db, subject: record.subject.rawValue, kind: "material_reopened", reference: application,
                message: "【政务服务】您办理事项时授权调用的电子证照\(why)，所涉材料（\(names.joined(separator: "、"))）需重新提供\(deadlineText)。",
                at: now)
            reopened += 1
        }
        return reopened
    }
}
