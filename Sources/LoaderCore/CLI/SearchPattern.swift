import Glibc

/// A regular expression searched for in text that unprivileged users write (command names,
/// arguments), as `re.search` does in BCC's tools, in time linear in the text.
///
/// A backtracking engine (Python's, Swift's Regex) takes exponential time on patterns such as
/// `(a+)+$` against one hostile argument, pinning the tool at 100% CPU where no signal is seen.
/// So the pattern is a POSIX extended regular expression run by glibc's automaton, and the
/// search is one anchored pass (`^.*(PATTERN)`), linear in the text. What Python has and POSIX
/// lacks: `\d`/`\D` are translated (`[0-9]`), `\w \W \s \S \b` are glibc's own; back-references
/// (`\1`) and `(?...)` groups (flags, lookaround, named groups) are refused as usage errors;
/// lazy quantifiers (`*?`) find the same matches a search needs.
public final class SearchPattern: @unchecked Sendable {
    public let pattern: String
    private var compiled = regex_t()

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ pattern: String) throws(Invalid) {
        self.pattern = pattern
        let translated = try Self.translate(pattern)
        guard regcomp(&compiled, "^.*(" + translated + ")", REG_EXTENDED | REG_NOSUB) == 0 else {
            throw Invalid(description: "invalid regular expression '\(pattern)'")
        }
    }

    deinit { regfree(&compiled) }

    /// Whether the pattern occurs in `text` (a NUL in the text ends it, as in C).
    public func matches(_ text: String) -> Bool {
        regexec(&compiled, text, 0, nil, 0) == 0
    }

    /// Python's syntax to POSIX ERE, where they differ in what a search can tell.
    static func translate(_ pattern: String) throws(Invalid) -> String {
        var out = ""
        var chars = pattern.makeIterator()
        var inBracket = false
        var bracketStart = false
        while let c = chars.next() {
            if inBracket {
                if c == "]" && !bracketStart { inBracket = false }
                bracketStart = bracketStart && c == "^"
                if c == "\\", let next = chars.next() {
                    switch next {
                    case "d": out += "0-9"
                    case "\\": out += "\\\\"
                    default: out.append(c); out.append(next)
                    }
                    continue
                }
                out.append(c)
                continue
            }
            switch c {
            case "[":
                inBracket = true
                bracketStart = true
                out.append(c)
            case "(":
                out.append(c)
                // `(?` is Python's extension syntax; POSIX would take `?` as a bad repetition
                var lookahead = chars
                if lookahead.next() == "?" {
                    throw Invalid(description: "'(?...)' groups are not supported in '\(pattern)' (POSIX extended regular expressions)")
                }
            case "\\":
                guard let next = chars.next() else { out.append(c); continue }
                switch next {
                case "d": out += "[0-9]"
                case "D": out += "[^0-9]"
                case "1"..."9":
                    throw Invalid(description: "back-references are not supported in '\(pattern)' (they make matching exponential)")
                default: out.append(c); out.append(next)
                }
            default:
                out.append(c)
            }
        }
        return out
    }
}
