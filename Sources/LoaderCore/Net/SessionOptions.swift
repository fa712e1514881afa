import ArgumentParser

/// The layout options tcplife and tcpstates share, with BCC's help: -T and -t add time columns,
/// -w widens address columns, -s prints CSV.
public struct SessionLayoutOptions: ParsableArguments, Sendable {
    @Flag(name: [.customShort("T"), .customLong("time")], help: "include time column on output (HH:MM:SS)")
    public var time = false

    @Flag(name: [.customShort("t"), .customLong("timestamp")], help: "include timestamp on output (seconds)")
    public var timestamp = false

    @Flag(name: [.customShort("w"), .customLong("wide")], help: "wide column output (fits IPv6 addresses)")
    public var wide = false

    @Flag(name: [.customShort("s"), .customLong("csv")], help: "comma separated values output")
    public var csv = false

    public init() {}

    /// The layout the columns are printed in: -s (CSV) wins over -w (wide), as in BCC.
    public var layout: String { csv ? "csv" : wide ? "wide" : "" }

    /// A column's CSV format (header "%s,", `row` for the value) and, if given, its wide format.
    public static func layouts(csv row: String, wide: ColumnFormat? = nil) -> [String: ColumnFormat] {
        var layouts = ["csv": ColumnFormat.csv(row)]
        if let wide { layouts["wide"] = wide }
        return layouts
    }
}

/// BCC's -L/-D of tcplife and tcpstates: local and remote ports, filtered in the kernel by
/// `ports_wanted` (tcp.bpf.h) from the maps `lports` and `dports`.
public struct PortFilterOptions: ParsableArguments, Sendable {
    @Option(name: [.customShort("L", allowingJoined: true), .customLong("localport")],
            help: ArgumentHelp("comma-separated list of local ports to trace.", valueName: "LOCALPORT"))
    public var localPorts: PortList?

    @Option(name: [.customShort("D", allowingJoined: true), .customLong("remoteport")],
            help: ArgumentHelp("comma-separated list of remote ports to trace.", valueName: "REMOTEPORT"))
    public var remotePorts: PortList?

    public init() {}

    /// The config's filter_lports and filter_dports: 1 where a list was given.
    public var filterFlags: (local: UInt32, remote: UInt32) { (localPorts == nil ? 0 : 1, remotePorts == nil ? 0 : 1) }

    /// Fills the `lports` and `dports` maps.
    public func prepareMaps(_ setup: inout MapSetup) {
        setup.set("lports", localPorts?.ports ?? [])
        setup.set("dports", remotePorts?.ports ?? [])
    }
}
