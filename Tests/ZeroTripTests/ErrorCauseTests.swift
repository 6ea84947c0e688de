import Foundation
import Testing
import ZeroTrip

@Suite("Error causes")
struct ErrorCauseTests {
    @Test("A wrapped failure keeps what failed underneath for the log, and never in the message an answer shows")
    func causeKept() {
        let inner = ZeroTripError(.databaseBusy, "busy")
        let wrapped = ZeroTripError(.storageFailure, "registering the document failed; nothing was stored").causedBy(inner)
        #expect(wrapped.cause?.hasPrefix("database_busy at ZeroTripTests/ErrorCauseTests.swift:") == true, "\(wrapped.cause ?? "nil")")
        #expect(wrapped.message == "registering the document failed; nothing was stored")
        #expect(wrapped.code == .storageFailure)
        let file = ZeroTripError(.storageFailure, "cannot write").causedBy(CocoaError(.fileWriteNoPermission))
        #expect(file.cause?.hasPrefix("CocoaError 513") == true, "\(file.cause ?? "nil")")
        #expect(ZeroTripError(.storageFailure, "x").cause == nil)
    }
}
