import ArgumentParser
import BPFEvents
import LoaderCore

/// opensnoop's options (BCC's names and meanings) and its run.
public struct OpenSnoop: StreamingTool {
    public static let configuration = CommandConfiguration(
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
            ./opensnoop --exec make -j4        # run a command and trace only it
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
    var durationSeconds: Int?

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

    @Flag(name: .customLong("resolved-path"), help: "with -F, show a successful open's own path (links and .. resolved)")
    var resolvedPath = false

    @Option(name: .customLong("max-path-size"),
            help: ArgumentHelp("bytes of each path shown (default 254, as BCC; 255 for an absolute path with -F; up to \(Self.maxPathSize))", valueName: "BYTES"))
    var maxPathSize: Int?

    @OptionGroup var exec: ExecCommand

    @Option(name: [.customShort("b", allowingJoined: true), .customLong("buffer-pages")],
            help: ArgumentHelp("size of the ring buffer in pages, a power of two", valueName: "BUFFER_PAGES"))
    var bufferPages: Int = 64

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.event.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "opensnoop", base64: embeddedBPFObjectBase64)
    public static let planOptions = ["-F"]
    public var plan: AttachPlan { Self.plan(fullPath: fullPath) }

    public func validate() throws {
        _ = try ArgumentLimits.taskID(pid, "-p/--pid")
        _ = try ArgumentLimits.taskID(tid, "-t/--tid", what: "TID")
        _ = try ArgumentLimits.userID(uid)
        try ArgumentLimits.checkPositive(durationSeconds, "-d/--duration", unit: "seconds", max: ArgumentLimits.maxSeconds)
        guard bufferPages > 0, bufferPages & (bufferPages - 1) == 0, bufferPages <= 1 << 18 else {
            throw ValidationError("argument -b/--buffer-pages: must be a power of two up to 262144")
        }
        if let maxPathSize, !(1...Self.maxPathSize).contains(maxPathSize) {
            throw ValidationError("argument --max-path-size: must be in [1, \(Self.maxPathSize)]")
        }
        _ = try flagMask()
    }

    /// The longest path the kernel takes, without its NUL.
    static let maxPathSize = Int(OPENSNOOP_PATH_MAX) - 1

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

    public func bpfConfig() throws -> opensnoop_cfg {
        var cfg = opensnoop_cfg()
        cfg.common = try common.bpfConfig(pid: try ArgumentLimits.taskID(pid, "-p/--pid"),
                                          tid: try ArgumentLimits.taskID(tid, "-t/--tid", what: "TID"),
                                          uid: try ArgumentLimits.userID(uid))
        // with -T, failed opens are picked in user space: BCC's clock starts at the first open
        // it sees, failed or not
        cfg.failed_only = failed && !timestamp ? 1 : 0
        cfg.flag_mask = try flagMask()
        cfg.resolved_path = resolvedPath ? 1 : 0
        cfg.want_cgroup_id = containers ? 1 : 0
        cfg.want_timestamp = timestamp || rowsShowEventTime ? 1 : 0
        return cfg
    }

    public func prepareMaps(_ setup: inout MapSetup) throws {
        setup.size("events", UInt32(bufferPages) * 4096)
    }

    public var duration: Double? { durationSeconds.map(Double.init) }

    public func run() throws {
        var cfg = try bpfConfig()
        let child = try exec.start(pidGiven: pid != nil)
        if let child { cfg.common.targ_tgid = UInt32(bitPattern: child.pid) }
        let bpf = try start(config: cfg)
        try stream(bpf, until: { child?.hasExited ?? false }, afterHeader: { try exec.release(child) })
    }

    /// -F uses its own return programs (see trace_exit in bpf-src/opensnoop.bpf.c).
    static func plan(fullPath: Bool) -> AttachPlan {
        ["open", "openat", "openat2"].flatMap { ProbeChain.syscall($0, returnSuffix: fullPath ? "_fp" : "", argumentsAtReturn: true) }
    }
}
