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
        append { $0.append(contentsOf: text.utf8) }
    }

    /// Text already encoded (a report that builds its lines as bytes).
    public func write(bytes: [UInt8]) {
        append { $0.append(contentsOf: bytes) }
    }

    private func append(_ add: (inout [UInt8]) -> Void) {
        let full = buffer.withLock { buffer in
            add(&buffer)
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
        switch StopAwareWrite.write(fd, buffer) {
        case .done, .abandoned: break
        case .closed: exit(0)  // reader went away (`| head`): not an error
        case .failed(let code):
            Diagnostics.write("write to stdout failed: \(String(cString: strerror(code)))\n")
            exit(1)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes that cannot keep the tool from stopping. Before a stop is requested a write blocks as
/// usual (a slow reader slows the tool, and the BPF side counts what it cannot queue); the
/// signal interrupts it (no SA_RESTART). Once a stop is requested, a descriptor nobody reads
/// (a full pipe, a terminal on Ctrl-S) gets 100 ms to take each piece and is then given up:
/// the tool ends, with status 0 and its final report if that fits, instead of hanging in
/// write() deaf to every signal but SIGKILL.
enum StopAwareWrite {
    enum Outcome: Equatable { case done, abandoned, closed, failed(Int32) }

    /// After a stop, pieces of PIPE_BUF: a pipe that polls writable takes that much at once.
    static let pieceSize = 4096
    static let stopTimeoutMs: Int32 = 100

    /// Set once a descriptor was given up: later writes to it are dropped at once.
    private static let givenUp = Mutex<Set<Int32>>([])

    static func write(_ fd: Int32, _ bytes: [UInt8]) -> Outcome {
        if givenUp.withLock({ $0.contains(fd) }) { return .abandoned }
        var offset = 0
        while offset < bytes.count {
            var count = bytes.count - offset
            if Signals.stopRequested {
                var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&entry, 1, stopTimeoutMs)
                if ready == 0 || (ready < 0 && errno != EINTR) {
                    givenUp.withLock { _ = $0.insert(fd) }
                    return .abandoned
                }
                if ready < 0 { continue }
                count = min(count, pieceSize)
            }
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(fd, base + offset, count)
            }
            if n < 0 {
                if errno == EINTR { continue }  // a signal: the loop looks at the stop flag
                if errno == EPIPE { return .closed }
                return .failed(errno)
            }
            offset += n
        }
        return .done
    }
}

/// Standard error: unbuffered, never mixed into the columns.
public enum Diagnostics {
    public static func write(_ text: String) {
        _ = StopAwareWrite.write(2, Array(text.utf8))
    }

    public static func line(_ text: String) { write(text + "\n") }
}
