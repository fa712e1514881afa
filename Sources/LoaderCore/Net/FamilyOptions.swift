import ArgumentParser
import BPFEvents

/// BCC's -4/-6 of the TCP tools: one address family only, filtered in the kernel.
public struct FamilyOptions: ParsableArguments, Sendable {
    @Flag(name: [.customShort("4"), .customLong("ipv4")], help: "trace IPv4 family only")
    public var ipv4 = false

    @Flag(name: [.customShort("6"), .customLong("ipv6")], help: "trace IPv6 family only")
    public var ipv6 = false

    public init() {}

    public func validate() throws {
        if ipv4 && ipv6 { throw ValidationError("argument -6/--ipv6: not allowed with argument -4/--ipv4") }
    }

    /// The family the BPF side keeps: 0 for both, else AF_INET or AF_INET6.
    public var bpfFamily: UInt32 { ipv4 ? UInt32(TOOLS_AF_INET) : ipv6 ? UInt32(TOOLS_AF_INET6) : 0 }
}
