import CLibbpf
import Glibc

/// Answers "can this kind of probe attach here?" before anything is loaded.
public protocol KernelFeatures {
    /// nil if supported, else a short reason ("no such tracepoint").
    func unsupportedReason(_ kind: ProbeKind) -> String?
    /// nil if the kernel meets `requirement` for a program attached as `kind`, else why not.
    func unmetReason(_ requirement: KernelRequirement, for kind: ProbeKind) -> String?
}

extension KernelFeatures {
    public func unmetReason(_ requirement: KernelRequirement, for kind: ProbeKind) -> String? { nil }
}

/// The running kernel, asked through tracefs, BTF and libbpf's feature probes. Answers are
/// computed on demand; a tool asks a handful of questions once at start-up.
public final class RunningKernel: KernelFeatures {
    private let tracefs: String
    private var vmlinuxBTF: OpaquePointer?
    private var triedBTF = false
    private var kprobeFunctions: Set<Substring>?
    private var tracefsEvents: Set<String>?
    private var cmpxchg: Bool?

    public init(tracefs: String = Tracefs.path) {
        self.tracefs = tracefs
    }

    deinit {
        if let btf = vmlinuxBTF { btf__free(btf) }
    }

    public func unsupportedReason(_ kind: ProbeKind) -> String? {
        switch kind {
        case .tracepoint(let category, let name):
            return pathExists("\(tracefs)/events/\(category)/\(name)") ? nil : "no such tracepoint"
        case .btfTracepoint(let name), .rawTracepoint(let name):
            // Every tracepoint with a tracefs event is also a raw one, and the tools need BTF
            // anyway: asking tracefs spares parsing the kernel's BTF (~20 ms) at every start.
            if hasTracefsEvent(name) && pathExists(Preflight.vmlinuxBTF) { return nil }
            guard let btf = kernelBTF() else { return "no kernel BTF" }
            return btf__find_by_name_kind(btf, "btf_trace_\(name)", BTFKind.typedef) > 0
                ? nil : "no such raw tracepoint"
        case .fentry(let function), .fexit(let function):
            // the program-type probe first: it is cheap, parsing the kernel's BTF is not (10 ms)
            guard libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING, nil) == 1 else {
                return "fentry/fexit programs are not allowed by this kernel"
            }
            guard let btf = kernelBTF() else { return "no kernel BTF" }
            return btf__find_by_name_kind(btf, function, BTFKind.`func`) > 0 ? nil : "no such kernel function"
        case .kprobe(let function), .kretprobe(let function):
            return kprobeReason(function)
        case .perfEvent(let type):
            return PerfSampling.unsupportedReason(type)
        case .uprobe(let target), .uretprobe(let target):
            return userProbeReason(binary: target.binary)
        case .usdt(let target):
            return userProbeReason(binary: target.binary)
        case .onDemand:
            return nil  // a raw tracepoint program, run by BPF_PROG_TEST_RUN (5.10+)
        case .ksyscall(let name), .kretsyscall(let name):
            #if arch(x86_64)
            return kprobeReason("__x64_sys_\(name)")
            #elseif arch(arm64)
            return kprobeReason("__arm64_sys_\(name)")
            #else
            return kprobeReason("sys_\(name)")
            #endif
        }
    }

    public func unmetReason(_ requirement: KernelRequirement, for kind: ProbeKind) -> String? {
        switch requirement {
        case .loopHelper:
            return clibbpf_probe_helper(kind.programType, BPF_FUNC_loop) != 0 ? nil : "no bpf_loop() here (Linux 5.17+)"
        case .taskRegsHelper:
            return clibbpf_probe_helper(kind.programType, BPF_FUNC_task_pt_regs) != 0 ? nil : "no bpf_task_pt_regs() here (Linux 5.15+)"
        case .findVMAHelper:
            return clibbpf_probe_helper(kind.programType, BPF_FUNC_find_vma) != 0 ? nil : "no bpf_find_vma() here (Linux 5.17+)"
        case .snprintfHelper:
            return clibbpf_probe_helper(kind.programType, BPF_FUNC_snprintf) != 0 ? nil : "no bpf_snprintf() here (Linux 5.13+)"
        case .without:
            return nil  // the plan's resolution decides (AttachPlan.resolve)
        case .compareAndSwap:
            if cmpxchg == nil { cmpxchg = clibbpf_probe_cmpxchg() != 0 }
            return cmpxchg == true ? nil : "no compare-and-exchange instruction here (Linux 5.12+)"
        case .btfType(let name):
            guard let btf = kernelBTF() else { return "no kernel BTF" }
            return btf__find_by_name(btf, name) > 0 ? nil : "the kernel has no type \(name)"
        case .btfField(let type, let field):
            guard let btf = kernelBTF() else { return "no kernel BTF" }
            return BTFLookup.hasMember(btf, type, field) ? nil : "the kernel's \(type) has no \(field)"
        }
    }

    /// Whether tracefs has an event of this name, in any category. Most events are named after
    /// their category (block_rq_issue is block/block_rq_issue) or are in one of a few the tools
    /// use, which an access() each confirms; else the list of all events is read, once (it
    /// costs 3-6 ms).
    private func hasTracefsEvent(_ name: String) -> Bool {
        let prefix = name.split(separator: "_").first.map(String.init) ?? name
        for category in [prefix, "sock", "tcp", "sched", "block"]
        where pathExists("\(tracefs)/events/\(category)/\(name)") {
            return true
        }
        if tracefsEvents == nil {
            let text = (try? readFile("\(tracefs)/available_events")) ?? ""
            tracefsEvents = Set(text.split(separator: "\n").compactMap { $0.split(separator: ":").last.map(String.init) })
        }
        return tracefsEvents?.contains(name) == true
    }

    private func userProbeReason(binary: String) -> String? {
        guard pathExists("/sys/bus/event_source/devices/uprobe/type") else {
            return "uprobes are not available (CONFIG_UPROBE_EVENTS unset)"
        }
        return pathExists(binary) ? nil : "no such file \(binary)"
    }

    private func kernelBTF() -> OpaquePointer? {
        if !triedBTF {
            triedBTF = true
            vmlinuxBTF = btf__load_vmlinux_btf()
            if libbpf_get_error(UnsafeRawPointer(vmlinuxBTF)) != 0 { vmlinuxBTF = nil }
        }
        return vmlinuxBTF
    }

    private func kprobeReason(_ function: String) -> String? {
        guard pathExists("\(tracefs)/kprobe_events") else {
            return "kprobes are not available (CONFIG_KPROBES unset)"
        }
        if kprobeFunctions == nil {
            let text = (try? readFile("\(tracefs)/available_filter_functions")) ?? ""
            kprobeFunctions = Set(text.split(separator: "\n").map { $0.split(separator: " ").first ?? "" })
        }
        return kprobeFunctions?.contains(Substring(function)) == true ? nil : "no such kernel function"
    }
}

