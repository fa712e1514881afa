import Glibc

/// A tool that prints a row per event: it says its columns, its config, how to decode a record
/// and, if needed, what to put in maps before attaching; the core's `run()` does the rest
/// (session, header, banner, ring buffer, loop, --json, signals, lost-event reports).
public protocol StreamingTool: BPFTool {
    /// What one ring buffer record decodes to.
    associatedtype Row

    static var columns: [EventColumn<Self, Row>] { get }
    static var jsonFields: [JSONField<Self, Row>] { get }
    /// The line printed once attached, before the header ("Tracing ... Hit Ctrl-C to end").
    static var banner: String? { get }
    /// The tool's count mode (-c), if it has one.
    static var countMode: CountModeInfo? { get }
    /// Whether rows come under a header line (oomkill's do not, as in BCC).
    static var printsHeader: Bool { get }
    /// Which formats the columns take (see EventColumn's `layouts`); "" by default.
    var layout: String { get }

    /// Lines printed under a row in text output (oomkill's stack trace); JSON has them as fields.
    func detailLines(_ row: Row, _ context: RowContext) -> [String]
    /// The record as a row; nil for a record too short or one the tool does not show.
    func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row?
    /// Map sizes and contents to set before attaching (filters, say).
    func prepareMaps(_ setup: inout MapSetup) throws
    /// How long to run (nil: until a signal).
    var duration: Double? { get }
    /// When the event happened (the kernel's monotonic clock, in nanoseconds), for the JSON
    /// `timestamp`; nil: when it is printed.
    static func eventTimeNs(_ row: Row) -> UInt64?
    /// What --prometheus and --otlp count per event (a tool that exports has the options and these).
    static var eventMetrics: [EventMetric<Row>] { get }
    /// Attribute names of --otlp's log records for JSON keys the tool means more precisely
    /// than OTLPAttributes' common names (tcpconnect's remote end is the server).
    static var otlpAttributeNames: [String: String] { get }
    /// The tool's --prometheus and --otlp, if it has the options.
    var exporting: ExportOptions? { get }
    /// The cgroup v2 ID the BPF side took with the event, for a tool that has --containers.
    static var cgroupID: (@Sendable (Row) -> UInt64)? { get }
    /// Whether --containers was given.
    var containers: Bool { get }
}

extension StreamingTool {
    public static var jsonFields: [JSONField<Self, Row>] { [] }
    public static var banner: String? { nil }
    public static var countMode: CountModeInfo? { nil }
    public static var printsHeader: Bool { true }
    public func detailLines(_ row: Row, _ context: RowContext) -> [String] { [] }
    public var layout: String { "" }
    public func prepareMaps(_ setup: inout MapSetup) throws {}
    public var duration: Double? { nil }
    public static func eventTimeNs(_ row: Row) -> UInt64? { nil }
    public static var eventMetrics: [EventMetric<Row>] { [] }
    public static var otlpAttributeNames: [String: String] { [:] }
    public var exporting: ExportOptions? { nil }
    public static var cgroupID: (@Sendable (Row) -> UInt64)? { nil }
    public var containers: Bool { false }

    /// Whether the rows show when each event happened without a time column: --json's
    /// `timestamp` and --otlp's log records do (a BPF side that reads the clock only when
    /// something shows it asks this).
    public var rowsShowEventTime: Bool { common.json || exporting?.otlp != nil }

    public static var output: ToolOutput {
        .columns((columns + containerColumns).map(\.info), jsonExtraKeys: (jsonFields + containerFields).map(\.key), banner: banner,
                 defaultHeader: (try? parse(defaultArguments))?.formatter().textHeader ?? "", countMode: countMode)
    }

    /// The formatter for these options.
    public func formatter() -> RowFormatter<Self, Row> {
        RowFormatter(Self.columns + Self.containerColumns, jsonFields: Self.jsonFields + Self.containerFields, options: self, layout: layout, json: common.json,
                     header: Self.printsHeader, eventTimeNs: { Self.eventTimeNs($0) })
    }

    /// Renders records (raw ring buffer bytes) to `sink` as a run would: what the golden tests
    /// call with synthetic events.
    public func render(_ records: [[UInt8]], to sink: some LineSink, context: RowContext) {
        let formatter = formatter()
        if let header = formatter.header { sink.writeLine(header) }
        for record in records {
            record.withUnsafeBytes { bytes in
                guard let row = decode(bytes, context) else { return }
                sink.writeLine(formatter.line(row, context))
                if !formatter.json { detailLines(row, context).forEach(sink.writeLine) }
            }
        }
    }

    public func run() throws {
        let loaded = try start()
        try stream(loaded)
    }

