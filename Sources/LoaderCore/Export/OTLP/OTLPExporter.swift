import Glibc
import Synchronization

/// --otlp: log records (one per row) and metrics pushed to an OTLP/HTTP collector from a thread
/// of its own, so the event loop never waits on the network.
///
/// Logs: rows wait in a bounded queue (`maxQueue`); the thread sends them in batches of up to
/// `maxBatch` every `logDelaySeconds`, or sooner when a batch is full. Metrics: every
/// `metricIntervalSeconds`, cumulative (a lost push costs resolution, not counts). A failed send
/// (no connection, a timeout, HTTP 429/502/503/504) is retried with backoff (1 s doubling to
/// 32 s, or the server's Retry-After); meanwhile rows past the queue's bound are dropped and
/// counted. Another status (400: the collector refused the data) drops that batch, counted. The
/// first failure and the recovery are said on stderr, the drops in the self-metrics and at exit.
public final class OTLPExporter: @unchecked Sendable {
    private struct State {
        var queue: [OTLPMessages.LogRecord] = []
        var sentRecords: UInt64 = 0
        var droppedRecords: UInt64 = 0
        var failedExports: [String: UInt64] = [:]
        /// Records dropped since the collector was last reachable (said when it is again).
        var droppedWhileDown: UInt64 = 0
        var down = false
    }

