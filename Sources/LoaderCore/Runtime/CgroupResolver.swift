import CLibbpf
import Glibc

/// A cgroup v2 ID (what bpf_get_current_cgroup_id() returns: the inode number of the cgroup's
/// directory) back to its path, as below the cgroup2 mount ("/system.slice/ssh.service").
///
/// The directory is opened by its kernfs file handle (open_by_handle_at with FILEID_KERNFS, the
/// ID as the handle: what systemd and bpftool do) and its path read back from /proc/self/fd, so
/// a lookup costs three system calls and no walk of the tree; each ID is looked up once (IDs
/// are never reused). A cgroup removed before its first lookup stays unknown (nil).
public final class CgroupResolver {
    /// Where the cgroup2 hierarchy is mounted (/sys/fs/cgroup on pure v2 hosts,
    /// /sys/fs/cgroup/unified on hybrid ones); nil on a v1-only host.
    public let mountPoint: String?
    private let mountFD: Int32
    private var cache: [UInt64: String?] = [:]
    /// Bounds the cache on a host that makes cgroups without end (a CI runner, a batch system).
    static let cacheLimit = 16_384

    public init(mountinfo: String = "/proc/self/mountinfo") {
        mountPoint = (try? readFile(mountinfo)).flatMap(Self.cgroup2MountPoint)
        mountFD = mountPoint.map { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } ?? -1
    }

    deinit { if mountFD >= 0 { close(mountFD) } }

    /// The first cgroup2 mount in a mountinfo text (its mount point, octal escapes decoded).
    static func cgroup2MountPoint(_ text: String) -> String? {
        for line in text.split(separator: "\n") {
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2, halves[1].split(separator: " ").first == "cgroup2" else { continue }
            let fields = halves[0].split(separator: " ")
            guard fields.count > 4 else { continue }
            return unescapeOctal(String(fields[4]))
        }
        return nil
    }

    /// mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134.
    static func unescapeOctal(_ text: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The cgroup's path below the mount ("/" for the root), or nil when it is unknown.
    public func path(_ id: UInt64) -> String? {
        if let known = cache[id] { return known }
        let resolved = lookUp(id)
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[id] = resolved
        return resolved
    }

    private func lookUp(_ id: UInt64) -> String? {
        guard mountFD >= 0, let mountPoint else { return nil }
        let fd = clibbpf_open_cgroup_by_id(mountFD, id)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var target = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
        guard n > 0 else { return nil }
        let full = String(decoding: target.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard full.hasPrefix(mountPoint) else { return nil }
        let below = String(full.dropFirst(mountPoint.count))
        return below.isEmpty ? "/" : below
    }
}
