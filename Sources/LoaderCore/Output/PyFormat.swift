/// Python's `%` string formatting (the subset BCC's tools use), parsed once and applied per row.
/// Widths pad but never truncate; only a precision truncates strings (`%-12.12s`), exactly as
/// Python does, so over-wide values shift later columns the way BCC's output does.
public struct PyFormat: Sendable {
    enum Piece: Sendable {
        case literal(String)
        case spec(Spec)
    }

    struct Spec: Sendable {
        var leftAlign = false
        var zeroPad = false
        var plusSign = false
        var spaceSign = false
        var alternate = false
        var width = 0
        var precision: Int?
        var conversion: Character = "s"
    }

    let pieces: [Piece]

    public init(_ format: String) {
        var pieces: [Piece] = []
        var literal = ""
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            guard c == "%" else { literal.append(c); continue }
            if chars.first == "%" { chars.removeFirst(); literal.append("%"); continue }
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
            var spec = Spec()
            flags: while let f = chars.first {
                switch f {
                case "-": spec.leftAlign = true
                case "0": spec.zeroPad = true
                case "+": spec.plusSign = true
                case " ": spec.spaceSign = true
                case "#": spec.alternate = true
                default: break flags
                }
                chars.removeFirst()
            }
            while let d = chars.first, let v = d.wholeNumberValue { spec.width = spec.width * 10 + v; chars.removeFirst() }
            if chars.first == "." {
                chars.removeFirst()
                var p = 0
                while let d = chars.first, let v = d.wholeNumberValue { p = p * 10 + v; chars.removeFirst() }
                spec.precision = p
            }
            while let l = chars.first, l == "l" || l == "h" { chars.removeFirst() }  // C length modifiers
            spec.conversion = chars.popFirst() ?? "s"
            pieces.append(.spec(spec))
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    public func callAsFunction(_ args: FormatArg...) -> String { format(args) }

    public func format(_ args: [FormatArg]) -> String {
        var out = ""
        var next = 0
        for piece in pieces {
            switch piece {
            case .literal(let text): out += text
            case .spec(let spec):
                let arg = next < args.count ? args[next] : .text("")
                next += 1
                out += render(arg, spec)
            }
        }
        return out
    }

    private func render(_ arg: FormatArg, _ spec: Spec) -> String {
        var body: String
        var sign = ""
        switch spec.conversion {
        case "d", "i", "u":
            if case .unsigned(let u) = arg {
                body = String(u)
                if spec.plusSign { sign = "+" } else if spec.spaceSign { sign = " " }
                break
            }
            let v = arg.integer
            if v < 0 { sign = "-" } else if spec.plusSign { sign = "+" } else if spec.spaceSign { sign = " " }
            body = String(v.magnitude)
        case "o":
            let v = arg.integer
            if v < 0 { sign = "-" }
            body = String(v.magnitude, radix: 8)
            if spec.alternate { body = "0o" + body }
        case "x", "X":
            let magnitude: UInt64
            if case .unsigned(let u) = arg { magnitude = u } else {
                let v = arg.integer
                if v < 0 { sign = "-" }
                magnitude = v.magnitude
            }
            body = String(magnitude, radix: 16, uppercase: spec.conversion == "X")
            if spec.alternate { body = (spec.conversion == "X" ? "0X" : "0x") + body }
        case "f", "F":
            let v = arg.double
            if v < 0 || (v == 0 && v.sign == .minus) { sign = "-" } else if spec.plusSign { sign = "+" } else if spec.spaceSign { sign = " " }
            body = Self.fixed(v.magnitude, precision: spec.precision ?? 6)
        default:  // "s", "r"
            if case .terminalText(let raw) = arg {
                body = raw
                if let p = spec.precision, body.utf8.count > p { body = Self.prefix(body, bytes: p) }
                return pad(TerminalText.escaped(body), spec, zeroAllowed: false)
            }
            body = arg.text
            if let p = spec.precision, body.utf8.count > p { body = Self.prefix(body, bytes: p) }
            return pad(body, spec, zeroAllowed: false)
        }
        if spec.zeroPad && !spec.leftAlign {
            let digits = max(0, spec.width - sign.count)
            if body.count < digits { body = String(repeating: "0", count: digits - body.count) + body }
        }
        return pad(sign + body, spec, zeroAllowed: true)
    }

    /// Widths count bytes, as BCC's `printb` formats bytes (comm names are bytes in the kernel).
    private func pad(_ s: String, _ spec: Spec, zeroAllowed: Bool) -> String {
        let n = s.utf8.count
        guard n < spec.width else { return s }
        let fill = String(repeating: " ", count: spec.width - n)
        return spec.leftAlign ? s + fill : fill + s
    }

    /// The longest prefix of `s` that is at most `bytes` UTF-8 bytes, cut on a character boundary.
    static func prefix(_ s: String, bytes: Int) -> String {
        var used = 0
        var end = s.startIndex
        for c in s {
            let n = c.utf8.count
            if used + n > bytes { break }
            used += n
            end = s.index(after: end)
        }
        return String(s[..<end])
    }

    /// Fixed-point text with round-half-even on the exact binary value, as C's printf (and so
    /// Python) does.
    static func fixed(_ value: Double, precision: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : "inf" }
        return cFormat(value, precision: precision)
    }
}

/// A value for one `%` conversion.
public enum FormatArg: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case int(Int64)
    /// A 64-bit value that Python would hold as a non-negative int (a kernel address).
    case unsigned(UInt64)
    case double(Double)
    case text(String)
    /// Text from users (names, paths) for a terminal: a precision cuts it first, then its
    /// control characters are escaped (TerminalText), so a cut never splits an escape.
    case terminalText(String)

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }

    var integer: Int64 {
        switch self {
        case .int(let v): v
        case .unsigned(let u): Int64(clamping: u)
        // saturating: a NaN, infinite or huge value must not trap
        case .double(let d): d.isNaN ? 0 : d >= 0x1p63 ? .max : d < -0x1p63 ? .min : Int64(d)
        case .text(let s), .terminalText(let s): Int64(s) ?? 0
        }
    }

    var double: Double {
        switch self {
        case .int(let v): Double(v)
        case .unsigned(let u): Double(u)
        case .double(let d): d
        case .text(let s), .terminalText(let s): Double(s) ?? 0
        }
    }

    var text: String {
        switch self {
        case .int(let v): String(v)
        case .unsigned(let u): String(u)
        case .double(let d): "\(d)"
        case .text(let s): s
        case .terminalText(let s): TerminalText.escaped(s)
        }
    }
}
