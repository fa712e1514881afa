/// Where a BPF program hooks into the kernel. The program's `SEC()` name in bpf-src must agree;
/// `ProbeCandidate.sectionName` is what the test suite compares it with.
public enum ProbeKind: Sendable, Equatable, CustomStringConvertible {
    case tracepoint(category: String, name: String)
    case btfTracepoint(String)
    case rawTracepoint(String)
    case fentry(String)
    case fexit(String)
    case kprobe(String)
    case kretprobe(String)
    case ksyscall(String)
    case kretsyscall(String)
    /// A sampling perf event on every CPU (see PerfSampling for the rate and the CPUs).
    case perfEvent(PerfEventType)
    /// A function (or offset) in a user binary, given at run time: the program's section is
    /// plain `uprobe` / `uretprobe`.
    case uprobe(UserProbeTarget)
    case uretprobe(UserProbeTarget)
    /// A USDT probe (a static probe point, `provider:name`) in a user binary, given at run time.
    case usdt(USDTTarget)
    /// Never attached: a raw tracepoint program the tool runs itself, when it needs to, through
    /// BPF_PROG_TEST_RUN (naming kernel addresses with bpf_snprintf, say).
    case onDemand

    public var description: String {
        switch self {
        case .tracepoint(let c, let n): "tracepoint \(c):\(n)"
        case .btfTracepoint(let n): "tp_btf \(n)"
        case .rawTracepoint(let n): "raw_tp \(n)"
        case .fentry(let f): "fentry \(f)"
        case .fexit(let f): "fexit \(f)"
        case .kprobe(let f): "kprobe \(f)"
        case .kretprobe(let f): "kretprobe \(f)"
        case .ksyscall(let s): "ksyscall \(s)"
        case .kretsyscall(let s): "kretsyscall \(s)"
        case .perfEvent(let e): "perf event \(e.name)"
        case .uprobe(let t): "uprobe \(t)"
        case .uretprobe(let t): "uretprobe \(t)"
        case .usdt(let t): "usdt \(t)"
        case .onDemand: "run on demand"
        }
    }

    /// The libbpf section name a program of this kind is declared with.
    public var sectionName: String {
        switch self {
        case .tracepoint(let c, let n): "tracepoint/\(c)/\(n)"
        case .btfTracepoint(let n): "tp_btf/\(n)"
        case .rawTracepoint(let n): "raw_tp/\(n)"
        case .fentry(let f): "fentry/\(f)"
        case .fexit(let f): "fexit/\(f)"
        case .kprobe(let f): "kprobe/\(f)"
        case .kretprobe(let f): "kretprobe/\(f)"
        case .ksyscall(let s): "ksyscall/\(s)"
        case .kretsyscall(let s): "kretsyscall/\(s)"
        case .perfEvent: "perf_event"
        case .uprobe: "uprobe"
        case .uretprobe: "uretprobe"
        case .usdt: "usdt"
        case .onDemand: "raw_tp"
        }
    }
}

/// One way to attach: a kind of hook, the BPF program written for it, and what else that
/// program needs of the kernel. Variants of one program (with and without bpf_loop, say) are
/// candidates that differ in `requires`, checked before anything is loaded.
public struct ProbeCandidate: Sendable, Equatable {
    public let kind: ProbeKind
    public let program: String
    public let requires: [KernelRequirement]

    public init(_ kind: ProbeKind, program: String, requires: [KernelRequirement] = []) {
        self.kind = kind
        self.program = program
        self.requires = requires
    }
}

