import Synchronization

/// One refresh at a time: callers that need a value while a refresh for the same key is under way wait for that one
/// instead of starting their own.
///
/// For the one-second caches on the busy routes (the trust state of verifications, the newest configuration
/// versions of credit reads): under load every connection finds such a cache stale in the same instant, and without
/// this each would run the same read, 64 at once, every second. The key says which refreshes are interchangeable:
/// a caller whose key differs (say, after this process changed a key) starts a refresh of its own.
final class SingleFlight<Key: Equatable & Sendable, Value: Sendable>: Sendable {
    private struct Running {
        var key: Key
        var number: Int
        var task: Task<Value, any Error>
    }

    private struct State {
        var running: Running?
        var started = 0
    }

    private let state = Mutex(State())

    init() {}

    /// The value of the refresh under way for `key`, or of `refresh`, started now.
    func value(for key: Key, _ refresh: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = state.withLock { state -> Task<Value, any Error> in
            if let running = state.running, running.key == key { return running.task }
            state.started += 1
            let number = state.started
            let task = Task { [self] in
                defer { self.state.withLock { if $0.running?.number == number { $0.running = nil } } }
                return try await refresh()
            }
            state.running = Running(key: key, number: number, task: task)
            return task
        }
        return try await task.value
    }
}