extension ProbeKind {
    /// The program type libbpf loads a program of this kind as (for helper probes).
    var programType: bpf_prog_type {
        switch self {
        case .tracepoint: BPF_PROG_TYPE_TRACEPOINT
        case .rawTracepoint, .onDemand: BPF_PROG_TYPE_RAW_TRACEPOINT
        case .btfTracepoint, .fentry, .fexit: BPF_PROG_TYPE_TRACING
        case .kprobe, .kretprobe, .ksyscall, .kretsyscall, .uprobe, .uretprobe, .usdt: BPF_PROG_TYPE_KPROBE
        case .perfEvent: BPF_PROG_TYPE_PERF_EVENT
        }
    }
}

/// Lookups in a kernel BTF.
enum BTFLookup {
    /// Whether struct or union `type` has `member`, directly or in an anonymous member.
    static func hasMember(_ btf: OpaquePointer, _ type: String, _ member: String) -> Bool {
        for kind in [BTFKind.`struct`, BTFKind.union] {
            let id = btf__find_by_name_kind(btf, type, kind)
            if id > 0, let t = btf__type_by_id(btf, UInt32(id)), find(btf, t, member, depth: 0) { return true }
        }
        return false
    }

    private static func find(_ btf: OpaquePointer, _ t: UnsafePointer<btf_type>, _ member: String, depth: Int) -> Bool {
        guard depth < 8 else { return false }
        for i in 0..<UInt32(clibbpf_btf_vlen(t)) {
            guard let m = clibbpf_btf_member(t, i)?.pointee else { continue }
            let name = String(cString: btf__name_by_offset(btf, m.name_off))
            if name == member { return true }
            if name.isEmpty, let inner = btf__type_by_id(btf, m.type), find(btf, inner, member, depth: depth + 1) { return true }
        }
        return false
    }
}
