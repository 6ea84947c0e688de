public import Foundation
import Synchronization
public import ZeroTripCrypto
public import ZeroTripDocuments

/// A signed tree head: the log's size and root at a time, signed by the district root key or the online signing key
/// it certified.
///
/// Signed bytes: `"zerotrip-sth-v1" ‖ u64be(timestamp_ms) ‖ u64be(tree_size) ‖ root_hash(32)`, ECDSA P-256/SHA-256
/// (or SM2/SM3 for an SM2 root), DER. See docs/transparency-log.md.
public struct SignedTreeHead: Sendable, Hashable, Codable {
    /// Leaves covered.
    public var treeSize: UInt64
    /// Milliseconds since 1970 (UTC).
    public var timestamp: UInt64
    /// MTH of the first `treeSize` leaves, base64.
    public var rootHash: String
    /// The kid of the key that signed it: the district root, or an online signing key the root certified.
    public var kid: String
    /// DER signature, base64.
    public var signature: String

    /// The exact signed bytes.
    public static func signedBytes(treeSize: UInt64, timestamp: UInt64, rootHash: [UInt8]) -> [UInt8] {
        var bytes = Array("zerotrip-sth-v1".utf8)
        withUnsafeBytes(of: timestamp.bigEndian) { bytes += $0 }
        withUnsafeBytes(of: treeSize.bigEndian) { bytes += $0 }
        return bytes + rootHash
    }

    /// Whether the signature verifies under the trusted root or online signing key the head names, and that key
    /// still signed heads at the head's time (a root superseded by a renewal, or an online key replaced by a newer
    /// one, signed only the heads before it).
    public func isValid(trusting roots: RootSet) -> Bool {
        guard let signer = roots.signer(kidHex: kid), roots.maySign(kidHex: kid, at: date) else { return false }
        return isValid(root: signer)
    }

    /// Whether the signature verifies under `root` (the certificate of the district root or online key that signed it).
    public func isValid(root: Certificate) -> Bool {
        guard let hash = Base64.decodeStandard(rootHash), hash.count == 32, let der = Base64.decodeStandard(signature),
            let signature = try? Signature(derRepresentation: der, algorithm: root.publicKey.algorithm)
        else { return false }
        return root.publicKey.isValidSignature(signature, for: Self.signedBytes(treeSize: treeSize, timestamp: timestamp, rootHash: hash))
    }

    /// The time of the head.
    public var date: Date { Date(timeIntervalSince1970: Double(timestamp) / 1000) }
}

/// An inclusion proof, as verification answers and `/v1/log/proof/inclusion` carry it.
public struct InclusionProof: Sendable, Hashable, Codable {
    /// Leaf index.
    public var leafIndex: UInt64
    /// Tree size the proof is for.
    public var treeSize: UInt64
    /// The audit path, leaf upwards, base64.
    public var proof: [String]
    /// The leaf's hash, base64 (`SHA-256(0x00 ‖ entry)`).
    public var leafHash: String
    /// The signed tree head the proof leads to, when it was made for one.
    public var treeHead: SignedTreeHead?
}

/// One log entry.
public struct LogEntry: Sendable, Hashable, Codable {
    /// Index.
    public var index: UInt64
    /// One of ``LogEntryKind/all`` as stored (`document.issued`, …); read back as text so an older daemon's log reads too.
    public var kind: String
    /// The entry bytes (canonical JSON, UTF-8), base64: the leaf is `SHA-256(0x00 ‖ these bytes)`.
    public var entry: String
}

/// The transparency log (RFC 9162 hashing) over issuances, revocations and key events.
///
/// Leaves are appended inside the transaction of the change they record, so the register and the log never
/// disagree. Every perfect subtree hash is stored (`log_nodes`), so proofs need O(log n) indexed reads.
public struct TransparencyLog: Sendable {
    /// The reference of document `id`'s entries (lower-case hex, as stored).
    package static func documentReference(_ id: String) -> String { "document:\(id)" }
    package static func documentReference(_ id: DocumentID) -> String { documentReference(id.rawValue) }

