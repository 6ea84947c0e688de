#if canImport(Glibc)
    import Glibc
#endif
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Keeps the number of open connections under a limit by closing the ones idle the longest.
///
/// The idle timeout alone lets anyone hold thousands of silent sockets for its whole length: once the process's
/// file descriptors are gone the listener cannot accept, and every other client is locked out (issue 13: 20,000
/// idle connections). As nginx does with idle keep-alive connections, when a newly accepted connection takes the
/// count over ``limit``, connections with no request in progress are closed, the longest idle first; a request in
/// flight is never cut. The limit sits below the open-file limit, so accepting never fails.
final class ConnectionGovernor: Sendable {
    /// Connections open at most.
    let limit: Int

    private struct Entry {
        let channel: any Channel
        /// Set each time the connection goes idle, from one counter for all connections; a queued idle mark with
        /// another generation is stale. (Per connection from 0, a new connection whose channel took a closed one's
        /// address would match that one's leftover mark and be closed out of turn.)
        var generation: UInt64
        var busy = false
    }

    private struct State {
        var connections: [ObjectIdentifier: Entry] = [:]
        /// Idle marks in the order the connections went idle (stale marks are skipped when taken).
        var idleOrder = FIFO<(id: ObjectIdentifier, generation: UInt64)>()
        var nextGeneration: UInt64 = 0
        var closedForRoom = 0

        /// Drops stale idle marks once they outnumber the connections four times (at least 1,024 marks), so each
        /// compaction is paid for by the appends before it.
        mutating func compactIfStale() {
            guard idleOrder.count > 4 * max(connections.count, 256) else { return }
            let connections = self.connections
            idleOrder.removeAll { mark in
                connections[mark.id].map { $0.busy || $0.generation != mark.generation } ?? true
            }
        }
    }

    private let state = Mutex(State())
    private let logger: Logger

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// How many connections were closed to make room so far.
    var closedForRoom: Int { state.withLock { $0.closedForRoom } }

    /// Open connections now.
    var openCount: Int { state.withLock { $0.connections.count } }

    /// The limit for this process: `configured`, or (0) the open-file limit less 512 for the database, logs and
    /// the listener.
    static func limit(configured: Int) -> Int {
        if configured > 0 { return configured }
        var files = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &files) == 0 else { return 1_024 }
        return max(64, Int(clamping: files.rlim_cur) - 512)
    }

    /// A handler for one connection's pipeline.
    func handler() -> ConnectionTracker { ConnectionTracker(governor: self) }

    fileprivate func opened(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let victims = state.withLock { state -> [any Channel] in
            state.nextGeneration &+= 1
            state.connections[id] = Entry(channel: channel, generation: state.nextGeneration)
            state.idleOrder.append((id, state.nextGeneration))
            var victims: [any Channel] = []
            while state.connections.count > limit, let mark = state.idleOrder.popFirst() {
                guard mark.id != id, let entry = state.connections[mark.id], !entry.busy, entry.generation == mark.generation else { continue }
                state.connections[mark.id] = nil
                victims.append(entry.channel)
            }
            state.closedForRoom += victims.count
            state.compactIfStale()
            return victims
        }
        for victim in victims { victim.close(promise: nil) }
        if !victims.isEmpty {
            logger.debug("closed idle connections for room", metadata: ["closed": "\(victims.count)", "limit": "\(limit)"])
        }
    }

    /// Idle marks queued, stale ones included (tests: they stay bounded under keep-alive traffic).
    var idleMarks: Int { state.withLock { $0.idleOrder.count } }

    fileprivate func requestStarted(_ channel: any Channel) {
        state.withLock { $0.connections[ObjectIdentifier(channel)]?.busy = true }
    }

    fileprivate func requestFinished(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { state in
            // In place: copying the entry out and back would retain and release its channel on every request.
            guard let index = state.connections.index(forKey: id) else { return }
            state.connections.values[index].busy = false
            state.nextGeneration &+= 1
            state.connections.values[index].generation = state.nextGeneration
            state.idleOrder.append((id, state.nextGeneration))
            // Every request leaves a mark, and on connections kept alive (a proxy's upstream pool) no new connection
            // may arrive to compact them: without this the marks grew by one per request for as long as the daemon ran.
            state.compactIfStale()
        }
    }

    fileprivate func closed(_ channel: any Channel) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

/// Reports a connection's life to its ``ConnectionGovernor``: open, a request begun (its head read), the response
/// ended, closed.
final class ConnectionTracker: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let governor: ConnectionGovernor
    private var registered = false

    init(governor: ConnectionGovernor) {
        self.governor = governor
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { register(context.channel) }
    }

    func channelActive(context: ChannelHandlerContext) {
        register(context.channel)
        context.fireChannelActive()
    }

    private func register(_ channel: any Channel) {
        guard !registered else { return }
        registered = true
        governor.opened(channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { governor.requestStarted(context.channel) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { governor.requestFinished(context.channel) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        governor.closed(context.channel)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if registered { governor.closed(context.channel) }
    }
}

/// A first-in first-out queue over an array (amortised O(1) at both ends).
struct FIFO<Element> {
    private var elements: [Element] = []
    private var head = 0

    var count: Int { elements.count - head }

    mutating func append(_ element: Element) { elements.append(element) }

    mutating func popFirst() -> Element? {
        guard head < elements.count else { return nil }
        let element = elements[head]
        head += 1
        if head > 1024, head * 2 > elements.count {
            elements.removeFirst(head)
            head = 0
        }
        return element
    }

    mutating func removeAll(where shouldRemove: (Element) -> Bool) {
        elements = elements[head...].filter { !shouldRemove($0) }
        head = 0
    }
}
