public import Logging
import Foundation

/// A swift-log handler writing one JSON object per line to standard error:
/// `{"ts":…,"level":…,"label":…,"msg":…, …metadata}`.
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

    private static let lock = NSLock()

    /// Writes one log line.
    public func log(event: LogEvent) {
        var object: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { object[key] = "\(value)" }
        object["ts"] = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        object["level"] = event.level.rawValue
        object["label"] = label
        object["msg"] = "\(event.message)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(object) else { return }
        data.append(0x0a)
        Self.lock.lock()
        FileHandle.standardError.write(data)
        Self.lock.unlock()
    }
}
