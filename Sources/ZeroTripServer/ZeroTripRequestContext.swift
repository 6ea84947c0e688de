public import Hummingbird
public import NIOCore

/// The request context of every route: Hummingbird's core storage plus the peer address, which
/// applicant rate limits are keyed by.
public struct ZeroTripRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's storage.
    public var coreContext: CoreRequestContextStorage
    /// The request's connection.
    private let channel: any Channel
    /// The TCP peer (nil in router tests). Read when asked: only the rate-limited routes need it, and the channel
    /// reads it under a lock.
    public var remoteAddress: SocketAddress? { channel.remoteAddress }

    /// Creates the context for a request on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
