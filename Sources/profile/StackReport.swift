import BPFEvents
import Glibc
import LoaderCore

/// The samples counted in the kernel, symbolized and printed once at the end, as BCC prints
/// them: multi-line stacks or folded lines, least frequent first; or JSON, or a flame graph.
final class StackReport {
    private let options: Profile
    private let counts: BPFMap
    private let stacks: BPFMap
    private let lost: LostCounter
    private let kernel = KernelSymbols()
    private let user: UserSymbols

    /// One counted (process, stacks, name), its frames leaf first.
    struct Sample {
        let pid: UInt32
        let comm: String
        let count: UInt64
        /// nil when the stack could not be recorded ("[Missed ... Stack]").
        let kernel: [UInt64]?
        let user: [UInt64]?
    }

    init(options: Profile, counts: BPFMap, stacks: BPFMap, lost: LostCounter) {
        self.options = options
        self.counts = counts
        self.stacks = stacks
        self.lost = lost
        let verbose = options.common.verbose
        user = UserSymbols { problem in if verbose { Diagnostics.line("profile: \(TerminalText.escaped(problem))") } }
    }

    func print() throws(BPFError) {
        let out = OutputSink.stdout
        let (samples, missing, collision) = try read()
        if !options.folded && !options.common.json { out.writeLine("") }
        for sample in samples {
            if options.common.json {
                out.writeLine(json(sample).serialized)
            } else if options.folded {
                out.writeLine(foldedLine(sample))
            } else {
                for line in multiLine(sample) { out.writeLine(line) }
            }
        }
        if let path = options.flamegraph {
            try FlameGraph(title: "Flame Graph", samples: samples.map { (folded: foldedFrames($0, annotate: true), count: $0.count) })
                .write(to: path)
        }
        out.flush()
        if missing > 0 {
            Diagnostics.line("WARNING: \(missing) stack traces could not be displayed."
                             + (collision ? " Consider increasing --stack-storage-size." : ""))
        }
        if lost.newlyLost() > 0 { Diagnostics.line("WARNING: hash table full. Consider increasing --hash-storage-size.") }
    }

    /// The counts, least frequent first, with the number of stacks that could not be shown
    /// (BCC's count) and whether any was lost to a full stack table.
    private func read() throws(BPFError) -> ([Sample], Int, Bool) {
        var samples: [Sample] = []
        var missing = 0, collision = false
        var stackCache: [Int32: [UInt64]] = [:]
        func frames(_ id: Int32) throws(BPFError) -> [UInt64]? {
            guard id >= 0 else { return nil }
            if let cached = stackCache[id] { return cached }
            // PROFILE_MAX_STACK_DEPTH addresses, zero after the last
            let ips = (try stacks.lookupArray(UInt32(id), of: UInt64.self) ?? []).prefix { $0 != 0 }.map { $0 }
            stackCache[id] = ips
            return ips
        }
        for (key, count) in try counts.entries(profile_key.self, UInt64.self) {
            var kernelFrames: [UInt64]? = []
            var userFrames: [UInt64]? = []
            if !options.userStacksOnly {
                if Self.isError(key.kernel_stack_id) {
                    missing += 1
                    collision = collision || key.kernel_stack_id == -EEXIST
                    kernelFrames = nil
                } else if key.kernel_stack_id >= 0 {
                    kernelFrames = (key.kernel_ip != 0 ? [key.kernel_ip] : []) + (try frames(key.kernel_stack_id) ?? [])
                }
            }
            if !options.kernelStacksOnly {
                if Self.isError(key.user_stack_id) {
                    missing += 1
                    collision = collision || key.user_stack_id == -EEXIST
                    userFrames = nil
                } else if key.user_stack_id >= 0 {
                    userFrames = try frames(key.user_stack_id)
                }
            }
            samples.append(Sample(pid: key.pid, comm: KernelString.from(tuple: key.comm), count: count,
                                  kernel: kernelFrames, user: userFrames))
        }
        // least frequent first; ties in a stable order so that runs compare
        samples.sort { ($0.count, $0.pid, $0.comm) < ($1.count, $1.pid, $1.comm) }
        return (samples, missing, collision)
    }

    /// BCC's stack_id_err: a failure other than "no stack of this kind" (-EFAULT).
    static func isError(_ id: Int32) -> Bool { id < 0 && id != -EFAULT }

    private var needDelimiter: Bool { options.delimited && !options.userStacksOnly && !options.kernelStacksOnly }

    private func bothStacks(_ s: Sample) -> Bool { (s.kernel?.isEmpty == false) && (s.user?.isEmpty == false) }

    func multiLine(_ s: Sample) -> [String] {
        var lines: [String] = []
        if !options.userStacksOnly {
            if let kernel = s.kernel {
                for ip in kernel {
                    let frame = self.kernel.frame(ip)
                    lines.append(options.addresses ? "    " + PyFormat("0x%-16x %s")(.unsigned(ip), .text(frame.detailed))
                                 : "    " + frame.detailed)
                }
            } else {
                lines.append("    [Missed Kernel Stack]")
            }
        }
        if !options.kernelStacksOnly {
            if needDelimiter && bothStacks(s) { lines.append("    --") }
            if let user = s.user {
                for ip in user {
                    let frame = self.user.frame(ip, pid: s.pid)
                    lines.append(options.addresses ? "    " + PyFormat("0x%016x %s")(.unsigned(ip), .text(frame.detailed))
                                 : "    " + frame.detailed)
                }
            } else {
                lines.append("    [Missed User Stack]")
            }
        }
        lines.append(PyFormat("    %-16s %s (%d)")(.text("-"), .text(TerminalText.escaped(s.comm)), .int(Int64(s.pid))))
        lines.append("        \(s.count)")
        lines.append("")
        return lines
    }

    /// comm, user frames root first, "-", kernel frames root first (BCC's folded order).
    func foldedFrames(_ s: Sample, annotate: Bool) -> [String] {
        var parts = [TerminalText.escaped(s.comm)]
        if !options.kernelStacksOnly {
            if let user = s.user {
                parts += user.reversed().map { self.user.frame($0, pid: s.pid).bare }
            } else {
                parts.append("[Missed User Stack]")
            }
        }
        if !options.userStacksOnly {
            if needDelimiter && bothStacks(s) { parts.append("-") }
            if let kernel = s.kernel {
                parts += kernel.reversed().map { self.kernel.frame($0).bare + (annotate ? "_[k]" : "") }
            } else {
                parts.append("[Missed Kernel Stack]")
            }
        }
        return parts
    }

    func foldedLine(_ s: Sample) -> String {
        foldedFrames(s, annotate: options.annotations).joined(separator: ";") + " \(s.count)"
    }

    /// One object per stack: frames leaf first, each with its symbol, offset and module.
    func json(_ s: Sample) -> JSONValue {
        func frames(_ ips: [UInt64]?, _ resolve: (UInt64) -> Frame) -> JSONValue {
            guard let ips else { return .null }
            return .array(ips.map { resolve($0).json(address: $0) })
        }
        var members: [(String, JSONValue)] = [("timestamp", .string(Clock.timestamp())), ("pid", .int(Int64(s.pid))), ("comm", .string(s.comm)), ("count", .int(Int64(s.count)))]
        if !options.userStacksOnly { members.append(("kernel_stack", frames(s.kernel) { self.kernel.frame($0) })) }
        if !options.kernelStacksOnly { members.append(("user_stack", frames(s.user) { self.user.frame($0, pid: s.pid) })) }
        return .object(members)
    }
}
