public import ZeroTrip
public import Testing

/// The error code `body` fails with, `other` for an error that is not a ``ZeroTripError``, nil on success: tests check
/// errors by their stable code.
public func errorCode(_ body: () async throws -> Any) async -> String? {
    do {
        _ = try await body()
        return nil
    } catch {
        return (error as? ZeroTripError)?.code.rawValue ?? "other"
    }
}

/// Expects `body` to fail with the ``ZeroTripError`` code `code` (by its stable code, not only its type).
public func expectError<T>(
    _ code: ZeroTripError.Code, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> T
) {
    do {
        _ = try body()
        expect(nil, toBe: code, comment, sourceLocation)
    } catch {
        expect(error, toBe: code, comment, sourceLocation)
    }
}

/// ``expectError(_:_:sourceLocation:_:)`` for an asynchronous `body`.
public func expectError<T>(
    _ code: ZeroTripError.Code, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        expect(nil, toBe: code, comment, sourceLocation)
    } catch {
        expect(error, toBe: code, comment, sourceLocation)
    }
}

/// What both forms of `expectError` check: `failure` (nil when the body succeeded) has the code `code`.
private func expect(_ failure: (any Error)?, toBe code: ZeroTripError.Code, _ comment: Comment?, _ sourceLocation: SourceLocation) {
    guard let failure else {
        Issue.record("expected error \(code.rawValue), but it succeeded\(comment.map { ": \($0.rawValue)" } ?? "")", sourceLocation: sourceLocation)
        return
    }
    let actual = (failure as? ZeroTripError)?.code.rawValue ?? "\(type(of: failure))"
    #expect(actual == code.rawValue, comment, sourceLocation: sourceLocation)
}
