/// Text that unprivileged users control (process names, arguments, paths, symbol names) made
/// safe to print on root's terminal and in line-oriented pipelines: a control character could
/// otherwise move the cursor, retitle the window, rewrite earlier rows (CR, BS, CSI), or start a
/// forged row (newline).
///
/// C0 controls, DEL and C1 controls (U+0080–U+009F) become `\xNN`; a newline becomes the two
/// characters `\n` (BCC's execsnoop escape) and a tab `\t`. Everything else, backslashes
/// included, is kept as it is, so ordinary text prints exactly as BCC prints it. The same
/// escape applies whether stdout is a terminal, a pipe or a file, so a log replayed with `cat`
/// is as safe as the live output.
public enum TerminalText {
    public static func escaped(_ text: String) -> String {
        guard needsEscaping(text) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7F, 0x80...0x9F: out += hex(scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether `text` holds any character `escaped` changes (most text has none: no copy then).
    @inline(__always)
    public static func needsEscaping(_ text: String) -> Bool {
        // 0xC2 leads the UTF-8 encoding of U+0080–U+00BF, which holds the C1 controls.
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "\\x" + (digits.count < 2 ? "0" + digits : digits)
    }
}
