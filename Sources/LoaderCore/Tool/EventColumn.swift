/// One column of a streaming tool, declared once: its title, its header and row formats (BCC's
/// own `%` formats, separators included), its JSON key, the value it reads from a decoded
/// event, and when it is shown. Header, rows and JSON all come from the one list, so they
/// cannot drift apart.
///
/// `Options` is the tool's command (its parsed flags), `Row` what its events decode to.
public struct EventColumn<Options, Row>: Sendable {
    public let title: String
    public let jsonKey: String
    /// The option that shows this column ("-T"), as the manifest and the man page spell it.
    public let shownWith: String?
    let shown: @Sendable (Options) -> Bool
    /// Formats by layout name; "" applies to every layout without its own entry. A layout
    /// without an entry here (and no "") does not show the column.
    let formats: [String: ColumnFormat]
    let value: @Sendable (Row, RowContext) -> Cell

    public init(_ title: String, _ format: ColumnFormat, json: String? = nil,
                layouts: [String: ColumnFormat] = [:],
                _ value: @escaping @Sendable (Row, RowContext) -> Cell) {
        self.init(title, format, json: json, layouts: layouts, shownWith: nil, when: { _ in true }, value)
    }

    /// A column shown only when `flag` (the option spelled `option`) is set.
    public init(_ title: String, _ format: ColumnFormat?, json: String? = nil,
                layouts: [String: ColumnFormat] = [:], with option: String,
                _ flag: KeyPath<Options, Bool> & Sendable,
                _ value: @escaping @Sendable (Row, RowContext) -> Cell) {
        self.init(title, format, json: json, layouts: layouts, shownWith: option, when: { $0[keyPath: flag] }, value)
    }

    /// A column shown when `when` says so; `shownWith` names the option for the manifest.
    public init(_ title: String, _ format: ColumnFormat?, json: String? = nil,
                layouts: [String: ColumnFormat] = [:], shownWith: String?,
                when: @escaping @Sendable (Options) -> Bool,
                _ value: @escaping @Sendable (Row, RowContext) -> Cell) {
        self.title = title
        // "": the column is not in JSON (JSON has the fields it joins, as JSONFields)
        self.jsonKey = json ?? Column.snakeCase(title)
        self.shownWith = shownWith
        self.shown = when
        var formats = layouts
        if let format { formats[""] = format }
        self.formats = formats
        self.value = value
    }

    public var info: ColumnInfo { ColumnInfo(title: title, jsonKey: jsonKey, shownWith: shownWith) }

    func format(in layout: String) -> ColumnFormat? { formats[layout] ?? formats[""] }
}

/// How a column's header and values are formatted, with BCC's `%` formats.
public struct ColumnFormat: Sendable {
    public let header: String
    public let row: String
    /// The header shows nothing for this column (BCC prints an empty string there).
    public let untitled: Bool
    /// A CSV field: text holding a comma, a quote or a line break is quoted (RFC 4180).
    public let csvField: Bool

    public init(_ header: String, _ row: String, untitled: Bool = false, csvField: Bool = false) {
        self.header = header
        self.row = row
        self.untitled = untitled
        self.csvField = csvField
    }

    /// A CSV column: the title, then the value as `row` formats it, each followed by a comma
    /// (BCC's "%s," and the like), the value quoted where RFC 4180 wants it.
    public static func csv(_ row: String) -> ColumnFormat { ColumnFormat("%s,", row, csvField: true) }

    /// The same format for header and row.
    public static func both(_ format: String) -> ColumnFormat { ColumnFormat(format, format) }
}

/// A JSON key no column shows (the parts of an address a column joins, say).
public struct JSONField<Options, Row>: Sendable {
    public let key: String
    let shown: @Sendable (Options) -> Bool
    let value: @Sendable (Row, RowContext) -> JSONValue

    public init(_ key: String, when: @escaping @Sendable (Options) -> Bool = { _ in true },
                _ value: @escaping @Sendable (Row, RowContext) -> JSONValue) {
        self.key = key
        self.shown = when
        self.value = value
    }
}
