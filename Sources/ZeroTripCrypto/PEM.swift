import Foundation

/// Minimal PEM framing checks, done before handing text to OpenSSL so errors can be precise.
enum PEM {
    /// Upper bound on any PEM input ZeroTrip accepts (keys and certificate chains are far smaller).
    static let maximumLength = 1 << 20

    /// The label of the first `-----BEGIN LABEL-----` line, or `nil` if there is none.
    static func firstLabel(in text: String) throws(CryptoError) -> String {
        guard text.utf8.count <= maximumLength else {
            throw CryptoError(.invalidArgument, "PEM input exceeds \(maximumLength) bytes")
        }
        guard let begin = text.range(of: "-----BEGIN "),
            let end = text[begin.upperBound...].range(of: "-----")
        else {
            throw CryptoError(.malformedKey, "no PEM block found (expected a -----BEGIN ...----- line)")
        }
        return String(text[begin.upperBound..<end.lowerBound])
    }
}
