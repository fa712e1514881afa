/// The streaming tools' main loop: wait for records, let the handler print them, flush once
/// per batch, report lost records on stderr, stop on SIGINT/SIGTERM or after `duration`.
public enum EventLoop {
    public static func run(_ reader: RingBufferReader, duration: Double? = nil,
                           output: OutputSink = .stdout) throws(BPFError) {
        let start = Clock.monotonicNs()
        let deadline = duration.map { start + UInt64($0 * 1e9) }
        var nextLostCheck = start
        output.flush()  // the header, at once: it tells scripts the probes are attached
        while !Signals.stopRequested {
            var timeout: Int32 = 100
            if let deadline {
                let now = Clock.monotonicNs()
                if now >= deadline { break }
                timeout = Int32(min(100, (deadline - now) / 1_000_000 + 1))
            }
            try reader.poll(timeoutMs: timeout)
            output.flush()
            let now = Clock.monotonicNs()
            if now >= nextLostCheck {
                reportLost(reader)
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
