import CLibbpf
import Glibc

/// A file that an unprivileged user may have planted or swapped (a binary behind a process,
/// `/tmp/perf-PID.map`, a file in a container): opened so that it can neither stall nor trick
/// root's tool. Never follows a symlink in its last component, never blocks on a FIFO or a
/// device (`O_NONBLOCK`), and is only used when `fstat` shows a regular file within a size cap
/// (and, when asked, owned by root or by one given user).
public struct UntrustedFile: ~Copyable {
    public let fd: Int32
    public let size: UInt64
    public let owner: UInt32

    /// Why a file was not used, for `-v`.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
        /// The errno of a failed open (0 when the file was opened and refused).
        public var code: Int32 = 0
        /// Nothing there: usually no problem at all (a process without a perf map).
        public var isMissing: Bool { code == ENOENT }
    }

    /// Opens `path` as seen by process `pid` (through its root directory, resolved inside it)
    /// when `pid` is given, else as this process sees it.
    public init(path: String, inRootOf pid: UInt32? = nil, maxSize: UInt64, ownedByRootOr uid: UInt32? = nil,
                followLinks: Bool = false) throws(Refusal) {
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followLinks ? 0 : O_NOFOLLOW)
        let fd: Int32
        if let pid {
            let root = open("/proc/\(pid)/root", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard root >= 0 else { throw Refusal(description: "\(path) of PID \(pid): \(Self.errorText(errno))", code: errno) }
            defer { close(root) }
            var result: Int32 = clibbpf_open_in_root(root, path, flags)
            if result == -ENOSYS {
                // Before Linux 5.6 (no openat2): the path through the magic link, its last
                // component still not followed.
                result = open("/proc/\(pid)/root\(path)", flags)
            } else if result < 0 {
                errno = Int32(0) - result
                result = -1
            }
            fd = result
        } else {
            fd = open(path, flags)
        }
        guard fd >= 0 else { throw Refusal(description: "\(path): \(Self.errorText(errno))", code: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); throw Refusal(description: "\(path): \(Self.errorText(errno))") }
        guard st.st_mode & S_IFMT == S_IFREG else { close(fd); throw Refusal(description: "\(path): not a regular file") }
        let size = UInt64(clamping: st.st_size)
        guard size <= maxSize else {
            close(fd)
            throw Refusal(description: "\(path): \(size) bytes, more than the \(maxSize) this tool reads of such a file")
        }
        if let uid, st.st_uid != 0, st.st_uid != uid {
            close(fd)
            throw Refusal(description: "\(path): owned by UID \(st.st_uid), neither root nor the process's UID \(uid)")
        }
        self.fd = fd
        self.size = size
        self.owner = st.st_uid
    }

    deinit { close(fd) }

    /// `count` bytes at `offset`, or nil when they are not all inside the file (offsets and
    /// counts are the file's own claims: checked against its real size, without overflow).
    public func bytes(at offset: UInt64, count: UInt64) -> [UInt8]? {
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, end <= size, let total = Int(exactly: count) else { return nil }
        var buffer = [UInt8](repeating: 0, count: total)
        var done = 0
        while done < total {
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return pread(fd, base + done, total - done, off_t(truncatingIfNeeded: offset &+ UInt64(done)))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            done += n
        }
        return buffer
    }

    /// The whole file (at most the size checked at open: a file growing meanwhile is cut there).
    public func contents() -> [UInt8] {
        bytes(at: 0, count: size) ?? []
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
