import Glibc

/// One stack counted in the kernel (a profile sample's, an off-CPU time's), frames leaf first.
/// A class: a report moves tens of thousands of them through merges and a sort, and a struct's
/// frames and names were each counted up and down at every copy (a quarter of the merge).
public final class StackSample: Sendable {
    /// The process: whose symbols name the user frames.
    public let pid: UInt32
    /// The ID BCC prints under the stack: profile's process, offcputime's thread.
    public let shownID: UInt32
    public let comm: String
    /// Samples, or microseconds off CPU.
    public let count: UInt64
    /// nil when the stack could not be recorded ("[Missed ... Stack]"); empty when there is
    /// none of its kind (a kernel thread's user stack).
    public let kernel: [UInt64]?
    private let userFrames: [UInt64]?
    /// Or the user stack as a node of shared call paths (profile's unwound samples): its frames
    /// are made when asked, one sample at a time, not held for every sample of a report.
    private let userPath: (paths: CallPaths, node: UInt32)?
    /// --containers: held in a box, one reference wide: the identity is ~100 bytes, and most
    /// reports have none (30,000 samples carried 3 MB of empty ones).
    private let containerBox: ContainerBox?

    public init(pid: UInt32, shownID: UInt32, comm: String, count: UInt64, kernel: [UInt64]?, user: [UInt64]?,
                container: ContainerIdentity? = nil) {
        (self.pid, self.shownID, self.comm, self.count, self.kernel, self.userFrames) = (pid, shownID, comm, count, kernel, user)
        userPath = nil
        containerBox = container.map(ContainerBox.init)
    }

    /// A sample whose user stack is `node` of `paths`.
    public init(pid: UInt32, shownID: UInt32, comm: String, count: UInt64, kernel: [UInt64]?, userPath: (paths: CallPaths, node: UInt32),
                container: ContainerIdentity? = nil) {
        (self.pid, self.shownID, self.comm, self.count, self.kernel, self.userPath) = (pid, shownID, comm, count, kernel, userPath)
        userFrames = nil
        containerBox = container.map(ContainerBox.init)
    }

    /// The same sample with other kernel frames.
    public func with(kernel: [UInt64]?) -> StackSample {
        if let userPath {
            return StackSample(pid: pid, shownID: shownID, comm: comm, count: count, kernel: kernel, userPath: userPath, container: container)
        }
        return StackSample(pid: pid, shownID: shownID, comm: comm, count: count, kernel: kernel, user: userFrames, container: container)
    }

    /// The user stack, innermost first; nil and empty as `kernel`.
    public var user: [UInt64]? { userPath.map { $0.paths.frames($0.node) } ?? userFrames }

    /// Whether the user stack has frames, without making them.
    public var hasUserFrames: Bool { userPath.map { $0.paths.depth($0.node) > 0 } ?? (userFrames?.isEmpty == false) }

    /// Whether the user stack could not be recorded (`user` is nil), without making its frames.
    public var userMissed: Bool { userPath == nil && userFrames == nil }

    public var container: ContainerIdentity? { containerBox?.identity }
}

private final class ContainerBox: Sendable {
    let identity: ContainerIdentity
    init(_ identity: ContainerIdentity) { self.identity = identity }
}

extension StackSample {
    /// `samples` least counted first (BCC's order), ties by `id` then name so that runs
    /// compare. The keys are read into arrays once and indices sorted: the comparisons then
    /// touch no sample. Names are compared as their ranks among the distinct names: most stacks are counted once
    /// by one of a few processes, so most comparisons came down to two equal Strings.
    public static func leastFirst(_ samples: [StackSample], by id: (StackSample) -> UInt32) -> [StackSample] {
        let counts = samples.map(\.count), ids = samples.map(id)
        let names = Set(samples.map(\.comm)).sorted()
        let rankOf = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
        let ranks = samples.map { rankOf[$0.comm] ?? 0 }
        let order = samples.indices.sorted { a, b in
            if counts[a] != counts[b] { return counts[a] < counts[b] }
            return ids[a] != ids[b] ? ids[a] < ids[b] : ranks[a] < ranks[b]
        }
        return order.map { samples[$0] }
    }
}

/// What a tool's options make of its stacks (BCC's profile and offcputime flags).
public struct StackLayout: Sendable {
    /// How a frame reads in the multi-line output: BCC's profile shows name+offset [module];
    /// offcputime the bare name, or name+offset with -s.
    public enum FrameText: Sendable { case detailed, bare, offset }

