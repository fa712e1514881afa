/// A line of /proc/PID/maps: an address range of a process and what is mapped there.
public struct ProcessMapping: Sendable, Equatable {
    public let start: UInt64
    public let end: UInt64
    /// The file offset mapped at `start`.
    public let offset: UInt64
    /// The file's path as the process sees it; empty for anonymous memory, "[stack]" and the
    /// like for the kernel's special mappings. May end in " (deleted)".
    public let path: String
    public let inode: UInt64
    /// "r-xp"
    public let permissions: Substring

    public var isFile: Bool { !path.isEmpty && !path.hasPrefix("[") }
    public var isExecutable: Bool { permissions.dropFirst(2).first == "x" }

    /// "55d0c8a00000-55d0c8a02000 r-xp 00002000 fd:00 1234 /usr/bin/x"; nil for a line that
    /// is not one.
    public static func parse(_ line: Substring) -> ProcessMapping? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5 else { return nil }
        let range = fields[0].split(separator: "-")
        guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16),
              let offset = UInt64(fields[2], radix: 16) else { return nil }
        let path = fields.count > 5 ? String(fields[5].trimmed) : ""
        return ProcessMapping(start: start, end: end, offset: offset, path: path, inode: UInt64(fields[4]) ?? 0,
                              permissions: fields[1])
    }

    /// Every mapping of process `pid`; empty for a process that is gone.
    public static func all(pid: UInt32) -> [ProcessMapping] {
        ((try? readFile("/proc/\(pid)/maps")) ?? "").split(separator: "\n").compactMap(parse)
    }

    /// The mapping's file itself, through /proc/PID/map_files: right even when the file was
    /// deleted or replaced since, and inside the process's mount namespace.
    public func mapFilesPath(pid: UInt32) -> String {
        "/proc/\(pid)/map_files/\(String(start, radix: 16))-\(String(end, radix: 16))"
    }
}
