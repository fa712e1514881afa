import ArgumentParser

/// BCC's comma-separated port lists ("80", "80,443"): each a number from 1 to 65535.
public struct PortList: ExpressibleByArgument, Sendable, Equatable {
    public let ports: [UInt16]

    public init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        let ports = parts.compactMap { UInt16($0) }.filter { $0 > 0 }
        guard !parts.isEmpty, ports.count == parts.count else { return nil }
        self.ports = ports
    }
}
