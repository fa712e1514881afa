import Foundation
import Testing

/// --otlp: the tools push to a receiver that decodes real OTLP/HTTP protobuf with the official
/// opentelemetry-proto package (scripts/otlp-receiver.py); the records and data points it
/// received must be the workload the test made.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
struct OTLPExportTests {
    static func freePort() -> Int { 61000 + Int.random(in: 0..<4000) }

    /// The OTEL_* variables set, the rest of the environment kept.
    static func environment(_ otel: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OTEL_") }.merging(otel) { $1 }
    }

    @Test func execsnoopRowsAsLogRecords() throws {
        let receiver = try OTLPReceiver(port: Self.freePort())
        defer { receiver.stop() }
        let tool = try ToolRun("execsnoop", ["--otlp", receiver.url], environment: Self.environment([
            "OTEL_METRIC_EXPORT_INTERVAL": "500", "OTEL_BLRP_SCHEDULE_DELAY": "200",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=ci,team=sre%20on%20call",
            "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20t0ken",
        ]))
        defer { _ = tool.stop() }
        try tool.waitForStderr("pushing to the OTLP collector at \(receiver.url)")
        let dir = try TempDir("otlp-exec")
        defer { dir.remove() }
        let program = try dir.copy(of: "/bin/echo", prefix: "ot")
        var pids: [Int] = []
        for i in 0..<5 { pids.append(Int(try runCommand(program.path, ["arg\(i)", "two words"]).pid)) }

        let mine: ([String: Any]) -> Bool = { $0["process.executable.name"] as? String == program.comm }
        #expect(receiver.waitUntil { receiver.logs(mine).count == 5 }, "received: \(receiver.logs(mine).count) of 5; stderr: \(tool.stderr)")
        let records = receiver.logs(mine)
        #expect(records.compactMap { ($0["attributes"] as? [String: Any])?["process.pid"] as? Int }.sorted() == pids.sorted())
        for (i, record) in records.sorted(by: { ($0["time_unix_nano"] as? Int ?? 0) < ($1["time_unix_nano"] as? Int ?? 0) }).enumerated() {
            let attributes = record["attributes"] as? [String: Any] ?? [:]
            #expect(attributes["process.command_args"] as? [String] == [program.path, "arg\(i)", "two words"])
            #expect(attributes["ret"] as? Int == 0)
            #expect((attributes["process.parent_pid"] as? Int).map { $0 > 0 } == true)
            #expect(record["event_name"] as? String == "execsnoop")
            #expect(record["severity_text"] as? String == "INFO")
            // the body is the row execsnoop prints
            #expect((record["body"] as? String)?.hasPrefix(program.comm) == true)
            #expect((record["body"] as? String)?.hasSuffix("\(program.path) arg\(i) two words") == true)
            // the event's own time (the kernel's), within a minute of now
            let time = Double(record["time_unix_nano"] as? Int ?? 0) / 1e9
            #expect(abs(time - Date().timeIntervalSince1970) < 60)
            let resource = record["resource"] as? [String: String] ?? [:]
            #expect(resource["service.name"] == "execsnoop")
            #expect(resource["host.name"] == ProcessInfo.processInfo.hostName)
            #expect(resource["deployment.environment.name"] == "ci")
            #expect(resource["team"] == "sre on call")
        }
        // the counters, pushed as cumulative monotonic sums
        #expect(receiver.waitUntil { receiver.latestPoint("execsnoop_execs_total", ["comm": program.comm])?["value"] as? Double == 5 })
        let point = receiver.latestPoint("execsnoop_execs_total", ["comm": program.comm, "ret": "0"]) ?? [:]
        #expect(point["monotonic"] as? Bool == true && point["temporality"] as? Int == 2)
        #expect(receiver.latestPoint("swift_bpf_tools_resident_memory_bytes")?["kind"] as? String == "gauge")
        let requests = receiver.received().filter { $0["signal"] as? String == "request" }
        #expect(requests.allSatisfy { ($0["headers"] as? [String: String])?["authorization"] == "Bearer t0ken" })
        #expect(tool.stop() == 0, "\(tool.stderr)")
        #expect(tool.lines.isEmpty, "--otlp prints no rows")
    }

