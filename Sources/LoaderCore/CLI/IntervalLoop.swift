import Glibc

/// The summary tools' main loop (biolatency's `interval count`, profile's duration): sleep,
/// report, flush; stop after `count` reports, or report once more at once on SIGINT/SIGTERM (or
/// when `until` says so: a traced command ended).
public enum IntervalLoop {
    /// How often a sleeping tool checks for a stop request or a reader that went away.
    static let checkInterval = 0.1

    public static func run(interval: Double, count: Int?, loaded: borrowing LoadedBPF,
                           output: OutputSink = .stdout, until: () -> Bool = { false },
                           report: () throws -> Void) rethrows {
        output.flush()  // the banner, at once: it tells scripts the probes are attached
        loaded.runAfterStart()
        MemoryTrim.afterStartup()
        var remaining = count
        var first = true
        while true {
            var stopped: Bool
            if first && interval > 2 {
                // what start-up set going on threads of its own (profile's and offcputime's
                // kallsyms reader) is done within a second: trim again, with a single thread
                // the writable mapping too (MemoryTrim)
                stopped = !sleep(seconds: 1, output: output, until: until)
                if !stopped {
                    MemoryTrim.afterStartup()
                    stopped = !sleep(seconds: interval - 1, output: output, until: until)
                }
            } else {
                stopped = !sleep(seconds: interval, output: output, until: until)
            }
            first = false
            try report()
            output.flush()
            if let left = remaining {
                remaining = left - 1
                if left <= 1 { return }
            }
            if stopped { return }
        }
    }

    /// Sleeps `seconds`; false if a stop was requested (or the reader of stdout went away)
    /// meanwhile. A signal interrupts the sleep at once (no SA_RESTART, see Signals).
    public static func sleep(seconds: Double, output: OutputSink, until: () -> Bool = { false }) -> Bool {
        let deadline = Clock.monotonicNs() &+ Clock.nanoseconds(seconds)
        while !Signals.stopRequested {
            if output.readerIsGone || until() { return false }
            let now = Clock.monotonicNs()
            if now >= deadline { return true }
            let step = min(Double(deadline - now) / 1e9, checkInterval)
            var request = timespec(tv_sec: Int(step), tv_nsec: Int((step - Double(Int(step))) * 1e9))
            nanosleep(&request, nil)
        }
        return false
    }
}
