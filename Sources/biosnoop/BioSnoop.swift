import ArgumentParser
import BPFEvents
import LoaderCore

/// biosnoop: BCC's options and columns; the core does the rest.
public struct BioSnoop: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "biosnoop",
        abstract: "Trace block I/O",
        discussion: """
        examples:
            ./biosnoop           # trace all block I/O
            ./biosnoop -Q        # include OS queued time
            ./biosnoop -d sdc    # trace sdc only
            ./biosnoop -P        # display block I/O pattern
        """)

    @Flag(name: [.customShort("Q"), .customLong("queue")], help: "include OS queued time")
    var queue = false

    @Option(name: [.customShort("d", allowingJoined: true), .customLong("disk")],
            help: ArgumentHelp("trace this disk only", valueName: "DISK"))
    var disk: String?

    @Flag(name: [.customShort("P"), .customLong("pattern")], help: "display block I/O pattern (sequential or random)")
    var pattern = false

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.event.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "biosnoop", base64: embeddedBPFObjectBase64)

    /// A request, with its disk's name (read once per record, while the disk is known).
    public typealias Row = (event: biosnoop_event, disk: String)

    /// --prometheus: completed I/Os, and their bytes, by disk and direction.
    public static let eventMetrics: [EventMetric<Row>] = [
        EventMetric("biosnoop_ios_total", help: "Block I/Os completed, by disk and direction (read or write)",
                    labels: ["disk", "op"]) { row, _ in [row.disk, row.event.rwflag == 1 ? "write" : "read"] },
        EventMetric("biosnoop_bytes_total", help: "Bytes of the block I/Os completed, by disk and direction",
                    labels: ["disk", "op"], values: { row, _ in [row.disk, row.event.rwflag == 1 ? "write" : "read"] },
                    amount: { UInt64($0.event.len) }),
    ]
    public static func eventTimeNs(_ row: Row) -> UInt64? { row.event.ts_us &* 1000 }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? {
        guard record.count >= MemoryLayout<biosnoop_event>.size else { return nil }
        let e = record.loadUnaligned(as: biosnoop_event.self)
        let name = context.state { BlockDevices() }.name(ofKernelDev: e.dev)
        return (e, name == "?" ? "<unknown>" : name)  // BCC's word for a device not in /proc/diskstats
    }

    /// BCC's columns (upstream tools/biosnoop.py).
    public static let columns: [EventColumn<BioSnoop, Row>] = [
        EventColumn("TIME(s)", ColumnFormat("%-11s ", "%-11.6f ")) { row, context in
            .double(context.secondsSinceFirst(row.event.ts_us, unitsPerSecond: 1e6))
        },
        EventColumn("COMM", ColumnFormat("%-14s ", "%-14.14s ")) { row, _ in .text(KernelString.from(tuple: row.event.comm)) },
        EventColumn("PID", .both("%-7s ")) { row, _ in .int(Int64(row.event.pid)) },
        EventColumn("DISK", .both("%-9s ")) { row, _ in .text(row.disk) },
        EventColumn("T", .both("%-1s "), json: "rw") { row, _ in .text(row.event.rwflag == 1 ? "W" : "R") },
        EventColumn("SECTOR", .both("%-10s ")) { row, _ in .unsigned(row.event.sector) },
        EventColumn("BYTES", .both("%-7s")) { row, _ in .unsigned(row.event.len) },
        EventColumn("P", .both("%-1s "), json: "pattern", with: "-P", \.pattern) { row, _ in
            let pattern = switch Int32(bitPattern: row.event.pattern) {
            case BIOSNOOP_PATTERN_SEQUENTIAL: "S"
            case BIOSNOOP_PATTERN_RANDOM: "R"
            default: "?"
            }
            return .text(pattern)
        },
        EventColumn("QUE(ms)", ColumnFormat("%7s ", "%7.2f "), json: "queue_ms", with: "-Q", \.queue) { row, _ in
            .double(Double(row.event.qdelta_ns) / 1e6)
        },
        EventColumn("LAT(ms)", ColumnFormat("%7s", "%7.2f"), json: "latency_ms") { row, _ in .double(Double(row.event.delta_ns) / 1e6) },
    ]

    /// Rows, then a check of how many there were against the kernel's count of completed I/Os
    /// (see DiskCompletions): the classic tracepoints know a request by disk and sector only, so
    /// two in flight together on one sector make one row there. I/Os filtered out (the tool's
    /// own, --cgroup) are counted by the BPF side. Not when exporting.
    public func run() throws {
        let loaded = try start()
        try Self.checkConsistent(loaded.resolutions)
        guard !exportOptions.active else { return try stream(loaded) }
        let kernelCount = try DiskCompletions(only: disk.flatMap { BlockDevices.find($0) }, loaded: loaded)
        let lost = loaded.lostCounter()
        var rows: UInt64 = 0
        var kernelAtEnd: DiskCompletions.Snapshot?
        try stream(loaded, beforeFinalDrain: { kernelAtEnd = kernelCount.snapshot() }, each: { _, _ in rows &+= 1 })
        guard let kernelAtEnd else { return }
        let unseen = kernelCount.newlyUnseen(kernelAtEnd, counted: rows, lost: lost.total())
        if unseen > 0 {
            Diagnostics.line("biosnoop: \(unseen) I/Os the kernel completed (/proc/diskstats) have no row " + DiskCompletions.unseenReason)
        }
    }

    public func bpfConfig() throws -> biosnoop_cfg {
        var cfg = biosnoop_cfg()
        cfg.common = try common.bpfConfig()
        cfg.queued = queue ? 1 : 0
        cfg.pattern = pattern ? 1 : 0
        cfg.sector_end = UInt64.max
        if let disk {
            // BCC's words (it exits 1)
            guard let device = BlockDevices.find(disk) else { throw ToolFailure("no such disk '\(disk)'") }
            cfg.filter_dev = 1
            (cfg.targ_dev, cfg.sector_start, cfg.sector_end) = device.requestFilter
        }
        return cfg
    }

    /// The submitter at block_io_start (6.5+), else at bio submission; latency from issue to
    /// completion. Raw tracepoints pass the struct request, which tells apart two requests for
    /// one sector in flight at once; the classic ones (a kernel without raw tracepoints, or
    /// BPF_TOOLS_AVOID_PROBES=raw_tp) carry disk, sector and direction, BCC's way.
    /// The plan's roles, named once for the plan and its check.
    enum Role {
        static let submitter = "submitting process", issue = "request issue", completion = "request completion"
    }

    public var plan: AttachPlan {
        func chain(_ tracepoint: String, _ program: String) -> [ProbeCandidate] {
            [ProbeCandidate(.rawTracepoint(tracepoint), program: "raw_" + program),
             ProbeCandidate(.tracepoint(category: "block", name: tracepoint), program: "tp_" + program)]
        }
        return [
            .oneOf(Role.submitter, chain("block_io_start", "io_start")
                + [ProbeCandidate(.tracepoint(category: "block", name: "block_bio_queue"), program: "tp_bio_queue")]),
            .oneOf(Role.issue, chain("block_rq_issue", "rq_issue")),
            .oneOf(Role.completion, chain("block_rq_complete", "rq_complete")),
            // forgets the submitter of a request merged into another (freed without completing)
            .optional("merged request", [ProbeCandidate(.rawTracepoint("block_rq_merge"), program: "raw_rq_merge")]),
        ]
    }

    /// A request's issue and completion must be seen the same way (by its pointer, or by disk
    /// and sector) to meet; a submitter known by its request pointer needs a completion that has it.
    static func checkConsistent(_ resolutions: [Resolution]) throws(BPFError) {
        func byPointer(_ role: String) -> Bool? {
            resolutions.first { $0.role == role }?.chosen.map { if case .rawTracepoint = $0.kind { true } else { false } }
        }
        let completion = byPointer(Role.completion)
        guard byPointer(Role.issue) == completion, byPointer(Role.submitter) != true || completion == true else {
            throw BPFError(.noAttachPoint, "a request's issue, completion and submitter are only available through kinds of "
                           + "tracepoint here that cannot be matched: " + resolutions.map(\.summary).joined(separator: "; "))
        }
    }
}
