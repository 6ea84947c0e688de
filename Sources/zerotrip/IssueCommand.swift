import ArgumentParser
import Foundation
import ZeroTrip
import ZeroTripDocuments
import ZeroTripCrypto

/// `zerotrip issue`: issue a signed result document from the command line.
struct IssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a signed result document: writes the PDF and a PNG of its QR code, prints the register entry.",
        discussion:
            "Example: zerotrip issue --department RSJ --matter-code GRCBZM --matter-name 个人参保证明 --holder-name 张三丰 --holder-id 440104199001010010 --field 参保险种=企业职工基本养老保险 --field 参保状态=正常参保"
    )

    @OptionGroup var location: LocationOptions
    @Option(name: .long, help: "Issuing department code.") var department: String
    @Option(name: .customLong("matter-code"), help: "Matter code (A-Z 0-9 _ -).") var matterCode: String
    @Option(name: .customLong("matter-name"), help: "Matter name, the document title.") var matterName: String
    @Option(name: .customLong("holder-name"), help: "Holder's name.") var holderName: String
    @Option(name: .customLong("holder-id"), help: "Holder's 18-character citizen ID number, or an organisation's unified social credit code.")
    var holderID: String
    @Option(name: .customLong("holder-type"), help: "person (default) or organization (a registered credit subject: zerotrip credit organizations).")
    var holderType: String = HolderKind.person.rawValue
    @Option(name: .customLong("field"), help: "A field as LABEL=VALUE (repeatable, in order).") var fields: [String] = []
    @Option(name: .customLong("valid-days"), help: "Validity in days.") var validDays: Int = 365
    @Option(name: .long, help: "Pickup mode: kiosk_print, o2o_delivery or qr_self_print.") var pickup: String = PickupMode.qrSelfPrint.rawValue
    @Option(name: .long, help: "Re-issue: the id of the document this one replaces.") var supersedes: String?
    @Option(name: .long, help: "Directory for <id>.pdf and <id>-qr.png.") var out: String = "."

    func run() async throws {
        try await reportingErrors {
            guard let mode = PickupMode(rawValue: pickup) else {
                throw ZeroTripError(.invalidInput, "pickup must be one of \(PickupMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let parsedFields = try fields.map { raw throws(ZeroTripError) in
                guard let equals = raw.firstIndex(of: "=") else { throw ZeroTripError(.invalidInput, "--field takes LABEL=VALUE") }
                return ResultField(label: String(raw[..<equals]), value: String(raw[raw.index(after: equals)...]))
            }
            guard let kind = HolderKind(rawValue: holderType) else {
                throw ZeroTripError(.invalidInput, "--holder-type must be person or organization")
            }
            var request = IssueDocumentRequest(
                departmentCode: department, matterCode: matterCode, matterName: matterName, holderName: holderName,
                holderIDNumber: holderID, fields: parsedFields, validDays: validDays, pickupMode: mode)
            request.holderKind = kind
            let services = try location.services()
            let issued =
                supersedes == nil
                ? try await services.documents.issue(request, actor: cliActor)
                : try await services.documents.reissue(try DocumentID.named(supersedes), with: request, actor: cliActor)
            let directory = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let pdfURL = directory.appendingPathComponent("\(issued.record.id).pdf")
            let pngURL = directory.appendingPathComponent("\(issued.record.id)-qr.png")
            // The PDF carries the holder's full ID number: readable by its owner only, like every personal file here.
            try ExclusiveFile.create(path: pdfURL.path, displayName: pdfURL.lastPathComponent, bytes: issued.pdf, permissions: 0o600)
            try ExclusiveFile.create(
                path: pngURL.path, displayName: pngURL.lastPathComponent, bytes: issued.qr.pngRepresentation(), permissions: 0o600)
            try printJSON(
                IssueOutput(
                    id: issued.record.id.rawValue, department: issued.record.departmentCode, kid: issued.record.kid,
                    pdf: pdfURL.path, qrImage: pngURL.path, pdfSha256: issued.record.pdfSHA256,
                    token: issued.record.token, qrContent: issued.qrContent, qrVersion: issued.qr.version))
        }
    }

    struct IssueOutput: Encodable {
        var id, department, kid, pdf, qrImage, pdfSha256, token, qrContent: String
        var qrVersion: Int
    }
}