    /// Opens, configures, loads and attaches the tool's object (`config`: instead of bpfConfig();
    /// `plan`: instead of `plan`, for targets found at run time).
    public func start(config: Config? = nil, plan: AttachPlan? = nil) throws -> LoadedBPF {
        var setup = MapSetup()
        try prepareMaps(&setup)
        let fills = setup.fills
        return try ToolSession.start(tool: Self.toolName, object: Self.object, plan: plan ?? self.plan, config: try config ?? bpfConfig(),
                                     common: common, maxEntries: setup.sizes, valueSizes: setup.valueSizes,
                                     beforeAttach: { loaded throws(BPFError) in
            for (map, fill) in fills { try fill(try loaded.map(map)) }
        })
    }

    /// The banner (`banner`: one known only at run time, else the tool's), the header, then a
    /// row per record until a signal or the duration ends, or `until` says so. `afterHeader` runs once the header is out (to start a traced command);
    /// `each` sees every row printed (to log it elsewhere too); `beforeFinalDrain`: see EventLoop.run.
    public func stream(_ loaded: borrowing LoadedBPF, banner: String? = Self.banner, until: () -> Bool = { false },
                       afterHeader: () throws -> Void = {}, beforeFinalDrain: () -> Void = {},
                       each: ((Row, RowContext) -> Void)? = nil) throws {
        try ContainerOptions.requireHierarchy(if: containers)
        if let options = exporting, options.active {
            return try export(loaded, options, until: until)
        }
        let out = OutputSink.stdout
        if let banner { common.announce(banner) }
        let formatter = formatter()
        let context = RowContext()
        let reader = try loaded.ringBuffer { record in
            guard let row = decode(record, context) else { return }
            out.writeLine(formatter.line(row, context))
            if !formatter.json { detailLines(row, context).forEach(out.writeLine) }
            each?(row, context)
        }
        if let header = formatter.header { out.writeLine(header) }
        try afterHeader()
        try EventLoop.run(reader, duration: duration, until: until, beforeFinalDrain: beforeFinalDrain)
    }
}

extension StreamingTool {
    /// --prometheus, --otlp: each event counted and, with --otlp, sent as a log record (no rows
    /// printed), until a signal or the duration's end.
    func export(_ loaded: borrowing LoadedBPF, _ options: ExportOptions, until: () -> Bool) throws {
        let metrics = Self.eventMetrics
        // --containers: every counter is also split by container (its ID, or else its unit)
        let byContainer = containers && Self.cgroupID != nil
        let counters = metrics.map {
            EventCounter(name: $0.name, help: $0.help, labels: $0.labels + (byContainer ? ["container"] : []), tool: Self.toolName, scale: $0.scale)
        }
        // every record the ring delivered, shown or not (the self-metric "events seen")
        let seen = EventCounter(name: "swift_bpf_tools_events_total", help: "Records the tool's BPF side delivered",
                                labels: ["tool"], tool: Self.toolName)
        let tool = [Self.toolName]
        let context = RowContext()
        let otlp = try options.otlpExporter(tool: Self.toolName)
        let formatter = formatter()
        let renames = Self.otlpAttributeNames
        let reader = try loaded.ringBuffer { record in
            seen.add(tool)
            guard let row = decode(record, context) else { return }
            let container = byContainer ? [ContainerIdentity.name(Self.containerIdentity(row, context))] : []
            for (metric, counter) in zip(metrics, counters) { counter.add(metric.values(row, context) + container, by: metric.amount(row)) }
            otlp?.enqueue(formatter.logRecord(row, context, eventName: Self.toolName, renames: renames))
        }
        let duration = self.duration
        try options.serve(tool: Self.toolName, loaded: loaded, otlp: otlp, families: { [seen.family()] + EventCounter.families(counters) }) {
            try EventLoop.run(reader, duration: duration, until: until)
        }
    }
}

extension StreamingTool where Row: BitwiseCopyable {
    /// A record that is the C event struct itself.
    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? {
        record.count >= MemoryLayout<Row>.size ? record.loadUnaligned(as: Row.self) : nil
    }
}

/// Map sizes and contents a tool sets before its programs attach.
public struct MapSetup {
    var sizes: [(map: String, entries: UInt32)] = []
    var valueSizes: [(map: String, bytes: UInt32)] = []
    var fills: [(map: String, fill: (BPFMap) throws(BPFError) -> Void)] = []

    public init() {}

    /// A hash of `keys` (to 1), sized to hold them: the set a filter looks up. Nothing is
    /// done for an empty list (the filter is off).
    public mutating func set<Key: BitwiseCopyable>(_ map: String, _ keys: [Key]) {
        guard !keys.isEmpty else { return }
        sizes.append((map, UInt32(clamping: keys.count)))
        fills.append((map, { handle throws(BPFError) in
            for key in keys { try handle.update(key, UInt8(1)) }
        }))
    }

    public mutating func size(_ map: String, _ entries: UInt32) {
        sizes.append((map, entries))
    }

    /// The size of `map`'s values (a buffer an option sizes; see BPFObject.setValueSize).
    public mutating func valueSize(_ map: String, _ bytes: UInt32) {
        valueSizes.append((map, bytes))
    }
}