    private let tool: String
    private let endpoint: OTLPEndpoint
    private let settings: OTLPSettings
    private let origin: OTLPMessages.Origin
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)
    /// A pipe written when a batch is full and at stop, to wake the thread's poll.
    private let wake: (read: Int32, write: Int32)
    private var thread: pthread_t?
    private var metrics: (@Sendable () -> [MetricFamily])?
    private let startUnixNano = Clock.realtimeNs()

    public init(tool: String, endpoint: OTLPEndpoint, settings: OTLPSettings) {
        (self.tool, self.endpoint, self.settings) = (tool, endpoint, settings)
        origin = .init(resource: settings.resource, scopeName: "swift-bpf-tools/\(tool)", scopeVersion: ToolVersion.number)
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            }
        }
        wake = (fds[0], fds[1])
    }

    deinit {
        finish()
        if wake.read >= 0 { close(wake.read) }
        if wake.write >= 0 { close(wake.write) }
    }

    /// Starts the thread; `metrics` is rendered at each push (on that thread).
    public func start(metrics: @escaping @Sendable () -> [MetricFamily]) {
        self.metrics = metrics
        thread = BackgroundThread.start { [self] in run() }
    }

    /// A row to send (the event loop's thread): queued, or dropped and counted when the queue is full.
    public func enqueue(_ record: OTLPMessages.LogRecord) {
        let full = state.withLock { state -> Bool in
            guard state.queue.count < settings.maxQueue else {
                state.droppedRecords &+= 1
                state.droppedWhileDown &+= 1
                return false
            }
            state.queue.append(record)
            return state.queue.count == settings.maxBatch
        }
        if full { signal() }
    }

    /// Sends what is queued and a last push of metrics (up to ~5 s when the collector does not
    /// answer), stops the thread, and says on stderr what could not be sent.
    public func finish() {
        guard let thread else { return }
        stopping.store(true, ordering: .relaxed)
        signal()
        pthread_join(thread, nil)
        self.thread = nil
        let (dropped, sent) = state.withLock { ($0.droppedRecords, $0.sentRecords) }
        if dropped > 0 {
            Diagnostics.line("\(tool): OTLP: \(dropped) log records dropped in all (\(sent) sent to \(endpoint.description))")
        }
    }

    /// The exporter's own metrics (beside SelfMetrics').
    public func families() -> [MetricFamily] {
        let s = state.withLock { $0 }
        let labels = [("tool", tool)]
        return [
            MetricFamily("swift_bpf_tools_otlp_log_records_sent_total", help: "Log records the OTLP collector accepted",
                         kind: .counter, samples: [.init(labels, Double(s.sentRecords))]),
            MetricFamily("swift_bpf_tools_otlp_log_records_dropped_total",
                         help: "Log records dropped: the queue was full while the collector was slow or down, or it refused them",
                         kind: .counter, samples: [.init(labels, Double(s.droppedRecords))]),
            MetricFamily("swift_bpf_tools_otlp_failed_exports_total", help: "OTLP requests that failed (each retried or dropped)",
                         kind: .counter, samples: ["logs", "metrics"].map { .init(labels + [("signal", $0)], Double(s.failedExports[$0] ?? 0)) }),
        ]
    }

    private func signal() {
        var one: UInt8 = 1
        _ = write(wake.write, &one, 1)
    }

    private func run() {
        var nextLogs = Self.seconds() + settings.logDelaySeconds
        var nextMetrics = Self.seconds() + settings.metricIntervalSeconds
        var backoff = 0.0
        var retryAt = 0.0
        while !stopping.load(ordering: .relaxed) {
            let now = Self.seconds()
            let wakeAt = max(min(nextLogs, nextMetrics), retryAt)
            var poller = pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)
            let waitMs = Int32(clamping: Int(max(0, min(wakeAt - now, 3600)) * 1000))
            if poll(&poller, 1, waitMs) > 0 {
                var drained = [UInt8](repeating: 0, count: 64)
                _ = read(wake.read, &drained, drained.count)
            }
            let time = Self.seconds()
            if time < retryAt { continue }
            let batchFull = state.withLock { $0.queue.count >= settings.maxBatch }
            var ok = true
            if time >= nextLogs || batchFull {
                ok = sendLogs(limit: settings.maxBatch)
                if ok { nextLogs = time + settings.logDelaySeconds }
            }
            if ok && time >= nextMetrics {
                ok = sendMetrics()
                nextMetrics = time + settings.metricIntervalSeconds
            }
            if ok {
                backoff = 0
                retryAt = 0
            } else {
                backoff = backoff == 0 ? 1 : min(backoff * 2, 32)
                retryAt = time + (lastRetryAfter.map { min($0, 60) } ?? backoff)
            }
        }
        // the last batches and a final push, within ~5 s, unless the collector is known to be
        // down (a signal ends the tool promptly)
        if !state.withLock({ $0.down }) {
            let deadline = Self.seconds() + 5
            while Self.seconds() < deadline, state.withLock({ !$0.queue.isEmpty }), sendLogs(limit: settings.maxBatch, timeout: 2) {}
            if Self.seconds() < deadline { _ = sendMetrics(timeout: 2) }
        }
        let left = state.withLock { state -> Int in
            let n = state.queue.count
            state.droppedRecords &+= UInt64(n)
            state.queue.removeAll()
            return n
        }
        if left > 0 { Diagnostics.line("\(tool): OTLP: \(left) log records not sent at exit") }
    }

    /// The server's Retry-After on the last failure (only the exporter thread reads and writes it).
    private var lastRetryAfter: Double?

    /// Sends up to `limit` queued records; true when sent or when there was nothing to send
    /// (the records stay queued on a failure to retry, or are dropped when refused).
    private func sendLogs(limit: Int, timeout: Int = 3) -> Bool {
        let batch = state.withLock { Array($0.queue.prefix(limit)) }
        guard !batch.isEmpty else { return true }
        let outcome = post("/v1/logs", OTLPMessages.logsRequest(origin, batch), signal: "logs", timeout: timeout)
        state.withLock { state in
            switch outcome {
            case .sent:
                state.queue.removeFirst(min(batch.count, state.queue.count))
                state.sentRecords &+= UInt64(batch.count)
            case .refused:
                state.queue.removeFirst(min(batch.count, state.queue.count))
                state.droppedRecords &+= UInt64(batch.count)
            case .retry: break
            }
        }
        return outcome != .retry
    }

    private func sendMetrics(timeout: Int = 3) -> Bool {
        guard let metrics else { return true }
        let request = OTLPMessages.metricsRequest(origin, metrics() + families(), startUnixNano: startUnixNano, nowUnixNano: Clock.realtimeNs())
        return post("/v1/metrics", request, signal: "metrics", timeout: timeout) != .retry
    }

    private enum Outcome { case sent, refused, retry }

    private static func seconds() -> Double { Double(Clock.monotonicNs()) / 1e9 }

    private func post(_ path: String, _ body: [UInt8], signal: String, timeout: Int) -> Outcome {
        lastRetryAfter = nil
        let result = HTTPPost.post(endpoint, path: path, contentType: "application/x-protobuf", headers: settings.headers, body: body,
                                  timeoutSeconds: timeout)
        let outcome: Outcome
        let problem: String?
        switch result {
        case .success(let response) where (200..<300).contains(response.status):
            (outcome, problem) = (.sent, nil)
        case .success(let response) where [429, 502, 503, 504].contains(response.status):
            lastRetryAfter = response.retryAfter
            (outcome, problem) = (.retry, "HTTP \(response.status) from \(endpoint.description)\(path)")
        case .success(let response):
            (outcome, problem) = (.refused, "HTTP \(response.status) from \(endpoint.description)\(path): the collector refused the data; dropped")
        case .failure(let failure):
            (outcome, problem) = (.retry, failure.message)
        }
        let (wasDown, droppedWhileDown) = state.withLock { state -> (Bool, UInt64) in
            let before = (state.down, state.droppedWhileDown)
            if outcome == .sent {
                state.down = false
                state.droppedWhileDown = 0
            } else {
                state.failedExports[signal, default: 0] &+= 1
                if outcome == .retry { state.down = true }
            }
            return before
        }
        if let problem, outcome == .refused || !wasDown {
            let retrying = outcome == .retry ? "; retrying, and dropping (counting) log records past \(settings.maxQueue) queued" : ""
            Diagnostics.line("\(tool): OTLP: \(problem)\(retrying)")
        } else if outcome == .sent && wasDown {
            Diagnostics.line("\(tool): OTLP: sending to \(endpoint.description) again; \(droppedWhileDown) log records were dropped meanwhile")
        }
        return outcome
    }
}
