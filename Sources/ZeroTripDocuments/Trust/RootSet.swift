public import ZeroTripCrypto
import Foundation

/// The district roots a verifier trusts: the ones it pinned, and every other root of the district that a
/// link certificate from an already trusted root vouches for (root renewal, docs/trust-list.md).
///
/// A verifier that pinned the first root accepts the renewed one through the "new-with-old" link; one that
/// pinned the renewed root keeps accepting documents sealed under the first through the "old-with-new" link.
/// A root that no link reaches is not trusted, whatever list or directory it arrived in.
public struct RootSet: Sendable {
    /// Trusted roots, pinned ones first.
    public let roots: [Certificate]

    /// Starts from `pinned` and adds each of `candidates` (self-signed roots) for which one of `links` has the
    /// candidate's name and public key and validates, as a CA certificate, under a root trusted so far.
    public init(pinned: [Certificate], candidates: [Certificate], links: [Certificate]) {
        var trusted = pinned
        var pending = candidates.filter { candidate in !pinned.contains(candidate) && candidate.isCertificateAuthority }
        var grew = true
        while grew && !pending.isEmpty {
            grew = false
            let verifier = CertificateChainVerifier(trustAnchors: trusted)
            for candidate in pending {
                let vouched = links.contains { link in
                    guard link.isCertificateAuthority, link.subject == candidate.subject,
                          link.publicKey.derRepresentation == candidate.publicKey.derRepresentation else { return false }
                    // The link's signature and its issuer are what matter, not today's date: check inside its validity.
                    return verifier.validate(link, at: link.notValidBefore.addingTimeInterval(1)).isValid
                }
                if vouched {
                    trusted.append(candidate)
                    grew = true
                }
            }
            pending.removeAll { trusted.contains($0) }
        }
        roots = trusted
    }

    /// The trusted root with `kid` (hex), if any.
    public func root(kidHex: String) -> Certificate? { roots.first { $0.kidHex == kidHex } }
}