    let database: AppDatabase
    let upperNodes = NodeCache()
    private let firstLeaves = FreshnessCache<LeafKey, Leaf>(lifetime: nil, capacity: 16_384)
    private let proofs = FreshnessCache<ProofKey, InclusionProof>(lifetime: nil, capacity: 4_096)
    /// The newest signed tree head, re-read at most once a second (heads are signed every few minutes; a head
    /// signed by another daemon on the same database shows within a second). Keyed by ``headsSigned``, so a head
    /// this process signs is used from its commit on.
    private let newestHead = FreshnessCache<Int, SignedTreeHead?>(lifetime: .seconds(1), capacity: 2)
    /// Tree heads committed by this process.
    private static let headsSigned = Atomic<Int>(0)

    private struct LeafKey: Hashable, Sendable {
        var ref: String
        var kind: LogEntryKind
    }

    /// The log's size and the hashes of its right edge (the perfect subtree at each level whose bit is set in the
    /// size), as an append in the current write transaction left them.
    struct LogTail: Sendable {
        var size: UInt64
        var edge: [Int: [UInt8]]
    }

    /// A leaf's index and hash: neither changes once appended.
    struct Leaf: Sendable {
        var index: Int64
        var hash: [UInt8]
    }

    private struct ProofKey: Hashable, Sendable {
        var index: UInt64
        var treeSize: UInt64
    }

    /// Creates the log over `database`.
    public init(database: AppDatabase) { self.database = database }

    /// Perfect subtrees of 16 leaves and more never change once written: proofs read them from memory.
    ///
    /// Each level is one flat array of 32-byte hashes holding a prefix of that level (subtrees complete left to
    /// right, so what is stored is always a prefix); a lookup past the prefix extends it with one range read of
    /// everything stored since. At 10 M leaves the cache holds about 1.25 M hashes (40 MB); past `capacity`
    /// hashes it stops growing and further nodes are read from the database.
    final class NodeCache: Sendable {
        static let minimumLevel = 4
        static let capacity = 4 << 20
        private struct NodeKey: Hashable, Sendable {
            var level: Int
            var index: UInt64
        }
        private struct State {
            var levels: [[UInt8]] = Array(repeating: [], count: 64)
            var total = 0
        }
        private let state = Mutex(State())
        /// Lower nodes kept (``lowerNode(_:level:index:)``), 32 bytes each; nodes never change, so no lifetime.
        private let lower = FreshnessCache<NodeKey, [UInt8]>(lifetime: nil, capacity: 4_096)

        func lookup(_ db: SQLTransaction, level: Int, index: UInt64) throws -> [UInt8] {
            guard level >= Self.minimumLevel, level < 64 else { return try lowerNode(db, level: level, index: index) }
            let offset = Int(index) * 32
            let (cached, known, room) = state.withLock { state -> ([UInt8]?, Int, Int) in
                let hashes = state.levels[level]
                if offset + 32 <= hashes.count { return (Array(hashes[offset..<offset + 32]), 0, 0) }
                return (nil, hashes.count / 32, Self.capacity - state.total)
            }
            if let cached { return cached }
            // Extend the prefix with the nodes of this level stored since (one range read, at most the room left).
            guard room > 0, Int(index) - known < room else { return try TransparencyLog.perfect(db)(level, index) }
            var extra: [UInt8] = []
            let cursor = try db.cursor(
                sql: "SELECT idx, hash FROM log_nodes WHERE level = ? AND idx >= ? ORDER BY idx LIMIT ?",
                arguments: [level, Int64(known), room])
            var expected = Int64(known)
            while let row = try cursor.next() {
                let hash = row["hash"] as Data
                guard row["idx"] as Int64 == expected, hash.count == 32 else {
                    throw ZeroTripError(.storageFailure, "log level \(level) has a gap or a bad node at \(expected)")
                }
                extra.append(contentsOf: hash)
                expected += 1
            }
            guard offset + 32 <= known * 32 + extra.count else { throw ZeroTripError(.storageFailure, "log node (\(level), \(index)) is missing") }
            let answer = Array(extra[(offset - known * 32)..<(offset - known * 32 + 32)])
            state.withLock { state in
                // Another reader may have extended it meanwhile; append only what continues the prefix, within capacity.
                let count = extra.count / 32
                if state.levels[level].count == known * 32, state.total + count <= Self.capacity {
                    state.levels[level].append(contentsOf: extra)
                    state.total += count
                }
            }
            return answer
        }