/// `zerotrip verify`: verify a PDF or a token, online (register) or offline (certificates only).
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a signed PDF or a QR token (or the scanned verification URL).",
        discussion: """
            Prints the verification report as JSON. Exit status: 0 valid, 2 invalid/revoked/expired/unknown, 1 error. \
            --offline uses no database: with --trust-list FILE (and FILE.sig, from GET /v1/trust-list or `zerotrip trust-list export`) \
            the list is checked against the pinned root (Certificates/root.pem or --root) and its revocations apply; a list past \
            nextUpdate + grace answers "unknown". With the trust list, the document status list (--status-list FILE and FILE.sig, \
            default status-list.json beside the trust list, from GET /v1/status-list or `zerotrip trust-list export`) makes a \
            revoked or superseded document answer "revoked"; its age is printed on standard error, and a list past its \
            nextUpdate + grace answers "unknown". Without --trust-list, Certificates/departments/*.pem are trusted and \
            revocation is not checked.
            """)

    @OptionGroup var location: LocationOptions
    @Argument(help: "A PDF file to verify.") var file: String?
    @Option(name: .long, help: "A ZT1: token or verification URL.") var token: String?
    @Flag(name: .long, help: "Verify from certificates alone, without the register.") var offline = false
    @Option(name: .long, help: "Offline: a signed trust list (JSON); its signature is read from FILE.sig.") var trustList: String?
    @Option(name: .long, help: "Offline: the pinned root certificate (default Certificates/root.pem).") var root: String?
    @Option(
        name: .long, help: "Offline: the signed document status list (JSON, signature in FILE.sig; default status-list.json beside --trust-list).")
    var statusList: String?

    func run() async throws {
        let report: VerificationReport = try await reportingErrors {
            guard (file == nil) != (token == nil) else { throw ZeroTripError(.invalidInput, "give either a PDF file or --token") }
            if offline { return try offlineReport() }
            let services = try location.services()
            if let token { return try await services.documents.verifyToken(token, actor: cliActor) }
            return try await services.documents.verifyPDF(try readPDF(), actor: cliActor)
        }
        try printJSON(report)
        if report.result != .valid { throw ExitCode(2) }
    }

    /// Applies the status list to an offline report and says on standard error how old the list is.
    private static func applyStatus(_ list: DocumentStatusList, to report: inout VerificationReport, documentID: String) {
        OfflineTrust.apply(list, to: &report, documentID: documentID)
        FileHandle.standardError.write(
            Data(
                "document status as of \(ChinaTime(list.issuedAt).minuteText) (Beijing time), next update due \(ChinaTime(list.nextUpdate).minuteText)\n"
                    .utf8))
    }

    private func readPDF() throws -> [UInt8] {
        let url = URL(fileURLWithPath: file!)
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        guard let size = attributes?[.size] as? Int else { throw ZeroTripError(.notFound, "cannot read \(url.lastPathComponent)") }
        guard size <= SignedPDF.maximumLength else {
            throw ZeroTripError(.payloadTooLarge, "\(url.lastPathComponent) is larger than \(SignedPDF.maximumLength) bytes")
        }
        return [UInt8](try Data(contentsOf: url))
    }

    private func offlineReport() throws -> VerificationReport {
        let home = try location.configuration().home
        let now = Date()
        let verifier: DocumentVerifier
        var documentStatus: DocumentStatusList?
        if let trustList {
            let rootURL = root.map { URL(fileURLWithPath: $0) } ?? home.rootCertificateURL
            switch try OfflineTrust.loadTrustList(
                URL(fileURLWithPath: trustList), signature: URL(fileURLWithPath: trustList + ".sig"), root: rootURL, now: now)
            {
            case .usable(let list, let rootCertificate):
                verifier = list.verifier(root: rootCertificate)
                let statusPath =
                    statusList ?? URL(fileURLWithPath: trustList).deletingLastPathComponent().appendingPathComponent("status-list.json").path
                if statusList != nil || FileManager.default.fileExists(atPath: statusPath) {
                    switch try OfflineTrust.loadStatusList(
                        URL(fileURLWithPath: statusPath), signature: URL(fileURLWithPath: statusPath + ".sig"),
                        trustList: list, root: rootCertificate, now: now)
                    {
                    case .usable(let status): documentStatus = status
                    case .unusable(let reason):
                        return VerificationReport(
                            result: .unknown, reasons: [reason], document: nil, registerChecked: false, method: token == nil ? .pdf : .token,
                            verifiedAt: now)
                    }
                }
            case .unusable(let reason):
                return VerificationReport(
                    result: .unknown, reasons: [reason], document: nil, registerChecked: false, method: token == nil ? .pdf : .token, verifiedAt: now)
            }
        } else {
            verifier = try OfflineTrust.load(certificatesDirectory: home.certificatesDirectory)
        }
        if let token {
            let outcome = verifier.verifyToken(token, now: now)
            var report = VerificationReport(
                result: outcome.result, reasons: outcome.reason.map { [$0] } ?? [],
                document: outcome.claims.map { claims in
                    DocumentSummary(
                        id: claims.documentIDHex, departmentCode: claims.departmentCode ?? "",
                        departmentName: outcome.seal?.certificate.subject.commonName,
                        matterCode: claims.matterCode, matterName: nil, holderName: claims.maskedHolderName,
                        issuedAt: Date(timeIntervalSince1970: TimeInterval(claims.issuedAt)),
                        validUntil: Date(timeIntervalSince1970: TimeInterval(claims.expiresAt)),
                        status: nil, statusChangedAt: nil, statusReason: nil, supersededBy: nil, kid: outcome.seal?.certificate.kidHex ?? "")
                }, registerChecked: false, method: .token, verifiedAt: now)
            if let documentStatus, let id = outcome.claims?.documentIDHex { Self.applyStatus(documentStatus, to: &report, documentID: id) }
            return report
        }
        let bytes = try readPDF()
        let outcome = verifier.verifyPDF(bytes, now: now)
        var report = VerificationReport(
            result: outcome.result, reasons: outcome.reason.map { [$0] } ?? [], document: nil,
            registerChecked: false, method: .pdf, verifiedAt: now)
        if let documentStatus, outcome.result == .valid || outcome.result == .expired {
            guard let id = OfflineTrust.documentID(inSignedPDF: bytes) else {
                return VerificationReport(
                    result: .unknown,
                    reasons: [VerificationReason(.statusListInvalid, "the PDF names no document id, so its status cannot be looked up")],
                    document: nil, registerChecked: false, method: .pdf, verifiedAt: now)
            }
            Self.applyStatus(documentStatus, to: &report, documentID: id)
        }
        return report
    }
}

