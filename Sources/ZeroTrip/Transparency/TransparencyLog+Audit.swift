import Foundation
import ZeroTripCrypto
public import ZeroTripDocuments

/// The outcome of auditing a log: a value, not an exception.
public enum LogAuditResult: Sendable, Hashable {
    /// Every leaf matches its entry, every stored node and signed tree head matches the recomputed tree.
    case intact(leaves: UInt64, treeHeads: Int)
    /// The first problem found.
    case broken(String)
}

extension TransparencyLog {
    /// Recomputes the whole tree from the stored entries: each leaf hash from its entry bytes, the stored
    /// level-0 nodes, and the root at every signed tree head (whose signature is checked with the trusted root it names, which must not have been superseded by then). Detects
    /// an altered, removed or reordered leaf and a rewritten tree head.
    public func audit(trusting roots: RootSet) async throws -> LogAuditResult {
        try await database.read { db in
            let heads = try db.fetchAll(sql: "SELECT * FROM log_tree_heads ORDER BY timestamp_ms").map(Self.treeHead(from:))
            for head in heads where !head.isValid(trusting: roots) {
                return .broken(
                    "the tree head of size \(head.treeSize) at \(head.timestamp) ms has an invalid signature, or is signed by a root that was untrusted or already superseded"
                )
            }
            var pendingHeads = heads.sorted { $0.treeSize < $1.treeSize }[...]
            var frontier: [(size: UInt64, hash: [UInt8])] = []  // perfect subtrees, largest first
            func currentRoot() -> [UInt8] {
                guard var hash = frontier.last?.hash else { return MerkleTree.emptyRoot }
                for subtree in frontier.dropLast().reversed() { hash = MerkleTree.nodeHash(subtree.hash, hash) }
                return hash
            }
            func checkHeads(at size: UInt64) -> String? {
                while let head = pendingHeads.first, head.treeSize <= size {
                    pendingHeads.removeFirst()
                    if head.treeSize == size, Base64.decodeStandard(head.rootHash) != currentRoot() {
                        return "the tree of \(size) leaves does not match its signed tree head: a leaf was altered"
                    }
                }
                return nil
            }
            if let problem = checkHeads(at: 0) { return .broken(problem) }
            var expected: UInt64 = 0
            let cursor = try db.cursor(
                sql: """
                    SELECT l.idx, l.entry, n.hash AS node FROM log_leaves l LEFT JOIN log_nodes n ON n.level = 0 AND n.idx = l.idx ORDER BY l.idx
                    """)
            while let row = try cursor.next() {
                let index = UInt64(row["idx"] as Int64)
                guard index == expected else { return .broken("leaf \(expected) is missing") }
                let hash = MerkleTree.leafHash([UInt8](row["entry"] as Data))
                guard hash == (row["node"] as Data?).map({ [UInt8]($0) }) else {
                    return .broken("leaf \(index) does not match its entry: the entry or its hash was altered")
                }
                frontier.append((1, hash))
                while frontier.count >= 2, frontier[frontier.count - 1].size == frontier[frontier.count - 2].size {
                    let right = frontier.removeLast(), left = frontier.removeLast()
                    frontier.append((left.size * 2, MerkleTree.nodeHash(left.hash, right.hash)))
                }
                expected += 1
                if let problem = checkHeads(at: expected) { return .broken(problem) }
            }
            if let head = pendingHeads.first { return .broken("a tree head covers \(head.treeSize) leaves but the log holds \(expected)") }
            return .intact(leaves: expected, treeHeads: heads.count)
        }
    }
}
