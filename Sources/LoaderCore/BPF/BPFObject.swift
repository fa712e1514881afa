import CLibbpf
import Glibc

/// Owns a libbpf `bpf_object`, the memory it was opened from, and the links attached from it.
/// Links are destroyed before the object is closed, so no program stays attached after exit.
final class ObjectHandle {
    let object: OpaquePointer
    let name: String
    private let image: UnsafeMutableRawBufferPointer
    var links: [OpaquePointer] = []
    /// Work to do once the tool is up and its header printed (see LoadedBPF.afterStart).
    var afterStart: (() -> Void)?
    /// Rate and CPUs of the perf events sampling programs attach to.
    var sampling: PerfSampling?

    init(object: OpaquePointer, name: String, image: UnsafeMutableRawBufferPointer) {
        self.object = object
        self.name = name
        self.image = image
    }

    deinit {
        for link in links.reversed() { bpf_link__destroy(link) }
        bpf_object__close(object)
        image.deallocate()
    }

    func runAfterStart() {
        guard let work = afterStart else { return }
        afterStart = nil
        work()
    }

    func programs() -> [OpaquePointer] {
        var result: [OpaquePointer] = []
        var prog = bpf_object__next_program(object, nil)
        while let p = prog {
            result.append(p)
            prog = bpf_object__next_program(object, p)
        }
        return result
    }

    func maps() -> [OpaquePointer] {
        var result: [OpaquePointer] = []
        var map = bpf_object__next_map(object, nil)
        while let m = map {
            result.append(m)
            map = bpf_object__next_map(object, m)
        }
        return result
    }

    func map(named name: String) throws(BPFError) -> OpaquePointer {
        guard let map = bpf_object__find_map_by_name(object, name) else {
            throw BPFError(.map, "the BPF object has no map '\(name)'")
        }
        return map
    }
}

/// An opened, not yet loaded BPF object: the phase where read-only config, map sizes and the
/// choice of programs can still change. `load()` consumes it, so nothing can be configured
/// after the verifier has seen the programs.
public struct BPFObject: ~Copyable {
    let handle: ObjectHandle
    public private(set) var resolutions: [Resolution] = []

    /// `btfPath`: the kernel BTF to relocate against, instead of /sys/kernel/btf/vmlinux (a
    /// minimal one from BTFCache).
    public init(_ embedded: EmbeddedObject, btfPath: String? = nil) throws(BPFError) {
        // libbpf parses the ELF image in place, so the bytes must outlive the object.
        let image = UnsafeMutableRawBufferPointer.allocate(byteCount: embedded.bytes.count, alignment: 16)
        image.copyBytes(from: embedded.bytes)
        let object = embedded.name.withCString { name in
            withOptionalCString(btfPath) { btf -> OpaquePointer? in
                var opts = bpf_object_open_opts()
                opts.sz = MemoryLayout<bpf_object_open_opts>.size
                opts.object_name = name
                opts.btf_custom_path = btf
                return bpf_object__open_mem(image.baseAddress, image.count, &opts)
            }
        }
        guard let object, libbpf_get_error(UnsafeRawPointer(object)) == 0 else {
            let err = errno
            image.deallocate()
            throw BPFError.libbpf(.open, "cannot open the embedded BPF object \(embedded.name)", errno: err)
        }
        handle = ObjectHandle(object: object, name: embedded.name, image: image)
    }

    /// Names and section names of the programs in the object (for consistency tests).
    public var programSections: [(name: String, section: String)] {
        handle.programs().map { (String(cString: bpf_program__name($0)), String(cString: bpf_program__section_name($0))) }
    }

    /// Copies `value` into the read-only global `variable` (a `const volatile` struct in the
    /// BPF program), after checking through BTF that the sizes agree.
    public mutating func configure<C: BitwiseCopyable>(_ value: C, variable: String = "cfg") throws(BPFError) {
        try withUnsafeBytes(of: value) { bytes throws(BPFError) in try configure(bytes: bytes, variable: variable) }
    }

