import ArgumentParser
import FoundationEssentials

/// Help and usage in Python argparse's layout, as BCC's tools print them: `usage: tool [-h]
/// [-T] [-p PID] [interval]` (optionals by their short name, then positionals), the
/// description, "positional arguments:", "options:" with argparse's help column (at most 24),
/// then the examples verbatim (BCC's RawDescriptionHelpFormatter epilog). Nothing is wrapped:
/// a help line stays one line whatever the terminal's width, for grep.
public struct ArgparseHelp: Sendable {
    struct Argument: Sendable {
        let short: String?
        let long: String?
        let valueName: String?
        let positional: Bool
        let repeating: Bool
        var optional = true
        /// Takes every value up to the next option (argparse's nargs='*': `-p 1 2 3`).
        var manyValues = false
        let help: String

        /// The value as argparse shows it: `PID`, or `[PID ...]` for nargs='*'.
        var value: String? { valueName.map { manyValues ? "[\($0) ...]" : $0 } }

        /// How usage shows it: the short name if there is one (argparse's choice); a required
        /// positional bare.
        var usage: String {
            if positional {
                let shown = repeating ? "\(valueName ?? "") ..." : valueName ?? ""
                return optional ? "[\(shown)]" : shown
            }
            let name = short ?? long ?? ""
            return "[" + name + (value.map { " " + $0 } ?? "") + "]"
        }

        /// How the help list shows it: `-p PID, --pid PID`, `-T, --timestamp`, `interval`.
        var invocation: String {
            if positional { return valueName ?? "" }
            return [short, long].compactMap { $0 }.map { $0 + (value.map { " " + $0 } ?? "") }.joined(separator: ", ")
        }
    }

    let name: String
    let description: String
    let epilog: String
    let arguments: [Argument]

    public init<T: ParsableCommand>(_ type: T.Type) {
        name = T.configuration.commandName ?? "\(T.self)".lowercased()
        let dump = try? JSONDecoder().decode(Dump.self, from: Data(T._dumpHelp().utf8))
        description = dump?.command.abstract ?? ""
        epilog = dump?.command.discussion ?? ""
        var arguments: [Argument] = []
        for argument in dump?.command.arguments ?? [] where argument.shouldDisplay ?? true {
            let names = argument.names ?? []
            let short = names.first { $0.kind == "short" }.map { "-" + $0.name }
            let long = names.first { $0.kind == "long" }.map { "--" + $0.name }
            if long == "--help" { continue }
            arguments.append(Argument(short: short, long: long,
                                      valueName: argument.kind == "flag" ? nil : argument.valueName,
                                      positional: argument.kind == "positional",
                                      repeating: argument.isRepeating ?? false, optional: argument.isOptional ?? true,
                                      manyValues: argument.parsingStrategy == "upToNextOption", help: argument.abstract ?? ""))
        }
        // argparse lists -h first, with its own words
        self.arguments = [Argument(short: "-h", long: "--help", valueName: nil, positional: false, repeating: false,
                                   help: "show this help message and exit")] + arguments
    }

    /// `usage: tool [-h] [-T] ... [interval] [count]` on one line.
    public var usage: String {
        let optionals = arguments.filter { !$0.positional }.map(\.usage)
        let positionals = arguments.filter(\.positional).map(\.usage)
        return (["usage: \(name)"] + optionals + positionals).joined(separator: " ")
    }

    public var text: String {
        var out = usage + "\n"
        if !description.isEmpty { out += "\n\(description)\n" }
        let positionals = arguments.filter(\.positional), optionals = arguments.filter { !$0.positional }
        // argparse: the help column is 2 past the longest invocation (indented 2), at most 24
        let longest = arguments.map { $0.invocation.count + 2 }.max() ?? 0
        let helpColumn = min(longest + 2, 24)
        func section(_ title: String, _ list: [Argument]) {
            guard !list.isEmpty else { return }
            out += "\n\(title):\n"
            for argument in list {
                let invocation = "  " + argument.invocation
                if invocation.count <= helpColumn - 2 {
                    out += invocation + String(repeating: " ", count: helpColumn - invocation.count) + argument.help + "\n"
                } else {
                    out += invocation + "\n" + String(repeating: " ", count: helpColumn) + argument.help + "\n"
                }
            }
        }
        section("positional arguments", positionals)
        section("options", optionals)
        if !epilog.isEmpty { out += "\n" + epilog + (epilog.hasSuffix("\n") ? "" : "\n") }
        return out
    }

    private struct Dump: Decodable {
        struct Command: Decodable {
            let abstract: String?
            let discussion: String?
            let arguments: [Argument]?
        }
        struct Argument: Decodable {
            let kind: String
            let names: [Name]?
            let valueName: String?
            let abstract: String?
            let isRepeating: Bool?
            let isOptional: Bool?
            let parsingStrategy: String?
            let shouldDisplay: Bool?
        }
        struct Name: Decodable { let kind: String; let name: String }
        let command: Command
    }
}
