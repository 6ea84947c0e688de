public import Logging
import Foundation
import ZeroTrip
#if canImport(Glibc)
    import Glibc
#endif

/// A swift-log handler writing one JSON object per line to standard error:
/// `{"label":…,"level":…,"msg":…,"ts":…, …metadata}` (keys sorted).
///
/// The request log writes a line for every request, so the handler must cost little and never block the calling
/// task: the line is built by hand (no `JSONEncoder`, no date formatter) and appended to an in-memory buffer that a
/// dedicated thread (``LogWriter``) writes out. If standard error stalls (a full pipe), at most ``LogWriter/capacity``
/// bytes wait; later lines are dropped and counted, and the count is logged once writing resumes.
public struct JSONLogHandler: LogHandler {
    /// The handler's label.
    public let label: String
    /// Minimum level.
    public var logLevel: Logger.Level = .info
    /// Metadata attached to every message.
    public var metadata: Logger.Metadata = [:]

    /// Creates a handler.
    public init(label: String) { self.label = label }

    /// Metadata access.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Waits until every line logged so far is written (before the process exits).
    public static func flush() { LogWriter.shared.flush() }

    /// Queues one log line.
    public func log(event: LogEvent) {
        var fields: [(String, String)] = []
        let extra = event.metadata ?? [:]
        for (key, value) in metadata where extra[key] == nil { fields.append((key, "\(value)")) }
        for (key, value) in extra { fields.append((key, "\(value)")) }
        fields.append(("ts", Self.timestamp()))
        fields.append(("level", event.level.rawValue))
        fields.append(("label", label))
        fields.append(("msg", "\(event.message)"))
        fields.sort { $0.0 < $1.0 }
        var line: [UInt8] = []
        line.reserveCapacity(160)
        line.append(UInt8(ascii: "{"))
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            Self.appendString(key, to: &line)
            line.append(UInt8(ascii: ":"))
            Self.appendString(value, to: &line)
        }
        line.append(contentsOf: [UInt8(ascii: "}"), 0x0a])
        LogWriter.shared.enqueue(line)
    }

    /// A JSON string literal (RFC 8259 escaping: quote, backslash and control characters).
    static func appendString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0a: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// UTC time with milliseconds, `2026-12-03T09:30:00.123Z` (computed by arithmetic, like audit timestamps).
    static func timestamp() -> String { AuditEvent.timestamp(Date()) }
}

/// The thread that writes log lines to standard error, so no request task ever waits on the terminal or a pipe.
final class LogWriter: @unchecked Sendable {
    /// Bytes that may wait to be written; past this, lines are dropped and counted.
    static let capacity = 4 << 20
    static let shared = LogWriter()

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var dropped = 0
    private var writing = false

    private init() {
        let thread = Thread { [unowned self] in
            nameCurrentThread("zt-log-writer")
            self.loop()
        }
        thread.start()
    }

    func enqueue(_ line: [UInt8]) {
        condition.lock()
        if pending.count + line.count > Self.capacity {
            dropped += 1
        } else {
            pending.append(contentsOf: line)
        }
        condition.signal()
        condition.unlock()
    }

    /// Blocks until everything queued so far is written (called once, when the daemon stops).
    func flush() {
        condition.lock()
        let deadline = Date().addingTimeInterval(3)
        while (!pending.isEmpty || writing) && Date() < deadline { _ = condition.wait(until: Date().addingTimeInterval(0.05)) }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            var chunk = pending
            pending.removeAll(keepingCapacity: true)
            let lost = dropped
            dropped = 0
            writing = true
            condition.unlock()
            if lost > 0 {
                var note: [UInt8] = []
                JSONLogHandler.appendString("log lines dropped: standard error was not keeping up (\(lost))", to: &note)
                chunk.append(
                    contentsOf: Array("{\"label\":\"zerotrip\",\"level\":\"warning\",\"msg\":".utf8) + note
                        + Array(",\"ts\":\"\(JSONLogHandler.timestamp())\"}\n".utf8))
            }
            chunk.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        break
                    }
                    offset += written
                }
            }
            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