    /// The same, from the struct's bytes.
    public mutating func configure(bytes: UnsafeRawBufferPointer, variable: String = "cfg") throws(BPFError) {
        guard let rodata = handle.maps().first(where: { String(cString: bpf_map__name($0)).hasSuffix(".rodata") }),
              let btf = bpf_object__btf(handle.object) else {
            throw BPFError(.configure, "the BPF object has no read-only data to configure")
        }
        let datasecID = btf__find_by_name_kind(btf, ".rodata", BTFKind.datasec)
        guard datasecID > 0, let datasec = btf__type_by_id(btf, UInt32(datasecID)) else {
            throw BPFError(.configure, "the BPF object has no .rodata BTF section")
        }
        for i in 0..<UInt32(clibbpf_btf_vlen(datasec)) {
            guard let info = clibbpf_datasec_var(datasec, i)?.pointee,
                  let varType = btf__type_by_id(btf, info.type),
                  String(cString: btf__name_by_offset(btf, varType.pointee.name_off)) == variable else { continue }
            guard Int(info.size) == bytes.count else {
                throw BPFError(.configure,
                               "'\(variable)' is \(info.size) bytes in BPF but \(bytes.count) in Swift")
            }
            var size = 0
            guard let base = bpf_map__initial_value(rodata, &size), Int(info.offset) + Int(info.size) <= size else {
                throw BPFError(.configure, "cannot reach the initial value of '\(variable)'")
            }
            if let source = bytes.baseAddress {
                (UnsafeMutableRawPointer(mutating: base) + Int(info.offset)).copyMemory(from: source, byteCount: bytes.count)
            }
            return
        }
        throw BPFError(.configure, "the BPF object has no read-only variable '\(variable)'")
    }

    /// Sets a map's size before load (ring buffer bytes, hash entries).
    /// Rate and CPUs for the programs that attach to perf events.
    public mutating func setSampling(_ sampling: PerfSampling) {
        handle.sampling = sampling
    }

    public mutating func setMaxEntries(_ map: String, _ entries: UInt32) throws(BPFError) {
        let err = bpf_map__set_max_entries(try handle.map(named: map), entries)
        if err != 0 { throw BPFError.libbpf(.map, "cannot size map \(map)", errno: err) }
    }

    /// Sets the size of a map's values before load (a buffer sized by an option). The map must
    /// be declared with `value_size`, not a BTF value type, whose size would no longer agree.
    public mutating func setValueSize(_ map: String, _ bytes: UInt32) throws(BPFError) {
        let err = bpf_map__set_value_size(try handle.map(named: map), bytes)
        if err != 0 { throw BPFError.libbpf(.map, "cannot size the values of map \(map)", errno: err) }
    }

    /// Resolves the plan on this kernel and loads only the chosen programs. `failed` lists
    /// programs that already failed to load or attach here, with the reason.
    public mutating func choose(_ plan: AttachPlan, kernel: some KernelFeatures,
                                failed: [String: String] = [:]) throws(BPFError) {
        resolutions = try plan.resolve(on: kernel, tool: handle.name, failed: failed)
        let chosen = Set(resolutions.compactMap { $0.chosen?.program })
        for prog in handle.programs() {
            bpf_program__set_autoload(prog, chosen.contains(String(cString: bpf_program__name(prog))))
        }
    }

    public consuming func load() throws(BPFError) -> LoadedBPF {
        let err = bpf_object__load(handle.object)
        if err != 0 {
            throw BPFError.libbpf(.load, "failed to load the \(handle.name) BPF programs", errno: err)
        }
        return LoadedBPF(handle: handle, resolutions: resolutions)
    }
}

/// A loaded object: its programs passed the verifier and its maps exist in the kernel.
public struct LoadedBPF: ~Copyable {
    let handle: ObjectHandle
    public let resolutions: [Resolution]

