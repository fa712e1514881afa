import ArgumentParser

/// -n and -l: regular expressions (Python `re.search` semantics for the usual patterns).
struct ExecFilters {
    let name: Regex<AnyRegexOutput>?
    let line: Regex<AnyRegexOutput>?

    init(name: String?, line: String?) throws {
        self.name = try name.map { try Self.compile($0, option: "-n/--name") }
        self.line = try line.map { try Self.compile($0, option: "-l/--line") }
    }

    private static func compile(_ pattern: String, option: String) throws -> Regex<AnyRegexOutput> {
        do { return try Regex(pattern) } catch {
            throw ValidationError("argument \(option): invalid regular expression '\(pattern)'")
        }
    }

    /// -n matches the command name or any argument, as BCC's help text says.
    func keep(comm: String, args: [String], argvText: String) -> Bool {
        if let name, !(comm.contains(name) || args.contains { $0.contains(name) }) { return false }
        if let line, !argvText.contains(line) { return false }
        return true
    }
}
