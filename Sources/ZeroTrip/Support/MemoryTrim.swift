public import Logging
public import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Gives heap memory the process has freed back to the system.
///
/// Why: glibc keeps what a burst of requests allocated and then freed inside its arenas, where only this process can
/// use it again. After `zerotrip bench http` that was about 18 MB of the daemon's 150 MB; on a machine that runs the
/// daemon beside its database, memory a quiet daemon does not use should go back.
public enum MemoryTrim {
    /// Releases the free pages of every malloc arena (glibc's `malloc_trim`); true when some were released.
    /// It walks the arenas under their locks: a few milliseconds at most, so callers run it off Swift's cooperative
    /// pool (``MemoryTrimService`` runs it as ``BlockingWork``).
    @discardableResult
    public static func releaseFreedMemory() -> Bool {
        mallocTrim?(0) == 1
    }

    /// `malloc_trim` of the C library, looked up at run time: Glibc's module does not export `malloc.h`, and a C
    /// library without it (musl) leaves this nil, so trimming does nothing there.
    private static let mallocTrim: (@convention(c) (UInt) -> Int32)? = {
        #if canImport(Glibc)
            guard let program = dlopen(nil, RTLD_NOW), let symbol = dlsym(program, "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (UInt) -> Int32).self)
        #else
            return nil
        #endif
    }()
}

/// ``MemoryTrim/releaseFreedMemory()`` every `interval` (10 s by default) as a service of the daemon's ServiceGroup.
///
/// Under steady load the memory released is allocated again within the interval: about 4,600 page faults a round for
/// 18 MB, a few milliseconds every 10 s. After a burst the daemon's resident memory drops back within the interval.
public struct MemoryTrimService: Service {
    let interval: Duration
    let logger: Logger

    /// A trimmer every `interval`.
    public init(interval: Duration = .seconds(10), logger: Logger) {
        self.interval = interval
        self.logger = logger
    }

    /// Trims until graceful shutdown.
    public func run() async throws {
        try await PeriodicTimer.run(every: interval, name: "memory trim", logger: logger) {
            _ = try await BlockingWork.run { MemoryTrim.releaseFreedMemory() }
        }
    }
}