    /// biolatency's histograms as OTLP explicit-bucket histograms: the loop device's reads and
    /// writes, in seconds, with the same bounds as the Prometheus buckets.
    @Test func biolatencyHistograms() throws {
        let disk = try LoopDevice()
        defer { disk.remove() }
        let receiver = try OTLPReceiver(port: Self.freePort())
        defer { receiver.stop() }
        let tool = try ToolRun("biolatency", ["--otlp", receiver.url], environment: Self.environment(["OTEL_METRIC_EXPORT_INTERVAL": "500"]))
        defer { _ = tool.stop() }
        try tool.waitForStderr("pushing to the OTLP collector")
        try disk.directIO(reads: 30, writes: 10)
        let name = "ebpf_exporter_bio_latency_seconds"
        #expect(receiver.waitUntil { receiver.latestPoint(name, ["device": disk.name, "operation": "write"])?["count"] as? Int == 10 },
                "\(tool.stderr)")
        let reads = receiver.latestPoint(name, ["device": disk.name, "operation": "read"]) ?? [:]
        #expect(reads["count"] as? Int == 30)
        #expect(reads["kind"] as? String == "histogram" && reads["unit"] as? String == "s")
        let counts = reads["bucket_counts"] as? [Int] ?? []
        let bounds = reads["explicit_bounds"] as? [Double] ?? []
        #expect(counts.reduce(0, +) == 30 && counts.count == bounds.count + 1)
        #expect(bounds.first == 1e-6 && bounds.count >= 28, "2^0 to 2^27 microseconds at least: \(bounds)")
        #expect((reads["sum"] as? Double).map { $0 > 0 && $0 < 30 } == true)
        #expect(tool.stop() == 0, "\(tool.stderr)")
    }

    /// tcpconnect names a connect's remote end as the server it is.
    @Test func tcpconnectServerAttributes() throws {
        let receiver = try OTLPReceiver(port: Self.freePort())
        defer { receiver.stop() }
        let tool = try ToolRun("tcpconnect", ["--otlp", receiver.url], environment: Self.environment(["OTEL_BLRP_SCHEDULE_DELAY": "200"]))
        defer { _ = tool.stop() }
        try tool.waitForStderr("pushing to the OTLP collector")
        let closed = Self.freePort()
        for _ in 0..<3 { _ = try runCommand("/bin/bash", ["-c", "echo > /dev/tcp/127.0.0.1/\(closed)"]) }
        let mine: ([String: Any]) -> Bool = { $0["server.port"] as? Int == closed }
        #expect(receiver.waitUntil { receiver.logs(mine).count == 3 }, "\(tool.stderr)")
        for record in receiver.logs(mine) {
            let attributes = record["attributes"] as? [String: Any] ?? [:]
            #expect(attributes["server.address"] as? String == "127.0.0.1")
            #expect(attributes["client.address"] as? String == "127.0.0.1")
            #expect(attributes["ip"] as? Int == 4)
            #expect(attributes["process.executable.name"] as? String == "bash")
        }
        #expect(tool.stop() == 0, "\(tool.stderr)")
    }

    /// --containers with --otlp: the container's attributes under OpenTelemetry's names, and
    /// the counters split by container.
    @Test func containerAttributes() throws {
        let cgroups = try ContainerTests.Cgroups()
        defer { cgroups.remove() }
        let id = ContainerTests.id, uid = ContainerTests.uid
        let pod = try cgroups.make("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(String(uid.map { $0 == "-" ? "_" : $0 })).slice/cri-containerd-\(id).scope")
        let receiver = try OTLPReceiver(port: Self.freePort())
        defer { receiver.stop() }
        let tool = try ToolRun("execsnoop", ["--otlp", receiver.url, "--containers"],
                               environment: Self.environment(["OTEL_BLRP_SCHEDULE_DELAY": "200", "OTEL_METRIC_EXPORT_INTERVAL": "500"]))
        defer { _ = tool.stop() }
        try tool.waitForStderr("pushing to the OTLP collector")
        let dir = try TempDir("otlp-containers")
        defer { dir.remove() }
        let program = try dir.copy(of: "/bin/true", prefix: "oc")
        try cgroups.run(program.path, in: pod)
        let mine: ([String: Any]) -> Bool = { $0["process.executable.name"] as? String == program.comm }
        #expect(receiver.waitUntil { receiver.logs(mine).count == 1 }, "\(tool.stderr)")
        let attributes = receiver.logs(mine).first?["attributes"] as? [String: Any] ?? [:]
        #expect(attributes["container.id"] as? String == id)
        #expect(attributes["container.runtime.name"] as? String == "containerd")
        #expect(attributes["k8s.pod.uid"] as? String == uid)
        #expect(attributes["qos_class"] as? String == "Burstable")
        #expect((attributes["cgroup"] as? String)?.hasSuffix("cri-containerd-\(id).scope") == true)
        #expect(receiver.waitUntil {
            receiver.latestPoint("execsnoop_execs_total", ["comm": program.comm, "container": String(id.prefix(12))])?["value"] as? Double == 1
        })
        #expect(tool.stop() == 0, "\(tool.stderr)")
    }

    /// A collector that is down: the tool keeps running, says so once, drops past its queue and
    /// counts it; once the collector is up, sending resumes and the drop count is said and pushed.
    @Test func collectorDownThenUp() throws {
        let receiver = try OTLPReceiver(port: Self.freePort(), start: false)
        defer { receiver.stop() }
        let dir = try TempDir("otlp-down")
        defer { dir.remove() }
        // only this test's execs (their paths name its directory): the parallel suite's would
        // fill the queue of 10 too, and the late records below met a full queue under CI's load
        let tool = try ToolRun("execsnoop", ["--otlp", receiver.url, "-n", (dir.path as NSString).lastPathComponent],
                               environment: Self.environment([
            "OTEL_BLRP_MAX_QUEUE_SIZE": "10", "OTEL_BLRP_SCHEDULE_DELAY": "200", "OTEL_METRIC_EXPORT_INTERVAL": "500",
        ]))
        defer { _ = tool.stop() }
        try tool.waitForStderr("pushing to the OTLP collector")
        let early = try dir.copy(of: "/bin/true", prefix: "od")
        for _ in 0..<25 { _ = try runCommand(early.path, []) }
        try tool.waitForStderr("cannot connect to 127.0.0.1:\(receiver.port)")
        #expect(tool.stderr.contains("retrying, and dropping (counting) log records past 10 queued"))

        try receiver.start()
        // the retry's backoff is 1 s doubling (32 s at most): by now a few seconds
        try tool.waitForStderr("again;", timeout: 40)
        let said = tool.stderr.split(separator: "\n").first { $0.contains("again;") }.map(String.init) ?? ""
        let dropped = Int(said.split(separator: ";").last?.split(separator: " ").first ?? "") ?? -1
        #expect(dropped >= 15, "25 execs into a queue of 10: \(said)")
        let late = try dir.copy(of: "/bin/true", prefix: "ou")
        for _ in 0..<3 { _ = try runCommand(late.path, []) }
        #expect(receiver.waitUntil { receiver.logs { $0["process.executable.name"] as? String == late.comm }.count == 3 }, "\(tool.stderr)")
        #expect(receiver.logs { $0["process.executable.name"] as? String == early.comm }.count <= 10)
        #expect(receiver.waitUntil { (receiver.latestPoint("swift_bpf_tools_otlp_log_records_dropped_total")?["value"] as? Double ?? 0) >= Double(dropped) })
        #expect(tool.stop() == 0, "\(tool.stderr)")
        #expect(tool.stderr.contains("log records dropped in all"))
    }

    /// A collector that refuses the data (HTTP 400): said, dropped and counted, not retried.
    @Test func refusedBatchesAreDropped() throws {
        let receiver = try OTLPReceiver(port: Self.freePort(), status: 400)
        defer { receiver.stop() }
        let tool = try ToolRun("execsnoop", ["--otlp", receiver.url], environment: Self.environment(["OTEL_BLRP_SCHEDULE_DELAY": "200"]))
        defer { _ = tool.stop() }
        try tool.waitForStderr("pushing to the OTLP collector")
        _ = try runCommand("/bin/true", [])
        try tool.waitForStderr("HTTP 400 from \(receiver.url)/v1/logs: the collector refused the data; dropped")
        #expect(tool.stop() == 0, "\(tool.stderr)")
        #expect(tool.stderr.contains("log records dropped in all"))
    }

    @Test(arguments: [
        (["--otlp", "https://collector:4318"], "https is not supported"),
        (["--otlp", "http://"], "no host"),
        (["--otlp", "localhost:4318"], "expected http://HOST[:PORT][/PATH]"),
        (["--otlp", "http://localhost:99999"], "bad port"),
    ])
    func badEndpoints(arguments: [String], message: String) throws {
        let run = try ToolRun("execsnoop", arguments)
        #expect(run.waitForExit() == 2)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test func badEnvironment() throws {
        let run = try ToolRun("biolatency", ["--otlp", "http://localhost:4318"],
                              environment: Self.environment(["OTEL_METRIC_EXPORT_INTERVAL": "soon"]))
        #expect(run.waitForExit() == 2)
        #expect(run.stderr.contains("OTEL_METRIC_EXPORT_INTERVAL=soon: expected milliseconds"), "\(run.stderr)")
    }
}