/// `zerotrip documents`: the register.
struct DocumentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "documents", abstract: "List, show and revoke issued documents.", subcommands: [List.self, Show.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List documents, newest first (personal data masked; a table, --json for scripts).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Only this department.") var department: String?
        @Option(name: .long, help: "At most this many.") var limit: Int = 50
        @Flag(name: .long, help: "JSON, one object per document (holder's name masked as in the table).") var json = false
        func run() async throws {
            try await reportingErrors {
                let records = try await location.services().documents.records(department: department?.uppercased(), limit: limit)
                if json {
                    struct Row: Encodable { var id, department, matter, holder, issuedAt, validUntil, status: String }
                    return try printJSON(
                        records.map {
                            Row(
                                id: $0.id.rawValue, department: $0.departmentCode, matter: $0.matterCode, holder: $0.maskedHolderName,
                                issuedAt: AuditEvent.timestamp($0.issuedAt), validUntil: AuditEvent.timestamp($0.validUntil),
                                status: $0.status.rawValue)
                        })
                }
                print(
                    formatTable(
                        ["ID", "DEPARTMENT", "MATTER", "HOLDER", "ISSUED (UTC+8)", "STATUS"],
                        records.map {
                            [
                                $0.id.rawValue, $0.departmentCode, $0.matterCode, $0.maskedHolderName, ChinaTime($0.issuedAt).minuteText,
                                $0.status.rawValue,
                            ]
                        }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one document's register entry (personal data masked).")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Document id.") var id: String
        func run() async throws {
            try await reportingErrors {
                guard var record = try await location.services().documents.record(id: try DocumentID.named(id)) else {
                    throw ZeroTripError(.notFound, "no document \(id.prefix(40))")
                }
                record.holderName = record.maskedHolderName
                record.holderIDNumber = record.maskedHolderIDNumber
                try printJSON(record)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a document (it then verifies as revoked everywhere).")
        @OptionGroup var location: LocationOptions
        @Argument(help: "Document id.") var id: String
        @Option(name: .long, help: "issued_in_error, facts_changed, obligation_unmet, fraud, key_compromise or other.") var reason: String
        func run() async throws {
            try await reportingErrors {
                guard let parsed = RevocationReason(rawValue: reason) else {
                    throw ZeroTripError(.invalidInput, "reason must be one of \(RevocationReason.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                var record = try await location.services().documents.revoke(try DocumentID.named(id), reason: parsed, actor: cliActor)
                record.holderName = record.maskedHolderName
                record.holderIDNumber = record.maskedHolderIDNumber
                try printJSON(record)
            }
        }
    }
}