/// What a program needs beyond its attach point, probed up front (libbpf's helper probe, a
/// tiny program for an instruction, kernel BTF).
public indirect enum KernelRequirement: Sendable, Hashable, CustomStringConvertible {
    /// bpf_loop() (Linux 5.17+), from programs of the kind the candidate attaches as.
    case loopHelper
    /// bpf_task_pt_regs() (Linux 5.15+): a task's saved user registers, so a syscall's
    /// arguments can be read at its return.
    case taskRegsHelper
    /// bpf_find_vma() (Linux 5.17+): the mapping holding an address (profile: where a
    /// thread's stack ends).
    case findVMAHelper
    /// bpf_snprintf() (Linux 5.13+), whose %pS names a kernel address.
    case snprintfHelper
    /// Only where the kernel lacks the other requirement: the part of an older way (an entry
    /// program keeping arguments) that a newer way does without.
    case without(KernelRequirement)
    /// The compare-and-exchange instruction (Linux 5.12+).
    case compareAndSwap
    /// A type in the kernel's BTF (a struct or typedef).
    case btfType(String)
    /// A member of a struct in the kernel's BTF.
    case btfField(String, String)

    public var description: String {
        switch self {
        case .loopHelper: "bpf_loop"
        case .taskRegsHelper: "bpf_task_pt_regs"
        case .findVMAHelper: "bpf_find_vma"
        case .snprintfHelper: "bpf_snprintf"
        case .without(let other): "no:\(other)"
        case .compareAndSwap: "cmpxchg"
        case .btfType(let name): "btf:\(name)"
        case .btfField(let type, let field): "btf:\(type).\(field)"
        }
    }
}

/// One thing a tool needs to observe, with the ways to do it in order of preference. The
/// first candidate this kernel supports is loaded and attached; the others are not loaded.
public struct ProbeChain: Sendable, Equatable {
    public let role: String
    public let candidates: [ProbeCandidate]
    /// A required chain with no usable candidate is an error; an optional one is skipped.
    public let required: Bool
    /// What the error says first when no candidate works: why the feature needs these probes.
    public let unavailable: String?

    /// `unavailable` explains, in the user's terms, an exhausted chain ("can't use -F: ...").
    public static func oneOf(_ role: String, _ candidates: [ProbeCandidate], unavailable: String? = nil) -> ProbeChain {
        ProbeChain(role: role, candidates: candidates, required: true, unavailable: unavailable)
    }

    public static func optional(_ role: String, _ candidates: [ProbeCandidate]) -> ProbeChain {
        ProbeChain(role: role, candidates: candidates, required: false, unavailable: nil)
    }

    /// The same chain with other candidates: a tool's variants of the programs.
    public func with(candidates: [ProbeCandidate]) -> ProbeChain {
        ProbeChain(role: role, candidates: candidates, required: required, unavailable: unavailable)
    }
}

public typealias AttachPlan = [ProbeChain]

extension ProbeChain {
    /// The two chains that trace a syscall: its syscalls:sys_enter_/sys_exit_ tracepoints
    /// first (stable, cheap), kprobes on the syscall function where the kernel has no syscall
    /// tracepoints. Programs are named tp_enter_<call>, ks_enter_<call>, tp_exit_<call>,
    /// ks_exit_<call>; `returnSuffix` picks a variant of the return programs. A call that is
    /// not `required` (newer than some kernels) is skipped where the kernel lacks it.
    ///
    /// `argumentsAtReturn`: the return programs have variants named ..._regs that read the
    /// arguments from the task's saved registers (bpf_task_pt_regs, 5.15+); where those load,
    /// the entry programs are not needed and the entry chain is skipped.
    public static func syscall(_ call: String, returnSuffix: String = "", required: Bool = true,
                               argumentsAtReturn: Bool = false) -> [ProbeChain] {
        let entryOnlyWithout: [KernelRequirement] = argumentsAtReturn ? [.without(.taskRegsHelper)] : []
        let tracepoint = ProbeKind.tracepoint(category: "syscalls", name: "sys_exit_\(call)")
        let exits: [ProbeCandidate] = argumentsAtReturn
            ? [ProbeCandidate(tracepoint, program: "tp_exit_\(call)\(returnSuffix)_regs", requires: [.taskRegsHelper]),
               ProbeCandidate(tracepoint, program: "tp_exit_\(call)\(returnSuffix)"),
               ProbeCandidate(.kretsyscall(call), program: "ks_exit_\(call)\(returnSuffix)_regs", requires: [.taskRegsHelper]),
               ProbeCandidate(.kretsyscall(call), program: "ks_exit_\(call)\(returnSuffix)")]
            : [ProbeCandidate(tracepoint, program: "tp_exit_\(call)\(returnSuffix)"),
               ProbeCandidate(.kretsyscall(call), program: "ks_exit_\(call)\(returnSuffix)")]
        return [
            ProbeChain(role: "\(call) entry", candidates: [
                ProbeCandidate(.tracepoint(category: "syscalls", name: "sys_enter_\(call)"), program: "tp_enter_\(call)", requires: entryOnlyWithout),
                ProbeCandidate(.ksyscall(call), program: "ks_enter_\(call)", requires: entryOnlyWithout),
            ], required: required && !argumentsAtReturn, unavailable: nil),
            ProbeChain(role: "\(call) return", candidates: exits, required: required, unavailable: nil),
        ]
    }
}

