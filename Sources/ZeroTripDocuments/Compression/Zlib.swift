internal import CZlib

/// zlib (RFC 1950) compression for PDF `/FlateDecode` streams and PNG, and bounded decompression for
/// untrusted input (QR tokens): output beyond the caller's limit is refused as soon as it would be produced,
/// so a decompression bomb never allocates more than the limit.
public enum Zlib {
    /// A decompression failure.
    public enum DecompressionError: Error, Hashable, Sendable {
        /// The input is not a valid zlib stream.
        case malformed
        /// The output would exceed the limit.
        case tooLarge(limit: Int)
    }

    /// Compresses `bytes` into a zlib stream at `level` (1 fastest … 9 smallest).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        guard zt_deflateInit(&stream, level) == Z_OK else { fatalError("deflateInit failed: out of memory") }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(bytes.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let written: Int = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "deflate with a deflateBound buffer must finish")
                return Int(stream.total_out)
            }
        }
        output.removeSubrange(written...)
        return output
    }

    /// Decompresses a complete zlib stream, refusing output longer than `limit` bytes and trailing input.
    public static func decompress(_ bytes: [UInt8], limit: Int) throws(DecompressionError) -> [UInt8] {
        var stream = z_stream()
        guard zt_inflateInit(&stream) == Z_OK else { fatalError("inflateInit failed: out of memory") }
        defer { inflateEnd(&stream) }
        // One byte more than the limit tells "exactly at the limit" from "beyond it".
        var output = [UInt8](repeating: 0, count: limit + 1)
        let (status, produced, consumed) = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                let status = inflate(&stream, Z_FINISH)
                return (status, Int(stream.total_out), Int(stream.total_in))
            }
        }
        if produced > limit { throw .tooLarge(limit: limit) }
        guard status == Z_STREAM_END, consumed == bytes.count else {
            if status == Z_BUF_ERROR && produced > limit { throw .tooLarge(limit: limit) }
            throw .malformed
        }
        output.removeSubrange(produced...)
        return output
    }

    /// CRC-32 (ISO 3309) as PNG chunks use it.
    public static func crc32<Bytes: Collection<UInt8>>(_ bytes: Bytes, initial: UInt32 = 0) -> UInt32 {
        let array = Array(bytes)
        return array.withUnsafeBufferPointer { UInt32(CZlib.crc32(uLong(initial), $0.baseAddress, uInt($0.count))) }
    }
}
