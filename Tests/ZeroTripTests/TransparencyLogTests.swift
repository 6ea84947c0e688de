import ZeroTripDomainTestSupport
import Foundation
import Testing
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripTestSupport

/// An independent Merkle tree written from RFC 9162 §2.1 as plain recursion over the leaf list (no stored nodes).
enum ReferenceTree {
    static func mth(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.isEmpty { return Digest.sha256([UInt8]()) }
        if leaves.count == 1 { return Digest.sha256([0] + leaves.first!) }
        var k = 1
        while k * 2 < leaves.count { k *= 2 }
        return Digest.sha256([1] + mth(leaves.prefix(k)) + mth(leaves.dropFirst(k)))
    }

    static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        guard leaves.count > 1 else { return [] }
        var k = 1
        while k * 2 < leaves.count { k *= 2 }
        return m < k ? path(m, leaves.prefix(k)) + [mth(leaves.dropFirst(k))] : path(m - k, leaves.dropFirst(k)) + [mth(leaves.prefix(k))]
    }

    static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, _ complete: Bool) -> [[UInt8]] {
        if m == leaves.count { return complete ? [] : [mth(leaves)] }
        var k = 1
        while k * 2 < leaves.count { k *= 2 }
        return m <= k
            ? subproof(m, leaves.prefix(k), complete) + [mth(leaves.dropFirst(k))]
            : subproof(m - k, leaves.dropFirst(k), false) + [mth(leaves.prefix(k))]
    }
}

@Suite("Transparency log: RFC 9162 hashing, proofs and audit")
struct TransparencyLogTests {
    @Test("docs/transparency-log.md's entry table names exactly the kinds the code appends")
    func everyKindDocumented() throws {
        let docs = try String(contentsOf: ExternalTool.repositoryRoot.appendingPathComponent("docs/transparency-log.md"), encoding: .utf8)
        let section = try #require(docs.components(separatedBy: "## Entries").dropFirst().first?.components(separatedBy: "\n## ").first)
        var documented = Set<String>()
        for row in section.split(separator: "\n") where row.hasPrefix("| `") {
            for match in (row.split(separator: "|").first ?? "").matches(of: /`([a-z_.]+)`/) { documented.insert(String(match.1)) }
        }
        #expect(documented == Set(LogEntryKind.all.map(\.rawValue)))
        // `all` is every kind declared.
        let declarations = try String(
            contentsOf: ExternalTool.repositoryRoot.appendingPathComponent("Sources/ZeroTrip/Transparency/LogEntryKind.swift"), encoding: .utf8)
        let declared = Set(declarations.matches(of: /static let [A-Za-z0-9]+ =\s*LogEntryKind\(rawValue: "([a-z_.]+)"\)/).map { String($0.1) })
        #expect(declared == Set(LogEntryKind.all.map(\.rawValue)))
    }

