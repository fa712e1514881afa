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
        }
    }
}

/// One way to attach: a kind of hook and the BPF program written for it.
public struct ProbeCandidate: Sendable, Equatable {
    public let kind: ProbeKind
    public let program: String

    public init(_ kind: ProbeKind, program: String) {
        self.kind = kind
        self.program = program
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
}

public typealias AttachPlan = [ProbeChain]

extension ProbeChain {
    /// The two chains that trace a syscall: its syscalls:sys_enter_/sys_exit_ tracepoints
    /// first (stable, cheap), kprobes on the syscall function where the kernel has no syscall
    /// tracepoints. Programs are named tp_enter_<call>, ks_enter_<call>, tp_exit_<call>,
    /// ks_exit_<call>; `returnSuffix` picks a variant of the return programs.
    public static func syscall(_ call: String, returnSuffix: String = "") -> [ProbeChain] {
        [
            .oneOf("\(call) entry", [
                ProbeCandidate(.tracepoint(category: "syscalls", name: "sys_enter_\(call)"), program: "tp_enter_\(call)"),
                ProbeCandidate(.ksyscall(call), program: "ks_enter_\(call)"),
            ]),
            .oneOf("\(call) return", [
                ProbeCandidate(.tracepoint(category: "syscalls", name: "sys_exit_\(call)"), program: "tp_exit_\(call)\(returnSuffix)"),
                ProbeCandidate(.kretsyscall(call), program: "ks_exit_\(call)\(returnSuffix)"),
            ]),
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
    public func resolve(on kernel: some KernelFeatures, tool: String,
                        failed: [String: String] = [:]) throws(BPFError) -> [Resolution] {
        var result: [Resolution] = []
        for chain in self {
            var rejected: [(ProbeCandidate, String)] = []
            var chosen: ProbeCandidate?
            for candidate in chain.candidates {
                if let reason = failed[candidate.program] ?? kernel.unsupportedReason(candidate.kind) {
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
            result.append(Resolution(role: chain.role, chosen: chosen, rejected: rejected))
        }
        return result
    }
}
