/// An error raised while building, signing or reading result documents and tokens.
///
/// Like ``ZeroTripCrypto/CryptoError``: an extensible stable ``Code``, a message for people (never secret
/// or personal data) and the source location.
public struct DocumentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable machine-readable code.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        /// The code's string form, e.g. `pdf_unsigned`.
        public let rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's string form.
        public var description: String { rawValue }

        /// The CJK font could not be loaded.
        public static let fontUnavailable = Code(rawValue: "font_unavailable")
        /// The font has no glyph for a character in the document.
        public static let unsupportedCharacter = Code(rawValue: "unsupported_character")
        /// Font subsetting failed.
        public static let subsetFailed = Code(rawValue: "font_subset_failed")
        /// A document field is out of range.
        public static let invalidInput = Code(rawValue: "invalid_input")
        /// The QR content does not fit the size budget.
        public static let qrTooLarge = Code(rawValue: "qr_too_large")
        /// The upload is not a PDF ZeroTrip can read.
        public static let notPDF = Code(rawValue: "pdf_malformed")
        /// The PDF carries no signature.
        public static let unsigned = Code(rawValue: "pdf_unsigned")
        /// The PDF carries more than one signature.
        public static let multipleSignatures = Code(rawValue: "pdf_multiple_signatures")
        /// The PDF is larger than allowed.
        public static let tooLarge = Code(rawValue: "pdf_too_large")
        /// Signing failed.
        public static let signingFailed = Code(rawValue: "signing_failed")
        /// The seal key's algorithm cannot seal documents (only ECDSA P-256 can).
        public static let sealAlgorithmUnsupported = Code(rawValue: "seal_algorithm_unsupported")
    }

    /// The stable code.
    public let code: Code
    /// What happened, for people.
    public let message: String
    /// The file that raised the error.
    public let file: String
    /// The line that raised the error.
    public let line: UInt

    /// Creates an error.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
