import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import ZeroTripServer
import ZeroTripTestSupport

/// The people-facing pages register their routes by hand (forms, cookies, redirects), apart from the API's typed
/// table: their lists are held to what is registered, and every route is walked signed out.
@Suite("Every people-facing page route is listed and, signed out, sends to its sign-in page or refuses; never a 5xx")
struct PageRouteTests {
    /// Pages anyone may open: sign-in, the hand-off from a phone, the public figures, style sheets.
    static let publicPages: Set<String> = [
        "GET /static/zerotrip.css", "GET /my/login", "POST /my/login", "GET /my/login/code", "POST /my/login/code", "GET /my/handoff",
        "POST /my/handoff", "GET /figures", "GET /window/login", "POST /window/login",
    ]

    static func name(_ route: (HTTPRequest.Method, String)) -> String { "\(route.0.rawValue) \(route.1)" }

    @Test("The route lists name exactly the routes register(on:) registers")
    func listsMatchRegistration() throws {
        let pages = ExternalTool.repositoryRoot.appendingPathComponent("Sources/ZeroTripServer/Pages")
        for (file, listed) in [("ApplicantPages.swift", ApplicantPages.routes), ("WindowPages.swift", WindowPages.routes)] {
            let text = try String(contentsOf: pages.appendingPathComponent(file), encoding: .utf8)
            let registered = Set(text.matches(of: /router\.(get|post)\("([^"]+)"\)/).map { "\($0.output.1.uppercased()) \($0.output.2)" })
            let names = Set(listed.map(Self.name))
            #expect(
                registered == names,
                "\(file): registered, not listed \(registered.subtracting(names).sorted()); listed, not registered \(names.subtracting(registered).sorted())"
            )
            #expect(names.count == listed.count, "\(file) lists a route twice")
        }
    }

    @Test("Signed out: a page that needs a session answers 303 to its sign-in page (GET) or 303/403 (POST); public pages answer; nothing 5xx")
    func signedOut() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client in
            for route in ApplicantPages.routes + WindowPages.routes {
                let (method, pattern) = route
                let path = pattern.replacingOccurrences(of: "{id}", with: "0123456789abcdef0123456789abcdef")
                    .replacingOccurrences(of: "{table}", with: "applications").replacingOccurrences(of: "{step}", with: "accept")
                let name = Self.name(route)
                let headers: HTTPFields = method == .post ? [.contentType: "application/x-www-form-urlencoded"] : [:]
                try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: method == .post ? "csrf=x" : "")) {
                    response in
                    #expect(response.status.code < 500, "\(name): \(response.status)")
                    guard !Self.publicPages.contains(name) else { return }
                    let signIn = pattern.hasPrefix("/window") ? "/window/login" : "/my/login"
                    if method == .get {
                        #expect(
                            response.status == .seeOther && response.headers[.location]?.hasPrefix(signIn) == true,
                            "\(name): \(response.status) \(response.headers[.location] ?? "")")
                    } else {
                        #expect(response.status == .seeOther || response.status == .forbidden, "\(name): \(response.status)")
                    }
                }
            }
        }
    }
}
