import Glibc

/// Clocks and the time formats BCC prints.
public enum Clock {
    /// CLOCK_MONOTONIC in nanoseconds: the clock of `bpf_ktime_get_ns()`.
    public static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Nanoseconds in `seconds`, saturating: never traps, whatever the value.
    public static func nanoseconds(_ seconds: Double) -> UInt64 {
        guard seconds > 0 else { return 0 }
        return seconds >= 1.8e10 ? UInt64.max : UInt64(seconds * 1e9)
    }

    /// `later - earlier` as a Double in the clocks' unit, negative when `later` is the earlier
    /// one (records from different CPUs may carry slightly earlier times than one already
    /// seen): never traps on unsigned subtraction.
    public static func difference(_ later: UInt64, since earlier: UInt64) -> Double {
        later >= earlier ? Double(later - earlier) : -Double(earlier - later)
    }

    /// When this process started, on the CLOCK_MONOTONIC time line (from /proc/self/stat).
    public static func processStartNs() -> UInt64 {
        guard let stat = try? readFile("/proc/self/stat"),
              let afterComm = stat.lastIndex(of: ")") else { return monotonicNs() }
        // Field 22 (starttime, in clock ticks since boot); fields after comm start at 3.
        let fields = stat[stat.index(after: afterComm)...].split(separator: " ")
        guard fields.count > 19, let ticks = UInt64(fields[19]) else { return monotonicNs() }
        let hz = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        var boot = timespec()
        clock_gettime(CLOCK_BOOTTIME, &boot)
        let bootNs = UInt64(boot.tv_sec) * 1_000_000_000 + UInt64(boot.tv_nsec)
        let sinceStart = bootNs &- ticks &* (1_000_000_000 / max(hz, 1))
        return monotonicNs() &- sinceStart
    }

    /// Reads the time zone once, so formatting a time never re-opens /etc/localtime (which a
    /// tool like opensnoop would otherwise report about itself).
    public static func loadTimeZone() { tzset() }

    /// The wall clock, in nanoseconds since the epoch.
    public static func realtimeNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(clamping: ts.tv_sec) &* 1_000_000_000 &+ UInt64(clamping: ts.tv_nsec)
    }

    /// How far the wall clock is ahead of the monotonic one (bpf_ktime_get_ns), read once per
    /// run: a monotonic event time plus this is its wall-clock time.
    public static func realtimeOffsetNs() -> Int64 {
        Int64(clamping: realtimeNs()) &- Int64(clamping: monotonicNs())
    }

    /// RFC 3339 with nanoseconds and the local offset: "2026-12-01T17:35:12.123456789+01:00".
    public static func rfc3339(realtimeNs ns: UInt64) -> String {
        var seconds = time_t(clamping: ns / 1_000_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let base = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fraction = String(ns % 1_000_000_000)
        let offset = parts.tm_gmtoff, magnitude = abs(offset)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return base + "." + String(repeating: "0", count: 9 - fraction.count) + fraction
            + (offset < 0 ? "-" : "+") + two(magnitude / 3600) + ":" + two(magnitude % 3600 / 60)
    }

    /// "HH:MM:SS.mmm" of a wall-clock time, local or UTC (exitsnoop's -t and --utc).
    public static func timeOfDayMs(realtimeNs ns: UInt64, utc: Bool) -> String {
        var seconds = time_t(clamping: ns / 1_000_000_000)
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = ns / 1_000_000 % 1000
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))." + (ms < 10 ? "00" : ms < 100 ? "0" : "") + "\(ms)"
    }

    /// Now, as every JSON record's `timestamp` (RFC 3339, nanoseconds, local offset).
    public static func timestamp() -> String { rfc3339(realtimeNs: realtimeNs()) }

    /// The local time as `strftime(format)`, e.g. "%H:%M:%S".
    public static func localTime(_ format: String = "%H:%M:%S") -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
