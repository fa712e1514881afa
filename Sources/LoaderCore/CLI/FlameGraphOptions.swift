import ArgumentParser

/// --flamegraph FILE with its --title and --width, for the tools that count stacks (profile,
/// offcputime).
public struct FlameGraphOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("flamegraph"), help: ArgumentHelp("also write an interactive SVG flame graph of the stacks to this file", valueName: "FILE"))
    public var path: String?

    @Option(name: .customLong("title"), help: ArgumentHelp("the flame graph's title", valueName: "TEXT"))
    public var title: String?

    @Option(name: .customLong("width"), help: ArgumentHelp("the flame graph's width in pixels (default 1200)", valueName: "PIXELS"))
    public var width: Int = 1200

    public init() {}

    public func validate() throws {
        if width < 200 || width > 100_000 { throw ValidationError("argument --width: must be 200 to 100000 pixels") }
    }

    /// What StackPrinter draws, with the tool's default title and unit of count.
    public func request(defaultTitle: String, unit: String) -> FlameGraphRequest? {
        path.map { FlameGraphRequest(path: $0, title: title ?? defaultTitle, unit: unit, width: width) }
    }
}

/// A flame graph to write: where, titled what, counting what, how wide.
public struct FlameGraphRequest: Sendable {
    public let path: String
    public let title: String
    public let unit: String
    public let width: Int
}
