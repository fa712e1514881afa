import ArgumentParser

/// BCC's `[interval [count]]` positionals of the summary tools (biolatency, runqlat): a report
/// every `interval` seconds, `count` times; without them, one report at Ctrl-C.
public struct IntervalCount: ParsableArguments, Sendable {
    @Argument(help: "output interval, in seconds")
    public var interval: Int?

    @Argument(help: "number of outputs")
    public var count: Int?

    public init() {}

    /// BCC's default when no interval is given: in effect, until Ctrl-C.
    public static let forever = 99_999_999

    public func validate() throws {
        try ArgumentLimits.checkPositive(interval, "interval", unit: "seconds", max: ArgumentLimits.maxSeconds)
        try ArgumentLimits.checkPositive(count, "count", unit: "outputs", max: ArgumentLimits.maxCount)
    }

    public var seconds: Double { Double(interval ?? Self.forever) }
    public var reports: Int { count ?? Self.forever }
}
