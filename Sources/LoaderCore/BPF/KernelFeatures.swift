import CLibbpf
import Glibc

/// Answers "can this kind of probe attach here?" before anything is loaded.
public protocol KernelFeatures {
    /// nil if supported, else a short reason ("no such tracepoint").
    func unsupportedReason(_ kind: ProbeKind) -> String?
}

/// The running kernel, asked through tracefs, BTF and libbpf's feature probes. Answers are
/// computed on demand; a tool asks a handful of questions once at start-up.
public final class RunningKernel: KernelFeatures {
    private let tracefs: String
    private var vmlinuxBTF: OpaquePointer?
    private var triedBTF = false
    private var kprobeFunctions: Set<Substring>?
    private var tracefsEvents: Set<String>?

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
            guard let btf = kernelBTF() else { return "no kernel BTF" }
            guard btf__find_by_name_kind(btf, function, BTFKind.`func`) > 0 else {
                return "no such kernel function"
            }
            return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING, nil) == 1
                ? nil : "fentry/fexit programs are not allowed by this kernel"
        case .kprobe(let function), .kretprobe(let function):
            return kprobeReason(function)
        case .perfEvent(let type):
            return PerfSampling.unsupportedReason(type)
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
