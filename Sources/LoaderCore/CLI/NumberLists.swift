import ArgumentParser

/// BCC's comma-separated number lists: every item a number within `range`, none empty.
func parseList<N: FixedWidthInteger>(_ argument: String, in range: ClosedRange<N>) -> [N]? {
    let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
    let numbers = parts.compactMap { N($0) }.filter(range.contains)
    guard !parts.isEmpty, numbers.count == parts.count else { return nil }
    return numbers
}

/// Ports ("80", "80,443"): tcpconnect -P, tcplife -L/-D.
public struct PortList: ExpressibleByArgument, Sendable, Equatable {
    public let ports: [UInt16]

    public init?(argument: String) {
        guard let ports = parseList(argument, in: UInt16(1)...UInt16.max) else { return nil }
        self.ports = ports
    }
}

/// Process or thread IDs ("185", "185,2040"): profile -p/-L; shown as Python's list repr, as
/// BCC's banner shows them ("[185, 2040]"). 0 (the idle task) is accepted, as BCC's
/// positive_int does.
public struct IDList: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    public let ids: [UInt32]

    public init?(argument: String) {
        guard let ids = parseList(argument, in: UInt32(0)...UInt32(Int32.max)) else { return nil }
        self.ids = ids
    }

    public var description: String { "[" + ids.map(String.init).joined(separator: ", ") + "]" }

    /// "185,2040", as offcputime's banner shows them.
    public var commaSeparated: String { ids.map(String.init).joined(separator: ",") }
}

/// Signal numbers ("9", "9,15"): killsnoop -s. 0 (kill()'s existence check) to 63.
public struct SignalList: ExpressibleByArgument, Sendable, Equatable {
    public let signals: [UInt8]

    public init?(argument: String) {
        guard let signals = parseList(argument, in: UInt8(0)...UInt8(63)) else { return nil }
        self.signals = signals
    }

    /// Bit n set for signal n.
    public var mask: UInt64 { signals.reduce(0) { $0 | (1 << UInt64($1)) } }
}
