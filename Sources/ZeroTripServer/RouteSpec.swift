import Foundation
public import Hummingbird
public import ZeroTrip

/// One HTTP route and the scope it needs: the server's route table, also used by the authorization test to walk
/// every route, and the source of the OpenAPI description served at `/openapi.json`.
public struct RouteSpec: Sendable, Hashable, CustomStringConvertible {
    /// Who may call the route.
    public enum Access: Sendable, Hashable {
        /// Anyone, without credentials.
        case `public`
        /// Any valid credential.
        case authenticated
        /// A credential carrying this scope.
        case scope(Scope)
        /// Anyone, without credentials, but rate-limited per client address (applicants starting to verify).
        case applicantPublic
        /// An applicant session of at least this assurance tier.
        case applicant(tier: Int)
    }

    /// HTTP method.
    public let method: HTTPRequest.Method
    /// Path pattern, e.g. `/v1/departments/{code}`.
    public let path: String
    /// Required access.
    public let access: Access
    /// One line on what the route does, the operation's summary in the API description.
    let summary: String
    /// What the route reads from the request body, if anything.
    let body: Body?
    /// The query parameters the handler reads.
    let query: [Query]
    /// The successful answer.
    let reply: Reply

    /// What serves the route, typed by who may call it.
    let handler: Handler

    init(
        method: HTTPRequest.Method, path: String, handler: Handler, _ summary: String, body: Body? = nil, query: [Query] = [],
        reply: Reply = .json()
    ) {
        self.method = method
        self.path = path
        self.access = handler.access
        self.handler = handler
        self.summary = summary
        self.body = body
        self.query = query
        self.reply = reply
    }

    /// A public page for people (the verification pages): rate-limited per client, its views counted, not logged one by
    /// one.
    var isPage: Bool {
        if case .page = handler { return true }
        return false
    }

    /// `GET /v1/departments`.
    public var description: String { "\(method) \(path)" }

    /// The names in braces in the path, in order: `["code"]` for `/v1/departments/{code}/keys`.
    var pathParameters: [String] {
        path.split(separator: "/").compactMap { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? String(part.dropFirst().dropLast()) : nil
        }
    }

    public static func == (lhs: RouteSpec, rhs: RouteSpec) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.access == rhs.access
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(path)
        hasher.combine(access)
    }
}

extension RouteSpec {
    /// Makes a route's handler for one ``ZeroTripAPI``: an unapplied method of it (`Self.issueDocument`), called once
    /// when the routes are registered.
    typealias Factory<H> = @Sendable (ZeroTripAPI) -> (RouteSpec) -> H

    /// The route's handler together with its access rule. The case decides both what is checked before the handler
    /// runs and what the handler is given: a department route's handler receives the authenticated ``Principal``, an
    /// applicant route's the live ``ApplicantSession`` of the required tier. A handler cannot be registered under a
    /// rule that does not give it what it needs.
    enum Handler: Sendable {
        /// Anyone, without credentials.
        case open(Factory<ZeroTripAPI.OpenHandler>)
        /// A page for people, without credentials, rate-limited per client (the verification pages).
        case page(Factory<ZeroTripAPI.OpenHandler>)
        /// Any valid department credential.
        case authenticated(Factory<ZeroTripAPI.DepartmentHandler>)
        /// A department credential carrying the scope.
        case scope(Scope, Factory<ZeroTripAPI.DepartmentHandler>)
        /// Anyone, rate-limited per client address (applicants starting to verify).
        case applicantPublic(Factory<ZeroTripAPI.AnonymousApplicantHandler>)
        /// An applicant session of at least this assurance tier.
        case applicant(tier: Int, Factory<ZeroTripAPI.ApplicantHandler>)

        /// The access rule, as the route table and the API description state it.
        var access: Access {
            switch self {
            case .open, .page: .public
            case .authenticated: .authenticated
            case .scope(let scope, _): .scope(scope)
            case .applicantPublic: .applicantPublic
            case .applicant(let tier, _): .applicant(tier: tier)
            }
        }
    }

    /// A request body: its media type and schema.
    struct Body: Sendable {
        let mediaType: String
        let schema: JSONValue
        let description: String
        /// A request that succeeds in the demo district (`zerotrip demo setup`), shown in the description and sent by
        /// schemathesis' examples phase.
        var example: JSONValue? = nil
        /// Decodes a body as the handler does (a test decodes every example with it).
        var decodes: (@Sendable ([UInt8]) throws -> Void)? = nil

        /// A JSON object decoded strictly into `type`; its schema is read from the type (``BodySchema``).
        static func json<T: Decodable & Sendable>(_ type: T.Type, example: JSONValue? = nil) -> Body {
            Body(
                mediaType: "application/json", schema: BodySchema.of(type), description: "JSON; unknown members are refused by name",
                example: example, decodes: { _ = try JSONDecoder().decode(T.self, from: Data($0)) })
        }