    /// Attaches every chosen program; the links live as long as this object.
    public func attach() throws(BPFError) {
        for resolution in resolutions {
            guard let candidate = resolution.chosen else { continue }
            guard let prog = bpf_object__find_program_by_name(handle.object, candidate.program) else {
                throw BPFError(.attach, "the BPF object has no program \(candidate.program)")
            }
            if case .perfEvent(let type) = candidate.kind {
                try attachPerfEvent(prog, type, role: resolution.role, program: candidate.program)
                continue
            }
            if case .onDemand = candidate.kind { continue }  // run by the tool, never attached
            let link = RuntimeAttach.link(prog, candidate.kind) ?? bpf_program__attach(prog)
            guard let link, libbpf_get_error(UnsafeRawPointer(link)) == 0 else {
                throw BPFError.libbpf(.attach, "cannot attach \(candidate.kind) for \(resolution.role)", errno: errno,
                                      program: candidate.program)
            }
            handle.links.append(link)
        }
    }

    /// Detaches every program: they run no more, and the maps stay as they are, to be read.
    /// A report of what was gathered stops the gathering first (and its cost: profile's
    /// samples would go on being taken while it prints).
    public func detach() {
        for link in handle.links.reversed() { bpf_link__destroy(link) }
        handle.links = []
    }

    /// One perf event per CPU of `sampling`, each with the program attached; the link owns
    /// (and closes) the event's fd.
    private func attachPerfEvent(_ prog: OpaquePointer, _ type: PerfEventType, role: String, program: String) throws(BPFError) {
        guard let sampling = handle.sampling else {
            throw BPFError(.attach, "\(role): a perf event needs a sampling rate and CPUs")
        }
        for cpu in sampling.cpus {
            let fd = sampling.open(type, cpu: cpu)
            guard fd >= 0 else {
                throw BPFError.libbpf(.attach, "cannot open a \(type.name) perf event on CPU \(cpu)", errno: fd, program: program)
            }
            let link = bpf_program__attach_perf_event(prog, fd)
            guard let link, libbpf_get_error(UnsafeRawPointer(link)) == 0 else {
                close(fd)
                throw BPFError.libbpf(.attach, "cannot attach to the \(type.name) perf event on CPU \(cpu)", errno: errno, program: program)
            }
            handle.links.append(link)
        }
    }

    /// Runs `work` once the tool has started (EventLoop calls it after the header is out), for
    /// what need not delay the first event.
    public func afterStart(_ work: @escaping () -> Void) {
        handle.afterStart = work
    }

    /// Runs the work deferred by `afterStart`; the event loops call it once the tool is up.
    public func runAfterStart() {
        handle.runAfterStart()
    }

    /// The loaded programs' names and descriptors (valid while this object lives): what the
    /// kernel's run-time statistics are read from.
    public func loadedPrograms() -> [(name: String, fd: Int32)] {
        handle.programs().compactMap { prog in
            let fd = bpf_program__fd(prog)
            guard fd >= 0, let name = bpf_program__name(prog) else { return nil }
            return (String(cString: name), fd)
        }
    }

    /// The count of records or I/Os the BPF side could not keep.
    public func lostCounter() -> LostCounter {
        LostCounter(owner: handle)
    }

    public func map(_ name: String) throws(BPFError) -> BPFMap {
        BPFMap(map: try handle.map(named: name), owner: handle)
    }

    /// A program the plan chose to run on demand (ProbeKind.onDemand), loaded but not attached,
    /// with the object that keeps its descriptor open; nil when this kernel got no such program.
    func onDemandProgram(_ name: String) -> (fd: Int32, owner: ObjectHandle)? {
        guard resolutions.contains(where: { $0.chosen?.program == name && $0.chosen?.kind == .onDemand }),
              let prog = bpf_object__find_program_by_name(handle.object, name) else { return nil }
        let fd = bpf_program__fd(prog)
        return fd >= 0 ? (fd, handle) : nil
    }

    /// The ring buffer named `map`, calling `handler` with each record in order.
    public func ringBuffer(_ map: String = "events",
                           _ handler: @escaping (UnsafeRawBufferPointer) -> Void) throws(BPFError) -> RingBufferReader {
        try RingBufferReader(map: try self.map(map), handler: handler)
    }
}
