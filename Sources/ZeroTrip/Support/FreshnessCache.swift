import Synchronization

/// A small map of values read from the database that may be served for `lifetime` after they were read, so hot
/// read paths (a credential per request, a log proof per verification) skip database work. With no lifetime the
/// values never go stale: only for facts that cannot change once read (an append-only log's leaf index, the
/// inclusion proof of leaf i in the tree of size n).
///
/// Freshness is measured on the monotonic clock, not the injected domain clock: it bounds how long a change made
/// by another process (the CLI revoking a credential) can go unseen, which is real time whatever the domain date.
/// Changes made through this process remove their entry at once. When `capacity` entries are held the map is
/// emptied rather than evicted one by one: a full map means a burst of distinct keys, and re-reading is correct.
final class FreshnessCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        var value: Value
        var readAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[Key: Entry]>([:])
    private let lifetime: Duration?
    private let capacity: Int
    /// The monotonic time source: the system's, or a test's that moves only when told (no sleeping to outlast an entry).
    let now: @Sendable () -> ContinuousClock.Instant

    init(lifetime: Duration?, capacity: Int, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.now = now
    }

    /// The value read for `key` less than `lifetime` ago, or nil.
    func value(for key: Key) -> Value? {
        let now = self.now()
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard lifetime.map({ now - entry.readAt < $0 }) ?? true else {
                entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Remembers `value`, read from the database at `readAt` (taken before the read began, so a change committed
    /// during the read is not served for a full lifetime).
    func store(_ value: Value, for key: Key, readAt: ContinuousClock.Instant) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(value: value, readAt: readAt)
        }
    }

    /// Forgets `key` (after this process changed it).
    func remove(_ key: Key) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }
}