    /// The eight leaf inputs of the RFC 6962 / CT reference test vectors.
    static let inputs = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map { Hex.decode($0)! }
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4", "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c", "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test("Reference vectors: roots of 0–8 leaves, the inclusion path of leaf 0 in 8, consistency 1→8, 6→8, 2→5")
    func referenceVectors() {
        let leaves = Self.inputs.map(MerkleTree.leafHash)
        #expect(Hex.encode(MerkleTree.rootHash(leafHashes: [])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for n in 1...8 { #expect(Hex.encode(MerkleTree.rootHash(leafHashes: Array(leaves.prefix(n)))) == Self.roots[n - 1], "root of \(n)") }
        let perfect = { (level: Int, index: UInt64) -> [UInt8] in ReferenceTree.mth(Self.inputs[(Int(index) << level)..<((Int(index) + 1) << level)])
        }
        let path = MerkleTree.inclusionProof(index: 0, size: 8, perfect: perfect).map(Hex.encode)
        #expect(
            path == [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ])
        #expect(MerkleTree.consistencyProof(oldSize: 1, newSize: 8, perfect: perfect).map(Hex.encode) == path)
        #expect(
            MerkleTree.consistencyProof(oldSize: 6, newSize: 8, perfect: perfect).map(Hex.encode) == [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ])
        #expect(
            MerkleTree.consistencyProof(oldSize: 2, newSize: 5, perfect: perfect).map(Hex.encode) == [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ])
    }

    /// A database log with `count` entries.
    static func log(count: Int) async throws -> (AppDatabase, TransparencyLog, [[UInt8]], [[UInt8]]) {
        let database = try TestDatabase.make()
        try await database.write { db in
            for index in 0..<count {
                try TransparencyLog.append(
                    kind: .init(rawValue: "test"), ref: "test:\(index)", fields: ["n": "\(index)"], at: Date(timeIntervalSince1970: 1_800_000_000),
                    in: db)
            }
        }
        let entries = try await database.read { db in try db.fetchAll(Data.self, sql: "SELECT entry FROM log_leaves ORDER BY idx").map { [UInt8]($0) }
        }
        return (database, TransparencyLog(database: database), entries.map(MerkleTree.leafHash), entries)
    }

    @Test("Stored-node proofs equal the reference recursion and verify, for every index and size up to 70")
    func storedProofsMatchReference() async throws {
        let (_, log, leaves, entries) = try await Self.log(count: 70)
        for size in 1...70 {
            let root = try await log.rootHash(size: UInt64(size))
            #expect(root == ReferenceTree.mth(entries.prefix(size)[...]), "root \(size)")
            for index in 0..<size {
                let proof = try await log.inclusionProof(index: UInt64(index), treeSize: UInt64(size)).proof.compactMap(Base64.decodeStandard)
                #expect(proof == ReferenceTree.path(index, entries.prefix(size)[...]))
                #expect(MerkleTree.verifyInclusion(leafHash: leaves[index], index: UInt64(index), size: UInt64(size), proof: proof, root: root))
            }
            for first in 1...size {
                let proof = try await log.consistencyProof(first: UInt64(first), second: UInt64(size)).compactMap(Base64.decodeStandard)
                #expect(proof == (first == size ? [] : ReferenceTree.subproof(first, entries.prefix(size)[...], true)))
                await #expect(
                    MerkleTree.verifyConsistency(
                        oldSize: UInt64(first), newSize: UInt64(size), oldRoot: try log.rootHash(size: UInt64(first)), newRoot: root, proof: proof))
            }
        }
    }

    @Test(
        "A leaf read with its block of 16 in one statement gives its index, its hash and the same proof as the block read apart, in full and partial blocks"
    )
    func leafWithBlockMatchesTheProof() async throws {
        let (database, log, leaves, entries) = try await Self.log(count: 37)
        try await database.read { db in
            #expect(try TransparencyLog.leafWithBlock(ref: "test:999", kind: .init(rawValue: "test"), in: db) == nil)
            for index in 0..<37 {
                let (leaf, block) = try #require(try TransparencyLog.leafWithBlock(ref: "test:\(index)", kind: .init(rawValue: "test"), in: db))
                #expect(leaf.index == Int64(index) && leaf.hash == leaves[index])
                #expect(block == Array(leaves[(index - index % 16)..<min(37, index - index % 16 + 16)]))
                for size in [index + 1, 37] {
                    let proof = try log.inclusionProof(index: UInt64(index), treeSize: UInt64(size), in: db, block: block).proof.compactMap(
                        Base64.decodeStandard)
                    #expect(proof == ReferenceTree.path(index, entries.prefix(size)[...]), "index \(index) of \(size)")
                }
            }
        }
    }

    @Test(
        "Leaves read ahead for a batch (one statement) answer as the reads apart do: first leaf of a ref logged twice, an absent ref, other kinds"
    )
    func leavesReadAheadAnswerAsReadsApart() async throws {
        let (database, log, leaves, _) = try await Self.log(count: 37)
        try await database.write { db in
            // A second leaf for test:3 (say, a later event with the same reference): the first one is the answer.
            try TransparencyLog.append(
                kind: .init(rawValue: "test"), ref: "test:3", fields: ["n": "again"], at: Date(timeIntervalSince1970: 1_800_000_001), in: db)
            try TransparencyLog.append(
                kind: .init(rawValue: "other"), ref: "test:5", fields: ["n": "other"], at: Date(timeIntervalSince1970: 1_800_000_001), in: db)
        }
        let asked = (0..<37).map { "test:\($0)" } + ["test:999"]
        try await database.read { db in
            let apart = try asked.map { try log.proof(for: $0, kind: .init(rawValue: "test"), in: db, remember: false) }
            let ahead = try TransparencyLog.readingAhead(refs: asked + ["test:3"], kind: .init(rawValue: "test"), in: db) {
                try asked.map { try log.proof(for: $0, kind: .init(rawValue: "test"), in: db, remember: false) }
            }
            #expect(ahead == apart)
            for index in 0..<37 {
                #expect(ahead[index]?.leafIndex == UInt64(index) && ahead[index]?.leafHash == Base64.encode(leaves[index]), "test:\(index)")
            }
            #expect(ahead[37] == nil, "a reference with no leaf has no proof")
            // Asked for kind "test" only: another kind's leaf of the same reference is read apart, not mistaken.
            let other = try TransparencyLog.readingAhead(refs: ["test:5"], kind: .init(rawValue: "test"), in: db) {
                try log.proof(for: "test:5", kind: .init(rawValue: "other"), in: db, remember: false)
            }
            #expect(other?.leafIndex == 38)
        }
    }

    @Test(
        "Across 16-leaf blocks and the in-memory upper levels: proofs equal the reference for sizes around block edges, with the cache filled early and extended late"
    )
    func proofsAcrossBlocks() async throws {
        let (database, log, leaves, entries) = try await Self.log(count: 600)
        // Warm the upper-node cache while the log holds only 300 leaves, then grow it: late nodes are read on demand.
        _ = try await log.inclusionProof(index: 0, treeSize: 300)
        try await database.write { db in
            for index in 600..<1100 {
                try TransparencyLog.append(
                    kind: .init(rawValue: "test"), ref: "test:\(index)", fields: ["n": "\(index)"], at: Date(timeIntervalSince1970: 1_800_000_000),
                    in: db)
            }
        }
        let all = try await database.read { db in try db.fetchAll(Data.self, sql: "SELECT entry FROM log_leaves ORDER BY idx").map { [UInt8]($0) } }
        #expect(all.prefix(600).elementsEqual(entries))
        let hashes = all.map(MerkleTree.leafHash)
        #expect(hashes.prefix(600).elementsEqual(leaves))
        for size in [15, 16, 17, 33, 255, 256, 257, 300, 511, 512, 513, 767, 1024, 1025, 1100] {
            let root = try await log.rootHash(size: UInt64(size))
            #expect(root == ReferenceTree.mth(all.prefix(size)[...]), "root \(size)")
            for index in Set([0, 1, 14, 15, 16, 17, 254, 255, 256, 257, size / 2, size - 2, size - 1].filter { $0 >= 0 && $0 < size }) {
                let proof = try await log.inclusionProof(index: UInt64(index), treeSize: UInt64(size))
                let path = proof.proof.compactMap(Base64.decodeStandard)
                #expect(path == ReferenceTree.path(index, all.prefix(size)[...]), "index \(index) of \(size)")
                #expect(Base64.decodeStandard(proof.leafHash) == hashes[index])
                #expect(MerkleTree.verifyInclusion(leafHash: hashes[index], index: UInt64(index), size: UInt64(size), proof: path, root: root))
            }
            for first in [1, 15, 16, 17, size / 3, size - 1].filter({ $0 >= 1 && $0 <= size }) {
                let proof = try await log.consistencyProof(first: UInt64(first), second: UInt64(size)).compactMap(Base64.decodeStandard)
                #expect(
                    MerkleTree.verifyConsistency(
                        oldSize: UInt64(first), newSize: UInt64(size), oldRoot: ReferenceTree.mth(all.prefix(first)[...]), newRoot: root, proof: proof
                    ),
                    "consistency \(first) → \(size)")
            }
        }
    }

    @Test("Wrong proofs fail: another leaf, index, a size of another shape, root, a flipped bit, a truncated or extended path")
    func wrongProofsFail() async throws {
        let (_, log, leaves, _) = try await Self.log(count: 13)
        let root = try await log.rootHash(size: 13)
        let proof = try await log.inclusionProof(index: 5, treeSize: 13).proof.compactMap(Base64.decodeStandard)
        #expect(MerkleTree.verifyInclusion(leafHash: leaves[5], index: 5, size: 13, proof: proof, root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leaves[6], index: 5, size: 13, proof: proof, root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leaves[5], index: 4, size: 13, proof: proof, root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leaves[5], index: 5, size: 20, proof: proof, root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leaves[5], index: 5, size: 13, proof: proof, root: leaves[0]))
        #expect(!MerkleTree.verifyInclusion(leafHash: leaves[5], index: 5, size: 13, proof: Array(proof.dropLast()), root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leaves[5], index: 5, size: 13, proof: proof + [leaves[0]], root: root))
        var flipped = proof
        flipped[1][0] ^= 1
        #expect(!MerkleTree.verifyInclusion(leafHash: leaves[5], index: 5, size: 13, proof: flipped, root: root))
        let consistency = try await log.consistencyProof(first: 7, second: 13).compactMap(Base64.decodeStandard)
        let old = try await log.rootHash(size: 7)
        #expect(MerkleTree.verifyConsistency(oldSize: 7, newSize: 13, oldRoot: old, newRoot: root, proof: consistency))
        #expect(!MerkleTree.verifyConsistency(oldSize: 7, newSize: 13, oldRoot: root, newRoot: root, proof: consistency))
        #expect(!MerkleTree.verifyConsistency(oldSize: 6, newSize: 13, oldRoot: old, newRoot: root, proof: consistency))
        #expect(!MerkleTree.verifyConsistency(oldSize: 7, newSize: 13, oldRoot: old, newRoot: root, proof: []))
        // Malformed requests are refused with invalid_input.
        for (index, size) in [(13, 13), (0, 0), (0, 14)] as [(UInt64, UInt64)] {
            await expectError(.invalidInput) { try await log.inclusionProof(index: index, treeSize: size) }
        }
        for (first, second) in [(0, 5), (6, 5), (1, 14)] as [(UInt64, UInt64)] {
            await expectError(.invalidInput) { try await log.consistencyProof(first: first, second: second) }
        }
    }

    @Test(
        "The independent Python verifier (rfc9162.py, written from the RFC) accepts our proofs and rejects a changed one", .tags(.externalTool),
        .notInFastLoop)
    func pythonVerifier() async throws {
        let (_, log, leaves, _) = try await Self.log(count: 37)
        let script = ExternalTool.validator("rfc9162.py")
        for (index, size) in [(0, 1), (0, 37), (36, 37), (17, 31), (31, 32), (8, 9)] as [(UInt64, UInt64)] {
            let proof = try await log.inclusionProof(index: index, treeSize: size)
            let root = await Base64.encode(try log.rootHash(size: size))
            let ok = try ExternalTool.run(
                ["python3", script, "inclusion", Base64.encode(leaves[Int(index)]), "\(index)", "\(size)", root] + proof.proof)
            #expect(ok.status == 0, "inclusion \(index) in \(size): \(ok.stdout)\(ok.stderr)")
            if let first = proof.proof.first {
                var bad = Base64.decodeStandard(first)!
                bad[0] ^= 1
                let refused = try ExternalTool.run(
                    ["python3", script, "inclusion", Base64.encode(leaves[Int(index)]), "\(index)", "\(size)", root, Base64.encode(bad)]
                        + proof.proof.dropFirst())
                #expect(refused.status == 1)
            }
        }
        for (first, second) in [(1, 37), (4, 37), (5, 6), (16, 37), (36, 37), (20, 32)] as [(UInt64, UInt64)] {
            let proof = try await log.consistencyProof(first: first, second: second)
            let ok = try ExternalTool.run(
                [
                    "python3", script, "consistency", "\(first)", "\(second)", await Base64.encode(try log.rootHash(size: first)),
                    await Base64.encode(try log.rootHash(size: second)),
                ] + proof)
            #expect(ok.status == 0, "consistency \(first)→\(second): \(ok.stdout)\(ok.stderr)")
        }
    }

    @Test("Audit recomputes the log; an altered leaf entry or a removed leaf is detected")
    func auditDetectsTampering() async throws {
        let district = try await TestDistrict(fileDatabase: true).setUp()
        _ = try await district.services.documents.issue(DocumentIssuanceTests.request, actor: "test")
        try await district.services.administration.signTreeHead(district.services.log)
        _ = try await district.services.documents.issue(DocumentIssuanceTests.request, actor: "test")
        try await district.services.administration.signTreeHead(district.services.log)
        let root = try await district.services.administration.rootCertificate()
        guard
            case .intact(let leaves, let heads) = try await district.services.log.audit(trusting: RootSet(pinned: [root], candidates: [], links: []))
        else { Issue.record("audit failed"); return }
        #expect(leaves >= 3 && heads == 2)
        try await district.services.database.write { db in
            try db.dropRules(on: "log_leaves")
            try db.execute(
                sql:
                    "UPDATE log_leaves SET entry = \(db.textAsBlob("replace(\(db.blobAsText("entry")), 'document.issued', 'document.issuex')")) WHERE idx = (SELECT MAX(idx) FROM log_leaves WHERE kind = 'document.issued')"
            )
        }
        guard case .broken(let problem) = try await district.services.log.audit(trusting: RootSet(pinned: [root], candidates: [], links: [])) else {
            Issue.record("tampering not detected"); return
        }
        #expect(problem.contains("does not match its entry"))
    }
}
