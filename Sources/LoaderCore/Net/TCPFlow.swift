import BPFEvents

/// A TCP connection's endpoints, from the BPF side's `struct tcp_flow`.
public struct TCPFlow: Sendable, Hashable {
    public let local: IPAddress
    public let localPort: UInt16
    public let remote: IPAddress
    public let remotePort: UInt16

    public init(_ raw: tcp_flow) {
        local = IPAddress(family: raw.family, bytes: raw.saddr)
        remote = IPAddress(family: raw.family, bytes: raw.daddr)
        localPort = raw.sport
        remotePort = raw.dport
    }

    public var version: Int { local.version }

    /// The counts of a count-mode map (tcp_flow -> u64): IPv4 flows first, then IPv6, each
    /// sorted by count (BCC prints the two families as two tables under one header).
    public static func counts(_ map: BPFMap, descending: Bool) throws(BPFError) -> [(flow: TCPFlow, count: UInt64)] {
        let entries = try map.entries(tcp_flow.self, UInt64.self).map { (TCPFlow($0.0), $0.1) }
        return [4, 6].flatMap { version in
            entries.filter { $0.0.version == version }.sorted { descending ? $0.1 > $1.1 : $0.1 < $1.1 }
        }.map { (flow: $0.0, count: $0.1) }
    }
}
