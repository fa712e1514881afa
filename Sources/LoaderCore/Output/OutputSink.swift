import Glibc
import Synchronization

/// Standard output, buffered and flushed by the caller after each batch of rows (each ring
/// buffer poll), so `tool | grep` shows rows as soon as they happen while a storm of events
/// still costs one write per batch. A closed pipe ends the process quietly with status 0.
public final class OutputSink: Sendable {
    public static let stdout = OutputSink(fd: 1)

    private let fd: Int32
    private let isPipe: Bool
    private let buffer = Mutex<[UInt8]>([])

    init(fd: Int32) {
        self.fd = fd
        var st = stat()
        isPipe = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO
    }

    public func write(_ text: String) {
        let full = buffer.withLock { buffer in
            buffer.append(contentsOf: text.utf8)
            return buffer.count >= 1 << 16
        }
        if full { flush() }
    }

    /// Whether stdout is a pipe whose reader has gone away (`| head` finished). Checked while
    /// the tool waits, so it ends at once, not at its next row.
    public var readerIsGone: Bool {
        guard isPipe else { return false }
        var entry = pollfd(fd: fd, events: 0, revents: 0)
        return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLERR) != 0
    }

    public func writeLine(_ text: String) {
        write(text + "\n")
    }

    public func flush() {
        buffer.withLock { Self.writeAll(fd, &$0) }
    }

    private static func writeAll(_ fd: Int32, _ buffer: inout [UInt8]) {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { exit(0) }  // reader went away (`| head`): not an error
                Diagnostics.write("write to stdout failed: \(String(cString: strerror(errno)))\n")
                exit(1)
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Standard error: unbuffered, never mixed into the columns.
public enum Diagnostics {
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            offset += n
        }
    }

    public static func line(_ text: String) { write(text + "\n") }
}
