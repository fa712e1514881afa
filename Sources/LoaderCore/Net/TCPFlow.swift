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

extension TCPFlow {
    /// The flow's parts as JSON keys (laddr, lport, raddr, rport).
    public var jsonMembers: [(String, JSONValue)] {
        [("laddr", .string(local.description)), ("lport", .int(Int64(localPort))),
         ("raddr", .string(remote.description)), ("rport", .int(Int64(remotePort)))]
    }

    /// The JSON keys of the flow a row holds, for tools whose columns join address and port.
    public static func jsonFields<Options, Row>(_ flow: @escaping @Sendable (Row) -> TCPFlow) -> [JSONField<Options, Row>] {
        [JSONField("laddr") { row, _ in .string(flow(row).local.description) },
         JSONField("lport") { row, _ in .int(Int64(flow(row).localPort)) },
         JSONField("raddr") { row, _ in .string(flow(row).remote.description) },
         JSONField("rport") { row, _ in .int(Int64(flow(row).remotePort)) }]
    }
}