    public var userOnly = false, kernelOnly = false
    /// -d: "--" (multi-line) or "-" (folded) between the kernel and user frames.
    public var delimited = false
    /// -a: "_[k]" after kernel frames in folded lines.
    public var annotate = false
    /// -A: each frame's address first.
    public var addresses = false
    /// --containers: each stack's container, in every form (a root frame when folded).
    public var containers = false
    public var frameText = FrameText.detailed
    /// Kernel stacks start at the innermost frame of this function, the frames of the probe
    /// itself (the BPF program, the tracepoint's glue) left out: "__schedule" for a stack
    /// taken at sched_switch. A stack without it is shown whole.
    public var kernelStackFrom: String?
    /// C++ and Rust user frames demangled (off with --no-demangle).
    public var demangle = true

    public init() {}
}

/// Stacks symbolized and rendered as BCC prints them: multi-line, folded, JSON, flame graph.
/// User symbols are cached per process for the printer's life (one report).
public final class StackPrinter {
    public let layout: StackLayout
    private let kernelSymbols: KernelSymbols
    private let userSymbols: UserSymbols

    /// `verbose`: say on stderr which files gave no symbols, and why. `kernelNamer`: the tool's
    /// program that names kernel addresses, where this kernel has it.
    public init(_ layout: StackLayout, tool: String, verbose: Bool, kernelNamer: KernelSymbolNamer? = nil) {
        self.layout = layout
        kernelSymbols = KernelSymbols(marking: layout.kernelStackFrom.map { [$0] } ?? [], namer: kernelNamer)
        userSymbols = UserSymbols(demangle: layout.demangle) { problem in if verbose { Diagnostics.line("\(tool): \(TerminalText.escaped(problem))") } }
        // made when the tool starts: the kernel's symbols are read while it samples
        if !layout.userOnly { kernelSymbols.loadInBackground() }
    }

    /// The samples with their kernel stacks trimmed to `layout.kernelStackFrom`, their kernel
    /// frames named first, all at once.
    public func trimmed(_ samples: [StackSample]) -> [StackSample] {
        guard layout.kernelStackFrom != nil else { return samples }
        resolveKernelFrames(samples)
        return samples.map(trimmed)
    }

    /// The sample with its kernel stack trimmed to `layout.kernelStackFrom`.
    public func trimmed(_ s: StackSample) -> StackSample {
        guard let from = layout.kernelStackFrom, let kernel = s.kernel,
              let start = kernel.firstIndex(where: { kernelSymbols.isIn(from, $0) }), start > 0 else { return s }
        return s.with(kernel: Array(kernel[start...]))
    }

    private var needDelimiter: Bool { layout.delimited && !layout.userOnly && !layout.kernelOnly }

    private func bothStacks(_ s: StackSample) -> Bool { (s.kernel?.isEmpty == false) && s.hasUserFrames }

    private func text(_ frame: Frame) -> String {
        switch layout.frameText {
        case .detailed: frame.detailed
        case .bare: frame.bare
        case .offset: frame.withOffset
        }
    }

    public func multiLine(_ s: StackSample) -> [String] {
        var lines: [String] = []
        func frames(_ ips: [UInt64], _ resolve: (UInt64) -> Frame, addressFormat: String) {
            for ip in ips {
                let shown = text(resolve(ip))
                lines.append("    " + (layout.addresses ? PyFormat(addressFormat)(.unsigned(ip), .text(shown)) : shown))
            }
        }
        if !layout.userOnly {
            if let kernel = s.kernel { frames(kernel, kernelSymbols.frame, addressFormat: "0x%-16x %s") } else { lines.append("    [Missed Kernel Stack]") }
        }
        if !layout.kernelOnly {
            if needDelimiter && bothStacks(s) { lines.append("    --") }
            if let user = s.user {
                frames(user, { self.userSymbols.frame($0, pid: s.pid) }, addressFormat: "0x%016x %s")
            } else {
                lines.append("    [Missed User Stack]")
            }
        }
        let container = layout.containers ? " [\(containerName(s))]" : ""
        lines.append(PyFormat("    %-16s %s (%d)")(.text("-"), .text(TerminalText.escaped(s.comm)), .int(Int64(s.shownID))) + container)
        lines.append("        \(s.count)")
        lines.append("")
        return lines
    }

