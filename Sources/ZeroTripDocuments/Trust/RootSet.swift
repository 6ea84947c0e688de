public import ZeroTripCrypto
public import Foundation

/// The district roots a verifier trusts: the ones it pinned, and every other root of the district that a
/// link certificate from an already trusted root vouches for (root renewal, docs/trust-list.md).
///
/// A verifier that pinned the first root accepts the renewed one through the "new-with-old" link; one that
/// pinned the renewed root keeps accepting documents sealed under the first through the "old-with-new" link.
/// A root that no link reaches is not trusted, whatever list or directory it arrived in.
///
/// Every trusted root anchors the seals it issued. Signing *lists and tree heads* is narrower: a root that a
/// newer trusted root has superseded signed them only until the renewal, so a retired root key (however it
/// might leak later) cannot speak for the district to a verifier that already knows its successor.
public struct RootSet: Sendable {
    /// Trusted roots, pinned ones first.
    public let roots: [Certificate]
    /// Roots that may sign a current trust list: the pinned ones and the newer roots reached from them.
    public let signers: [Certificate]
    /// Online signing keys (docs/keys.md, "The root offline") certified by a trusted root: each signed lists and
    /// tree heads from its certificate's start until a newer one, or a renewal of its root, replaced it.
    public let onlineKeys: [Certificate]
    /// The online keys that may sign a current list: certified by a root in `signers` and not replaced by a newer one.
    public let onlineSigners: [Certificate]
    /// The root that certified each online key, by the key's kid (found once: `maySign` runs for every tree head).
    private let certifiers: [String: Certificate]
    /// Links and root entries considered at most (a list is parsed before its signature is checked: this bounds the work).
    public static let maximumCandidates = 16
    /// Online keys a list may carry (considered at most): their certificates are short-lived (docs/keys.md), so a
    /// district certifies a few a year, and tree heads of each stay verifiable while the list names it.
    public static let maximumOnlineKeys = 64
    /// Renewals back-date the new root's validity by this much (clock skew); its `notValidBefore` plus this is the renewal time.
    public static let renewalBackdate: TimeInterval = 300

    /// Starts from `pinned` and adds each of `candidates` (self-signed roots) for which one of `links` has the
    /// candidate's name and public key and validates, as a CA certificate, under a root trusted so far.
    ///
    /// Each of `onlineKeys` is kept when it validates, as an online signing key's certificate, under a trusted root;
    /// at most `maximumOnlineKeys` are considered (the register's own audit passes them all).
    public init(
        pinned: [Certificate], candidates: [Certificate], links: [Certificate], onlineKeys: [Certificate] = [],
        maximumOnlineKeys: Int = RootSet.maximumOnlineKeys
    ) {
        var trusted = pinned
        var signers = pinned
        let links = Array(links.prefix(Self.maximumCandidates))
        var pending = candidates.prefix(Self.maximumCandidates).filter { candidate in
            // A candidate must be a genuine self-signed CA certificate: its own signature verifies with its own key.
            !pinned.contains(candidate) && candidate.isCertificateAuthority
                && CertificateChainVerifier(trustAnchors: [candidate]).validate(candidate, at: candidate.notValidBefore.addingTimeInterval(1)).isValid
        }
        var grew = true
        while grew && !pending.isEmpty {
            grew = false
            for candidate in pending {
                for issuer in trusted {
                    let vouched = links.contains { link in
                        guard link.isCertificateAuthority, link.subject == candidate.subject,
                            link.publicKey.derRepresentation == candidate.publicKey.derRepresentation
                        else { return false }
                        // The link's signature and its issuer are what matter, not today's date: check inside its validity.
                        return CertificateChainVerifier(trustAnchors: [issuer]).validate(link, at: link.notValidBefore.addingTimeInterval(1)).isValid
                    }
                    guard vouched else { continue }
                    trusted.append(candidate)
                    // Forward (to a newer root) from a signer: the candidate signs from now on.
                    if candidate.notValidBefore > issuer.notValidBefore, signers.contains(issuer) { signers.append(candidate) }
                    grew = true
                    break
                }
            }
            pending.removeAll { trusted.contains($0) }
        }
        roots = trusted
        self.signers = signers
        // An online key counts only under the root that certified it (checked inside its validity: what matters is who
        // vouched for it, while `maySign` bounds when).
        var certifiers: [String: Certificate] = [:]
        for key in onlineKeys.prefix(maximumOnlineKeys) where certifiers[key.kidHex] == nil {
            // Only the root its authority key identifier names is tried (the roots share their name): one chain check per key.
            certifiers[key.kidHex] = trusted.first { root in
                (root.subjectKeyIdentifier == nil || root.subjectKeyIdentifier == key.authorityKeyIdentifier)
                    && CertificateChainVerifier(trustAnchors: [root]).validateOnlineSigner(key, at: key.notValidBefore.addingTimeInterval(1)).isValid
            }
        }
        let online = onlineKeys.prefix(maximumOnlineKeys).filter { certifiers[$0.kidHex] != nil }
        self.onlineKeys = online
        self.certifiers = certifiers
        onlineSigners = online.filter { key in
            guard let root = certifiers[key.kidHex], signers.contains(root), !trusted.contains(where: { $0.notValidBefore > root.notValidBefore })
            else { return false }
            return !online.contains { $0.notValidBefore > key.notValidBefore }
        }
    }

    /// The online keys that may sign a current list naming root `rootKid`: certified by that root and not replaced.
    public func onlineSigners(certifiedBy rootKid: String) -> [Certificate] {
        onlineSigners.filter { certifiers[$0.kidHex]?.kidHex == rootKid }
    }

    /// The trusted root or online signing key with `kid` (hex): what may have signed a tree head or list naming it.
    public func signer(kidHex: String) -> Certificate? { root(kidHex: kidHex) ?? onlineKeys.first { $0.kidHex == kidHex } }

    /// The trusted root with `kid` (hex), if any.
    public func root(kidHex: String) -> Certificate? { roots.first { $0.kidHex == kidHex } }

    /// When `root` was superseded by a newer trusted root (the renewal time), or `nil` while it is the newest.
    public func supersededAt(_ root: Certificate) -> Date? {
        roots.filter { $0.notValidBefore > root.notValidBefore }.map { $0.notValidBefore.addingTimeInterval(Self.renewalBackdate) }.min()
    }

    /// Whether root or online key `kidHex` may have signed something (a tree head) at `time`: a trusted root not yet
    /// replaced by a newer trusted root then; or an online key valid then, certified by a root that may sign then, and
    /// not yet replaced by a newer online key.
    public func maySign(kidHex: String, at time: Date) -> Bool {
        if let root = root(kidHex: kidHex) {
            guard let superseded = supersededAt(root) else { return true }
            return time <= superseded
        }
        guard let key = onlineKeys.first(where: { $0.kidHex == kidHex }), time >= key.notValidBefore, time <= key.notValidAfter,
            let root = certifiers[key.kidHex], maySign(kidHex: root.kidHex, at: time)
        else { return false }
        let replaced = onlineKeys.filter { $0.notValidBefore > key.notValidBefore }.map { $0.notValidBefore.addingTimeInterval(Self.renewalBackdate) }
            .min()
        return replaced.map { time <= $0 } ?? true
    }
}
