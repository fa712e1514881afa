import CLibdw
import Glibc
import LoaderCore

/// One process's unwinding state: a libdwfl session with every ELF file the process maps
/// reported at its load address, so libdwfl finds (and caches) each file's CFI once.
final class ProcessUnwinder {
    let pid: UInt32
    private let dwfl: OpaquePointer
    /// The files reported, for -v.
    private(set) var modules: [String] = []
    /// The executable (its path as the process sees it), for reports per binary.
    private(set) var executable: String?
    /// When the session was built, to rebuild at most once a second (a library dlopen()ed
    /// since, or an exec).
    let built: UInt64
    var lastUsed: UInt64

    /// The sample being unwound: only set during unwind().
    private var context: UserContext?
    private var frames: [UInt64] = []
    private var maxDepth = 0

    /// The files this session's modules read, shared with other sessions.
    private let shared: SharedELFFiles
    private var files: [SharedELFFiles.File] = []

    init?(pid: UInt32, now: UInt64, files shared: SharedELFFiles) {
        guard let dwfl = dwfl_begin(DwflCallbacks.session) else { return nil }
        self.pid = pid
        self.dwfl = dwfl
        self.built = now
        self.lastUsed = now
        self.shared = shared
        guard report() > 0,
              dwfl_attach_state(dwfl, nil, pid_t(bitPattern: pid), DwflCallbacks.thread,
                                Unmanaged.passUnretained(self).toOpaque()) else { return nil }
    }

    deinit {
        dwfl_end(dwfl)
        for file in files { shared.release(file) }
    }

    /// Reports each file with an executable mapping, from where its file offset 0 is mapped to
    /// the end of its last mapping; libdwfl asks `find_elf` for the file when it first needs
    /// it, which hands it the shared handle (the module's userdata). Opened through
    /// /proc/PID/map_files (the very file mapped, in the process's mount namespace),
    /// non-blocking, and only when a regular file: a user's process may map anything.
    private func report() -> Int {
        let mappings = ProcessMapping.all(pid: pid)
        var seen: Set<String> = []
        dwfl_report_begin(dwfl)
        defer { dwfl_report_end(dwfl, nil, nil) }
        for mapping in mappings where mapping.isFile && mapping.isExecutable {
            let key = "\(mapping.inode):\(mapping.path)"
            guard seen.insert(key).inserted else { continue }
            let sameFile = mappings.filter { $0.inode == mapping.inode && $0.path == mapping.path }
            let first = sameFile.first { $0.offset == 0 } ?? mapping
            guard first.start >= first.offset, let end = sameFile.map(\.end).max(), end > first.start else { continue }
            let fd = open(first.mapFilesPath(pid: pid), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
            guard fd >= 0, let file = shared.acquire(fd: fd, path: mapping.path) else { continue }
            let name = String(mapping.path.split(separator: "/").last ?? "")
            guard let module = dwfl_report_module(dwfl, name, Dwarf_Addr(first.start - first.offset), Dwarf_Addr(end)) else {
                shared.release(file)
                continue
            }
            var userdata: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
            _ = dwfl_module_info(module, &userdata, nil, nil, nil, nil, nil, nil)
            userdata?.pointee = Unmanaged.passUnretained(file).toOpaque()
            files.append(file)
            if executable == nil { executable = mapping.path }
            modules.append(mapping.path)
        }
        return modules.count
    }

    /// Whether `address` is inside a reported file.
    func covers(_ address: UInt64) -> Bool {
        dwfl_addrmodule(dwfl, Dwarf_Addr(address)) != nil
    }

    /// The return addresses of the sample's user stack, innermost first (its pc first), at most
    /// `maxDepth`; as many as libdwfl could find before CFI, memory or the stack copy ran out.
    func unwind(tid: UInt32, _ context: UserContext, maxDepth: Int) -> [UInt64] {
        self.context = context
        self.maxDepth = maxDepth
        frames.removeAll(keepingCapacity: true)
        defer { self.context = nil }
        _ = dwfl_getthread_frames(dwfl, pid_t(bitPattern: tid), { state, arg in
            guard let state, let arg else { return Int32(DWARF_CB_ABORT) }
            let unwinder = Unmanaged<ProcessUnwinder>.fromOpaque(arg).takeUnretainedValue()
            var pc: Dwarf_Addr = 0
            var isActivation = false
            guard dwfl_frame_pc(state, &pc, &isActivation) else { return Int32(DWARF_CB_ABORT) }
            // pc 0: the outermost frame's return address (the ABI's end of the stack)
            if pc == 0 { return Int32(DWARF_CB_ABORT) }
            unwinder.frames.append(UInt64(pc))
            return unwinder.frames.count >= unwinder.maxDepth ? Int32(DWARF_CB_ABORT) : Int32(DWARF_CB_OK)
        }, Unmanaged.passUnretained(self).toOpaque())
        return frames
    }

    func stackWord(at address: UInt64) -> UInt64? {
        context?.word(at: address)
    }

    func setInitialRegisters(_ thread: OpaquePointer) -> Bool {
        guard let context, let base = context.registers.baseAddress else { return false }
        return base.withMemoryRebound(to: Dwarf_Word.self, capacity: context.registers.count) {
            dwfl_thread_state_registers(thread, 0, UInt32(context.registers.count), $0)
        }
    }
}
