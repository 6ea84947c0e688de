/// Merkle tree hashing, proofs and proof verification of RFC 9162 §2.1 (Certificate Transparency 2.0;
/// the same tree as RFC 6962).
///
/// Leaf hash `SHA-256(0x00 ‖ entry)`, interior node `SHA-256(0x01 ‖ left ‖ right)`, a tree of n leaves split at
/// the largest power of two smaller than n. Proof generation works over any store of subtree hashes
/// (``subtreeHash(start:end:perfect:)`` builds any range from the stored perfect subtrees), so a log of
/// millions of leaves answers with O(log n) lookups.
public enum MerkleTree {
    /// Hash of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot: [UInt8] = Digest.sha256([UInt8]())

    /// `SHA-256(0x00 ‖ entry)`.
    public static func leafHash<Bytes: Collection<UInt8>>(_ entry: Bytes) -> [UInt8] {
        var bytes: [UInt8] = [0x00]
        bytes.reserveCapacity(entry.count + 1)
        bytes.append(contentsOf: entry)
        return Digest.sha256(bytes)
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        Digest.sha256([0x01] + left + right)
    }

    /// The largest power of two strictly smaller than `n` (n ≥ 2).
    public static func split(_ n: UInt64) -> UInt64 {
        precondition(n >= 2)
        return UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    /// MTH of `leaves` (leaf hashes), computed directly: for tests and small trees.
    public static func rootHash(leafHashes leaves: [[UInt8]]) -> [UInt8] {
        guard !leaves.isEmpty else { return emptyRoot }
        func hash(_ range: Range<Int>) -> [UInt8] {
            guard range.count > 1 else { return leaves[range.lowerBound] }
            let k = Int(split(UInt64(range.count)))
            return nodeHash(hash(range.lowerBound..<(range.lowerBound + k)), hash((range.lowerBound + k)..<range.upperBound))
        }
        return hash(0..<leaves.count)
    }

    /// The hash of leaves `[start, end)` from `perfect(level, index)`, the hash of the perfect subtree of
    /// 2^level leaves that starts at leaf `index · 2^level`.
    public static func subtreeHash<E: Error>(start: UInt64, end: UInt64, perfect: (Int, UInt64) throws(E) -> [UInt8]) throws(E) -> [UInt8] {
        let size = end - start
        precondition(size >= 1)
        if size & (size - 1) == 0, start % size == 0 {
            return try perfect(size.trailingZeroBitCount, start / size)
        }
        let k = split(size)
        return nodeHash(
            try subtreeHash(start: start, end: start + k, perfect: perfect), try subtreeHash(start: start + k, end: end, perfect: perfect))
    }

    /// PATH(m, D[n]) of RFC 9162 §2.1.3.1: the inclusion proof of leaf `index` in the tree of the first `size` leaves.
    public static func inclusionProof<E: Error>(index: UInt64, size: UInt64, perfect: (Int, UInt64) throws(E) -> [UInt8]) throws(E) -> [[UInt8]] {
        precondition(index < size)
        var proof: [[UInt8]] = []
        var (m, start, end) = (index, UInt64(0), size)
        while end - start > 1 {
            let k = split(end - start)
            if m < k {
                proof.append(try subtreeHash(start: start + k, end: end, perfect: perfect))
                end = start + k
            } else {
                proof.append(try subtreeHash(start: start, end: start + k, perfect: perfect))
                start += k
                m -= k
            }
        }
        return proof.reversed()
    }

    /// PROOF(m, D[n]) of RFC 9162 §2.1.4.1: the consistency proof between the trees of `oldSize` and `newSize` leaves.
    public static func consistencyProof<E: Error>(oldSize: UInt64, newSize: UInt64, perfect: (Int, UInt64) throws(E) -> [UInt8]) throws(E)
        -> [[UInt8]]
    {
        precondition(oldSize >= 1 && oldSize <= newSize)
        guard oldSize < newSize else { return [] }
        var proof: [[UInt8]] = []
        var (m, start, end, complete) = (oldSize, UInt64(0), newSize, true)
        while true {
            let n = end - start
            if m == n {
                if !complete { proof.append(try subtreeHash(start: start, end: end, perfect: perfect)) }
                break
            }
            let k = split(n)
            if m <= k {
                proof.append(try subtreeHash(start: start + k, end: end, perfect: perfect))
                end = start + k
            } else {
                proof.append(try subtreeHash(start: start, end: start + k, perfect: perfect))
                start += k
                m -= k
                complete = false
            }
        }
        return proof.reversed()
    }

    /// RFC 9162 §2.1.3.2: whether `proof` shows leaf `index` with `leafHash` in the tree of `size` leaves with `root`.
    public static func verifyInclusion(leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard index < size, proof.count <= 64 else { return false }
        var fn = index, sn = size - 1, r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    repeat { fn >>= 1; sn >>= 1 } while fn & 1 == 0 && fn != 0
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && ConstantTime.equals(r, root)
    }

    /// RFC 9162 §2.1.4.2: whether `proof` shows the tree of `oldSize` leaves (`oldRoot`) is a prefix of the tree of
    /// `newSize` leaves (`newRoot`). Equal sizes need an empty proof and equal roots.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]) -> Bool {
        guard oldSize >= 1, oldSize <= newSize, proof.count <= 128 else { return false }
        if oldSize == newSize { return proof.isEmpty && ConstantTime.equals(oldRoot, newRoot) }
        guard !proof.isEmpty else { return false }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1, sn = newSize - 1
        if fn & 1 == 1 {
            repeat { fn >>= 1; sn >>= 1 } while fn & 1 == 1
        }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    repeat { fn >>= 1; sn >>= 1 } while fn & 1 == 0 && fn != 0
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && ConstantTime.equals(fr, oldRoot) && ConstantTime.equals(sr, newRoot)
    }
}
