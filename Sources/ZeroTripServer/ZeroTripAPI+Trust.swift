import Hummingbird
import Foundation
import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments

/// `POST /v1/departments/{code}/keys/rotate` body.
struct RotateBody: Decodable, Sendable { var overlapSeconds: Int? }
/// `POST /v1/keys/{kid}/revoke` body.
struct RevokeKeyBody: Decodable, Sendable { var notAfter: String; var reason: String }
/// `POST /v1/keys/{kid}/limits` body.
struct KeyLimitsBody: Decodable, Sendable { var maxUses: Int?; var maxAgeDays: Int? }
struct KeyList: APIAnswer, Codable, Sendable { var keys: [SigningKeyView] }
struct ConsistencyView: APIAnswer, Codable, Sendable { var first: UInt64; var second: UInt64; var proof: [String] }
struct EntriesView: APIAnswer, Codable, Sendable { var entries: [LogEntry] }
/// `GET /v1/roots`: every root (current first) and the link certificates between them, PEM.
struct RootsView: APIAnswer, Codable, Sendable {
    var roots: [RootView]
    var links: [String]
    /// The online signing keys the roots certified, newest first (empty while the root signs lists itself).
    var onlineKeys: [OnlineKeyView]
}

extension ZeroTripAPI {
    /// A root-signed JSON document (the trust list, the status list) or its signature alone, with its `ETag`
    /// (`If-None-Match` → 304) and `ZeroTrip-Signature`.
    static func signedJSON(_ json: [UInt8], signature: [UInt8], etag: String, maxAge: Int, signatureOnly: Bool, request: Request) -> Response {
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.cacheControl] = "public, max-age=\(maxAge)"
        if request.headers[.ifNoneMatch]?.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) == true {
            return Response(status: .notModified, headers: headers)
        }
        if signatureOnly {
            headers[.contentType] = "application/octet-stream"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: signature)))
        }
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.init("ZeroTrip-Signature")!] = Base64.encode(signature)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    /// `GET /v1/trust-list`, `GET /v1/trust-list.sig`.
    func trustList(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        let signatureOnly = spec.path.hasSuffix(".sig")
        return { request, _ in
            let signed = try await services.trustList.current()
            return Self.signedJSON(
                signed.json, signature: signed.signature, etag: signed.etag, maxAge: 300, signatureOnly: signatureOnly, request: request)
        }
    }

    /// `GET /v1/status-list`, `GET /v1/status-list.sig`.
    func statusList(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        let signatureOnly = spec.path.hasSuffix(".sig")
        return { request, _ in
            let signed = try await services.trustList.currentStatusList()
            return Self.signedJSON(
                signed.json, signature: signed.signature, etag: signed.etag, maxAge: 60, signatureOnly: signatureOnly, request: request)
        }
    }

    /// `GET /v1/crl`.
    func revocationList(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        return { request, _ in
            // ?root=<kid>: the CRL of a previous root (for the seals it issued); default the current root's.
            let root: String? = request.uri.queryParameters.get("root").map { String($0) }
            if let root, root.utf8.count != 16 || Hex.decode(root) == nil {
                throw ZeroTripError(.invalidInput, "root must be a 16-hex-digit kid")
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/pkix-crl"
            headers[.cacheControl] = "public, max-age=300"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try await services.trustList.crl(rootKid: root))))
        }
    }

    /// `GET /v1/roots`.
    func listRoots(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        return { _, _ in
            try JSONResponse.make(
                RootsView(
                    roots: try await services.administration.roots().map(RootView.init),
                    links: try await services.administration.rootLinks().map(\.pemRepresentation),
                    onlineKeys: try await services.administration.onlineKeys().map(OnlineKeyView.init)))
        }
    }

    /// `POST /v1/roots/renew`.
    func renewRoot(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, _, principal in
            try JSONResponse.make(RootRenewalView(try await services.administration.renewRoot(actor: principal.actor)), status: .created)
        }
    }

    /// `GET /v1/log/sth`.
    func signedTreeHead(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        // Read only: heads are signed by the trust maintenance timer (at start, then whenever the log grew), never
        // by an anonymous GET, which would be a write and a root-key use any client could trigger.
        return { _, _ in
            guard let head = try await services.log.latestTreeHead() else {
                throw ZeroTripError(.notReady, "no tree head is signed yet; the daemon signs one at start").retryingAfter(5)
            }
            return try JSONResponse.make(head)
        }
    }

    /// `GET /v1/log/proof/inclusion`.
    func inclusionProof(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        return { request, _ in
            let index = try Self.unsigned(request, "index"), size = try Self.unsigned(request, "treeSize")
            return try await JSONResponse.make(try services.log.inclusionProof(index: index, treeSize: size))
        }
    }

    /// `GET /v1/log/proof/consistency`.
    func consistencyProof(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        return { request, _ in
            let first = try Self.unsigned(request, "first"), second = try Self.unsigned(request, "second")
            return try await JSONResponse.make(
                ConsistencyView(first: first, second: second, proof: try services.log.consistencyProof(first: first, second: second)))
        }
    }

    /// `GET /v1/log/entries`.
    func logEntries(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        return { request, _ in
            let start = try Self.unsigned(request, "start"), end = try Self.unsigned(request, "end")
            return try await JSONResponse.make(EntriesView(entries: try services.log.entries(start: start, end: end)))
        }
    }

    /// `GET /v1/log/documents/{id}`.
    func documentLogProof(_ spec: RouteSpec) -> OpenHandler {
        let services = self.services
        return { _, parameters in
            let id = (parameters.get("id") ?? "").lowercased()
            guard id.utf8.count == 32, Hex.decode(id) != nil,
                let proof = try await services.log.proof(for: TransparencyLog.documentReference(id), kind: LogEntryKind.documentIssued)
            else {
                throw ZeroTripError(.notFound, "no issuance of document \(id.prefix(40)) in the log")
            }
            return try JSONResponse.make(proof)
        }
    }

    /// `GET /v1/keys`.
    func listKeys(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, _, _ in try JSONResponse.make(KeyList(keys: try await services.administration.allKeys().map(SigningKeyView.init))) }
    }

    /// `POST /v1/departments/{code}/keys/rotate`.
    func rotateKey(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let limit = min(bodyLimit, 4096)
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(RotateBody.self, from: request, limit: limit)
            let key = try await services.administration.rotate(
                department: parameters.get("code") ?? "", overlap: TimeInterval(body.overlapSeconds ?? 0),
                actor: principal.actor)
            return try JSONResponse.make(SigningKeyView(key), status: .created)
        }
    }

    /// `POST /v1/departments/{code}/keys`.
    func createKey(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        return { _, parameters, principal in
            try JSONResponse.make(
                SigningKeyView(
                    try await services.administration.createKey(department: parameters.get("code") ?? "", actor: principal.actor)), status: .created)
        }
    }

    /// `POST /v1/keys/{kid}/revoke`.
    func revokeKey(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let limit = min(bodyLimit, 4096)
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(RevokeKeyBody.self, from: request, limit: limit)
            guard let notAfter = ISOTime.parse(body.notAfter) else {
                throw ZeroTripError(.invalidInput, "notAfter must be an ISO 8601 time with offset, e.g. 2026-11-20T10:00+08:00")
            }
            guard let reason = KeyRevocationReason(parsing: body.reason) else {
                throw ZeroTripError(
                    .invalidInput, "reason must be one of \(KeyRevocationReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return try JSONResponse.make(
                SigningKeyView(
                    try await services.administration.revokeKey(
                        kid: parameters.get("kid") ?? "", notAfter: notAfter, reason: reason,
                        actor: principal.actor)))
        }
    }

    /// `POST /v1/keys/{kid}/limits`.
    func setKeyLimits(_ spec: RouteSpec) -> DepartmentHandler {
        let services = self.services
        let limit = min(bodyLimit, 4096)
        return { request, parameters, principal in
            let body = try await JSONResponse.decode(KeyLimitsBody.self, from: request, limit: limit)
            return try JSONResponse.make(
                SigningKeyView(
                    try await services.administration.setLimits(
                        kid: parameters.get("kid") ?? "", maxUses: body.maxUses,
                        maxAgeDays: body.maxAgeDays, actor: principal.actor)))
        }
    }

    /// A required non-negative integer query parameter.
    static func unsigned(_ request: Request, _ name: String) throws -> UInt64 {
        guard let raw = request.uri.queryParameters.get(name), raw.utf8.count <= 19, let value = UInt64(raw) else {
            throw ZeroTripError(.invalidInput, "query parameter \(name) must be a non-negative integer")
        }
        return value
    }
}
