internal import COpenSSL

/// Access to OpenSSL's thread-local error queue.
enum OpenSSLErrorQueue {
    /// Removes every entry from the queue and returns them as strings, oldest first.
    static func drain() -> [String] {
        var entries: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            ERR_error_string_n(code, &buffer, buffer.count)
            entries.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return entries
    }

    /// Discards any stale entries, so that a later `drain()` reports only the failing call.
    static func clear() { ERR_clear_error() }
}

extension CryptoError {
    /// An error carrying the current OpenSSL error queue, which is drained.
    static func openSSL(
        _ code: Code, _ message: String, file: String = #fileID, line: UInt = #line
    ) -> CryptoError {
        CryptoError(code, message, openSSLErrors: OpenSSLErrorQueue.drain(), file: file, line: line)
    }
}

/// Throws a ``CryptoError`` with the drained error queue unless `result` is 1 (OpenSSL's success).
@inline(__always)
func check(
    _ result: Int32, _ code: CryptoError.Code = .backendFailure, _ message: @autoclosure () -> String,
    file: String = #fileID, line: UInt = #line
) throws(CryptoError) {
    if result != 1 { throw .openSSL(code, message(), file: file, line: line) }
}

/// Unwraps an OpenSSL pointer result, throwing with the drained error queue when it is NULL.
@inline(__always)
func checkNotNil<T>(
    _ pointer: T?, _ code: CryptoError.Code = .backendFailure, _ message: @autoclosure () -> String,
    file: String = #fileID, line: UInt = #line
) throws(CryptoError) -> T {
    guard let pointer else { throw .openSSL(code, message(), file: file, line: line) }
    return pointer
}