    /// --containers: the container's short ID (or unit), escaped; "unknown" when the cgroup is gone.
    private func containerName(_ s: StackSample) -> String {
        TerminalText.escaped(ContainerIdentity.name(s.container))
    }

    /// (the container, with --containers,) comm, user frames root first, "-", kernel frames root
    /// first (BCC's folded order).
    public func foldedFrames(_ s: StackSample, annotate: Bool) -> [String] {
        var parts: [String] = []
        forEachFoldedPart(s) { part, kernel in parts.append(annotate && kernel ? part + "_[k]" : part) }
        return parts
    }

    /// The parts of `foldedFrames`, one at a time, each with whether it is a kernel frame: a
    /// folded line is built without an array of them (the report of 30,000 stacks spent a third
    /// of its time making and joining those).
    private func forEachFoldedPart(_ s: StackSample, _ body: (_ part: String, _ kernelFrame: Bool) -> Void) {
        if layout.containers { body(containerName(s), false) }
        body(TerminalText.escaped(s.comm), false)
        if !layout.kernelOnly {
            if let user = s.user {
                for ip in user.reversed() { body(userSymbols.frame(ip, pid: s.pid).bare, false) }
            } else {
                body("[Missed User Stack]", false)
            }
        }
        if !layout.userOnly {
            if needDelimiter && bothStacks(s) { body("-", false) }
            if let kernel = s.kernel {
                for ip in kernel.reversed() { body(kernelSymbols.frame(ip).bare, true) }
            } else {
                body("[Missed Kernel Stack]", false)
            }
        }
    }

