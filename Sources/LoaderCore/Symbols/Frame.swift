/// A code address resolved to a symbol (or not), rendered the ways BCC renders it. A class: a
/// report hands out each cached frame once per stack it is in, and a struct's three or four
/// strings were that many reference counts to take and drop each time.
public final class Frame: Sendable, Equatable {
    public let name: String?
    public let offset: UInt64
    /// The module's short name: "kernel", a kernel module, or a file's base name.
    public let module: String?

    /// `BPF.sym(addr, pid)` / `ksym(addr)`: the bare name, or "[unknown]". Symbol and module
    /// names come from files any user can write (a binary, a perf map): every rendering escapes
    /// control characters, so a name cannot forge a folded line or reach the terminal raw.
    /// Made once: a report renders each cached frame once per stack it is in.
    public let bare: String

    public init(name: String?, offset: UInt64 = 0, module: String?) {
        self.name = name
        self.offset = offset
        self.module = module
        bare = name.map(TerminalText.escaped) ?? "[unknown]"
    }

    public static let unknown = Frame(name: nil, module: nil)

    public static func == (a: Frame, b: Frame) -> Bool { a.name == b.name && a.offset == b.offset && a.module == b.module }

    /// `sym(addr, pid, show_offset=True)`: "name+0x1a", or "[unknown]".
    public var withOffset: String {
        name.map { "\(TerminalText.escaped($0))+0x\(String(offset, radix: 16))" } ?? "[unknown]"
    }

    /// The frame at `address` as JSON: its address (hex), symbol, offset and module; no symbol,
    /// no offset (null for both, not an offset of 0 from nothing).
    public func json(address: UInt64) -> JSONValue {
        .object([("address", .string("0x" + String(address, radix: 16))), ("symbol", name.map(JSONValue.string) ?? .null),
                 ("offset", name == nil ? .null : .int(Int64(offset))), ("module", module.map(JSONValue.string) ?? .null)])
    }

    /// `sym(addr, pid, show_module=True, show_offset=True)`: "name+0x1a [module]", or
    /// "[unknown] [module]" when only the module is known.
    public var detailed: String {
        let moduleText = module.map { " [\(TerminalText.escaped($0))]" } ?? ""
        guard let name else { return "[unknown]" + moduleText }
        return "\(TerminalText.escaped(name))+0x\(String(offset, radix: 16))" + moduleText
    }
}

/// Symbols sorted by address, looked up by binary search.
struct SymbolTable: Sendable {
    struct Entry: Sendable {
        let start: UInt64
        let size: UInt64  /// 0 when unknown: the symbol then runs to the next one
        let name: String
    }

    private let entries: [Entry]

    init(_ entries: [Entry]) {
        self.entries = entries.sorted { $0.start < $1.start }
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Every symbol's name, in address order.
    var names: [String] { entries.map(\.name) }

    /// The symbol containing `address`: the last one starting at or before it, if its size
    /// (when known) reaches it.
    func lookup(_ address: UInt64) -> (name: String, offset: UInt64)? {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].start <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        // Several symbols may start at one address (aliases): take the first sized one.
        var index = low - 1
        while index > 0 && entries[index - 1].start == entries[index].start && entries[index].size == 0 { index -= 1 }
        let entry = entries[index]
        let offset = address - entry.start
        if entry.size > 0 && offset >= entry.size { return nil }
        return (entry.name, offset)
    }
}