        /// A CSV file (registry or credit-event import).
        static func csv(_ description: String) -> Body {
            Body(mediaType: "text/csv", schema: ["type": "string"], description: description)
        }

        /// A YAML or JSON document (catalogue, credit policy).
        static func yaml(_ description: String) -> Body {
            Body(mediaType: "application/yaml", schema: ["type": "string"], description: description)
        }

        /// A signed PDF to verify.
        static let pdf = Body(
            mediaType: "application/pdf", schema: ["type": "string", "contentMediaType": "application/pdf"],
            description: "the PDF as received, at most 20 MiB")
    }

    /// A query parameter.
    struct Query: Sendable {
        let name: String
        let required: Bool
        let schema: JSONValue
        let description: String

        static func string(_ name: String, required: Bool = false, minLength: Int = 0, maxLength: Int = 64, _ description: String) -> Query {
            Query(
                name: name, required: required, schema: ["type": "string", "minLength": .integer(minLength), "maxLength": .integer(maxLength)],
                description: description)
        }

        /// Free text the handler reads up to a bound of its own and never refuses for its length (the public pages).
        static func text(_ name: String, _ description: String) -> Query {
            Query(name: name, required: false, schema: ["type": "string"], description: description)
        }

        static func integer(_ name: String, required: Bool = false, minimum: Int = 0, maximum: Int? = nil, _ description: String) -> Query {
            var schema: [String: JSONValue] = ["type": "integer", "minimum": .integer(minimum)]
            if let maximum { schema["maximum"] = .integer(maximum) }
            return Query(name: name, required: required, schema: .object(schema), description: description)
        }

        static func day(_ name: String, _ description: String) -> Query {
            Query(name: name, required: false, schema: ["type": "string", "format": "date"], description: description)
        }

        static func choice(_ name: String, _ values: [String], _ description: String) -> Query {
            Query(name: name, required: false, schema: ["type": "string", "enum": .array(values.map { .string($0) })], description: description)
        }

        /// The period of a figures request (``ZeroTripAPI/figuresPeriod(_:now:)``).
        static let period: [Query] = [
            .day("from", "the first China calendar day (default: 30 days before to)"),
            .day("to", "the last day, inclusive (default: today); at most 400 days after from"),
        ]

        /// Figures as JSON (default) or a CSV table (``StatisticsFormat``).
        static let format = Query.choice("format", ["json", "csv"], "json (default) or csv, a table with a byte-order mark for spreadsheets")
    }

    /// The successful answer: status and media type.
    struct Reply: Sendable {
        let status: Int
        let mediaType: String
        let description: String
        /// Other successful statuses with the same media type (202 while an attested check is pending).
        var also: [Int] = []
        /// The body's JSON Schema, when the reply is JSON and its type is known.
        var schema: JSONValue? = nil
        /// Routes the answer names an object of (OpenAPI links): what a client, and schemathesis' stateful phase, can
        /// call next with the values taken from this answer.
        var links: [Link] = []

        /// A next call: the route (`GET /v1/documents/{id}`) and each path parameter as an OpenAPI runtime expression
        /// (`$response.body#/document/id`).
        struct Link: Sendable {
            let name: String
            let target: String
            let parameters: [String: String]
        }

        /// The same reply with `links`.
        func linking(_ links: [Link]) -> Reply {
            var copy = self
            copy.links = links
            return copy
        }

        /// A JSON object not described member by member.
        static func json(_ status: Int = 200, also: [Int] = []) -> Reply {
            Reply(status: status, mediaType: "application/json", description: status == 201 ? "created" : "the answer", also: also)
        }

        /// A JSON object of `type`, its schema read from the type (``BodySchema``): the members the handler's answer
        /// has, checked against real answers by schemathesis.
        static func json<T: Decodable>(_ type: T.Type, _ status: Int = 200, also: [Int] = []) -> Reply {
            Reply(
                status: status, mediaType: "application/json", description: status == 201 ? "created" : "the answer", also: also,
                schema: BodySchema.of(type))
        }

        /// A signed PDF.
        static let pdf = Reply(status: 200, mediaType: "application/pdf", description: "the signed PDF")
        /// A page for people (Chinese).
        static let html = Reply(status: 200, mediaType: "text/html", description: "a page for people, in Chinese")
        /// A PEM certificate.
        static let pem = Reply(status: 200, mediaType: "application/x-pem-file", description: "a PEM certificate")

        static func other(_ mediaType: String, _ description: String) -> Reply {
            Reply(status: 200, mediaType: mediaType, description: description)
        }
    }
}
