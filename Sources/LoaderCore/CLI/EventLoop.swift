/// The streaming tools' main loop: wait for records, let the handler print them, flush once
/// per batch, report lost records on stderr, stop on SIGINT/SIGTERM or after `duration`.
///
/// While records flow, the BPF side does not wake us per record (see `emit` in
/// bpf-src/ringbuf.bpf.h): the loop polls every `pollInterval` milliseconds, so a stream costs
/// one wake-up per interval instead of one per event, and a row is printed within that
/// interval. After `quietPolls` empty polls it goes idle: it asks the BPF side
/// (`reader_idle`) to wake it for the next record, and sleeps on a timer of `idleInterval`
/// milliseconds, only to notice a closed stdout, a traced command's end and the duration. An
/// idle tool wakes once a second instead of 100 times, and a lone event's row comes in 1-2 ms.
/// (Waking the reader for the first record of every sparse batch as well, at most once per
/// interval, brought rows a few milliseconds sooner but cost the traced tasks ~0.1 us per
/// exec in an exec storm: irq_work and a wake-up, 100 times a second.)
public enum EventLoop {
    public static let pollInterval: Int32 = 10
    public static let quietPolls = 3
    public static let idleInterval: Int32 = 1000
    static let retrimInterval: UInt64 = 60_000_000_000

    /// `until` is asked at every wake-up whether to stop (a traced command has ended, say).
    /// `beforeFinalDrain` runs once the loop stops, before the records still in the ring are
    /// handled (not when stdout's reader is gone): what the kernel counted by then is all in the ring.
    public static func run(_ reader: RingBufferReader, duration: Double? = nil,
                           output: OutputSink = .stdout, until: () -> Bool = { false },
                           beforeFinalDrain: () -> Void = {}) throws(BPFError) {
        let start = Clock.monotonicNs()
        let deadline = duration.map { start &+ Clock.nanoseconds($0) }
        var nextLostCheck = start
        var idle = false, quiet = 0
        // rows since the last trim, and when the next may be (the first at once)
        var sawRecords = false, nextTrim: UInt64 = 0
        output.flush()  // the header, at once: it tells scripts the probes are attached
        reader.runAfterStart()
        MemoryTrim.afterStartup()
        defer { reader.setIdle(false) }
        while !Signals.stopRequested && !until() {
            var timeout = idle ? idleInterval : pollInterval
            if let deadline {
                let now = Clock.monotonicNs()
                if now >= deadline { break }
                timeout = Int32(min(UInt64(timeout), (deadline - now) / 1_000_000 + 1))
            }
            let handled = try reader.poll(timeoutMs: timeout)
            output.flush()
            if handled > 0 {
                (idle, quiet, sawRecords) = (false, 0, true)
            } else if !idle && reader.canIdle {
                quiet += 1
                if quiet >= quietPolls {
                    // flag first, then look once more: a record sent before the flag was set
                    // woke nobody, one sent after it wakes us
                    reader.setIdle(true)
                    if reader.drain() > 0 { output.flush(); quiet = 0 } else { idle = true }
                }
            }
            let now = Clock.monotonicNs()
            // The first rows look up type metadata and protocol conformances once (the runtime
            // scans its tables, faulting in ~1 MB of them) and run code start-up did not; a
            // later burst may run code no other row does (oomkill names a stack from the
            // binary's symbols: 2 MB of code). What that brought in is not needed while idle:
            // a quiet spell after rows trims once more, at once the first time, then at most
            // once every `retrimInterval` (a trim costs ~1 ms, and the next row faults its
            // code back in).
            if idle && sawRecords && now >= nextTrim {
                MemoryTrim.afterStartup()
                sawRecords = false
                nextTrim = now &+ retrimInterval
            }
            if now >= nextLostCheck {
                reportLost(reader)
                if output.readerIsGone { return }  // end quietly, as a write would on EPIPE
                nextLostCheck = now + 100_000_000
            }
        }
        beforeFinalDrain()
        reader.drain()
        output.flush()
        reportLost(reader)
    }

    static func reportLost(_ reader: RingBufferReader) {
        let lost = reader.newlyLost()
        if lost > 0 { Diagnostics.line("Possibly lost \(lost) samples") }
    }
}
