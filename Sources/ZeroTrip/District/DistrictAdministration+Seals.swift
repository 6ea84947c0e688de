import Foundation
public import ZeroTripCrypto
public import ZeroTripDocuments

/// A department's seal as issuance needs it.
public struct ActiveSeal: Sendable {
    /// The unlocked signer.
    public let sealer: DocumentSealer
    /// The department.
    public let department: Department
    /// The district's full administrative name (province, city, district), printed at the top of documents.
    public let districtName: String
    /// The signing key's id (hex).
    public var kidHex: String { Hex.encode(sealer.kid) }
}

extension DistrictAdministration {
    /// The active seal of department `code`, unlocked (once per process) and checked against its certificate.
    public func activeSeal(department rawCode: String) async throws -> ActiveSeal {
        let code = try Validation.departmentCode(rawCode)
        guard let district = try await district() else { throw ZeroTripError(.notInitialized, "run `zerotrip init --district NAME` first") }
        try await activateDueKeys()
        guard let department = try await department(code: code) else { throw ZeroTripError(.unknownDepartment, "no department \(code)") }
        guard let kid = department.activeKid else { throw ZeroTripError(.noActiveKey, "department \(code) has no active seal key") }
        if let sealer = cachedSealers[kid] { return ActiveSeal(sealer: sealer, department: department, districtName: district.administrativeName) }
        // One unlock per key however many requests miss the cache at once (each would cost an scrypt run and 32 MiB).
        let unlocking: Task<DocumentSealer, any Error>
        if let running = unlockingSealers[kid] {
            unlocking = running
        } else {
            unlocking = Task { try await self.unlockSealer(kid: kid, department: department) }
            unlockingSealers[kid] = unlocking
        }
        let result = await unlocking.result
        // Only the entry of this unlock is removed (a failed one may already have been replaced by a newer attempt).
        if unlockingSealers[kid] == unlocking { unlockingSealers[kid] = nil }
        let sealer = try result.get()
        cachedSealers[kid] = sealer
        return ActiveSeal(sealer: sealer, department: department, districtName: district.administrativeName)
    }

    /// Unlocks the seal key `kid` (scrypt, off the cooperative pool) and builds its signer with the chain to its root.
    nonisolated func unlockSealer(kid: String, department: Department) async throws -> DocumentSealer {
        let code = department.code
        guard let (certificate, key) = try await unlockKey(kid: kid, what: "the seal key of \(code)") else {
            throw ZeroTripError(.noActiveKey, "the active key of \(code) is not registered")
        }
        // The chain embedded in the signature ends at the root that issued this seal (older seals stay under the previous root after a renewal).
        guard let root = try await issuingRoot(of: certificate) else {
            throw ZeroTripError(.malformedCertificate, "the seal certificate of \(code) does not chain to any root of the district")
        }
        do {
            return try DocumentSealer(departmentCode: department.code, key: key, certificate: certificate, chain: [root])
        } catch {
            throw ZeroTripError(error)
        }
    }

    /// Every seal certificate ever registered (verification must keep working for retired keys).
    public nonisolated func sealCertificates() async throws -> [Certificate] {
        let blobs = try await database.read { db in try SigningKeyStore.sealCertificates(in: db) }
        return try blobs.map { try Certificate(derRepresentation: [UInt8]($0)) }
    }
}

extension ZeroTripError {
    /// Carries a document-layer error with its own stable code and the kind of failure it is: the caller's text or
    /// file (a character no font has, a QR code over its size, not a signed PDF), the district's set-up (no font, an
    /// SM2 seal), or a fault.
    public init(_ error: DocumentError) {
        let kind: Kind =
            switch error.code {
            case .invalidInput, .unsupportedCharacter, .qrTooLarge, .notPDF, .unsigned, .multipleSignatures: .invalidInput
            case .tooLarge: .tooLarge
            case .fontUnavailable: .unavailable
            case .sealAlgorithmUnsupported: .conflict
            case let code where CryptoError.Code(rawValue: code.rawValue).isTokenFailure: .unavailable
            default: .fault
            }
        self.init(Code(error.code.rawValue, kind: kind), error.message)
    }
}
