import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing
@testable import ZeroTripServer

@Suite("The connection governor's bookkeeping stays bounded and right under keep-alive traffic")
struct ConnectionGovernorTests {
    static func connected(_ governor: ConnectionGovernor) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: governor.handler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    @Test("20,000 requests on one kept-alive connection leave at most 1,025 idle marks, and that connection is still the one closed for room")
    func keepAliveMarksStayBounded() throws {
        let governor = ConnectionGovernor(limit: 2, logger: Logger(label: "test"))
        let kept = try Self.connected(governor)
        for _ in 0..<20_000 {
            try kept.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/healthz")))
            _ = try kept.readInbound(as: HTTPRequestPart.self)
            try kept.writeOutbound(HTTPResponsePart.end(nil))
            _ = try kept.readOutbound(as: HTTPResponsePart.self)
        }
        #expect(governor.openCount == 1)
        #expect(governor.idleMarks <= 1_025, "\(governor.idleMarks) idle marks for one connection")

        // Two more connections take the count over the limit of 2: the longest idle one, the kept-alive one, is closed.
        let second = try Self.connected(governor)
        #expect(governor.closedForRoom == 0)
        let third = try Self.connected(governor)
        kept.embeddedEventLoop.run()
        #expect(governor.closedForRoom == 1)
        #expect(!kept.isActive)
        #expect(second.isActive && third.isActive)
        #expect(governor.openCount == 2)
        _ = try? second.finish()
        _ = try? third.finish()
    }

    @Test("A connection with a request in progress is never closed for room")
    func busyConnectionIsKept() throws {
        let governor = ConnectionGovernor(limit: 1, logger: Logger(label: "test"))
        let busy = try Self.connected(governor)
        try busy.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/verify")))
        let next = try Self.connected(governor)
        busy.embeddedEventLoop.run()
        #expect(busy.isActive)
        #expect(governor.closedForRoom == 0)
        #expect(governor.openCount == 2)
        _ = try? busy.finish()
        _ = try? next.finish()
    }
}
