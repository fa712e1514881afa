import ArgumentParser
import BPFEvents

/// Range checks of numeric arguments, as usage errors: a number too large for the clocks or
/// counters it feeds would otherwise trap in a conversion or wrap into nonsense (a deadline in
/// the past, reports printed all at once).
public enum ArgumentLimits {
    /// The longest duration or interval a tool takes: 2^31 - 1 seconds (68 years), whose
    /// nanoseconds still fit the 64-bit monotonic clock with room to add.
    public static let maxSeconds = Int(Int32.max)
    /// The most reports an interval tool prints.
    public static let maxCount = Int(Int32.max)

    /// `value` (when given) must be in 1...`max`; `argument` is argparse's name ("-d/--duration",
    /// "interval"), `unit` what the number counts ("seconds").
    public static func checkPositive(_ value: Int?, _ argument: String, unit: String, max: Int) throws(ValidationError) {
        guard let value else { return }
        if value <= 0 { throw ValidationError("argument \(argument): must be a positive number of \(unit), not \(value)") }
        if value > max { throw ValidationError("argument \(argument): must be at most \(max) \(unit), not \(value)") }
    }
}

extension ArgumentLimits {
    /// A process or thread ID option (`what`: "PID", "TID"): 1...2^31 - 1, the kernel's pid_t,
    /// returned as the BPF config holds it; nil when not given.
    public static func taskID(_ value: Int?, _ argument: String, what: String = "PID") throws(ValidationError) -> UInt32? {
        guard let value else { return nil }
        guard value > 0, let id = UInt32(exactly: value), id <= UInt32(Int32.max) else {
            throw ValidationError("argument \(argument): invalid \(what) value: '\(value)'")
        }
        return id
    }

    /// A numeric user ID option: 0...2^32 - 2 (the last is the BPF side's "no filter").
    public static func userID(_ value: Int?, _ argument: String = "-u/--uid") throws(ValidationError) -> UInt32? {
        guard let value else { return nil }
        guard let id = UInt32(exactly: value), id != TOOLS_INVALID_UID else {
            throw ValidationError("argument \(argument): invalid UID value: '\(value)'")
        }
        return id
    }
}
