import CLibbpf
import Glibc

/// Where the minimal BTF of one BPF object for the running kernel is kept (see MinimalBTF),
/// so that every start-up after the first skips parsing the kernel's full BTF.
///
/// The file lives on tmpfs (/run), so a reboot clears it; its name covers the object's bytes
/// and the kernel's identity (release, build, BTF size, and a hash of the first and last 64 KiB
/// of the kernel's BTF), so another build or another kernel never uses it.
///
/// The directory is root's alone (0700): a cached file is used only when the directory is a
/// real directory owned by the tool's user and not writable by others, and the file a regular
/// file of theirs of at most `maxSize` bytes, opened without following links or blocking; any
/// other thing at the path (a FIFO, a huge file, a directory) is removed or left alone, never
/// read. Temporary files are created with O_EXCL|O_NOFOLLOW, and those of tools that were
/// killed before renaming theirs are removed by the next tool that writes the cache. It is written only after checking that it relocates every loaded
/// instruction exactly as the kernel's full BTF did, and a cached file that libbpf rejects is
/// removed and the full BTF used. BPF_TOOLS_BTF_CACHE=0 turns the cache off.
public struct BTFCache: Sendable {
    public static let directory = "/run/swift-bpf-tools"
    public let path: String

    public static var enabled: Bool {
        getenv("BPF_TOOLS_BTF_CACHE").map { String(cString: $0) != "0" } ?? true
    }