        /// A node below level 4 that a proof asks for outside its own block of 16: the perfect subtrees of the
        /// tree's last, incomplete block, which every proof in a tree of that size needs. A node never changes once
        /// written, so the most recent ones are kept and a tree head's proofs read them once, not once each.
        private func lowerNode(_ db: SQLTransaction, level: Int, index: UInt64) throws -> [UInt8] {
            let key = NodeKey(level: level, index: index)
            if let hash = lower.value(for: key) { return hash }
            let hash = try TransparencyLog.perfect(db)(level, index)
            lower.store(hash, for: key, readAt: lower.now())
            return hash
        }
    }

    /// Appends an entry inside the caller's write transaction; returns its index.
    @discardableResult
    package static func append(kind: LogEntryKind, ref: String, fields: [String: String], at date: Date, in db: SQLTransaction) throws -> UInt64 {
        var object = fields
        object["kind"] = kind.rawValue
        object["time"] = AuditEvent.timestamp(date)
        let entry = canonicalJSON(object)
        // Earlier in this write transaction an append may have left the tail: the size and the right edge's
        // perfect subtrees, which are exactly the left halves this leaf completes.
        let tail = db.remembered(.logTail, as: LogTail.self)
        let index = try tail?.size ?? UInt64(try db.fetchOne(Int64.self, sql: "SELECT COALESCE(MAX(idx) + 1, 0) FROM log_leaves") ?? 0)
        // The new leaf completes one subtree per trailing 1 bit of its index: their left halves are read in one
        // statement, and the leaf and its new nodes go in without waiting for an answer (one round trip, not one
        // per level, on PostgreSQL).
        var completed = 0
        while (index >> UInt64(completed)) & 1 == 1 { completed += 1 }
        var lefts: [Int: [UInt8]] = tail?.edge ?? [:]
        // Without a kept tail: read those left halves, or, where the transaction keeps the tail, the whole right
        // edge (a node per 1 bit of the index), so that the next append in it reads nothing.
        let wantedLevels = tail != nil ? [] : (0..<64).filter { db.remembers ? (index >> UInt64($0)) & 1 == 1 : $0 < completed }
        if !wantedLevels.isEmpty {
            var arguments = SQLArguments()
            for level in wantedLevels { arguments += [level, Int64((index >> UInt64(level)) - 1)] }
            let wanted = Array(repeating: "(level = ? AND idx = ?)", count: wantedLevels.count).joined(separator: " OR ")
            for row in try db.fetchAll(sql: "SELECT level, hash FROM log_nodes WHERE \(wanted)", arguments: arguments) {
                lefts[row["level"]] = [UInt8](row["hash"] as Data)
            }
        }
        var hash = MerkleTree.leafHash(entry)
        var nodes = SQLArguments(values: [SQLValue.integer(0), .integer(Int64(index)), .blob(Data(hash))])
        for level in 0..<completed {
            guard let left = lefts[level] else {
                throw ZeroTripError(.storageFailure, "log node (\(level), \((index >> UInt64(level)) - 1)) is missing")
            }
            hash = MerkleTree.nodeHash(left, hash)
            nodes += [level + 1, Int64(index >> UInt64(level + 1)), Data(hash)]
        }
        // The right edge of the tree of index + 1 leaves: the subtrees just completed are now inside the one at
        // `completed`, and the rest of the edge is unchanged.
        if db.remembers {
            guard lefts.count == index.nonzeroBitCount else { throw ZeroTripError(.storageFailure, "the log's right edge at \(index) is incomplete") }
            var edge = lefts.filter { $0.key > completed }
            edge[completed] = hash
            db.remember(LogTail(size: index + 1, edge: edge), for: .logTail)
        }
        try db.insertRows(leafRow, values: [Int64(index), kind, ref, Data(entry), date])
        try db.insertRows(nodeRow, values: nodes)
        return index
    }

    private static let leafRow = SQLTransaction.RowInsert("log_leaves", columns: ["idx", "kind", "ref", "entry", "appended_at"])
    private static let nodeRow = SQLTransaction.RowInsert("log_nodes", columns: ["level", "idx", "hash"])

    /// Appends entries in one transaction of their own (imports and benchmarks; changes append inside their own transaction).
    public func appendBatch(_ entries: [(kind: LogEntryKind, ref: String, fields: [String: String])], at date: Date) async throws {
        try await database.write { db in
            for entry in entries { try Self.append(kind: entry.kind, ref: entry.ref, fields: entry.fields, at: date, in: db) }
        }
    }

