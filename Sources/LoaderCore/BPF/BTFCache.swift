import CLibbpf
import Glibc

/// Where the minimal BTF of one BPF object for the running kernel is kept (see MinimalBTF),
/// so that every start-up after the first skips parsing the kernel's full BTF.
///
/// The file lives on tmpfs (/run), so a reboot clears it; its name covers the object's bytes
/// and the kernel's identity (release, build, BTF size), so another build or another kernel
/// never uses it. It is written only after checking that it relocates every loaded
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
        var st = stat()
        if stat("/sys/kernel/btf/vmlinux", &st) == 0 { withUnsafeBytes(of: st.st_size) { mix($0) } }
        path = "\(Self.directory)/\(object.name)-\(String(hash, radix: 16)).btf"
    }

    public var isPresent: Bool { access(path, R_OK) == 0 }

    public func remove() { unlink(path) }

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
        let temporary = "\(path).\(getpid()).tmp"
        guard write(minimal, to: temporary) else { return "cannot write \(temporary)" }
        guard let reason = Self.relocationsDiffer(object: object, btfPath: temporary, running: running) else {
            return rename(temporary, path) == 0 ? nil : "cannot rename \(temporary)"
        }
        unlink(temporary)
        return reason
    }

    private func write(_ bytes: [UInt8], to file: String) -> Bool {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    /// Loads `object` with the BTF at `btfPath`, choosing the programs `running` loaded, and
    /// compares their relocated instructions (map references aside). nil: identical.
    static func relocationsDiffer(object: EmbeddedObject, btfPath: String, running: ObjectHandle) -> String? {
        guard var check = try? BPFObject(object, btfPath: btfPath) else { return "cannot open with the minimal BTF" }
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
