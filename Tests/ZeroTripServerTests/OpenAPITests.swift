import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import ZeroTripTestSupport
@testable import ZeroTrip
@testable import ZeroTripServer

@Suite("The OpenAPI description")
struct OpenAPITests {
    static let document = OpenAPIDocument.build(routes: ZeroTripAPI.routes, serverURL: "https://zw.example.gov.cn")

    static func operation(_ route: RouteSpec) -> JSONValue? {
        document["paths"]?[route.path]?[route.method.rawValue.lowercased()]
    }

    /// `schema`, or the component its `$ref` names.
    static func resolve(_ schema: JSONValue?) -> JSONValue? {
        guard case .string(let reference) = schema?["$ref"] else { return schema }
        return document["components"]?["schemas"]?[String(reference.dropFirst("#/components/schemas/".count))]
    }

    static func strings(_ value: JSONValue?) -> [String] { value?.strings ?? [] }

    @Test("Every route is described once, with its path parameters, its access and a unique operation id")
    func everyRoute() throws {
        var operationIDs: Set<String> = []
        var count = 0
        guard case .object(let paths) = try #require(Self.document["paths"]) else { Issue.record("no paths"); return }
        for case .object(let operations) in paths.values { count += operations.count }
        #expect(count == ZeroTripAPI.routes.count)
        for route in ZeroTripAPI.routes {
            let operation = try #require(Self.operation(route), "\(route) is not described")
            guard case .string(let id) = try #require(operation["operationId"]) else { Issue.record("\(route): no operation id"); continue }
            #expect(operationIDs.insert(id).inserted, "operation id \(id) is used twice")
            guard case .array(let parameters) = operation["parameters"] ?? .array([]) else { continue }
            let inPath = parameters.filter { $0["in"] == "path" }.compactMap { parameter -> String? in
                if case .string(let name) = parameter["name"] { name } else { nil }
            }
            #expect(inPath == route.pathParameters, "\(route)")
            let security = operation["security"]
            switch route.access {
            case .public, .applicantPublic: #expect(security == .array([]), "\(route)")
            case .authenticated, .scope: #expect(security == [["credential": []]], "\(route)")
            case .applicant: #expect(security == [["session": []]], "\(route)")
            }
            #expect(operation["responses"]?[String(route.reply.status)] != nil, "\(route)")
        }
        #expect(Self.document["openapi"] == "3.1.0")
    }

    /// The committed description other departments build against: docs/openapi.json.
    static let committed = ExternalTool.repositoryRoot.appendingPathComponent("docs/openapi.json")