    /// A flat string map as JSON with keys sorted by their UTF-8 bytes, no whitespace, and only `"`, `\` and
    /// control characters escaped (`\u00XX`): one byte sequence per map, so auditors can reproduce the leaf.
    static func canonicalJSON(_ object: [String: String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(512)
        func string(_ text: String) {
            out.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
                case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        for (offset, key) in object.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).enumerated() {
            if offset > 0 { out.append(UInt8(ascii: ",")) }
            string(key)
            out.append(UInt8(ascii: ":"))
            string(object[key]!)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Number of leaves.
    public func size() async throws -> UInt64 {
        try await database.read { db in try Self.size(db) }
    }

    static func size(_ db: SQLTransaction) throws -> UInt64 {
        UInt64(try db.fetchOne(Int64.self, sql: "SELECT COALESCE(MAX(idx) + 1, 0) FROM log_leaves") ?? 0)
    }

    static func perfect(_ db: SQLTransaction) -> (Int, UInt64) throws -> [UInt8] {
        { level, index in
            guard
                let data = try db.fetchOne(
                    Data.self, sql: "SELECT hash FROM log_nodes WHERE level = ? AND idx = ?", arguments: [level, Int64(index)])
            else {
                throw ZeroTripError(.storageFailure, "log node (\(level), \(index)) is missing")
            }
            return [UInt8](data)
        }
    }

    /// MTH of the first `size` leaves.
    public func rootHash(size: UInt64) async throws -> [UInt8] {
        try await database.read { db in try Self.rootHash(size: size, in: db) }
    }

    static func rootHash(size: UInt64, in db: SQLTransaction) throws -> [UInt8] {
        guard size > 0 else { return MerkleTree.emptyRoot }
        let lookup = perfect(db)
        return try MerkleTree.subtreeHash(start: 0, end: size) { (level: Int, index: UInt64) throws -> [UInt8] in try lookup(level, index) }
    }

    /// The inclusion proof of leaf `index` in the tree of `treeSize` leaves.
    public func inclusionProof(index: UInt64, treeSize: UInt64) async throws -> InclusionProof {
        try await database.read { db in
            let size = try Self.size(db)
            guard treeSize >= 1, treeSize <= size else { throw ZeroTripError(.invalidInput, "treeSize must be 1–\(size)") }
            guard index < treeSize else { throw ZeroTripError(.invalidInput, "leaf index \(index) is not below treeSize \(treeSize)") }
            return try inclusionProof(index: index, treeSize: treeSize, in: db)
        }
    }

    /// `block`: the leaf hashes of the leaf's block of 16 from its start, already read (``leafWithBlock(ref:kind:in:)``);
    /// at least up to `treeSize` or the block's end. Nil reads them.
    func inclusionProof(index: UInt64, treeSize: UInt64, in db: SQLTransaction, block: [[UInt8]]? = nil) throws -> InclusionProof {
        let cache = upperNodes
        // Below level 4 every node of the path lies in the leaf's block of 16: one range read of its leaf hashes
        // (one page) replaces four scattered lookups, and the block's inner nodes (at most 11) are hashed here.
        // Everything above comes from the in-memory levels.
        let blockSize = UInt64(1) << NodeCache.minimumLevel
        let blockStart = index & ~(blockSize - 1)
        let blockEnd = min(blockStart + blockSize, treeSize)
        var leaves: [[UInt8]] = []
        leaves.reserveCapacity(Int(blockSize))
        if let block {
            leaves = Array(block.prefix(Int(blockEnd - blockStart)))
        } else {
            // At most 16 rows: one statement, not a cursor (three round trips on PostgreSQL).
            for row in try db.fetchAll(
                sql: "SELECT hash FROM log_nodes WHERE level = 0 AND idx >= ? AND idx < ? ORDER BY idx",
                arguments: [Int64(blockStart), Int64(blockEnd)])
            {
                leaves.append([UInt8](row[0] as Data))
            }
        }
        guard UInt64(leaves.count) == blockEnd - blockStart else {
            throw ZeroTripError(.storageFailure, "log leaves \(blockStart)…\(blockEnd) are incomplete")
        }
        func local(_ level: Int, _ idx: UInt64) -> [UInt8] {
            level == 0 ? leaves[Int(idx - blockStart)] : MerkleTree.nodeHash(local(level - 1, 2 * idx), local(level - 1, 2 * idx + 1))
        }
        let lookup = { (level: Int, idx: UInt64) throws -> [UInt8] in
            if level < NodeCache.minimumLevel, idx << level >= blockStart, (idx + 1) << level <= blockEnd { return local(level, idx) }
            return try cache.lookup(db, level: level, index: idx)
        }
        let path = try MerkleTree.inclusionProof(index: index, size: treeSize) { (level: Int, idx: UInt64) throws -> [UInt8] in try lookup(level, idx)
        }
        let leaf = leaves[Int(index - blockStart)]
        return InclusionProof(leafIndex: index, treeSize: treeSize, proof: path.map(Base64.encode), leafHash: Base64.encode(leaf), treeHead: nil)
    }

    /// The consistency proof between the trees of `first` and `second` leaves.
    public func consistencyProof(first: UInt64, second: UInt64) async throws -> [String] {
        try await database.read { db in
            let size = try Self.size(db)
            guard first >= 1, first <= second, second <= size else { throw ZeroTripError(.invalidInput, "need 1 ≤ first ≤ second ≤ \(size)") }
            let cache = upperNodes
            let lookup = { (level: Int, idx: UInt64) throws -> [UInt8] in try cache.lookup(db, level: level, index: idx) }
            return try MerkleTree.consistencyProof(oldSize: first, newSize: second) { (level: Int, idx: UInt64) throws -> [UInt8] in
                try lookup(level, idx)
            }
            .map(Base64.encode)
        }
    }

    /// Entries `[start, end)` (at most 1000).
    public func entries(start: UInt64, end: UInt64) async throws -> [LogEntry] {
        guard start < end, end - start <= 1000 else { throw ZeroTripError(.invalidInput, "need start < end and at most 1000 entries") }
        return try await database.read { db in
            try db.fetchAll(
                sql: "SELECT idx, kind, entry FROM log_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
                arguments: [Int64(clamping: start), Int64(clamping: end)]
            ).map {
                LogEntry(index: UInt64($0["idx"] as Int64), kind: $0["kind"], entry: Base64.encode([UInt8]($0["entry"] as Data)))
            }
        }
    }

    /// The newest signed tree head.
    public func latestTreeHead() async throws -> SignedTreeHead? {
        try await database.read { db in try Self.latestTreeHead(db) }
    }

    static func latestTreeHead(_ db: SQLTransaction, notAfter: UInt64? = nil) throws -> SignedTreeHead? {
        try db.fetchOne(
            sql: """
                SELECT tree_size, timestamp_ms, root_hash, kid, signature FROM log_tree_heads WHERE timestamp_ms <= ? ORDER BY timestamp_ms DESC LIMIT 1
                """, arguments: [Int64(clamping: notAfter ?? UInt64(Int64.max))]
        ).map(treeHead(from:))
    }

    /// ``latestTreeHead(_:notAfter:)`` without a time bound, from memory when read less than a second ago by a
    /// transaction that had not written to the log (`remember`).
    private func newestTreeHead(in db: SQLTransaction, remember: Bool) throws -> SignedTreeHead? {
        let generation = Self.headsSigned.load(ordering: .acquiring)
        if remember, let cached = newestHead.value(for: generation) { return cached }
        let readAt = newestHead.now()
        let head = try Self.latestTreeHead(db)
        if remember { newestHead.store(head, for: generation, readAt: readAt) }
        return head
    }

    /// Stores a signed tree head (its signature was made over ``SignedTreeHead/signedBytes(treeSize:timestamp:rootHash:)``).
    static func insertTreeHead(size: UInt64, timestamp: UInt64, rootHash: [UInt8], kid: String, signature: [UInt8], in db: SQLTransaction) throws {
        try db.execute(
            sql: "INSERT INTO log_tree_heads (tree_size, timestamp_ms, root_hash, kid, signature) VALUES (?, ?, ?, ?, ?)",
            arguments: [Int64(size), Int64(timestamp), Data(rootHash), kid, Data(signature)])
        db.afterCommit { headsSigned.add(1, ordering: .releasing) }
    }

    /// The newest tree-head time (ms) signed by root `kid`, nil when it signed none.
    static func latestTreeHeadTime(signedBy kid: String, in db: SQLTransaction) throws -> Int64? {
        try db.fetchOne(Int64.self, sql: "SELECT MAX(timestamp_ms) FROM log_tree_heads WHERE kid = ?", arguments: [kid])
    }

    static func treeHead(from row: SQLRow) -> SignedTreeHead {
        SignedTreeHead(
            treeSize: UInt64(row["tree_size"] as Int64), timestamp: UInt64(row["timestamp_ms"] as Int64),
            rootHash: Base64.encode([UInt8](row["root_hash"] as Data)), kid: row["kid"], signature: Base64.encode([UInt8](row["signature"] as Data)))
    }

    /// Every signed tree head, oldest first.
    public func treeHeads() async throws -> [SignedTreeHead] {
        try await database.read { db in try db.fetchAll(sql: "SELECT * FROM log_tree_heads ORDER BY timestamp_ms").map(Self.treeHead(from:)) }
    }

    /// The first leaf recorded for `ref` (e.g. `document:<id>` for its issuance) and the proof to the newest
    /// signed tree head that covers it (`treeHead` nil and an empty proof while no head covers it yet).
    public func proof(for ref: String, kind: LogEntryKind) async throws -> InclusionProof? {
        try await database.read { db in try proof(for: ref, kind: kind, in: db, remember: true) }
    }

    /// ``proof(for:kind:)`` inside a transaction the caller already holds (a verification reads the register
    /// entry, its proof and the key's "logged before" answer in one snapshot). `remember` only when that transaction
    /// has not written to the log: what it reads is then committed and may be cached.
    ///
    /// A leaf not in memory yet (a document nobody verified lately, the common case) is read with its block of 16 in
    /// one statement, and its proof is then computed from that block and the in-memory upper levels.
    func proof(for ref: String, kind: LogEntryKind, in db: SQLTransaction, remember: Bool) throws -> InclusionProof? {
        let leafKey = LeafKey(ref: ref, kind: kind)
        let leaf: Leaf
        var block: [[UInt8]]?
        if let cached = firstLeaves.value(for: leafKey) {
            leaf = cached
        } else {
            let readAhead = db.readAhead(.logLeaves, leafKey, as: (Leaf, [[UInt8]]).self)
            guard let (read, readBlock) = try readAhead ?? Self.leafWithBlock(ref: ref, kind: kind, in: db) else { return nil }
            (leaf, block) = (read, readBlock)
            if remember { firstLeaves.store(leaf, for: leafKey, readAt: firstLeaves.now()) }
        }
        let index = leaf.index
        guard let head = try newestTreeHead(in: db, remember: remember), head.treeSize > UInt64(index) else {
            return InclusionProof(leafIndex: UInt64(index), treeSize: 0, proof: [], leafHash: Base64.encode(leaf.hash), treeHead: nil)
        }
        // The proof of leaf i in the tree of size n never changes: it is computed once per new tree head.
        let key = ProofKey(index: UInt64(index), treeSize: head.treeSize)
        var proof: InclusionProof
        if let cached = proofs.value(for: key) {
            proof = cached
        } else {
            proof = try inclusionProof(index: key.index, treeSize: key.treeSize, in: db, block: block)
            if remember { proofs.store(proof, for: key, readAt: proofs.now()) }
        }
        proof.treeHead = head
        return proof
    }

    /// Whether ``proof(for:kind:in:remember:)`` would read nothing for `ref`/`kind` now: its first leaf, the newest
    /// tree head and the proof to it are all in memory.
    func hasProofInMemory(for ref: String, kind: LogEntryKind) -> Bool {
        guard let leaf = firstLeaves.value(for: LeafKey(ref: ref, kind: kind)),
            let head = newestHead.value(for: Self.headsSigned.load(ordering: .acquiring))
        else { return false }
        guard let head, head.treeSize > UInt64(leaf.index) else { return true }
        return proofs.value(for: ProofKey(index: UInt64(leaf.index), treeSize: head.treeSize)) != nil
    }

    /// Runs `body` with the first leaf of each of `refs` (of `kind`) and its block of 16 read ahead in one
    /// statement, so that ``proof(for:kind:in:remember:)`` and ``isLogged(ref:kind:notAfter:in:remember:)`` inside it
    /// read nothing more for them.
    ///
    /// A group-committed batch of verifications (``AuditBatcher``) reads its documents' leaves so: one statement per
    /// batch instead of one read per verification (on PostgreSQL, a round trip each and a plan each).
    static func readingAhead<T>(refs: [String], kind: LogEntryKind, in db: SQLTransaction, _ body: () throws -> T) throws -> T {
        let asked = Set(refs)
        guard !asked.isEmpty else { return try body() }
        let blockSize = Int64(1) << NodeCache.minimumLevel
        var found: [LeafKey: (Leaf, [[UInt8]])] = [:]
        let all = Array(asked)
        for start in stride(from: 0, to: all.count, by: 500) {
            let chunk = all[start..<min(all.count, start + 500)]
            if db.isPostgres {
                let chunk = SQLTransaction.paddedList(Array(chunk))
                // PostgreSQL is told to look each leaf up by its reference and read its block as an index range
                // (LATERAL, which SQLite lacks; LIMIT and the aggregate keep the subqueries from being flattened):
                // without statistics on a young log its planner otherwise scans the leaves and joins every level-0
                // node to every leaf (measured: 38 ms for 60 leaves among 8,000, growing with the log; 0.9 ms this
                // way). A block comes back as one value, its hashes end to end, so a batch of 60 verifications
                // decodes 60 rows instead of 960.
                let rows = try db.fetchAll(
                    prepared: """
                        SELECT r.ref AS ref, f.idx AS leaf, b.first AS first, b.last AS last, b.hashes AS hashes
                        FROM (SELECT DISTINCT ref FROM (VALUES \(Array(repeating: "(?)", count: chunk.count).joined(separator: ", "))) AS v(ref)) AS r
                        JOIN LATERAL (SELECT idx FROM log_leaves WHERE ref = r.ref AND kind = ? ORDER BY idx LIMIT 1) AS f ON TRUE
                        JOIN LATERAL (SELECT MIN(idx) AS first, MAX(idx) AS last, string_agg(hash, ''::bytea ORDER BY idx) AS hashes
                                      FROM log_nodes WHERE level = 0 AND idx >= f.idx - f.idx % \(blockSize)
                                      AND idx < f.idx - f.idx % \(blockSize) + \(blockSize)) AS b ON TRUE
                        """, texts: chunk + [kind.rawValue])
                for row in rows {
                    found[LeafKey(ref: row["ref"], kind: kind)] = try Self.leafAndBlock(
                        leaf: row["leaf"], first: row["first"], last: row["last"], hashes: (row["hashes"] as Data?).map { [UInt8]($0) } ?? [])
                }
            } else {
                // SQLite runs this as one index lookup and one range scan per leaf.
                let rows = try db.fetchAll(
                    sql: """
                        SELECT f.ref AS ref, f.idx AS leaf, n.idx AS idx, n.hash AS hash
                        FROM (SELECT ref, MIN(idx) AS idx FROM log_leaves WHERE kind = ? AND ref IN (\(SQLTransaction.placeholders(chunk.count)))
                              GROUP BY ref) AS f
                        LEFT JOIN log_nodes n ON n.level = 0 AND n.idx >= f.idx - f.idx % \(blockSize) AND n.idx < f.idx - f.idx % \(blockSize) + \(blockSize)
                        """, arguments: SQLArguments([kind as (any SQLValueConvertible)?] + chunk.map { $0 as (any SQLValueConvertible)? }))
                // Rows in no particular order: grouped by reference here, each block put in index order.
                var byReference: [String: [SQLRow]] = [:]
                for row in rows { byReference[row["ref"] as String, default: []].append(row) }
                for (ref, group) in byReference {
                    found[LeafKey(ref: ref, kind: kind)] = try Self.leafAndBlock(
                        group.sorted { (($0["idx"] as Int64?) ?? -1) < (($1["idx"] as Int64?) ?? -1) }[...])
                }
            }
        }
        return try db.readingAhead(.logLeaves, SQLTransaction.ReadAhead(asked: Set(asked.map { LeafKey(ref: $0, kind: kind) }), found: found), body)
    }

    /// The first leaf of `ref`/`kind` and the leaf hashes of its block of 16 stored so far, from the block's start, in
    /// one statement; nil when there is no such leaf.
    static func leafWithBlock(ref: String, kind: LogEntryKind, in db: SQLTransaction) throws -> (Leaf, [[UInt8]])? {
        let blockSize = Int64(1) << NodeCache.minimumLevel
        let rows = try db.fetchAll(
            sql: """
                SELECT f.idx AS leaf, n.idx AS idx, n.hash AS hash
                FROM (SELECT idx FROM log_leaves WHERE ref = ? AND kind = ? ORDER BY idx LIMIT 1) AS f
                LEFT JOIN log_nodes n ON n.level = 0 AND n.idx >= f.idx - f.idx % \(blockSize) AND n.idx < f.idx - f.idx % \(blockSize) + \(blockSize)
                ORDER BY n.idx
                """, arguments: [ref, kind])
        guard !rows.isEmpty else { return nil }
        return try leafAndBlock(rows[...])
    }

    /// A leaf and its block from the block's first and last stored index and its leaf hashes end to end; the block
    /// must run without a gap from its start (the primary key makes the indexes distinct, so the count says so).
    private static func leafAndBlock(leaf index: Int64, first: Int64?, last: Int64?, hashes: [UInt8]) throws -> (Leaf, [[UInt8]]) {
        let blockSize = Int64(1) << NodeCache.minimumLevel
        let blockStart = index - index % blockSize
        guard let first, let last, first == blockStart, hashes.count == Int(last - first + 1) * 32, index <= last else {
            throw ZeroTripError(.storageFailure, "log node (0, \(index)) is missing")
        }
        let block = stride(from: 0, to: hashes.count, by: 32).map { Array(hashes[$0..<$0 + 32]) }
        return (Leaf(index: index, hash: block[Int(index - blockStart)]), block)
    }

    /// A leaf and its block from rows of `leaf`, `idx`, `hash` (the leaf's index repeated, its block's leaf hashes
    /// in order).
    private static func leafAndBlock(_ rows: ArraySlice<SQLRow>) throws -> (Leaf, [[UInt8]]) {
        let blockSize = Int64(1) << NodeCache.minimumLevel
        let index: Int64 = rows[rows.startIndex]["leaf"]
        let blockStart = index - index % blockSize
        var block: [[UInt8]] = []
        for row in rows {
            guard let idx: Int64 = row["idx"], let hash: Data = row["hash"], idx == blockStart + Int64(block.count), hash.count == 32 else { break }
            block.append([UInt8](hash))
        }
        guard index - blockStart < Int64(block.count) else { throw ZeroTripError(.storageFailure, "log node (0, \(index)) is missing") }
        return (Leaf(index: index, hash: block[Int(index - blockStart)]), block)
    }

    /// The index and hash of the first leaf recorded for `ref`/`kind`, read in one statement; once it exists it
    /// never changes (the log is append-only), so it is remembered. A document verified before any tree head
    /// covers it answers with its leaf hash alone, so remembering the hash too saves that read on every later scan.
    func firstLeaf(ref: String, kind: LogEntryKind, in db: SQLTransaction, remember: Bool) throws -> Leaf? {
        let key = LeafKey(ref: ref, kind: kind)
        if let leaf = firstLeaves.value(for: key) { return leaf }
        if let readAhead = db.readAhead(.logLeaves, key, as: (Leaf, [[UInt8]]).self) {
            guard let (leaf, _) = readAhead else { return nil }
            if remember { firstLeaves.store(leaf, for: key, readAt: firstLeaves.now()) }
            return leaf
        }
        guard
            let row = try db.fetchOne(
                sql: """
                    SELECT l.idx, n.hash FROM log_leaves l LEFT JOIN log_nodes n ON n.level = 0 AND n.idx = l.idx
                    WHERE l.ref = ? AND l.kind = ? ORDER BY l.idx LIMIT 1
                    """, arguments: [ref, kind])
        else { return nil }
        let index: Int64 = row["idx"]
        guard let hash: Data = row["hash"], hash.count == 32 else { throw ZeroTripError(.storageFailure, "log node (0, \(index)) is missing") }
        let leaf = Leaf(index: index, hash: [UInt8](hash))
        if remember { firstLeaves.store(leaf, for: key, readAt: firstLeaves.now()) }
        return leaf
    }

    /// Whether leaf `ref`/`kind` is covered by a tree head signed at or before `date`: "logged before".
    public func isLogged(ref: String, kind: LogEntryKind, notAfter date: Date) async throws -> Bool {
        try await database.read { db in try isLogged(ref: ref, kind: kind, notAfter: date, in: db, remember: true) }
    }

    /// ``isLogged(ref:kind:notAfter:)`` inside a read the caller already holds.
    func isLogged(ref: String, kind: LogEntryKind, notAfter date: Date, in db: SQLTransaction, remember: Bool) throws -> Bool {
        guard let index = try firstLeaf(ref: ref, kind: kind, in: db, remember: remember)?.index else { return false }
        let milliseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down)))
        guard let head = try Self.latestTreeHead(db, notAfter: milliseconds) else { return false }
        return UInt64(index) < head.treeSize
    }
}
