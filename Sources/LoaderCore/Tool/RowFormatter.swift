/// The columns one invocation shows (its flags pick them), rendering the header and each row as
/// BCC's text or as one JSON object per line.
public struct RowFormatter<Options, Row>: Sendable {
    let table: Table
    let shownColumns: [EventColumn<Options, Row>]
    let jsonFields: [JSONField<Options, Row>]
    public let json: Bool
    let printsHeader: Bool
    let eventTimeNs: @Sendable (Row) -> UInt64?

    /// `layout` selects the columns' formats (tcplife's "wide" and "csv", say).
    public init(_ columns: [EventColumn<Options, Row>], jsonFields: [JSONField<Options, Row>] = [],
                options: Options, layout: String = "", json: Bool, header: Bool = true,
                eventTimeNs: @escaping @Sendable (Row) -> UInt64? = { _ in nil }) {
        var shown: [EventColumn<Options, Row>] = []
        var tableColumns: [Column] = []
        for column in columns where column.shown(options) {
            guard let format = column.format(in: layout) else { continue }
            shown.append(column)
            tableColumns.append(Column(column.title, header: format.header, row: format.row, json: column.jsonKey,
                                       untitled: format.untitled, csvField: format.csvField))
        }
        self.shownColumns = shown
        self.table = Table(tableColumns)
        self.jsonFields = jsonFields.filter { $0.shown(options) }
        self.json = json
        self.printsHeader = header
        self.eventTimeNs = eventTimeNs
    }

    /// The header line; nil with --json (JSON Lines have none) or for a tool without one.
    public var header: String? { json || !printsHeader ? nil : table.header }

    /// The header as text, whatever the output mode (for tests and the manifest); "" for a
    /// tool without one.
    public var textHeader: String { printsHeader ? table.header : "" }

    public func line(_ row: Row, _ context: RowContext) -> String {
        let cells = shownColumns.map { $0.value(row, context) }
        if json {
            // every record of every tool leads with its RFC 3339 time (docs/json.md)
            return table.json(cells, leading: [("timestamp", .string(context.timestamp(eventTimeNs(row))))],
                              extra: jsonFields.map { ($0.key, $0.value(row, context)) })
        }
        return table.row(cells)
    }

    /// The row as an OTLP log record: its text line as the body, its JSON fields as attributes
    /// (renamed to OpenTelemetry's names where they have one), the event's time.
    public func logRecord(_ row: Row, _ context: RowContext, eventName: String, renames: [String: String]) -> OTLPMessages.LogRecord {
        let cells = shownColumns.map { $0.value(row, context) }
        let members = table.members(cells, extra: jsonFields.map { ($0.key, $0.value(row, context)) })
        return .init(timeUnixNano: context.realtimeNs(eventTimeNs(row)), observedUnixNano: Clock.realtimeNs(), eventName: eventName,
                     body: table.row(cells), attributes: OTLPAttributes.attributes(members, renames: renames))
    }
}

/// Where rows go: standard output in a run, a list in tests.
public protocol LineSink: AnyObject, Sendable {
    func writeLine(_ text: String)
}

extension OutputSink: LineSink {}

/// Lines kept in memory (tests render rows through it without a terminal or root).
public final class CollectedLines: LineSink, @unchecked Sendable {
    public private(set) var lines: [String] = []
    public init() {}
    public func writeLine(_ text: String) { lines.append(text) }
}
