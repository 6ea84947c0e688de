import ZeroTrip

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
