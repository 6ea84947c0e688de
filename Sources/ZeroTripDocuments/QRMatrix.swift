internal import CQREncode

/// A QR code symbol as a square matrix of dark/light modules, encoded by libqrencode.
///
/// The result-documents layer draws these modules as vector squares in the PDF and as a PNG;
/// this type only does the encoding.
public struct QRMatrix: Sendable, Hashable {
    /// Error-correction level (ISO/IEC 18004 §6.5.1).
    public enum ErrorCorrection: Sendable, CaseIterable {
        /// About 7 % recovery.
        case low
        /// About 15 % recovery.
        case medium
        /// About 25 % recovery (ZeroTrip's default for printed documents).
        case quartile
        /// About 30 % recovery.
        case high

        var level: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    /// An encoding failure.
    public struct EncodingError: Error, Sendable, CustomStringConvertible {
        /// Why encoding failed.
        public let message: String
        /// The message.
        public var description: String { message }
    }

    /// Largest input accepted (QR version 40-L holds 2 953 bytes).
    public static let maximumInputLength = 2953

    /// The symbol version, 1…40.
    public let version: Int
    /// Modules per side (17 + 4 × version).
    public let size: Int
    /// Row-major modules, `true` for dark.
    public let modules: [Bool]

    /// Encodes `text` as 8-bit data at the smallest version that fits.
    public init(encoding text: String, errorCorrection: ErrorCorrection = .quartile) throws(EncodingError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= Self.maximumInputLength else {
            throw EncodingError(message: "QR content must be 1–\(Self.maximumInputLength) bytes, got \(bytes.count)")
        }
        let code: UnsafeMutablePointer<QRcode>? = bytes.withUnsafeBufferPointer {
            QRcode_encodeData(Int32($0.count), $0.baseAddress, 0, errorCorrection.level)
        }
        try self.init(taking: code)
    }

    /// Copies the modules out of a libqrencode result and frees it.
    private init(taking code: UnsafeMutablePointer<QRcode>?) throws(EncodingError) {
        guard let code else { throw EncodingError(message: "content does not fit in a QR symbol at this error-correction level") }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        version = Int(code.pointee.version)
        size = width
        modules = (0..<(width * width)).map { code.pointee.data[$0] & 1 == 1 }
    }

    /// Encodes `text` in the most compact mix of segments libqrencode finds (alphanumeric for upper-case
    /// URLs and Base45, 8-bit elsewhere), at the smallest version that fits.
    public init(encodingSegmented text: String, errorCorrection: ErrorCorrection = .quartile) throws(EncodingError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= Self.maximumInputLength, !bytes.contains(0) else {
            throw EncodingError(message: "QR content must be 1–\(Self.maximumInputLength) bytes without NUL, got \(bytes.count)")
        }
        let code: UnsafeMutablePointer<QRcode>? = text.withCString { QRcode_encodeString($0, 0, errorCorrection.level, QR_MODE_8, 1) }
        try self.init(taking: code)
    }

    /// Whether the module at (`x`, `y`) is dark; (0, 0) is the top-left corner.
    public func isDark(x: Int, y: Int) -> Bool { modules[y * size + x] }
}
