import Glibc

/// An IPv4 or IPv6 address as the kernel stores it (network byte order), printed as
/// `inet_ntop` prints it (IPv6 in its compressed form, as BCC shows it).
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)                  /// the four bytes, first byte lowest (as loaded from memory)
    case v6(UInt64, UInt64)          /// the sixteen bytes, likewise

    /// From the 16 bytes the BPF side stores for either family (IPv4 in the first 4).
    public init(family: UInt16, bytes: (UInt64, UInt64)) {
        self = family == UInt16(AF_INET6) ? .v6(bytes.0, bytes.1) : .v4(UInt32(truncatingIfNeeded: bytes.0))
    }

    /// 4 or 6, BCC's IP column.
    public var version: Int {
        switch self {
        case .v4: 4
        case .v6: 6
        }
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch self {
        case .v4(let raw):
            var addr = in_addr(s_addr: raw)
            inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
        case .v6(let high, let low):
            var words = (high, low)
            withUnsafeBytes(of: &words) { raw in _ = inet_ntop(AF_INET6, raw.baseAddress, &buffer, socklen_t(buffer.count)) }
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// TCP states by number, as BCC's tcp.tcpstate names them (the number itself if unknown).
public enum TCPState {
    static let names = [1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
                        6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
                        11: "CLOSING", 12: "NEW_SYN_RECV"]

    public static func name(_ state: Int) -> String { names[state] ?? String(state) }
}
