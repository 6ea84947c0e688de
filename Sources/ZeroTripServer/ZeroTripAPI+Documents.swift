import Hummingbird
import Foundation
import NIOCore
import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

extension ZeroTripAPI {
    /// `POST /v1/documents`.
    func issueDocument(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let documents = services.documents
        let limit = bodyLimit
        return { request, _, principal in
            let body = try await JSONResponse.decode(IssueDocumentBody.self, from: request, limit: limit)
            let issued = try await documents.issue(try body.request(for: principal), by: principal, route: spec.description)
            return try JSONResponse.make(IssuedDocumentView(issued, baseURL: documents.verificationBaseURL), status: .created)
        }
    }

    /// `GET /v1/documents`.
    func listDocuments(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let documents = services.documents
        return { request, _, principal in
            let raw = request.uri.queryParameters.get("limit") ?? "50"
            guard let count = Int(raw), (1...1000).contains(count) else { throw ZeroTripError(.invalidInput, "limit must be 1–1000") }
            let records = try await documents.records(department: principal.departmentCode, limit: count)
            return try JSONResponse.make(DocumentList(documents: records.map { DocumentView($0) }))
        }
    }

    /// `GET /v1/documents/{id}`.
    func showDocument(_ spec: RouteSpec) -> DepartmentHandler {
        let documents = services.documents
        return { _, parameters, principal in
            let record = try await documents.departmentDocument(
                id: try DocumentID.named(parameters.get("id")), for: principal, route: spec.description)
            return try JSONResponse.make(DocumentView(record))
        }
    }

    /// `GET /v1/documents/{id}/pdf`.
    func documentPDF(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let documents = services.documents
        return { _, parameters, principal in
            let record = try await documents.departmentDocument(
                id: try DocumentID.named(parameters.get("id")), for: principal, route: spec.description)
            guard let pdf = try await documents.pdf(id: record.id) else { throw ZeroTripError(.notFound, "no document \(record.id)") }
            return PDFResponse.make(pdf, id: record.id)
        }
    }