    public func foldedLine(_ s: StackSample) -> String {
        var line: [UInt8] = []
        appendFoldedLine(s, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    /// The folded line's bytes, without its newline, after `line`'s: built as bytes, not as a
    /// String (whose appends were a fifth of a 40,000-stack report).
    private func appendFoldedLine(_ s: StackSample, to line: inout [UInt8]) {
        var first = true
        let annotate = layout.annotate
        forEachFoldedPart(s) { part, kernel in
            if !first { line.append(UInt8(ascii: ";")) }
            line.append(contentsOf: part.utf8)
            if annotate && kernel { line.append(contentsOf: "_[k]".utf8) }
            first = false
        }
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: String(s.count).utf8)
    }

    /// One object per stack: `leading` members (ids, name, count), then the frames leaf first,
    /// each with its symbol, offset and module.
    public func json(_ s: StackSample, _ leading: [(String, JSONValue)]) -> JSONValue {
        func frames(_ ips: [UInt64]?, _ resolve: (UInt64) -> Frame) -> JSONValue {
            guard let ips else { return .null }
            return .array(ips.map { resolve($0).json(address: $0) })
        }
        var members: [(String, JSONValue)] = [("timestamp", .string(Clock.timestamp()))] + leading
        if !layout.userOnly { members.append(("kernel_stack", frames(s.kernel) { self.kernelSymbols.frame($0) })) }
        if !layout.kernelOnly { members.append(("user_stack", frames(s.user) { self.userSymbols.frame($0, pid: s.pid) })) }
        if layout.containers { members += ContainerIdentity.jsonMembers(s.container) }
        return .object(members)
    }

    /// Names the kernel frames of all `samples` at once: through the kernel (KernelSymbolNamer)
    /// or in one pass over /proc/kallsyms (those named before are not looked up again).
    private func resolveKernelFrames(_ samples: [StackSample]) {
        if !layout.userOnly { kernelSymbols.resolve(samples.lazy.flatMap { $0.kernel ?? [] }) }
    }

    /// The report: a blank line then multi-line stacks, or folded lines, or JSON objects (each
    /// with `leading` members), in the order given; then the flame graph, if asked for.
    public func print(_ samples: [StackSample], folded: Bool, json: Bool, timing: PhaseTiming? = nil,
                      leading: (StackSample) -> [(String, JSONValue)],
                      flameGraph: FlameGraphRequest?, to out: OutputSink = .stdout) throws(BPFError) {
        resolveKernelFrames(samples)
        timing?.mark("naming the kernel frames")
        if !folded && !json { out.writeLine("") }
        var line: [UInt8] = []  // one buffer for every folded line
        line.reserveCapacity(4096)
        for sample in samples {
            if json {
                out.writeLine(self.json(sample, leading(sample)).serialized)
            } else if folded {
                line.removeAll(keepingCapacity: true)
                appendFoldedLine(sample, to: &line)
                line.append(UInt8(ascii: "\n"))
                out.write(bytes: line)
            } else {
                multiLine(sample).forEach(out.writeLine)
            }
        }
        if let flameGraph {
            try self.flameGraph(samples, title: flameGraph.title, unit: flameGraph.unit, width: flameGraph.width).write(to: flameGraph.path)
        }
        out.flush()
        timing?.mark("printing")
    }

    /// The stacks as a pprof profile: each sample's frames leaf first (kernel, then user), its
    /// `values` (one per sample type), its process and name as labels.
    public func pprof(_ samples: [StackSample], _ profile: PprofProfile, values: (StackSample) -> [Int64]) {
        resolveKernelFrames(samples)
        // the program: the executable of the process with the most frequent user stack (else the
        // first frame seen, a kernel one, would make pprof call the kernel the program)
        if !layout.kernelOnly, let top = samples.filter({ $0.user?.isEmpty == false }).max(by: { $0.count < $1.count }) {
            profile.mainBinary(userSymbols.executable(pid: top.pid))
        }
        for s in samples {
            var frames: [PprofProfile.Location] = []
            if !layout.userOnly {
                frames += (s.kernel ?? []).map { .init(address: $0, function: kernelSymbols.frame($0).name, file: nil, pid: 0) }
            }
            if !layout.kernelOnly {
                frames += (s.user ?? []).map { ip in
                    .init(address: ip, function: userSymbols.frame(ip, pid: s.pid).name, file: userSymbols.mapping(of: ip, pid: s.pid), pid: s.pid)
                }
            }
            let container = layout.containers ? [("container", ContainerIdentity.name(s.container))] : []
            profile.add(frames, values: values(s), labels: [("comm", s.comm)] + container, numericLabels: [("pid", Int64(s.pid))])
        }
    }

    /// Reads a process's mappings and symbols while it runs (see UserSymbols.remember).
    public func remember(pid: UInt32) {
        if !layout.kernelOnly { userSymbols.remember(pid: pid) }
    }

    /// A flame graph of the stacks, kernel frames marked as such (for the colours).
    public func flameGraph(_ samples: [StackSample], title: String, unit: String, width: Int = 1200) -> FlameGraph {
        resolveKernelFrames(samples)
        return FlameGraph(title: title, unit: unit, width: width, samples: samples.map { (folded: foldedFrames($0, annotate: true), count: $0.count) })
    }
}

/// A stack-trace map's stacks by ID, each read once.
public final class StackTraces {
    private let map: BPFMap
    private var cache: [Int32: [UInt64]] = [:]

    public init(_ map: BPFMap) { self.map = map }

    /// Empties the kernel's table (and what was read of it): a new profile starts.
    public func clear() throws(BPFError) {
        try map.clear(keyType: UInt32.self)
        cache.removeAll()
    }

    /// BCC's stack_id_err: a failure other than "no stack of this kind" (-EFAULT).
    public static func isError(_ id: Int32) -> Bool { id < 0 && id != -EFAULT }

    /// The addresses of stack `id`, leaf first; nil for a negative ID.
    public func frames(_ id: Int32) throws(BPFError) -> [UInt64]? {
        guard id >= 0 else { return nil }
        if let cached = cache[id] { return cached }
        // a fixed number of addresses, zero after the last
        let ips = (try map.lookupArray(UInt32(id), of: UInt64.self) ?? []).prefix { $0 != 0 }.map { $0 }
        cache[id] = ips
        return ips
    }

    /// A sample's stack of one kind: its frames; [] when there is none of this kind (-EFAULT,
    /// or not collected); nil when it could not be recorded, counted in `missing` (and in
    /// `tableFull` when the table had no room: -EEXIST is a hash collision in a full table,
    /// -ENOMEM no free slot).
    public func stack(_ id: Int32, missing: inout Int, tableFull: inout Bool) throws(BPFError) -> [UInt64]? {
        if Self.isError(id) {
            missing += 1
            tableFull = tableFull || id == -EEXIST || id == -ENOMEM
            return nil
        }
        return try frames(id) ?? []
    }
}
