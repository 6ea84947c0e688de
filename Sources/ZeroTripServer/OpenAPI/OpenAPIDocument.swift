import HTTPTypes
import ZeroTrip

/// The OpenAPI 3.1 description of the API, served at `GET /openapi.json`.
///
/// Built from the route table (``ZeroTripAPI/routes``) and nothing else: paths, access, the request body schemas
/// read from the body types the handlers decode, query parameters, success statuses and the error body. A route
/// cannot be served without being described, and schemathesis checks the description against the running daemon in
/// the test command.
enum OpenAPIDocument {
    /// The description of `routes`, `serverURL` as its one server.
    static func build(routes: [RouteSpec], serverURL: String) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for route in routes {
            // Paths keep the `{name}` form the route table already uses, which is OpenAPI's.
            paths[route.path, default: [:]][route.method.rawValue.lowercased()] = operation(route)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "ZeroTrip",
                "version": "1",
                "summary": "District zero-errand government services: identity, signed result documents, verification, credit, consent",
                "description": .string(
                    "Departments call with a credential (`Authorization: Bearer zt_…`, scopes as in docs/api.md); applicants with a "
                        + "session token from an identity check. Every error is `{\"error\": {\"code\", \"message\", \"detail\"}}` with a stable "
                        + "code; every response carries `X-Request-Id`, the daemon's log line for it."),
                "license": ["name": "Proprietary", "identifier": "LicenseRef-ZeroTrip"],
            ],
            "servers": [["url": .string(serverURL)]],
            "paths": .object(paths.mapValues { .object($0) }),
            "components": [
                "securitySchemes": [
                    "credential": [
                        "type": "http", "scheme": "bearer",
                        "description": "A department's API credential (`zerotrip credentials create`); the route's scope is required",
                    ],
                    "session": [
                        "type": "http", "scheme": "bearer",
                        "description": "An applicant session from `/v1/applicant/verifications` or a device key; the route's tier is required",
                    ],
                ],
                "schemas": .object(
                    reachable(from: .object(paths.mapValues { .object($0) }), in: BodySchema.components.merging(["Error": errorSchema]) { $1 })),
            ],
        ]
    }

    /// The components `root` refers to by `$ref`, directly or through other components: only those, so the description
    /// holds what its routes use and nothing else a process happened to describe (whatever order types were met in).
    static func reachable(from root: JSONValue, in components: [String: JSONValue]) -> [String: JSONValue] {
        var kept: [String: JSONValue] = [:]
        var pending = [root]
        while let value = pending.popLast() {
            switch value {
            case .object(let members):
                if case .string(let reference) = members["$ref"], reference.hasPrefix("#/components/schemas/") {
                    let name = String(reference.dropFirst("#/components/schemas/".count))
                    if kept[name] == nil, let schema = components[name] {
                        kept[name] = schema
                        pending.append(schema)
                    }
                }
                pending.append(contentsOf: members.values)
            case .array(let items):
                pending.append(contentsOf: items)
            default:
                break
            }
        }
        return kept
    }

    /// The body of every JSON error.
    static let errorSchema: JSONValue = [
        "type": "object",
        "required": ["error"],
        "properties": [
            "error": [
                "type": "object",
                "required": ["code", "message", "detail"],
                "properties": [
                    "code": [
                        "type": "string", "pattern": "^[a-z][a-z0-9_]*$",
                        "description": "stable; the table in docs/api.md lists every code with its status",
                    ],
                    "message": ["type": "string", "description": "in Chinese, for a person"],
                    "detail": ["type": "string", "description": "in English, what was wrong"],
                ],
            ]
        ],
    ]

    /// `getV1DepartmentsCode` for `GET /v1/departments/{code}`.
    static func operationID(_ route: RouteSpec) -> String {
        var id = route.method.rawValue.lowercased()
        for part in route.path.split(whereSeparator: { "/.-{}".contains($0) }) where !part.isEmpty {
            id += part.prefix(1).uppercased() + part.dropFirst()
        }
        return route.path == "/V" || route.path.hasPrefix("/V/") ? id + "Scanned" : id
    }

    static func operation(_ route: RouteSpec) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(operationID(route)),
            "summary": .string(route.summary),
            "tags": [.string(tag(route.path))],
        ]
        // A page reads whatever was scanned or typed and answers with its verdict; the API's identifiers are short.
        let isPage = isPage(route)
        var parameters: [JSONValue] = route.pathParameters.map { name in
            [
                "name": .string(name), "in": "path", "required": true,
                "schema": isPage ? ["type": "string", "minLength": 1] : ["type": "string", "minLength": 1, "maxLength": 256],
            ]
        }
        parameters += route.query.map { query in
            [
                "name": .string(query.name), "in": "query", "required": .bool(query.required), "schema": query.schema,
                "description": .string(query.description),
            ]
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let body = route.body {
            var media: [String: JSONValue] = ["schema": body.schema]
            if let example = body.example { media["example"] = example }
            operation["requestBody"] = [
                "required": true, "description": .string(body.description), "content": .object([body.mediaType: .object(media)]),
            ]
        }
        switch route.access {
        case .public, .applicantPublic: operation["security"] = []
        case .authenticated:
            operation["security"] = [["credential": []]]
        case .scope(let scope):
            operation["security"] = [["credential": []]]
            operation["description"] = .string("Needs the scope `\(scope.rawValue)`.")
        case .applicant(let tier):
            operation["security"] = [["session": []]]
            operation["description"] = .string("Needs an applicant session of tier \(tier) or above.")
        }
        operation["responses"] = responses(route)
        return .object(operation)
    }

    /// The success answers, then the errors the route can give with their causes; `default` for the rest (a busy
    /// daemon's 503, a bad request line's 400).
    static func responses(_ route: RouteSpec) -> JSONValue {
        let isPage = isPage(route)
        var content: [String: JSONValue] = [route.reply.mediaType: route.reply.schema.map { ["schema": $0] } ?? replySchema(route.reply.mediaType)]
        if route.query.contains(where: { $0.name == "format" }) { content["text/csv"] = ["schema": ["type": "string"]] }
        var responses: [String: JSONValue] = [:]
        for status in [route.reply.status] + route.reply.also {
            var response: [String: JSONValue] = [
                "description": .string(status == 202 ? "not yet: the clerk has not attested the check" : route.reply.description),
                "content": .object(content),
            ]
            if status == route.reply.status, !route.reply.links.isEmpty {
                var links: [String: JSONValue] = [:]
                for link in route.reply.links {
                    guard let target = ZeroTripAPI.routes.first(where: { $0.description == link.target }) else { continue }
                    links[link.name] = [
                        "operationId": .string(operationID(target)), "parameters": .object(link.parameters.mapValues { .string($0) }),
                    ]
                }
                response["links"] = .object(links)
            }
            responses[String(status)] = .object(response)
        }
        if route.path.hasPrefix("/v1/trust-list") || route.path.hasPrefix("/v1/status-list") {
            responses["304"] = ["description": "not modified since the `ETag` in `If-None-Match`"]
        }
        let error: JSONValue =
            isPage ? ["text/html": ["schema": ["type": "string"]]] : ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]
        func add(_ status: Int, _ description: String) {
            responses[String(status)] = ["description": .string(description), "content": error]
        }
        if route.body != nil || !route.query.isEmpty || !route.pathParameters.isEmpty { add(400, "invalid input: the code says which") }
        switch route.access {
        case .public: break
        case .applicantPublic:
            add(401, "the check or code failed")
            add(429, "too many attempts from this client; see `Retry-After`")
        case .authenticated:
            add(401, "no valid credential")
        case .scope:
            add(401, "no valid credential")
            add(403, "the credential lacks the scope, or the object is another department's")
        case .applicant:
            add(401, "no valid session, or a step-up to a higher tier is needed")
            add(403, "the object is another person's")
        }
        if !route.pathParameters.isEmpty || route.path == "/P" { add(404, "no such object") }
        if route.method != .get { add(409, "the object's state does not allow it") }
        if route.body != nil { add(413, "the body exceeds the route's limit") }
        if isPage { add(429, "too many page views from this client; see `Retry-After`") }
        add(503, "not ready or overloaded; see `Retry-After`")
        responses["default"] = ["description": "another error, with its stable code", "content": error]
        return .object(responses)
    }

    /// The public verification pages (and the PDF behind a scanned code): answered for people, rate-limited per client.
    private static func isPage(_ route: RouteSpec) -> Bool { route.isPage }

    private static func replySchema(_ mediaType: String) -> JSONValue {
        switch mediaType {
        case "application/json": ["schema": ["type": "object"]]
        default: ["schema": ["type": "string"]]
        }
    }

    /// The group an operation is listed under: `documents` for `/v1/documents/{id}`.
    static func tag(_ path: String) -> String {
        let parts = path.split(separator: "/")
        if ["v", "V", "P"].contains(parts.first) { return "pages" }
        guard parts.first == "v1", parts.count > 1 else { return "daemon" }
        if parts[1] == "applicant" { return "applicant" }
        return String(parts[1].split(separator: ".").first ?? parts[1])
    }
}
