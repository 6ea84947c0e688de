import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import ZeroTrip
import ZeroTripTestSupport
@testable import ZeroTripServer

@Suite("Each connection is handled on its socket's event loop, over plain HTTP and TLS")
struct EventLoopAffinityTests {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
    }

    actor Counter {
        var count = 0
        func bump() { count += 1 }
    }

    final class Seen: Sendable {
        let values = Mutex<[String: Bool]>([:])
        func record(_ moment: String, _ onLoop: Bool) { values.withLock { $0[moment] = onLoop } }
        var all: [String: Bool] { values.withLock { $0 } }
    }

    /// Records, after each kind of suspension a handler meets, whether it runs on its connection's event loop.
    struct Recorder: ServerChildChannel {
        let seen = Seen()

        func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
            channel.eventLoop.makeSucceededFuture(Value(channel: channel))
        }

        func handle(value: Value, logger: Logger) async {
            let loop = value.channel.eventLoop
            seen.record("start", loop.inEventLoop)
            try? await Task.sleep(for: .milliseconds(2))
            seen.record("after a sleep", loop.inEventLoop)
            await Counter().bump()
            seen.record("after an actor", loop.inEventLoop)
            // As the storage layer answers: a continuation resumed from a thread of its own.
            await withCheckedContinuation { continuation in DispatchQueue.global().async { continuation.resume() } }
            seen.record("after a resume from another thread", loop.inEventLoop)
        }
    }

    @Test("A wrapped handler stays on the loop across sleeps, actors and resumes from other threads; an unwrapped one does not")
    func handlerStaysOnTheLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let channel = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let logger = Logger(label: "test")

        let bound = EventLoopBoundChannel(Recorder())
        await bound.handle(value: try await bound.setup(channel: channel, logger: logger).get(), logger: logger)
        let wrapped = bound.base.seen.all
        #expect(wrapped.count == 4)
        #expect(wrapped.values.allSatisfy { $0 }, "\(wrapped)")

        // The same handler without the wrapper starts on Swift's cooperative pool: the check above can fail.
        let plain = Recorder()
        await plain.handle(value: Value(channel: channel), logger: logger)
        #expect(plain.seen.all["start"] == false)

        try await channel.close()
        try await group.shutdownGracefully()
    }

    @Test("The daemon answers over TLS with the wrapped channel (health, an authenticated read, a verification)")
    func overTLS() async throws {
        let directory = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try ExternalTool.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem",
                "-out", "cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1",
            ], in: directory)
        try #require(made.status == 0, "\(made.stderr)")
        let fixture = try await ServerFixture()
        fixture.configuration.tlsCertificatePath = directory.appendingPathComponent("cert.pem").path
        fixture.configuration.tlsKeyPath = directory.appendingPathComponent("key.pem").path
        let document = try await fixture.issueDocument()
        let token = try #require(fixture.tokens[.documentsVerify])
        try await fixture.application().test(.ahc(.https)) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"RSJ\""))
            }
            try await client.execute(
                uri: "/v1/verify", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"token":"\#(document.qrContent)"}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""result":"valid""#))
            }
        }
    }
}
