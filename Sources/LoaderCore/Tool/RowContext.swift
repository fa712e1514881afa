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

    /// The wall-clock time (nanoseconds since the epoch) of a monotonic time in nanoseconds (an
    /// event's), or of now when nil.
    public let realtimeNs: (UInt64?) -> UInt64

    /// `realtimeNs` as RFC 3339: every JSON record's `timestamp`.
    public func timestamp(_ monotonicNs: UInt64?) -> String { Clock.rfc3339(realtimeNs: realtimeNs(monotonicNs)) }

    public init(localTime: @escaping () -> String = { Clock.localTime() }, startNs: UInt64 = Clock.monotonicNs(),
                realtimeNs: ((UInt64?) -> UInt64)? = nil) {
        self.localTime = localTime
        self.startNs = startNs
        let offset = Clock.realtimeOffsetNs()
        self.realtimeNs = realtimeNs ?? { monotonicNs in
            monotonicNs.map { UInt64(clamping: Int64(clamping: $0) &+ offset) } ?? Clock.realtimeNs()
        }
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
