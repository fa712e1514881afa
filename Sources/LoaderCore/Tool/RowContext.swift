/// What a row needs beyond its event: the wall clock (for TIME columns) and the first event's
/// timestamp (for columns of seconds since the first event). Tests give a fixed clock, so rows
/// are compared byte for byte without root.
public final class RowContext: @unchecked Sendable {
    /// HH:MM:SS of now, local time.
    public let localTime: () -> String
    /// The monotonic time the tool started at, in nanoseconds.
    public let startNs: UInt64
    /// Only the event loop's thread uses a context: rows are formatted in order, on one thread.
    private var firstTimestamp: UInt64?
    private var state: [ObjectIdentifier: AnyObject] = [:]

    public init(localTime: @escaping () -> String = { Clock.localTime() }, startNs: UInt64 = Clock.monotonicNs()) {
        self.localTime = localTime
        self.startNs = startNs
    }

    /// The run's one instance of `T`, made on first use: what a tool's decoding keeps between
    /// records (records to join, options read once, a warning given once).
    public func state<T: AnyObject>(_ make: () throws -> T) rethrows -> T {
        if let existing = state[ObjectIdentifier(T.self)] as? T { return existing }
        let made = try make()
        state[ObjectIdentifier(T.self)] = made
        return made
    }

    /// Seconds from the first event to this one, both timestamps in `unitsPerSecond` (1e6 for
    /// microseconds); the first event seen is 0. Out-of-order timestamps give negative values,
    /// never a trap.
    public func secondsSinceFirst(_ timestamp: UInt64, unitsPerSecond: Double) -> Double {
        let first = firstTimestamp ?? timestamp
        firstTimestamp = first
        return Clock.difference(timestamp, since: first) / unitsPerSecond
    }
}
