/// The streaming tools' main loop: wait for records, let the handler print them, flush once
/// per batch, report lost records on stderr, stop on SIGINT/SIGTERM or after `duration`.
///
/// The BPF side does not wake us per record (see `emit` in bpf-src/common.bpf.h), so the loop
/// polls every `pollInterval` milliseconds: a row reaches stdout at most that long after its
/// event, and a storm of events costs one wake-up per interval instead of one per event.
public enum EventLoop {
    public static let pollInterval: Int32 = 10

    /// `until` is asked every poll whether to stop (a traced command has ended, say).
    public static func run(_ reader: RingBufferReader, duration: Double? = nil,
                           output: OutputSink = .stdout, until: () -> Bool = { false }) throws(BPFError) {
        let start = Clock.monotonicNs()
        let deadline = duration.map { start &+ Clock.nanoseconds($0) }
        var nextLostCheck = start
        output.flush()  // the header, at once: it tells scripts the probes are attached
        reader.runAfterStart()
        while !Signals.stopRequested && !until() {
            var timeout = pollInterval
            if let deadline {
                let now = Clock.monotonicNs()
                if now >= deadline { break }
                timeout = Int32(min(UInt64(pollInterval), (deadline - now) / 1_000_000 + 1))
            }
            try reader.poll(timeoutMs: timeout)
            output.flush()
            let now = Clock.monotonicNs()
            if now >= nextLostCheck {
                reportLost(reader)
                if output.readerIsGone { return }  // end quietly, as a write would on EPIPE
                nextLostCheck = now + 100_000_000
            }
        }
        reader.drain()
        output.flush()
        reportLost(reader)
    }

    static func reportLost(_ reader: RingBufferReader) {
        let lost = reader.newlyLost()
        if lost > 0 { Diagnostics.line("Possibly lost \(lost) samples") }
    }
}
