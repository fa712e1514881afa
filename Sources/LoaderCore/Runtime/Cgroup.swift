import CLibbpf
import Glibc

/// A cgroup v2 directory given with --cgroup, as the BPF side filters on it: its id (the inode
/// number of the directory) and its depth below the cgroup2 root, so a task matches when its
/// ancestor at that depth is this cgroup (the cgroup itself or anything below it).
public struct CgroupFilter: Sendable, Equatable {
    public let id: UInt64
    public let level: UInt32

    public init(path: String) throws(BPFError) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw BPFError(.invalidArgument, "cannot use cgroup \(path): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw BPFError(.invalidArgument, "cannot use cgroup \(path): not a directory")
        }
        var fs = statfs()
        let cgroup2Magic: Int = 0x6367_7270
        guard statfs(path, &fs) == 0, Int(fs.f_type) == cgroup2Magic else {
            throw BPFError(.invalidArgument, "cannot use cgroup \(path): not in a cgroup v2 hierarchy")
        }
        // The depth is the number of directories between the path and the cgroup2 root, which
        // is the topmost ancestor on the same cgroup2 file system.
        guard let real = realpath(path, nil) else {
            throw BPFError(.invalidArgument, "cannot use cgroup \(path): \(String(cString: strerror(errno)))")
        }
        defer { free(real) }
        var components = String(cString: real).split(separator: "/").map(String.init)
        var level: UInt32 = 0
        while !components.isEmpty {
            components.removeLast()
            var parent = statfs()
            let parentPath = "/" + components.joined(separator: "/")
            guard statfs(parentPath, &parent) == 0, Int(parent.f_type) == cgroup2Magic else { break }
            level += 1
        }
        self.id = UInt64(st.st_ino)
        self.level = level
    }
}