/// What the plan resolved to on this kernel, for -v and for error messages.
public struct Resolution: Sendable, Equatable {
    public let role: String
    public let chosen: ProbeCandidate?
    /// Candidates passed over, each with the reason.
    public let rejected: [(ProbeCandidate, String)]

    public static func == (a: Resolution, b: Resolution) -> Bool {
        a.role == b.role && a.chosen == b.chosen && a.rejected.map(\.0) == b.rejected.map(\.0)
    }

    /// Whether a candidate needing `requirement` was passed over for want of it.
    public func passedOver(for requirement: KernelRequirement) -> Bool {
        rejected.contains { $0.0.requires.contains(requirement) }
    }

    public var summary: String {
        var text = "\(role): " + (chosen.map { "using \($0.kind) (\($0.program))" } ?? "skipped")
        if !rejected.isEmpty {
            text += "; passed over " + rejected.map { "\($0.0.kind): \($0.1)" }.joined(separator: "; ")
        }
        return text
    }
}

extension AttachPlan {
    /// Picks the first supported candidate of each chain. Throws, naming every candidate tried
    /// and why it did not work, when a required chain has none.
    /// `failed`: programs that passed the kernel's checks but then failed to load or attach,
    /// with the reason; they are passed over like unsupported ones.
    ///
    /// Chains whose candidates say `.without(X)` are resolved last: such a candidate is taken
    /// only when no program chosen for the other chains requires X (an entry program that
    /// keeps arguments, where the return program that reads them itself did not load).
    public func resolve(on kernel: some KernelFeatures, tool: String,
                        failed: [String: String] = [:]) throws(BPFError) -> [Resolution] {
        func isConditional(_ chain: ProbeChain) -> Bool {
            chain.candidates.contains { $0.requires.contains { if case .without = $0 { true } else { false } } }
        }
        var resolved: [Int: Resolution] = [:]
        for (i, chain) in enumerated() where !isConditional(chain) {
            resolved[i] = try resolveChain(chain, kernel: kernel, failed: failed, inUse: [])
        }
        let inUse = Set(resolved.values.flatMap { $0.chosen?.requires ?? [] })
        for (i, chain) in enumerated() where isConditional(chain) {
            resolved[i] = try resolveChain(chain, kernel: kernel, failed: failed, inUse: inUse)
        }
        return indices.compactMap { resolved[$0] }
    }

    private func resolveChain(_ chain: ProbeChain, kernel: some KernelFeatures, failed: [String: String],
                              inUse: Set<KernelRequirement>) throws(BPFError) -> Resolution {
        func unmet(_ requirement: KernelRequirement, _ kind: ProbeKind) -> String? {
            if case .without(let other) = requirement {
                return inUse.contains(other) ? "not needed: the programs chosen use \(other)" : nil
            }
            return kernel.unmetReason(requirement, for: kind)
        }
        var rejected: [(ProbeCandidate, String)] = []
        var chosen: ProbeCandidate?
        for candidate in chain.candidates {
            if let reason = failed[candidate.program] ?? kernel.unsupportedReason(candidate.kind)
                ?? candidate.requires.lazy.compactMap({ unmet($0, candidate.kind) }).first {
                rejected.append((candidate, reason))
            } else {
                chosen = candidate
                break
            }
        }
        if chosen == nil && chain.required {
            let tried = rejected.map { "\($0.0.kind) (\($0.1))" }.joined(separator: ", ")
            throw BPFError(.noAttachPoint, (chain.unavailable.map { $0 + ": " } ?? "")
                           + "no usable attach point for \(chain.role) on this kernel; tried \(tried)")
        }
        return Resolution(role: chain.role, chosen: chosen, rejected: rejected)
    }
}
