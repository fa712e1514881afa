import ArgumentParser
import BPFEvents
import Glibc
import LoaderCore

/// execsnoop's options (BCC's names and meanings) and its run.
public struct ExecSnoop: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "execsnoop",
        abstract: "Trace exec() syscalls",
        discussion: """
        examples:
            ./execsnoop                      # trace all exec() syscalls
            ./execsnoop -x                   # include failed exec()s
            ./execsnoop -T                   # include time (HH:MM:SS)
            ./execsnoop -P 181               # only trace new processes whose parent PID is 181
            ./execsnoop -U                   # include UID
            ./execsnoop -u 1000              # only trace UID 1000
            ./execsnoop -u user              # get user UID and trace only them
            ./execsnoop -t                   # include timestamps
            ./execsnoop -q                   # add "quotemarks" around arguments
            ./execsnoop -n main              # only print command lines containing "main"
            ./execsnoop -l tpkg              # only print command where arguments contains "tpkg"
            ./execsnoop --cgroup /sys/fs/cgroup/system.slice   # only trace this cgroup
            ./execsnoop --max-args 1024 --max-arg-size 4096    # never cut long command lines
            ./execsnoop --json               # one JSON object per exec
        """)

    @Flag(name: [.customShort("T"), .customLong("time")], help: "include time column on output (HH:MM:SS)")
    var time = false

    @Flag(name: [.customShort("t"), .customLong("timestamp")], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("x"), .customLong("fails")], help: "include failed exec()s")
    var fails = false

    @Option(name: [.customShort("u", allowingJoined: true), .customLong("uid")],
            help: ArgumentHelp("trace this UID only (a number or a user name)", valueName: "USER"))
    var uid: String?

    @Flag(name: [.customShort("q"), .customLong("quote")], help: "Add quotemarks (\") around arguments.")
    var quote = false

    @Option(name: [.customShort("n", allowingJoined: true), .customLong("name")],
            help: ArgumentHelp("only print commands matching this name (regex), any arg", valueName: "NAME"))
    var name: String?

    @Option(name: [.customShort("l", allowingJoined: true), .customLong("line")],
            help: ArgumentHelp("only print commands where arg contains this line (regex)", valueName: "LINE"))
    var line: String?

    @Flag(name: [.customShort("U"), .customLong("print-uid")], help: "print UID column")
    var printUID = false

    @Flag(name: [.customShort("C"), .customLong("print-cpu")], help: "print CPU column")
    var printCPU = false

    @Flag(name: [.customShort("M"), .customLong("print-pcomm")], help: "print parent process comm")
    var printPcomm = false

    @Option(name: .customLong("max-args"),
            help: ArgumentHelp("maximum number of arguments parsed and displayed, counting the filename (1-\(EXECSNOOP_MAX_ARGS_LIMIT))", valueName: "MAX_ARGS"))
    var maxArgs: Int = Int(EXECSNOOP_DEFAULT_MAX_ARGS)

    @Option(name: .customLong("max-arg-size"),
            help: ArgumentHelp("maximum bytes kept of each argument (1-\(EXECSNOOP_MAX_ARG_SIZE))", valueName: "BYTES"))
    var maxArgSize: Int = Int(EXECSNOOP_DEFAULT_ARG_SIZE)

    @Option(name: [.customShort("P", allowingJoined: true), .customLong("ppid")],
            help: ArgumentHelp("trace this parent PID only", valueName: "PPID"))
    var ppid: Int?

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.exec.exit.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "execsnoop", base64: embeddedBPFObjectBase64)
    public var plan: AttachPlan { Self.plan }

    public func validate() throws {
        guard (1...Int(EXECSNOOP_MAX_ARGS_LIMIT)).contains(maxArgs) else {
            throw ValidationError("argument --max-args: must be in [1, \(EXECSNOOP_MAX_ARGS_LIMIT)]")
        }
        guard (1...Int(EXECSNOOP_MAX_ARG_SIZE)).contains(maxArgSize) else {
            throw ValidationError("argument --max-arg-size: must be in [1, \(EXECSNOOP_MAX_ARG_SIZE)]")
        }
        _ = try ArgumentLimits.taskID(ppid, "-P/--ppid")
        _ = try resolvedUID()
        _ = try ExecFilters(name: name, line: line)
    }

    /// `-u` takes a number or a user name (BCC's contract); `-u 0` filters root, unlike BCC.
    func resolvedUID() throws -> UInt32? {
        guard let uid else { return nil }
        if let number = UInt32(uid), number != TOOLS_INVALID_UID { return number }
        if let number = Users.uid(named: uid) { return number }
        throw ValidationError("argument -u/--uid: '\(uid)' is not valid UID or user entry")
    }

    public func bpfConfig() throws -> execsnoop_cfg {
        var cfg = execsnoop_cfg()
        cfg.common = try common.bpfConfig(uid: try resolvedUID())
        cfg.targ_ppid = try ArgumentLimits.taskID(ppid, "-P/--ppid") ?? 0
        cfg.max_args = UInt32(maxArgs)
        cfg.max_arg_size = UInt32(maxArgSize)
        cfg.want_cgroup_id = containers ? 1 : 0
        return cfg
    }

    public func prepareMaps(_ setup: inout MapSetup) throws {
        setup.size("events", ringBufferBytes)
    }

    public func run() throws {
        let bpf = try start()
        // no program copying with bpf_loop() was taken: the _noloop twins' limits apply
        if !bpf.resolutions.contains(where: { $0.chosen?.requires.contains(.loopHelper) == true }),
           maxArgs > Self.noLoopMaxArgs || maxArgSize > Self.noLoopArgSize {
            Diagnostics.line("execsnoop: this kernel has no bpf_loop (Linux 5.17+): at most \(Self.noLoopMaxArgs) arguments "
                             + "of \(Self.noLoopArgSize) bytes are read; longer command lines are cut and marked")
        }
        try stream(bpf)
    }

    /// Room for 64 execs of the longest argument list the limits allow, between 256 KiB (a few
    /// thousand ordinary execs: user space drains it every 10 ms) and 64 MiB.
    var ringBufferBytes: UInt32 {
        let perExec = maxArgs * (maxArgSize + 1) + MemoryLayout<execsnoop_exit>.size + 64
        var size = 256 * 1024
        while size < 64 * perExec && size < 64 << 20 { size *= 2 }
        return UInt32(size)
    }

    /// Where the kernel has bpf_task_pt_regs() and bpf_loop() (5.17+), a successful exec is sent
    /// whole from sched_process_exec (tp_sched_exec_args) and a failed one from the syscall's
    /// return (..._regs, reading the caller's saved registers): no entry program is loaded (the
    /// entry chains want `.without(.taskRegsHelper)`). The two ask for the same, so a kernel
    /// takes both or neither. Elsewhere the arguments are read at entry; each program that
    /// copies with bpf_loop() says so, and has a `_noloop` twin taken where the kernel has no
    /// bpf_loop: at most 20 arguments of 255 bytes there (EXECSNOOP_NOLOOP_* in
    /// bpf-src/execsnoop.bpf.c).
    static let noLoopMaxArgs = 20, noLoopArgSize = 255
    static let plan: AttachPlan = (ProbeChain.syscall("execve", argumentsAtReturn: true)
                                   + ProbeChain.syscall("execveat", argumentsAtReturn: true)).map(\.withoutLoopTwin) + [
        .oneOf("exec", [
            ProbeCandidate(.tracepoint(category: "sched", name: "sched_process_exec"), program: "tp_sched_exec_args",
                           requires: [.taskRegsHelper, .loopHelper]),
            ProbeCandidate(.tracepoint(category: "sched", name: "sched_process_exec"), program: "tp_sched_exec", requires: [.loopHelper]),
            ProbeCandidate(.tracepoint(category: "sched", name: "sched_process_exec"), program: "tp_sched_exec_noloop"),
        ]),
    ]
}

extension ProbeChain {
    /// The entry chains with the tracepoint program's `_noloop` twin right after it; the
    /// programs that read arguments at the return copy them with bpf_loop() too.
    fileprivate var withoutLoopTwin: ProbeChain {
        guard role.hasSuffix("entry"), let first = candidates.first, case .tracepoint = first.kind else {
            return with(candidates: candidates.map {
                $0.requires.contains(.taskRegsHelper) ? ProbeCandidate($0.kind, program: $0.program, requires: $0.requires + [.loopHelper]) : $0
            })
        }
        return with(candidates: [ProbeCandidate(first.kind, program: first.program, requires: first.requires + [.loopHelper]),
                                 ProbeCandidate(first.kind, program: first.program + "_noloop", requires: first.requires)]
                    // the kprobe programs copy with bpf_loop() too (kernels with kprobes but no
                    // syscall tracepoints)
                    + candidates.dropFirst().map { ProbeCandidate($0.kind, program: $0.program, requires: $0.requires + [.loopHelper]) })
    }
}
