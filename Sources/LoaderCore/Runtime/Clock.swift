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
