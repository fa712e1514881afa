/// One output column, declared once per tool: its header text, how its header and its values
/// are formatted (BCC's own `%` formats, separators included), and its JSON key. Header, rows
/// and JSON are all rendered from the same list, so they cannot drift apart.
public struct Column: Sendable {
    public let title: String
    public let header: PyFormat
    public let row: PyFormat
    public let jsonKey: String
    /// What the header shows: the title, or nothing for a column BCC leaves untitled.
    public let headerText: String
    /// Its text values are CSV fields, quoted where RFC 4180 wants it.
    public let csvField: Bool

    /// `headerFormat` and `rowFormat` are BCC's formats for this column, e.g. "%-16s " and
    /// "%-16s "; `jsonKey` defaults to the title in snake_case.
    public init(_ title: String, header headerFormat: String, row rowFormat: String, json: String? = nil,
                untitled: Bool = false, csvField: Bool = false) {
        self.title = title
        self.csvField = csvField
        self.header = PyFormat(headerFormat)
        self.row = PyFormat(rowFormat)
        self.jsonKey = json ?? Column.snakeCase(title)
        self.headerText = untitled ? "" : title
    }

    static func snakeCase(_ title: String) -> String {
        var key = ""
        for c in title.lowercased() {
            if c.isLetter || c.isNumber { key.append(c) } else if !key.hasSuffix("_") { key.append("_") }
        }
        while key.hasSuffix("_") { key.removeLast() }
        return key
    }
}

/// A value in one row: what the text column shows, and what JSON holds. Text is shown with its
/// control characters escaped (TerminalText); JSON escapes them its own way.
public enum Cell: Sendable {
    case int(Int64)
    /// A 64-bit unsigned value (a sector, a byte count): exact in text and in JSON.
    case unsigned(UInt64)
    case double(Double)
    case text(String)
    /// A list shown as one text (`display`) and kept as a JSON array of strings.
    case list(display: String, items: [String])
    /// A number shown as text (like "?" for an unknown PPID) that JSON holds as a number or null.
    case optionalInt(Int64?, display: String)

    var formatArg: FormatArg {
        switch self {
        case .int(let v): .int(v)
        case .unsigned(let v): .unsigned(v)
        case .double(let v): .double(v)
        case .text(let s): .terminalText(s)
        case .list(let display, _): .terminalText(display)
        case .optionalInt(_, let display): .text(display)
        }
    }

    /// As a CSV field: text escaped for the terminal, then quoted (RFC 4180) when it holds a
    /// comma or a quote (line breaks are escaped by then), its quotes doubled.
    var csvFormatArg: FormatArg {
        switch self {
        case .text(let s), .list(let s, _):
            let shown = TerminalText.escaped(s)
            guard shown.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return .text(shown) }
            return .text("\"" + shown.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"")
        default:
            return formatArg
        }
    }

    var json: JSONValue {
        switch self {
        case .int(let v): .int(v)
        case .unsigned(let v): .unsigned(v)
        case .double(let v): .double(v)
        case .text(let s): .string(s)
        case .list(_, let items): .array(items.map { .string($0) })
        case .optionalInt(let v, _): v.map { .int($0) } ?? .null
        }
    }
}

/// The columns of one tool invocation (the flags decide which are present).
public struct Table: Sendable {
    public let columns: [Column]

    public init(_ columns: [Column]) {
        self.columns = columns
    }

    public var header: String {
        columns.map { $0.header(.text($0.headerText)) }.joined()
    }

    public func row(_ cells: [Cell]) -> String {
        precondition(cells.count == columns.count, "row has \(cells.count) cells for \(columns.count) columns")
        var line = ""
        for (column, cell) in zip(columns, cells) {
            line += column.row.format([column.csvField ? cell.csvFormatArg : cell.formatArg])
        }
        return line
    }

    /// One JSON object with a key per column, plus `extra` keys (fields no column shows).
    public func json(_ cells: [Cell], leading: [(String, JSONValue)] = [], extra: [(String, JSONValue)] = []) -> String {
        JSONValue.object(leading + members(cells, extra: extra)).serialized
    }

    /// The JSON object's members: a key per column, then `extra`.
    public func members(_ cells: [Cell], extra: [(String, JSONValue)] = []) -> [(String, JSONValue)] {
        // a column with no key (one joining fields JSON keeps apart) is text only
        zip(columns, cells).filter { !$0.0.jsonKey.isEmpty }.map { ($0.jsonKey, $1.json) } + extra
    }
}

/// A tool's rows on stdout: BCC's columns under a header, or JSON Lines with `--json` (and then
/// no header).
public struct TableOutput: Sendable {
    public let table: Table
    public let json: Bool

    public init(_ columns: [Column], json: Bool) {
        self.table = Table(columns)
        self.json = json
    }

    public var header: String { table.header }

    public func printHeader(to sink: OutputSink = .stdout) {
        if !json { sink.writeLine(table.header) }
    }

    /// One event: `extra` keys exist only in JSON (fields no column shows).
    public func print(_ cells: [Cell], extra: [(String, JSONValue)] = [], to sink: OutputSink = .stdout) {
        sink.writeLine(json ? table.json(cells, extra: extra) : table.row(cells))
    }
}
