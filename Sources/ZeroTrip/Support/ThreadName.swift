#if canImport(Glibc)
    import Glibc
#endif

/// Names the calling thread, as `top -H`, `ps -L`, `perf` and debuggers show it.
///
/// Foundation's `Thread.name`, set before `start()`, never reached the kernel here: the daemon's own threads (reads,
/// checkpoints, the log writer) showed the name of the thread that created them, a cooperative one, so their work
/// was indistinguishable from the pool's in a profile. So each thread names itself first thing, through
/// `/proc/thread-self/comm` (glibc's `pthread_setname_np` is not visible to Swift). Linux keeps at most 15 bytes;
/// longer names are cut there. Where this fails (no /proc), the thread keeps its inherited name.
package func nameCurrentThread(_ name: String) {
    #if os(Linux)
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    #endif
}
