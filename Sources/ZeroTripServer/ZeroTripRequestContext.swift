public import Hummingbird
public import NIOCore

/// The request context of every route: Hummingbird's core storage plus the peer address, which
/// applicant rate limits are keyed by.
public struct ZeroTripRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's storage.
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer (nil in router tests). Copied when the request starts: a channel forgets its address once it
    /// closes, and a client that reset its connection mid-request must keep the rate-limit key it started with.
    public let remoteAddress: SocketAddress?

    /// Creates the context for a request on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
