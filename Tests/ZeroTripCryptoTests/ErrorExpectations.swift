import Testing
import ZeroTripCrypto

/// Expects `body` to fail with the ``CryptoError`` code `code`: tests check errors by their stable code.
func expectError<T>(_ code: CryptoError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) {
    let error = #expect(throws: CryptoError.self, sourceLocation: sourceLocation) { _ = try body() }
    #expect(error?.code == code, sourceLocation: sourceLocation)
}