    @Test(
        "docs/openapi.json is the description the daemon serves: any change to the API, a renamed member of a type an answer encodes included, shows here first"
    )
    func committedDescription() throws {
        let current = Self.document.bytes + [UInt8(ascii: "\n")]
        if ProcessInfo.processInfo.environment["ZEROTRIP_WRITE_OPENAPI"] == "1" {
            try Data(current).write(to: Self.committed)
        }
        let committed = try Data(contentsOf: Self.committed)
        let same = Array(committed) == current
        #expect(
            same,
            "the API description changed; if that is intended, review the difference and rewrite docs/openapi.json with ZEROTRIP_WRITE_OPENAPI=1 swift test --filter OpenAPITests"
        )
    }

    @Test("Answers and bodies are this target's types: a domain type reaches the API only where it is declared on purpose")
    func apiModelsApartFromDomain() {
        _ = Self.document
        // Domain types on the wire as they are, each for a reason: written member by member by a hot writer
        // (HotResponses.swift); a signed format other verifiers parse (trust list, status list, RFC 9162 proofs and
        // entries); or a document a department edits and loads back (the catalogue, the credit policy).
        let declared: Set<String> = [
            "ZeroTrip.VerificationReport", "ZeroTrip.DocumentSummary", "ZeroTripDocuments.VerificationReason",
            "ZeroTrip.KeyRevocationNotice", "ZeroTrip.WindowCreditCheck", "ZeroTrip.TrustApprovalAvailability",
            "ZeroTrip.SignedTreeHead", "ZeroTrip.InclusionProof", "ZeroTrip.LogEntry",
            "ZeroTripDocuments.TrustList", "ZeroTripDocuments.TrustList.Key", "ZeroTripDocuments.TrustList.Root",
            "ZeroTripDocuments.TrustList.SignedTreeHeadView", "ZeroTripDocuments.TrustList.OnlineKey", "ZeroTripDocuments.DocumentStatusList",
            "ZeroTripDocuments.DocumentStatusList.Entry",
            "ZeroTrip.MatterCatalogue", "ZeroTrip.Matter", "ZeroTrip.MatterMaterial", "ZeroTrip.MatterResultTemplate",
            "ZeroTrip.CreditPolicy", "ZeroTrip.CreditEventType", "ZeroTrip.RepairStep", "ZeroTrip.WorkCalendar",
        ]
        let foreign = BodySchema.componentTypes.filter { !$0.value.hasPrefix("ZeroTripServer.") && !$0.value.hasPrefix("ZeroTripServerTests.") }
        for (name, type) in foreign.sorted(by: { $0.key < $1.key }) where !declared.contains(type) {
            Issue.record("schema \(name) is the domain type \(type): answer with a view in ZeroTripServer (APIModels+Domain.swift)")
        }
        #expect(foreign.count >= 3, "the check sees the declared domain types")
    }

    @Test("A JSON body's schema comes from the type the handler decodes: required and optional members, arrays, nested objects")
    func bodySchemas() throws {
        let issue = try #require(Self.operation(ZeroTripAPI.routes.first { $0.description == "POST /v1/documents" }!))
        let schema = try #require(Self.resolve(issue["requestBody"]?["content"]?["application/json"]?["schema"]))
        #expect(
            Set(Self.strings(schema["required"])) == ["matterCode", "matterName", "holderName", "holderIdNumber", "fields"],
            "optional members (department, holderType, validDays, pickupMode) are not required")
        #expect(schema["additionalProperties"] == false)
        #expect(schema["properties"]?["validDays"] == ["type": ["integer", "null"]], "optional members may be null")
        let field = try #require(Self.resolve(schema["properties"]?["fields"]?["items"]))
        #expect(Set(Self.strings(field["required"])) == ["label", "value"])
        #expect(schema["properties"]?["fields"]?["type"] == "array")

        // A dictionary's values are described, its keys free.
        let issueResult = try #require(ZeroTripAPI.routes.first { $0.description == "POST /v1/applications/{id}/issue" }?.body)
        #expect(Self.resolve(issueResult.schema)?["properties"]?["fields"] == ["type": "object", "additionalProperties": ["type": "string"]])
        // Every route that decodes a JSON body names at least one member, so no schema fell back to "anything".
        for route in ZeroTripAPI.routes {
            guard let body = route.body, body.mediaType == "application/json" else { continue }
            let schema = Self.resolve(body.schema)
            #expect(schema?["type"] == "object" && schema?["properties"] != nil, "\(route): \(body.schema)")
        }
        // And every JSON answer but three is described member by member (the session claim answers one of two shapes,
        // this description itself is OpenAPI's own); a type the recorder could not read would show as `{}`.
        let undescribed = ZeroTripAPI.routes.filter { $0.reply.mediaType == "application/json" && ($0.reply.schema == nil || $0.reply.schema == [:]) }
        #expect(
            Set(undescribed.map(\.description)) == ["GET /openapi.json", "POST /v1/applicant/verifications/{id}/session"],
            "\(undescribed)")
        // A verification answer: the result is one of the documented values.
        let verify = try #require(ZeroTripAPI.routes.first { $0.description == "POST /v1/verify" }?.reply.schema)
        let report = try #require(Self.resolve(verify))
        let results = Self.strings(report["properties"]?["result"]?["enum"])
        #expect(results.contains("valid") && results.contains("revoked"), "\(report)")
    }

    enum Color: String, Decodable, CaseIterable { case red, green }
    struct Sample: Decodable {
        var color: Color
        var ids: [Int64]?
        var nested: [String: [Bool]]
        var score: Double
    }

    @Test("String enumerations list their values; optional arrays and dictionaries of arrays")
    func recorder() throws {
        // A named object type becomes a component, referred to wherever it is used.
        #expect(BodySchema.of(Sample.self) == ["$ref": "#/components/schemas/OpenAPITests.Sample"])
        let schema = try #require(BodySchema.components["OpenAPITests.Sample"])
        #expect(schema["properties"]?["color"] == ["type": "string", "enum": ["red", "green"]])
        #expect(schema["properties"]?["ids"] == ["type": ["array", "null"], "items": ["type": "integer", "format": "int64"]])
        #expect(
            schema["properties"]?["nested"] == ["type": "object", "additionalProperties": ["type": "array", "items": ["type": "boolean"]]])
        #expect(schema["properties"]?["score"] == ["type": "number"])
        #expect(Set(Self.strings(schema["required"])) == ["color", "nested", "score"])
    }

    @Test("The daemon serves the description at /openapi.json without credentials, the district's address as its server")
    func served() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                #expect(json["openapi"] as? String == "3.1.0")
                let servers = try #require(json["servers"] as? [[String: Any]])
                #expect(servers.first?["url"] as? String == fixture.services.documents.verificationBaseURL)
                #expect((json["paths"] as? [String: Any])?["/v1/verify"] != nil)
            }
        }
    }

    @Test("A method a path does not take answers 405 naming the ones it does, HEAD with every GET; a path no route has answers 404")
    func methodNotAllowed() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/documents/abc", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
                let body = try JSONDecoder().decode(APIErrorBody.self, from: Data(response.body.readableBytesView))
                #expect(body.error.code == "method_not_allowed")
            }
            try await client.execute(uri: "/v1/documents", method: .put) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD, POST")
            }
            // HEAD of a GET route: the GET's status and headers, no body.
            try await client.execute(uri: "/healthz", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            }
            try await client.execute(uri: "/v1/nothing-here", method: .delete) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.allow] == nil)
            }
        }
        #expect(ZeroTripAPI.methods(allowedAt: "/v1/departments/RSJ/keys/rotate") == ["POST"])
        #expect(ZeroTripAPI.methods(allowedAt: "/V/") == ["GET", "HEAD"])
        #expect(ZeroTripAPI.methods(allowedAt: "/v1/departments/RSJ/keys/rotate/again") == nil)
    }

    @Test("Every request example decodes into the body type its handler reads, and is in the description")
    func examples() throws {
        let withExamples = ZeroTripAPI.routes.filter { $0.body?.example != nil }
        #expect(withExamples.count >= 11)
        for route in withExamples {
            let body = try #require(route.body), example = try #require(body.example)
            #expect(throws: Never.self, "\(route)") { try body.decodes?(example.bytes) }
            #expect(Self.operation(route)?["requestBody"]?["content"]?["application/json"]?["example"] == example, "\(route)")
        }
    }

    @Test("Every link names a route that exists, with exactly its path parameters, and is in the description")
    func links() throws {
        let linked = ZeroTripAPI.routes.filter { !$0.reply.links.isEmpty }
        #expect(
            linked.map(\.description).sorted() == [
                "POST /v1/applicant/complaints", "POST /v1/applicant/consents", "POST /v1/applications", "POST /v1/documents",
                "POST /v1/documents/{id}/reissue",
            ])
        for route in linked {
            for link in route.reply.links {
                let target = try #require(ZeroTripAPI.routes.first { $0.description == link.target }, "\(route): \(link.target)")
                #expect(Set(link.parameters.keys) == Set(target.pathParameters), "\(route) → \(link.target)")
                let described = Self.operation(route)?["responses"]?[String(route.reply.status)]?["links"]?[link.name]
                #expect(described?["operationId"] == .string(OpenAPIDocument.operationID(target)), "\(route) → \(link.name)")
            }
        }
    }
}
