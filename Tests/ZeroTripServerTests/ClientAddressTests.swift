import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import ZeroTripDomainTestSupport
@testable import ZeroTrip
@testable import ZeroTripServer

@Suite("Client address behind a reverse proxy")
struct ClientAddressTests {
    static func headers(_ forwardedFor: String...) -> HTTPFields {
        var fields = HTTPFields()
        for value in forwardedFor { fields.append(HTTPField(name: .forwardedFor, value: value)) }
        return fields
    }

    @Test("Networks and single addresses, IPv4 and IPv6, parse and match; anything else is refused")
    func ranges() throws {
        let private10 = try #require(AddressRange("10.0.0.0/8"))
        #expect(private10.contains("10.200.3.4") && !private10.contains("11.0.0.1") && !private10.contains("fd00::1"))
        #expect(private10.contains("::ffff:10.1.2.3"), "an IPv4-mapped IPv6 address is the IPv4 address")
        #expect(try #require(AddressRange("10.1.2.3/8")).description == "10.0.0.0/8", "host bits are cleared")
        let ula = try #require(AddressRange("fd00::/8"))
        #expect(ula.contains("fd12:3456::1") && !ula.contains("fe80::1"))
        #expect(try #require(AddressRange("127.0.0.1")).contains("127.0.0.1") && !(try #require(AddressRange("127.0.0.1")).contains("127.0.0.2")))
        #expect(try #require(AddressRange("192.168.1.0/23")).contains("192.168.0.200"))
        for bad in ["", "10.0.0.0/33", "fd00::/129", "10.0.0", "example.org", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/ 8"] {
            #expect(AddressRange(bad) == nil, "\(bad)")
        }
        #expect(AddressRange.canonical("FD00:0:0::1") == "fd00::1")
    }

    @Test("Only a trusted peer is believed; from the right, trusted hops are skipped and the first other address is the client")
    func resolution() {
        let none = ClientAddress(trustedProxies: [])
        #expect(
            none.resolve(peer: "203.0.113.9", headers: Self.headers("198.51.100.1")) == "203.0.113.9", "no trusted proxies: the header is ignored")
        #expect(none.resolve(peer: nil, headers: [:]) == "local")

        let proxies = ClientAddress(trustedProxies: ["10.0.0.0/24", "fd00::/8"])
        // A client that is not a proxy cannot choose its own rate-limit key.
        #expect(proxies.resolve(peer: "203.0.113.9", headers: Self.headers("198.51.100.1")) == "203.0.113.9")
        // nginx appends the address it saw: that is the client.
        #expect(proxies.resolve(peer: "10.0.0.5", headers: Self.headers("198.51.100.1")) == "198.51.100.1")
        // What the client wrote itself (left of the proxy's entry) is not believed.
        #expect(proxies.resolve(peer: "10.0.0.5", headers: Self.headers("1.2.3.4, 198.51.100.1")) == "198.51.100.1")
        // Two proxies (both trusted): the address the outer one saw.
        #expect(proxies.resolve(peer: "10.0.0.5", headers: Self.headers("198.51.100.1, 10.0.0.7")) == "198.51.100.1")
        #expect(
            proxies.resolve(peer: "10.0.0.5", headers: Self.headers("198.51.100.1", "10.0.0.7")) == "198.51.100.1",
            "several header lines read as one list")
        #expect(proxies.resolve(peer: "fd00::2", headers: Self.headers("2001:DB8::1")) == "2001:db8::1", "written canonically: one key per client")
        // Garbage ends the walk at the last trusted hop; no header leaves the peer.
        #expect(proxies.resolve(peer: "10.0.0.5", headers: Self.headers("not-an-address, 10.0.0.7")) == "10.0.0.7")
        #expect(proxies.resolve(peer: "10.0.0.5", headers: [:]) == "10.0.0.5")
        // A long made-up list is read only as far as the last 16 entries.
        let long = (0..<1000).map { _ in "10.0.0.9" }.joined(separator: ",")
        #expect(proxies.resolve(peer: "10.0.0.5", headers: Self.headers("198.51.100.1, " + long)) == "10.0.0.9")
    }

    @Test("trustedProxies is read from the file and the environment and refused when an entry is not an address")
    func configuration() throws {
        let configuration = try DaemonConfiguration.load(file: nil, environment: ["ZEROTRIP_TRUSTED_PROXIES": "10.0.0.0/24, ::1"], overrides: .init())
        #expect(configuration.trustedProxies == ["10.0.0.0/24", "::1"])
        expectError(.invalidConfiguration) {
            try DaemonConfiguration.load(file: nil, environment: ["ZEROTRIP_TRUSTED_PROXIES": "10.0.0.0/24,nginx"], overrides: .init())
        }
        do {
            _ = try DaemonConfiguration.load(file: nil, environment: ["ZEROTRIP_TRUSTED_PROXIES": "10.0.0.0/40"], overrides: .init())
            Issue.record("accepted a /40 IPv4 network")
        } catch {
            #expect(error.code == .invalidConfiguration)
        }
    }

    @Test("Behind a trusted proxy each forwarded client has its own page rate limit; without the setting the header changes nothing")
    func rateLimitPerForwardedClient() async throws {
        let fixture = try await ServerFixture()
        fixture.configuration.publicRequestsPerMinute = 4  // a burst of one
        fixture.configuration.trustedProxies = ["127.0.0.1", "::1"]
        @Sendable func statuses(_ client: some TestClientProtocol, _ forwardedFor: [String]) async throws -> [Int] {
            var codes: [Int] = []
            for address in forwardedFor {
                var headers = HTTPFields()
                headers[.forwardedFor] = address
                try await client.execute(uri: "/v/00000000000000000000000000000000", method: .get, headers: headers) {
                    codes.append(Int($0.status.code))
                }
            }
            return codes
        }
        try await fixture.application().test(.live) { client in
            let codes = try await statuses(client, ["198.51.100.1", "198.51.100.2", "198.51.100.1"])
            #expect(codes == [200, 200, 429])
        }
        fixture.configuration.trustedProxies = []
        try await fixture.application().test(.live) { client in
            let codes = try await statuses(client, ["198.51.100.3", "198.51.100.4"])
            #expect(codes == [200, 429], "an untrusted peer cannot pick a new bucket per request")
        }
    }
}
