import HummingbirdCore
import Logging
import NIOCore

/// A task executor that runs jobs on one NIO event loop.
///
/// Why: Hummingbird runs each connection's handler as a task on Swift's cooperative pool while the socket lives on
/// an event loop, so every request crosses threads twice (the request parts in, the response parts out), each time
/// with a wake-up of the other thread. On this project's 2-core machines that cost a fifth of `/healthz`'s CPU and
/// about a tenth of an audited verification's. Preferring the socket's own loop keeps a request on one thread from
/// its first byte to its last; only the awaited database work leaves it (and comes back with one enqueue).
/// The house rule does not change: nothing synchronous and slow runs in a handler (``BlockingWork``, the storage
/// layer's own threads), which now protects the loops' I/O as it protected the cooperative pool.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // `EventLoop.execute` runs at once on the loop's next turn; from the loop itself no wake-up is needed.
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Handles each accepted connection of `Base` in a task that prefers the connection's event loop
/// (``EventLoopTaskExecutor``); setup and everything else are `Base`'s.
struct EventLoopBoundChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base

    init(_ base: Base) { self.base = base }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}
