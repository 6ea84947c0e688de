import Testing
import ZeroTripDocuments

@Suite("QR matrix encoding through libqrencode")
struct QRMatrixTests {
    @Test("A URL encodes with finder patterns in three corners and a version that grows with content")
    func encodes() throws {
        let small = try QRMatrix(encoding: "https://zerotrip.example/v?t=1")
        #expect(small.size == 17 + 4 * small.version)
        // Finder pattern: the 7×7 corner squares have a dark border and a light ring.
        for (ox, oy) in [(0, 0), (small.size - 7, 0), (0, small.size - 7)] {
            #expect(small.isDark(x: ox, y: oy))
            #expect(small.isDark(x: ox + 6, y: oy + 6))
            #expect(!small.isDark(x: ox + 1, y: oy + 1))
            #expect(small.isDark(x: ox + 3, y: oy + 3))
        }
        let large = try QRMatrix(encoding: String(repeating: "A", count: 300))
        #expect(large.version > small.version)
    }

    @Test("Empty and oversized content are refused")
    func limits() {
        #expect(throws: QRMatrix.EncodingError.self) { try QRMatrix(encoding: "") }
        #expect(throws: QRMatrix.EncodingError.self) { try QRMatrix(encoding: String(repeating: "x", count: 3000)) }
    }
}
