import ArgumentParser
import LoaderCore

/// -n and -l: regular expressions searched for as `re.search` does, in linear time (see
/// SearchPattern: a hostile argument cannot stall the tool).
struct ExecFilters {
    let name: SearchPattern?
    let line: SearchPattern?

    init(name: String?, line: String?) throws {
        self.name = try name.map { try Self.compile($0, option: "-n/--name") }
        self.line = try line.map { try Self.compile($0, option: "-l/--line") }
    }

    private static func compile(_ pattern: String, option: String) throws -> SearchPattern {
        do { return try SearchPattern(pattern) } catch {
            throw ValidationError("argument \(option): \(error.description)")
        }
    }

    /// -n matches the command name or any argument, as BCC's help text says; -l the argument
    /// list (`listed`: with the "..." marker) joined by spaces, raw (before -q's quotes and the
    /// escapes), as BCC's does. The joined line is only built when -l is given.
    func keep(comm: String, args: [String], listed: [String]) -> Bool {
        if let name, !(name.matches(comm) || args.contains { name.matches($0) }) { return false }
        if let line, !line.matches(listed.joined(separator: " ")) { return false }
        return true
    }
}
