import Glibc

/// Entries for the systemd journal, sent as journald's native protocol (one datagram of
/// `KEY=value` lines; a value holding a newline goes with its length) to its socket.
public final class Journal {
    public static let socketPath = "/run/systemd/journal/socket"
    private let fd: Int32

    /// Connects to journald's socket; fails with a reason when there is none.
    public init(path: String = Journal.socketPath) throws(BPFError) {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BPFError.libbpf(.invalidArgument, "cannot make a socket for the journal", errno: -errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let fits = withUnsafeMutableBytes(of: &address.sun_path) { raw -> Bool in
            guard bytes.count < raw.count else { return false }
            raw.copyBytes(from: bytes)
            return true
        }
        let connected = fits && withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
        guard connected else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw BPFError(.invalidArgument, "cannot log to the systemd journal: \(path): \(reason)")
        }
    }

    deinit { close(fd) }

    /// One entry. Keys are uppercase letters, digits and underscores (journald drops others).
    /// A full socket buffer drops the entry rather than stall the tool; the count is kept.
    public private(set) var dropped = 0

    public func send(_ fields: [(String, String)]) {
        var datagram: [UInt8] = []
        for (key, value) in fields {
            datagram += key.utf8
            if value.utf8.contains(UInt8(ascii: "\n")) {
                datagram.append(UInt8(ascii: "\n"))
                withUnsafeBytes(of: UInt64(value.utf8.count).littleEndian) { datagram += $0 }
                datagram += value.utf8
            } else {
                datagram.append(UInt8(ascii: "="))
                datagram += value.utf8
            }
            datagram.append(UInt8(ascii: "\n"))
        }
        let sent = datagram.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
        if sent < 0 { dropped += 1 }
    }
}
