import ArgumentParser
import FoundationEssentials

/// What Python's argparse accepts and swift-argument-parser does not, so that BCC's command
/// lines keep working: a unique prefix of a long option (`--fail` for `--fails`), a group of
/// short flags ending in an option with its value attached (`-xu0`, `-Lp123`), and a negative
/// number as an option's value (`-P -1`). The arguments are rewritten into the parser's own
/// spelling only when the parser refused them as given, so the common case costs nothing.
public enum ArgparseCompat {
    /// A command's options: which names exist and which take a value.
    public struct OptionTable: Sendable {
        var longs: [String: Bool] = [:]       /// long name -> takes a value
        var shorts: [Character: Bool] = [:]   /// short name -> takes a value
        var longOfShort: [Character: String] = [:]

        public init(longs: [String: Bool], shorts: [Character: Bool], longOfShort: [Character: String] = [:]) {
            self.longs = longs
            self.shorts = shorts
            self.longOfShort = longOfShort
        }

        /// From the parser's own description of `T` (its `--experimental-dump-help` JSON).
        public init<T: ParsableArguments>(_ type: T.Type) {
            guard let dump = try? JSONDecoder().decode(Dump.self, from: Data(T._dumpHelp().utf8)) else { return }
            for argument in dump.command.arguments ?? [] where argument.kind != "positional" {
                let takesValue = argument.kind == "option"
                let names = argument.names ?? []
                let long = names.first { $0.kind == "long" }?.name
                for name in names {
                    if name.kind == "long" { longs[name.name] = takesValue }
                    if name.kind == "short", let c = name.name.first {
                        shorts[c] = takesValue
                        if let long { longOfShort[c] = long }
                    }
                }
            }
        }
    }

    /// The part of the parser's `--experimental-dump-help` JSON the table needs.
    private struct Dump: Decodable {
        struct Command: Decodable { let arguments: [Argument]? }
        struct Argument: Decodable { let kind: String; let names: [Name]? }
        struct Name: Decodable { let kind: String; let name: String }
        let command: Command
    }

    /// argparse's own error for a prefix of several options.
    public struct Ambiguous: Error, CustomStringConvertible {
        public let description: String
    }

    /// The arguments in the parser's spelling (unchanged where nothing applies).
    public static func rewrite(_ arguments: [String], _ table: OptionTable) throws(Ambiguous) -> [String] {
        var out: [String] = []
        var index = 0
        /// Appends the value of an option: the next argument, whatever it looks like (argparse
        /// takes "-1" as a value when no option looks like a negative number).
        func takeValue(for option: String, long: String?) {
            guard index + 1 < arguments.count else { out.append(option); return }
            let value = arguments[index + 1]
            if value.hasPrefix("-"), let long { out.append("--\(long)=\(value)") } else { out += [option, value] }
            index += 1
        }
        while index < arguments.count {
            defer { index += 1 }
            let argument = arguments[index]
            if argument == "--" {
                out += arguments[index...]
                index = arguments.count
                break
            }
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let attached = body.contains("=") ? String(body.drop { $0 != "=" }) : ""
                var long = name
                if table.longs[name] == nil {
                    let candidates = table.longs.keys.filter { $0.hasPrefix(name) }.sorted()
                    if candidates.count > 1 {
                        throw Ambiguous(description: "ambiguous option: --\(name) could match "
                                        + candidates.map { "--" + $0 }.joined(separator: ", "))
                    }
                    guard let only = candidates.first, !name.isEmpty else { out.append(argument); continue }
                    long = only
                }
                if table.longs[long] == true && attached.isEmpty {
                    takeValue(for: "--" + long, long: long)
                } else if table.longs[long] == true && attached == "=" {
                    // argparse takes `--label=` as an empty value; the parser wants it apart
                    out += ["--" + long, ""]
                } else {
                    out.append("--" + long + attached)
                }
                continue
            }
            guard argument.hasPrefix("-"), argument.count >= 2, Int(argument) == nil else {
                out.append(argument)
                continue
            }
            // -xu0: flags, then perhaps one option taking the rest (or the next argument)
            var group = Array(argument.dropFirst())
            var expanded: [String] = []
            var valueNext: Character?
            while let c = group.first {
                group.removeFirst()
                guard let takesValue = table.shorts[c] else { expanded = []; valueNext = nil; break }
                expanded.append("-" + String(c))
                if takesValue {
                    if group.isEmpty { valueNext = c } else { expanded.append(String(group)) }
                    group = []
                }
            }
            if expanded.isEmpty { out.append(argument); continue }
            if let option = valueNext {
                expanded.removeLast()
                out += expanded
                takeValue(for: "-" + String(option), long: table.longOfShort[option])
            } else {
                out += expanded
            }
        }
        return out
    }
}