    /// `POST /v1/documents/{id}/revoke`.
    func revokeDocument(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let documents = services.documents
        let limit = bodyLimit
        return { request, parameters, principal in
            let record = try await documents.departmentDocument(
                id: try DocumentID.named(parameters.get("id")), for: principal, route: spec.description)
            let body = try await JSONResponse.decode(RevokeBody.self, from: request, limit: limit)
            guard let reason = RevocationReason(rawValue: body.reason) else {
                throw ZeroTripError(.invalidInput, "reason must be one of \(RevocationReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let revoked = try await documents.revoke(record.id, reason: reason, actor: principal.actor)
            return try JSONResponse.make(DocumentView(revoked))
        }
    }

    /// `POST /v1/documents/{id}/reissue`.
    func reissueDocument(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let documents = services.documents
        let limit = bodyLimit
        return { request, parameters, principal in
            let id = try DocumentID.named(parameters.get("id"))
            let body = try await JSONResponse.decode(IssueDocumentBody.self, from: request, limit: limit)
            let issued = try await documents.reissue(id, with: try body.request(for: principal), by: principal, route: spec.description)
            return try JSONResponse.make(IssuedDocumentView(issued, baseURL: documents.verificationBaseURL), status: .created)
        }
    }

    /// `POST /v1/verify`.
    func verifyToken(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let documents = services.documents
        let limit = bodyLimit
        let metrics = self.metrics
        return { request, _, principal in
            let body = try await JSONResponse.decode(VerifyTokenBody.self, from: request, limit: min(limit, 4096))
            let report = try await documents.verifyToken(body.token, actor: principal.actor)
            metrics.verification(method: "token", result: report.result.rawValue)
            return try JSONResponse.make(report)
        }
    }

    /// `POST /v1/verify/pdf`.
    func verifyPDF(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let documents = services.documents
        let limit = bodyLimit
        let metrics = self.metrics
        return { request, _, principal in
            var request = request
            let maximum = min(limit, SignedPDF.maximumLength)
            let buffer: ByteBuffer
            do { buffer = try await request.collectBody(upTo: maximum) } catch let error as HTTPError where error.status == .contentTooLarge {
                throw ZeroTripError(.payloadTooLarge, "PDF exceeds the limit of \(maximum) bytes")
            } catch is NIOTooManyBytesError {
                throw ZeroTripError(.payloadTooLarge, "PDF exceeds the limit of \(maximum) bytes")
            }
            guard buffer.readableBytes > 0 else {
                throw ZeroTripError(.invalidInput, "send the PDF as the request body (Content-Type: application/pdf)")
            }
            let report = try await documents.verifyPDF(Array(buffer.readableBytesView), actor: principal.actor)
            metrics.verification(method: "pdf", result: report.result.rawValue)
            return try JSONResponse.make(report)
        }
    }

    /// `GET /v`, `GET /V`, `GET /v/{id}`, `GET /V/{id}`.
    func verificationPage(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        let documents = services.documents
        let metrics = self.metrics
        // `/V/?ZT1:…` (the QR), `/v/<document id>` (the footer link), or `/v/` alone (how-to page).
        return { request, parameters in
            // Anonymous page views are audited as counts per document per minute (AuditAggregator), so made-up
            // numbers cannot grow the audit log; the rate limit per client is applied before this handler.
            let report: VerificationReport?
            if let query = request.uri.query, query.hasPrefix("n=") {
                // The number box: `/v/?n=<number as typed or printed>`.
                let typed = String(query.dropFirst(2).prefix(192)).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
                report = try await documents.verifyID(VerificationPage.normalizedNumber(typed) ?? typed, actor: "public:page", audit: false)
            } else if let query = request.uri.query, !query.isEmpty {
                report = try await documents.verifyToken("/V/?" + query, actor: "public:page", audit: false)
            } else if let id = parameters.get("id"), let number = VerificationPage.normalizedNumber(id) {
                report = try await documents.verifyID(number, actor: "public:page", audit: false)
            } else if let id = parameters.get("id") {
                report = try await documents.verifyToken(String(id.prefix(ResultToken.maximumTextLength + 1)), actor: "public:page", audit: false)
            } else {
                report = nil
            }
            if let report {
                metrics.verification(method: "page_\(report.method.rawValue)", result: report.result.rawValue)
                // A number or token that names no registered document is counted under one target, so made-up
                // numbers cannot multiply the events either.
                var entry = DocumentService.auditEntry(for: report, actor: "public:page")
                if report.result == .unknown || report.document == nil { entry.target = "document:unidentified" }
                services.anonymousAudit.record(entry)
            }
            // The register's entry, for the fields a clerk compares with the paper (only for a document it identified).
            var record: ResultDocumentRecord?
            if let report, report.registerChecked, [.valid, .expired, .revoked].contains(report.result),
                let id = report.document.flatMap({ DocumentID(rawValue: $0.id) })
            {
                record = try await documents.record(id: id)
            }
            // The link to the original PDF: only from a scanned code (the token is the key), for a valid document
            // whose holder leaves it on.
            var pdfLink: String?
            if let report, report.method == .token, report.result == .valid, let record, let query = request.uri.query, !query.hasPrefix("n="),
                try await documents.pdfLink(for: record)
            {
                pdfLink = "/P/?" + query
            }
            var issuer: String?
            if let document = report?.document { issuer = await districtName.issuer(document.departmentName ?? document.departmentCode) }
            let html = VerificationPage.render(report, record: record, pdfLink: pdfLink, district: await districtName.get(), issuer: issuer)
            return Response(status: .ok, headers: VerificationPage.htmlHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }

    /// `GET /P`.
    func originalPDF(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        let documents = services.documents
        // `/P/?ZT1:…`: the original PDF behind a scanned code, for kiosks and holders printing their own result.
        return { request, _ in
            let query = request.uri.query ?? ""
            guard !query.isEmpty, query.utf8.count <= ResultToken.maximumTextLength else {
                return VerificationPage.pdfRefused(status: .notFound, message: "请扫描电子文书上的二维码。", back: nil, district: await districtName.get())
            }
            switch try await documents.sharedPDF(scanned: "/V/?" + query) {
            case .pdf(let record, let pdf):
                services.anonymousAudit.record(AuditEntry(actor: "public:page", action: .documentPdfShared, target: "document:\(record.id)"))
                return PDFResponse.page(pdf, id: record.id, inline: true)
            case .notShared(let record):
                services.anonymousAudit.record(
                    AuditEntry(
                        actor: "public:page", action: .documentPdfShared, target: "document:\(record.id)",
                        outcome: "denied", details: ["reason": "link_off"]))
                return VerificationPage.pdfRefused(
                    status: .forbidden, message: "持证人未开放此文书的原件下载。文书真伪与内容请以核验页为准。", back: "/V/?" + query, district: await districtName.get())
            case .notValid:
                services.anonymousAudit.record(
                    AuditEntry(
                        actor: "public:page", action: .documentPdfShared, target: "document:unidentified",
                        outcome: "denied", details: ["reason": "not_valid"]))
                return VerificationPage.pdfRefused(
                    status: .notFound, message: "此二维码不对应有效的电子文书，无法提供原件。", back: "/V/?" + query, district: await districtName.get())
            }
        }
    }
}
