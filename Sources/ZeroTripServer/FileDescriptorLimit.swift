#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Logging

/// Raises the open-file limit as the daemon does (for tools that open many connections, such as `bench http`).
public func raiseOpenFileLimit() {
    FileDescriptorLimit.raise(logger: Logger(label: "zerotrip.limits", factory: { _ in SwiftLogNoOpLogHandler() }))
}

/// Raises the process's open-file limit before serving.
///
/// Every connection costs a file descriptor; with a soft limit of 1,024 (or the 20,000 some hosts set) a few
/// thousand idle clients could leave none for the listener to accept with. The soft limit is raised to the hard
/// limit, and a process allowed to (root, or CAP_SYS_RESOURCE) also raises the hard limit to ``target``. Whatever
/// is reached is logged; the idle timeout still closes silent connections.
enum FileDescriptorLimit {
    static let target: rlim_t = 262_144

    static func raise(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        var wanted = limit
        wanted.rlim_max = max(limit.rlim_max, target)
        wanted.rlim_cur = wanted.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &wanted) != 0 {
            wanted = limit
            wanted.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &wanted)
        }
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        logger.info("open file limit", metadata: ["soft": "\(limit.rlim_cur)", "hard": "\(limit.rlim_max)"])
    }
}
