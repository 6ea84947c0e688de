import Glibc
import Testing
import ZeroTrip

@Suite("Heap memory the daemon freed goes back to the system")
struct MemoryTrimTests {
    /// How many of the pages holding `blocks` are resident (mincore), of how many: the test's own memory, whatever
    /// other suites allocate or free meanwhile.
    static func residentPages(of blocks: [UnsafeMutableRawPointer], blockSize: Int) -> (resident: Int, pages: Int) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var pages = Set<Int>()
        for block in blocks {
            let start = Int(bitPattern: block)
            // Whole pages inside the block: glibc keeps its chunk headers at their edges.
            var page = (start + pageSize - 1) / pageSize * pageSize
            while page + pageSize <= start + blockSize {
                pages.insert(page)
                page += pageSize
            }
        }
        var resident = 0
        var vector: UInt8 = 0
        for page in pages {
            guard let address = UnsafeMutableRawPointer(bitPattern: page), mincore(address, pageSize, &vector) == 0 else { continue }
            if vector & 1 == 1 { resident += 1 }
        }
        return (resident, pages.count)
    }

    @Test("128 MB of small blocks freed behind one kept block stay resident until a trim gives their pages back")
    func trimReleasesFreedBlocks() async {
        // In a process of its own (an exit test): in the test process other suites allocate and free in the same
        // arenas meanwhile. Exit 2: glibc did not keep the freed pages (no premise); 3: the trim released nothing;
        // 4: the pages are still resident after it.
        await #expect(processExitsWith: .exitCode(0)) {
            let blockSize = 8192, count = 16_384
            var blocks: [UnsafeMutableRawPointer] = []
            blocks.reserveCapacity(count)
            for _ in 0..<count {
                guard let block = malloc(blockSize) else { exit(1) }
                memset(block, 0x5A, blockSize)
                blocks.append(block)
            }
            // A block allocated after them keeps glibc from shrinking its heap top when they are freed.
            guard let kept = malloc(64) else { exit(1) }
            memset(kept, 1, 64)
            for block in blocks { free(block) }
            let freed = MemoryTrimTests.residentPages(of: blocks, blockSize: blockSize)
            guard freed.pages > count / 2, freed.resident * 4 >= freed.pages * 3 else { exit(2) }
            guard MemoryTrim.releaseFreedMemory() else { exit(3) }
            let trimmed = MemoryTrimTests.residentPages(of: blocks, blockSize: blockSize)
            guard trimmed.resident * 2 <= trimmed.pages else { exit(4) }
            free(kept)
            exit(0)
        }
    }
}
