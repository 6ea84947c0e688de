public import Foundation
import ZeroTripCrypto

/// A clerk signed in at a window station with a credential of their department.
///
/// The department's credential says what the window may do (its scopes); the clerk's number and name say who did
/// it: every action of the station is recorded under ``actor``, `credential:<id>/clerk:<number>`, the form the
/// video and card checks already use for the clerk who attested.
public struct WindowSession: Sendable, Hashable {
    /// Session id (32 hex digits).
    public var id: String
    /// What the credential allows, and its department.
    public var principal: Principal
    /// The clerk at the station.
    public var clerk: ClerkIdentity
    /// The station (counter) label.
    public var station: String
    /// Sign-in time and absolute end.
    public var createdAt: Date
    public var expiresAt: Date
    /// The audit actor: the credential and the clerk.
    public var actor: String { clerk.agent(actor: principal.actor) }
}

/// Window-station sign-ins: a department credential and a clerk's number, name and counter open a session for one
/// working day (idle 30 minutes), held by the station's browser as `ztw1.<id>.<secret>`; only a hash of the secret is
/// stored. A revoked credential ends every session opened with it at the next request.
public struct WindowSessions: Sendable {
    let database: AppDatabase
    let credentials: CredentialService
    let clock: ZeroTripClock

    /// A working day.
    public static let absoluteLifetime: TimeInterval = 10 * 3600
    /// A counter left unattended.
    public static let idleLifetime: TimeInterval = 30 * 60
    /// `last_seen_at` is written at most this often.
    static let touchInterval: TimeInterval = 30
    static let prefix = "ztw1."
    /// Longest token accepted before parsing.
    public static let maximumTokenLength = 128

    /// Opens a session for `clerk` at `station` with the department credential `credentialToken`; audited as
    /// `window.signed_in`. A wrong credential is `unauthenticated`; a credential without any window scope
    /// (`applications:process`, `credit:read`, or `statistics:read` for a supervisor's desk) is `forbidden`.
    public func signIn(credentialToken: String, clerk rawClerk: ClerkIdentity, station rawStation: String) async throws -> (
        token: String, session: WindowSession
    ) {
        let clerk = try rawClerk.validated()
        let station = try Validation.label(rawStation)
        guard !station.isEmpty else { throw ZeroTripError(.invalidInput, "the station (counter) is required") }
        guard let principal = try await credentials.authenticate(token: credentialToken) else {
            throw ZeroTripError(.unauthenticated, "the department credential is not valid")
        }
        guard principal.scopes.contains(.applicationsProcess) || principal.scopes.contains(.creditRead) || principal.scopes.contains(.statisticsRead)
        else {
            try await AuditLog.append(
                AuditEntry(
                    actor: principal.actor, action: .authDenied, target: "route:POST /window/login", outcome: "denied",
                    details: ["reason": "missing_scope", "required": "applications:process, credit:read or statistics:read"]),
                at: clock.now(), to: database)
            throw ZeroTripError(.forbidden, "this credential has no window scope (applications:process, credit:read or statistics:read)").audited()
        }
        let id = Hex.encode(try withCrypto("generating a session id") { () throws(CryptoError) in try SecureRandom.bytes(count: 16) })
        let secret = try withCrypto("generating a session secret") { () throws(CryptoError) in try SecureRandom.bytes(count: 32) }
        let now = clock.now()
        let session = WindowSession(
            id: id, principal: principal, clerk: clerk, station: station, createdAt: now,
            expiresAt: now.addingTimeInterval(Self.absoluteLifetime))
        try await database.write { db in
            try WindowSessionStore.insert(
                id: id, secretHash: Digest.sha256(secret), credentialID: principal.credentialID, clerk: clerk, station: station,
                at: now, expires: session.expiresAt, in: db)
            try AuditLog.append(
                AuditEntry(
                    actor: session.actor, action: .windowSignedIn, target: "window:\(id)",
                    details: ["station": station, "clerk_name": clerk.name]), at: now, in: db)
        }
        return (Self.prefix + id + "." + Base64.encodeURLSafe(secret), session)
    }

    /// The live session behind `token`, or `session_invalid` (malformed, unknown, wrong secret, ended, past its
    /// lifetime or idle limit, or its credential revoked).
    public func authenticate(token: String) async throws -> WindowSession {
        let invalid = ZeroTripError(.sessionInvalid, "the window session has ended; sign in again")
        guard token.utf8.count <= Self.maximumTokenLength, token.hasPrefix(Self.prefix) else { throw invalid }
        let parts = token.dropFirst(Self.prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count == 32, Hex.decode(String(parts[0])) != nil,
            let secret = Base64.decodeURLSafe(String(parts[1])), secret.count == 32
        else { throw invalid }
        let id = String(parts[0])
        let found = try await database.read { db -> (WindowSessionStore.Row, CredentialStore.Stored)? in
            guard let row = try WindowSessionStore.session(id, in: db), let credential = try CredentialStore.stored(row.credentialID, in: db) else {
                return nil
            }
            return (row, credential)
        }
        guard let (row, credential) = found, ConstantTime.equals(Digest.sha256(secret), row.secretHash) else { throw invalid }
        let now = clock.now()
        guard !row.ended, !credential.revoked, row.expiresAt > now else { throw invalid }
        guard now.timeIntervalSince(row.lastSeenAt) <= Self.idleLifetime else {
            try await end(id: id, reason: "idle")
            throw invalid
        }
        if now.timeIntervalSince(row.lastSeenAt) >= Self.touchInterval {
            try await database.write { db in try WindowSessionStore.touch(id, at: now, in: db) }
        }
        let principal = Principal(
            credentialID: row.credentialID, departmentCode: credential.departmentCode,
            scopes: Set(credential.scopes.compactMap(Scope.init(rawValue:))))
        return WindowSession(id: id, principal: principal, clerk: row.clerk, station: row.station, createdAt: row.createdAt, expiresAt: row.expiresAt)
    }

    /// Ends session `id` (sign-out, or idle); audited as `window.signed_out`.
    public func end(id: String, reason: String = "logout") async throws {
        let now = clock.now()
        try await database.write { db in
            if try WindowSessionStore.end(id, at: now, in: db) {
                try AuditLog.append(
                    AuditEntry(actor: "system", action: .windowSignedOut, target: "window:\(id)", details: ["reason": reason]), at: now, in: db)
            }
        }
    }
}
