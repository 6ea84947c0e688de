extension Array where Element == UInt8 {
    /// The first index at or after `start` where `needle` stands in these bytes, nil when it does not (or when
    /// `needle` is empty). Used where a byte pattern is sought in a body read whole: a signed PDF's markers, a
    /// multipart form's delimiters.
    public func firstIndex(ofBytes needle: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start >= 0, needle.count <= count, start <= count - needle.count else { return nil }
        let first = needle[0]
        return withUnsafeBufferPointer { buffer -> Int? in
            var i = start
            let last = buffer.count - needle.count
            while i <= last {
                if buffer[i] == first {
                    var j = 1
                    while j < needle.count && buffer[i + j] == needle[j] { j += 1 }
                    if j == needle.count { return i }
                }
                i += 1
            }
            return nil
        }
    }
}
