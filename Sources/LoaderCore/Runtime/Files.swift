import Glibc

/// Reads a whole (small, usually /proc or /sys) file as text.
public func readFile(_ path: String) throws(BPFError) -> String {
    String(decoding: try readBytes(path), as: UTF8.self)
}

/// Reads a whole file as bytes (/proc files report no size, so it reads until the end).
public func readBytes(_ path: String) throws(BPFError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        throw BPFError(.preflight, "cannot open \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw BPFError(.preflight, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return bytes
}

extension StringProtocol where SubSequence == Substring {
    /// Without leading and trailing white space (the newline /proc and /sys files end with).
    public var trimmed: Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}

/// Writes `text` to `path`, replacing the file.
public func writeFile(_ path: String, _ text: String) throws(BPFError) {
    try writeFile(path, bytes: Array(text.utf8))
}

/// Writes `bytes` to `path`, replacing the file.
public func writeFile(_ path: String, bytes contents: [UInt8]) throws(BPFError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw BPFError(.invalidArgument, "cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var bytes = contents[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw BPFError(.invalidArgument, "cannot write \(path): \(String(cString: strerror(errno)))") }
        bytes = bytes.dropFirst(n)
    }
}

/// Fails unless `path` can be written (a file the tool writes at the end, checked before the
/// run so that a typo does not cost the whole run). Leaves no file behind.
public func checkWritable(_ path: String) throws(BPFError) {
    var fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd >= 0 {
        close(fd)
        unlink(path)
        return
    }
    if errno == EEXIST { fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK) }
    guard fd >= 0 else { throw BPFError(.invalidArgument, "cannot write \(path): \(String(cString: strerror(errno)))") }
    close(fd)
}

/// Whether `path` exists, judged with the effective user and capabilities (access() uses the
/// real user: wrong for a tool given CAP_BPF/CAP_PERFMON/CAP_DAC_READ_SEARCH by setpriv or a
/// systemd unit without being root).
/// Where a symbolic link points (a /proc magic link's target, say); nil when it is none.
public func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink(path, &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

public func pathExists(_ path: String) -> Bool {
    faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) == 0
}

/// Whether `path` can be read, judged like `pathExists`.
public func pathReadable(_ path: String) -> Bool {
    faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) == 0
}

/// A /proc status file (/proc/PID/status): its "Name:\tvalue" fields by name.
public struct ProcStatus {
    private let lines: [Substring]

    /// nil when the file cannot be read (the process is gone).
    public init?(_ path: String) {
        guard let text = try? readFile(path) else { return nil }
        lines = text.split(separator: "\n")
    }

    /// The field's value, without the white space around it.
    public subscript(_ name: String) -> Substring? {
        lines.first { $0.hasPrefix(name + ":") }?.dropFirst(name.count + 1).trimmed
    }
}