    public init(object: EmbeddedObject) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        mix(object.bytes)
        var names = utsname()
        uname(&names)
        withUnsafeBytes(of: names.release) { mix($0.prefix { $0 != 0 }) }
        withUnsafeBytes(of: names.version) { mix($0.prefix { $0 != 0 }) }
        let fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            var st = stat()
            if fstat(fd, &st) == 0 { withUnsafeBytes(of: st.st_size) { mix($0) } }
            // sysfs gives the size but reads only what is there: the two ends of the BTF
            var edge = [UInt8](repeating: 0, count: 64 << 10)
            for offset in [0, max(0, Int(st.st_size) - edge.count)] {
                let n = edge.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
                if n > 0 { mix(edge.prefix(n)) }
            }
            close(fd)
        }
        path = "\(Self.directory)/\(object.name)-\(String(hash, radix: 16)).btf"
    }

    /// A minimal BTF is a few kilobytes; nothing larger at the path is read.
    static let maxSize = 1 << 20

    /// Whether the cached file can be used: see the type's comment. Anything else at the path
    /// is removed (a directory is left: unlink cannot, and it is then never read).
    public var isPresent: Bool {
        guard Self.directoryIsPrivate() else { return false }
        var st = stat()
        guard lstat(path, &st) == 0 else { return false }
        guard st.st_mode & S_IFMT == S_IFREG, st.st_uid == geteuid(), st.st_size <= Self.maxSize,
              st.st_mode & 0o022 == 0 else {
            unlink(path)
            return false
        }
        return true
    }

    public func remove() { unlink(path) }

    /// The cache directory exists, is a directory (not a link), belongs to this user and only
    /// they can write in it.
    static func directoryIsPrivate() -> Bool {
        var st = stat()
        return lstat(directory, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR && st.st_uid == geteuid() && st.st_mode & 0o022 == 0
    }

    /// Builds the minimal BTF of `object`, checks it against `running` (the same object, loaded
    /// with the full kernel BTF) and stores it. Returns why it did not, or nil on success.
    @discardableResult
    func generate(object: EmbeddedObject, checkingAgainst running: ObjectHandle) -> String? {
        guard let kernel = btf__load_vmlinux_btf(), libbpf_get_error(UnsafeRawPointer(kernel)) == 0 else {
            return "cannot read the kernel's BTF"
        }
        let minimal = MinimalBTF.build(object: object.bytes, kernelBTF: kernel)
        btf__free(kernel)
        guard let minimal else { return "the object's relocations cannot be reduced" }

        mkdir(Self.directory, 0o700)
        guard Self.directoryIsPrivate() else { return "\(Self.directory) is not a private directory of this user" }
        Self.removeStaleTemporaries()
        let temporary = "\(path).\(getpid()).tmp"
        guard write(minimal, to: temporary) else { return "cannot write \(temporary)" }
        guard let reason = Self.relocationsDiffer(object: object, btfPath: temporary, running: running) else {
            if rename(temporary, path) == 0 { return nil }
            let why = String(cString: strerror(errno))
            unlink(temporary)
            return "cannot rename \(temporary) to \(path): \(why)"
        }
        unlink(temporary)
        return reason
    }

    /// A new file only: an existing one (a stale temporary, or a link planted at the name) is
    /// removed, never written through.
    private func write(_ bytes: [UInt8], to file: String) -> Bool {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
        var fd = open(file, flags, 0o600)
        if fd < 0 && errno == EEXIST {
            unlink(file)
            fd = open(file, flags, 0o600)
        }
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    /// Temporaries `<name>.<pid>.tmp` of tools that are no longer running (killed between
    /// writing and renaming).
    static func removeStaleTemporaries() {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { KernelString.from(bytes: $0) }
            guard name.hasSuffix(".tmp") else { continue }
            let parts = name.dropLast(4).split(separator: ".")
            guard let pid = parts.last.flatMap({ Int32($0) }), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink("\(directory)/\(name)") }
        }
    }

    /// Loads `object` with the BTF at `btfPath`, choosing the programs `running` loaded, and
    /// compares their relocated instructions (map references aside). nil: identical.
    static func relocationsDiffer(object: EmbeddedObject, btfPath: String, running: ObjectHandle) -> String? {
        guard let check = try? BPFObject(object, btfPath: btfPath) else { return "cannot open with the minimal BTF" }
        let chosen = Set(running.programs().filter { bpf_program__autoload($0) }.map { String(cString: bpf_program__name($0)) })
        for prog in check.handle.programs() {
            bpf_program__set_autoload(prog, chosen.contains(String(cString: bpf_program__name(prog))))
        }
        // The read-only config must match too: dead-code elimination is not relocation, but the
        // verifier must accept the same program.
        copyReadOnlyData(from: running, to: check.handle)
        guard bpf_object__load(check.handle.object) == 0 else { return "libbpf rejected the minimal BTF" }
        for prog in running.programs() where bpf_program__autoload(prog) {
            guard let twin = bpf_object__find_program_by_name(check.handle.object, bpf_program__name(prog)),
                  instructions(prog) == instructions(twin) else {
                return "program \(String(cString: bpf_program__name(prog))) relocates differently"
            }
        }
        return nil
    }

    /// A program's instructions, with the 64-bit immediate loads (map and BTF references,
    /// different in every object) blanked.
    private static func instructions(_ prog: OpaquePointer) -> [UInt64]? {
        guard let insns = bpf_program__insns(prog) else { return nil }
        let count = bpf_program__insn_cnt(prog)
        var words = UnsafeRawPointer(insns).withMemoryRebound(to: UInt64.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
        var i = 0
        while i < count {
            if words[i] & 0xff == 0x18 {  // BPF_LD | BPF_IMM | BPF_DW: two slots
                words[i] = 0
                if i + 1 < count { words[i + 1] = 0 }
                i += 2
            } else {
                i += 1
            }
        }
        return words
    }

    private static func copyReadOnlyData(from source: ObjectHandle, to destination: ObjectHandle) {
        for map in source.maps() where String(cString: bpf_map__name(map)).hasSuffix(".rodata") {
            var size = 0
            guard let value = bpf_map__initial_value(map, &size),
                  let twin = bpf_object__find_map_by_name(destination.object, bpf_map__name(map)) else { continue }
            _ = bpf_map__set_initial_value(twin, value, size)
        }
    }
}
