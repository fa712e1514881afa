import ArgumentParser
import BPFEvents
import LoaderCore

/// opensnoop's options (BCC's names and meanings) and its run.
struct OpenSnoop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opensnoop",
        abstract: "Trace open() syscalls",
        discussion: """
        examples:
            ./opensnoop                        # trace all open() syscalls
            ./opensnoop -T                     # include timestamps
            ./opensnoop -U                     # include UID
            ./opensnoop -x                     # only show failed opens
            ./opensnoop -p 181                 # only trace PID 181
            ./opensnoop -t 123                 # only trace TID 123
            ./opensnoop -u 1000                # only trace UID 1000
            ./opensnoop -d 10                  # trace for 10 seconds only
            ./opensnoop -n main                # only print process names containing "main"
            ./opensnoop -e                     # show extended fields
            ./opensnoop -f O_WRONLY -f O_RDWR  # only print calls for writing
            ./opensnoop -F                     # show full path for an open file with relative path
            ./opensnoop --cgroup /sys/fs/cgroup/system.slice  # only trace this cgroup
            ./opensnoop --json                 # one JSON object per open
        """)

    @Flag(name: [.customShort("T"), .customLong("timestamp")], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("U"), .customLong("print-uid")], help: "print UID column")
    var printUID = false

    @Flag(name: [.customShort("x"), .customLong("failed")], help: "only show failed opens")
    var failed = false

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")],
            help: ArgumentHelp("trace this PID only", valueName: "PID"))
    var pid: Int?

    @Option(name: [.customShort("t", allowingJoined: true), .customLong("tid")],
            help: ArgumentHelp("trace this TID only", valueName: "TID"))
    var tid: Int?

    @Option(name: [.customShort("u", allowingJoined: true), .customLong("uid")],
            help: ArgumentHelp("trace this UID only", valueName: "UID"))
    var uid: Int?

    @Option(name: [.customShort("d", allowingJoined: true), .customLong("duration")],
            help: ArgumentHelp("total duration of trace in seconds", valueName: "DURATION"))
    var duration: Int?

    @Option(name: [.customShort("n", allowingJoined: true), .customLong("name")],
            help: ArgumentHelp("only print process names containing this name", valueName: "NAME"))
    var name: String?

    @Flag(name: [.customShort("e"), .customLong("extended_fields")], help: "show extended fields")
    var extendedFields = false

    @Option(name: [.customShort("f", allowingJoined: true), .customLong("flag_filter")],
            help: ArgumentHelp("filter on flags argument (e.g., O_WRONLY)", valueName: "FLAG"))
    var flagFilter: [String] = []

    @Flag(name: [.customShort("F"), .customLong("full-path")], help: "show full path for an open file with relative path")
    var fullPath = false

    @Option(name: [.customShort("b", allowingJoined: true), .customLong("buffer-pages")],
            help: ArgumentHelp("size of the ring buffer in pages, a power of two", valueName: "BUFFER_PAGES"))
    var bufferPages: Int = 64

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let pid, pid <= 0 || pid > Int(Int32.max) { throw ValidationError("argument -p/--pid: invalid PID value: '\(pid)'") }
        if let tid, tid <= 0 || tid > Int(Int32.max) { throw ValidationError("argument -t/--tid: invalid TID value: '\(tid)'") }
        if let uid, uid < 0 || uid >= Int(TOOLS_INVALID_UID) { throw ValidationError("argument -u/--uid: invalid UID value: '\(uid)'") }
        try ArgumentLimits.checkPositive(duration, "-d/--duration", unit: "seconds", max: ArgumentLimits.maxSeconds)
        guard bufferPages > 0, bufferPages & (bufferPages - 1) == 0, bufferPages <= 1 << 18 else {
            throw ValidationError("argument -b/--buffer-pages: must be a power of two up to 262144")
        }
        _ = try flagMask()
    }

    /// -f names are Python `os.O_*` names; their bits are OR-ed into one mask.
    func flagMask() throws -> UInt32 {
        var mask: UInt32 = 0
        for name in flagFilter {
            guard let bits = OpenFlags.bits(named: name.uppercased()) else {
                throw ValidationError("argument -f/--flag_filter: Bad flag: \(name)")
            }
            mask |= bits
        }
        return mask
    }

    func run() throws {
        var cfg = opensnoop_cfg()
        cfg.common = try common.bpfConfig()
        cfg.targ_tgid = UInt32(pid ?? 0)
        cfg.targ_tid = UInt32(tid ?? 0)
        cfg.targ_uid = uid.map(UInt32.init) ?? TOOLS_INVALID_UID
        cfg.failed_only = failed ? 1 : 0
        cfg.flag_mask = try flagMask()

        let bpf = try ToolSession.start(tool: "opensnoop",
                                        object: EmbeddedObject(name: "opensnoop", base64: embeddedBPFObjectBase64),
                                        plan: Self.plan(fullPath: fullPath), config: cfg, common: common,
                                        maxEntries: [("events", UInt32(bufferPages) * 4096)])
        let printer = OpenPrinter(options: self)
        let reader = try bpf.ringBuffer { record in printer.print(record) }
        printer.printHeader()
        try EventLoop.run(reader, duration: duration.map(Double.init))
    }

    /// -F uses its own return programs (see trace_exit in bpf-src/opensnoop.bpf.c).
    static func plan(fullPath: Bool) -> AttachPlan {
        ["open", "openat", "openat2"].flatMap { ProbeChain.syscall($0, returnSuffix: fullPath ? "_fp" : "") }
    }
}
