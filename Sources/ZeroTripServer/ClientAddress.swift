import HTTPTypes
import ZeroTrip

/// Who the client is: the TCP peer, or, when the peer is a trusted reverse proxy, the address that proxy (and any
/// trusted proxy before it) reports in `X-Forwarded-For`. The answer keys the per-client rate limits and the
/// anonymous audit counts.
struct ClientAddress: Sendable {
    let trusted: [AddressRange]

    /// `X-Forwarded-For` entries read at most, from the right: enough for any real proxy chain, and a client cannot
    /// make the daemon walk a long list it made up.
    static let maximumHops = 16

    init(trustedProxies: [String]) {
        trusted = trustedProxies.compactMap(AddressRange.init)
    }

    /// The client's address for a request from `peer` with `headers`; `local` when there is no peer (router tests).
    ///
    /// As nginx's `real_ip_recursive on`: from the right of `X-Forwarded-For`, addresses of trusted proxies are
    /// skipped and the first other address is the client. Entries left of it were written by the client itself and
    /// are never believed. An entry that is not an address ends the walk at the last trusted hop.
    func resolve(peer: String?, headers: HTTPFields) -> String {
        guard let peer else { return "local" }
        guard !trusted.isEmpty, isTrusted(peer) else { return peer }
        var entries: [Substring] = []
        for field in headers[values: .forwardedFor].reversed() {
            for entry in field.split(separator: ",").reversed() {
                entries.append(entry)
                if entries.count == Self.maximumHops { break }
            }
            if entries.count == Self.maximumHops { break }
        }
        var client = peer
        for entry in entries {
            let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
            let trimmed = entry.drop(while: blank).reversed().drop(while: blank).reversed()
            guard let address = AddressRange.canonical(String(trimmed)) else { return client }
            client = address
            if !isTrusted(address) { return address }
        }
        return client
    }

    private func isTrusted(_ address: String) -> Bool {
        trusted.contains { $0.contains(address) }
    }
}
