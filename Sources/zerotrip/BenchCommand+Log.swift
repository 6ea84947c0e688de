import ArgumentParser
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import ZeroTrip
import ZeroTripCrypto

extension BenchCommand {
    /// `zerotrip bench log`: transparency-log appends and proofs at large sizes.
    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Transparency log: appends/s, and inclusion/consistency proof latency and size at 1 M and 10 M leaves.",
            discussion: """
                For each size, fills a fresh SQLite log (WAL, synchronous=FULL) through the same append code issuance uses \
                (document-issuance entries, 5,000 per transaction), then times --proofs inclusion proofs (random leaf, full tree) \
                and consistency proofs (random older size), verifying each. The append cost is compared with the cost of one \
                end-to-end issuance measured in the same run. Targets: append < 10 % of issuance, inclusion proof p99 < 1 ms at \
                10 M leaves, proof size O(log n). --check exits 1 when one is missed.
                """)

        @Option(name: .long, help: "Comma-separated log sizes.") var sizes: String = "1000000,10000000"
        @Option(name: .long, help: "Proofs to time per size.") var proofs: Int = 20_000
        @Option(name: .long, help: "Documents issued to measure the issuance cost.") var documents: Int = 400
        @Flag(name: .long, help: "Exit 1 if a target is missed.") var check = false
        @Option(
            name: .long,
            help:
                "Keep the filled logs in this directory (log-<size>.sqlite) and reuse them on the next run; appends are then timed only for the leaves added."
        ) var keep: String?

        func run() async throws {
            let sizeList = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizeList.isEmpty, sizeList.allSatisfy({ $0 >= 2 && $0 <= 100_000_000 }), proofs >= 1 else {
                throw ValidationError("sizes 2–100000000, proofs ≥ 1")
            }
            BenchCommand.phase("measuring issuance end to end (\(documents) documents)")
            let issuance = try await Self.issuanceCost(documents: documents)
            print("ZeroTrip transparency log benchmark (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
            print(
                String(format: "issuance end to end (with its log append): %.3f ms per document (%d documents, 4 tasks)", issuance * 1000, documents))
            print("leaves      append/s  append µs  % of issuance  incl p50 µs  incl p99 µs  cons p99 µs  proof elems  answer bytes  db MiB")
            var missed = false
            for size in sizeList {
                BenchCommand.phase("building a log of \(size) leaves and measuring it")
                let row = try await Self.measure(size: size, proofs: proofs, keep: keep.map { URL(fileURLWithPath: $0) })
                let share = row.appendSeconds.isNaN ? .nan : row.appendSeconds / issuance * 100
                if share >= 10 { missed = true }
                if size >= 10_000_000, row.inclusionP99 >= 0.001 { missed = true }
                print(
                    [
                        String(format: "%-10d", size), String(format: "%9.0f", 1 / row.appendSeconds),
                        String(format: "%10.1f", row.appendSeconds * 1e6),
                        String(format: "%14.2f", share), String(format: "%12.1f", row.inclusionP50 * 1e6),
                        String(format: "%12.1f", row.inclusionP99 * 1e6),
                        String(format: "%12.1f", row.consistencyP99 * 1e6), String(format: "%12d", row.proofElements),
                        String(format: "%13d", row.answerBytes),
                        String(format: "%7.0f", row.databaseMiB),
                    ].joined(separator: " "))
            }
            print("answer bytes: the JSON inclusion proof a verification answer carries (grows with log2 n)")
            print(missed ? "RESULT: below target" : "RESULT: targets met")
            if check && missed { throw ExitCode(1) }
        }

        struct Row { var appendSeconds, inclusionP50, inclusionP99, consistencyP99, databaseMiB: Double; var proofElements, answerBytes: Int }

        /// Wall time per issued document with 4 concurrent tasks, in a temporary district.
        static func issuanceCost(documents: Int) async throws -> Double {
            let (directory, _, services) = try await BenchCommand.temporaryDistrict()
            defer { try? FileManager.default.removeItem(at: directory) }
            let requests = try await Documents.registerHolders((0..<max(documents, 1)).map(Documents.request), in: services)
            _ = try await services.documents.issue(requests[0], actor: "bench")
            let start = ContinuousClock.now
            _ = try await Documents.parallel(requests, workers: 4) { try await services.documents.issue($0, actor: "bench").record.id }
            return (ContinuousClock.now - start).seconds / Double(requests.count)
        }

        static func measure(size: Int, proofs: Int, keep: URL?) async throws -> Row {
            let directory = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("zerotrip-bench-log-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { if keep == nil { try? FileManager.default.removeItem(at: directory) } }
            let path = directory.appendingPathComponent(keep == nil ? "log.sqlite" : "log-\(size).sqlite").path
            let database = try AppDatabase.open(path: path)
            let log = TransparencyLog(database: database)
            let when = Date()
            var generator = SplitMix(seed: UInt64(size))
            var appendTime = Duration.zero
            let progress = ProgressLine()
            let existing = await Int(try log.size())
            var done = existing
            while done < size {
                let batch = min(5_000, size - done)
                let entries = (0..<batch).map { _ -> (kind: LogEntryKind, ref: String, fields: [String: String]) in
                    let id = String(format: "%016llx%016llx", generator.next(), generator.next())
                    return (
                        LogEntryKind.documentIssued, TransparencyLog.documentReference(id),
                        [
                            "document": id, "department": "RSJ", "kid": "0123456789abcdef", "matter": "GRCBZM",
                            "pdf_sha256": String(
                                format: "%016llx%016llx%016llx%016llx", generator.next(), generator.next(), generator.next(), generator.next()),
                            "content_sha256": String(
                                format: "%016llx%016llx%016llx%016llx", generator.next(), generator.next(), generator.next(), generator.next()),
                            "issued_at": "1795000000", "valid_until": "1810000000",
                        ]
                    )
                }
                let start = ContinuousClock.now
                try await log.appendBatch(entries, at: when)
                appendTime += ContinuousClock.now - start
                done += batch
                if done < size { progress.report("appended \(done) of \(size) leaves…") }
            }
            // Proofs are timed on a settled database, as a daemon serves them: WAL checkpointed and the freshly
            // written gigabytes flushed, so page faults do not queue behind the fill's writeback.
            try await database.checkpoint()
            sync()
            let treeSize = UInt64(size)
            let root = try await log.rootHash(size: treeSize)
            var inclusion: [Double] = [], consistency: [Double] = []
            var elements = 0, answerBytes = 0
            let encoder = JSONEncoder()
            for index in 0..<proofs {
                let leaf = generator.next() % treeSize
                let start = ContinuousClock.now
                let proof = try await log.inclusionProof(index: leaf, treeSize: treeSize)
                inclusion.append((ContinuousClock.now - start).seconds)
                guard
                    MerkleTree.verifyInclusion(
                        leafHash: Base64.decodeStandard(proof.leafHash)!, index: leaf, size: treeSize,
                        proof: proof.proof.compactMap(Base64.decodeStandard), root: root)
                else { throw ExitCode(2) }
                elements = max(elements, proof.proof.count)
                if index == 0 { answerBytes = try encoder.encode(proof).count }
                if index % 4 == 0 {
                    let first = 1 + generator.next() % (treeSize - 1)
                    let start = ContinuousClock.now
                    _ = try await log.consistencyProof(first: first, second: treeSize)
                    consistency.append((ContinuousClock.now - start).seconds)
                }
            }
            inclusion.sort()
            consistency.sort()
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return Row(
                appendSeconds: size > existing ? appendTime.seconds / Double(size - existing) : .nan, inclusionP50: inclusion[inclusion.count / 2],
                inclusionP99: inclusion[inclusion.count * 99 / 100], consistencyP99: consistency[consistency.count * 99 / 100],
                databaseMiB: Double(bytes) / 1_048_576, proofElements: elements, answerBytes: answerBytes)
        }
    }
}
