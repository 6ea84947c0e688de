import ServiceLifecycle
import Logging

/// The loop every background timer of the daemon runs: one round, then a pause, until graceful shutdown. A failing
/// round is logged under `name` and the next one runs on time.
enum PeriodicTimer {
    static func run(every interval: Duration, name: String, logger: Logger, round: @escaping @Sendable () async throws -> Void) async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await round() } catch {
                    logger.error("\(name) failed", metadata: ["error": "\(error)"])
                }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
