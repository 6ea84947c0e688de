import Glibc
import Testing
import ZeroTrip

// Serialized: both tests read the whole process's resident memory.
@Suite("Heap memory the daemon freed goes back to the system", .serialized)
struct MemoryTrimTests {
    @Test("128 MB of small blocks freed behind one kept block stay resident until a trim gives most of them back")
    func trimReleasesFreedBlocks() throws {
        let blockSize = 4096, count = 32_768
        let megabyte = 1 << 20
        var blocks: [UnsafeMutableRawPointer] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count {
            let block = try #require(malloc(blockSize))
            memset(block, 0x5A, blockSize)
            blocks.append(block)
        }
        // A block allocated after them keeps glibc from shrinking its heap top when they are freed.
        let kept = try #require(malloc(64))
        defer { free(kept) }
        let peak = try #require(MemoryTrim.residentBytes())
        for block in blocks { free(block) }
        // glibc keeps them: the premise of the trim.
        let freed = try #require(MemoryTrim.residentBytes())
        #expect(freed >= peak - 32 * megabyte, "resident \(peak / megabyte) MB with the blocks, \(freed / megabyte) MB once freed")
        #expect(MemoryTrim.releaseFreedMemory())
        let trimmed = try #require(MemoryTrim.residentBytes())
        #expect(trimmed <= freed - 64 * megabyte, "resident \(freed / megabyte) MB before the trim, \(trimmed / megabyte) MB after")
    }

    @Test("Resident memory is read from /proc and grows when pages are touched")
    func residentBytes() throws {
        let before = try #require(MemoryTrim.residentBytes())
        #expect(before > 1 << 20)
        let size = 64 << 20
        let block = try #require(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        defer { munmap(block, size) }
        memset(block, 1, size)
        let touched = try #require(MemoryTrim.residentBytes())
        #expect(touched >= before + (size * 3) / 4)
    }
}
