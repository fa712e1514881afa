import Foundation
import Testing

/// --prometheus: a real Prometheus server (Debian's) scrapes the running tool, and its HTTP API
/// answers with the numbers of the workload the test made.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
struct PrometheusExportTests {
    /// Above the kernel's ephemeral range and the ranges the other suites draw from (20000-60000).
    static func freePort() -> Int { 61000 + Int.random(in: 0..<4000) }

    @Test func biolatencyHistogramsScrapedByPrometheus() throws {
        let disk = try LoopDevice()
        defer { disk.remove() }
        let port = Self.freePort()
        let tool = try ToolRun("biolatency", ["--prometheus", "127.0.0.1:\(port)"])
        defer { _ = tool.stop() }
        try tool.waitForStderr("serving metrics at http://127.0.0.1:\(port)/metrics")
        let prometheus = try PrometheusServer(target: "127.0.0.1:\(port)")
        defer { prometheus.stop() }
        try disk.directIO(reads: 50, writes: 20)

        let series = "ebpf_exporter_bio_latency_seconds_count{device=\"\(disk.name)\",operation=\"%@\"}"
        #expect(try prometheus.waitFor(String(format: series, "read"), 50) == 50)
        #expect(try prometheus.waitFor(String(format: series, "write"), 20) == 20)
        // the +Inf bucket is the count; the buckets are cumulative, in seconds
        let inf = "ebpf_exporter_bio_latency_seconds_bucket{device=\"\(disk.name)\",operation=\"read\",le=\"+Inf\"}"
        #expect(try prometheus.value(inf) == 50)
        let underASecond = "ebpf_exporter_bio_latency_seconds_bucket{device=\"\(disk.name)\",operation=\"read\",le=\"1.048576\"}"
        #expect(try prometheus.value(underASecond) == 50, "50 loop-device reads of 4 KiB take under a second each")
        #expect(try prometheus.value("swift_bpf_tools_resident_memory_bytes{tool=\"biolatency\"}").map { $0 > 1_000_000 } == true)
        #expect(try prometheus.value("up") == 1)

        // the endpoint itself: text format; other paths are 404
        let text = try commandOutput("/usr/bin/curl", ["-s", "http://127.0.0.1:\(port)/metrics"])
        #expect(text.contains("# TYPE ebpf_exporter_bio_latency_seconds histogram\n"))
        #expect(text.contains("# TYPE swift_bpf_tools_lost_events_total counter\n"))
        let missing = try commandOutput("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/other"])
        #expect(missing == "404")
        #expect(tool.stop() == 0, "\(tool.stderr)")
    }

    /// execsnoop, opensnoop and tcpconnect count events by their labels; Prometheus scrapes
    /// the three.
    @Test func eventCountersScrapedByPrometheus() throws {
        let ports = (0..<3).map { _ in Self.freePort() }
        let tools = try zip(["execsnoop", "opensnoop", "tcpconnect"], ports).map { tool, port in
            try ToolRun(tool, ["--prometheus", "127.0.0.1:\(port)"])
        }
        defer { for tool in tools { _ = tool.stop() } }
        for tool in tools { try tool.waitForStderr("serving metrics at") }
        let prometheus = try PrometheusServer(targets: ports.map { "127.0.0.1:\($0)" })
        defer { prometheus.stop() }

        let dir = try TempDir("prometheus-events")
        defer { dir.remove() }
        let program = try dir.copy(of: "/bin/cat", prefix: "pm")
        for _ in 0..<7 { _ = try runCommand(program.path, ["/nonexistent/" + program.comm]) }
        let closed = Self.freePort()
        for _ in 0..<5 { _ = try runCommand("/bin/bash", ["-c", "echo > /dev/tcp/127.0.0.1/\(closed)"]) }

        #expect(try prometheus.waitFor("execsnoop_execs_total{comm=\"\(program.comm)\",ret=\"0\"}", 7) == 7)
        // cat's own open of the missing file, and the dynamic loader's searches
        let missing = try prometheus.waitUntil("opensnoop_opens_total{comm=\"\(program.comm)\",result=\"ENOENT\"}") { $0 >= 7 }
        #expect(missing.map { $0 >= 7 } == true, "ENOENT opens: \(String(describing: missing))")
        #expect(try prometheus.value("opensnoop_opens_total{comm=\"\(program.comm)\",result=\"ok\"}").map { $0 >= 7 } == true)
        #expect(try prometheus.waitFor("tcpconnect_connects_total{dport=\"\(closed)\",ip=\"4\"}", 5) == 5)
        #expect(try prometheus.value("sum(up)") == 3)
        for tool in tools { #expect(tool.stop() == 0, "\(tool.stderr)") }
    }

    /// runqlat's histogram; tcplife's sessions and bytes; tcpretrans's SYN retransmits.
    @Test func runqlatTcplifeAndTcpretransScrapedByPrometheus() throws {
        let ports = (0..<3).map { _ in Self.freePort() }
        let tools = try zip(["runqlat", "tcplife", "tcpretrans"], ports).map { tool, port in
            try ToolRun(tool, ["--prometheus", "127.0.0.1:\(port)"])
        }
        defer { for tool in tools { _ = tool.stop() } }
        for tool in tools { try tool.waitForStderr("serving metrics at") }
        let prometheus = try PrometheusServer(targets: ports.map { "127.0.0.1:\($0)" })
        defer { prometheus.stop() }

        // one session of a Python under a name of its own: its client sends 1 MiB and receives
        // 2 MiB, its server the other way round (tcplife reports both sockets)
        let dir = try TempDir("prometheus-tcp")
        defer { dir.remove() }
        let python = try dir.copy(of: URL(fileURLWithPath: "/usr/bin/python3").resolvingSymlinksInPath().path, prefix: "py")
        let session = Process()
        session.executableURL = URL(fileURLWithPath: python.path)
        session.arguments = ["-c", sessionScript, "1", "4", "0"]
        session.standardOutput = FileHandle.nullDevice
        try session.run()
        session.waitUntilExit()
        // two SYNs dropped once each (IPv4 and IPv6), in a private namespace; each connect waits
        // 2.5 s for the retransmit due after 1 s (1.6 s once saw only one under CI's full load)
        let netns = try DroppingNamespace()
        defer { netns.remove() }
        _ = try PythonRun(droppedConnectScript, ["46", "2.5"], netns: netns.name)

        let mib = 1_048_576.0
        #expect(try prometheus.waitFor("tcplife_sessions_total{comm=\"\(python.comm)\"}", 2) == 2)
        // the kernel's byte counts, as tcplife's TX_KB and RX_KB show them divided by 1024 (a FIN
        // may count a byte)
        for direction in ["tx", "rx"] {
            let bytes = try prometheus.value("tcplife_\(direction)_bytes_total{comm=\"\(python.comm)\"}")
            #expect(bytes.map { $0 >= 3 * mib && $0 <= 3 * mib + 4 } == true, "\(direction): \(String(describing: bytes))")
        }
        let retransmits = try prometheus.waitUntil("tcpretrans_retransmits_total{state=\"SYN_SENT\",type=\"retransmit\"}") { $0 >= 2 }
        #expect(retransmits.map { $0 >= 2 } == true, "\(String(describing: retransmits))")
        // the run queue: every switch counted; the +Inf bucket is the count, the buckets cumulative
        let count = try prometheus.waitUntil("ebpf_exporter_run_queue_latency_seconds_count") { $0 > 100 }
        #expect(count.map { $0 > 100 } == true)
        let text = try commandOutput("/usr/bin/curl", ["-s", "http://127.0.0.1:\(ports[0])/metrics"])
        let buckets = text.split(separator: "\n").filter { $0.hasPrefix("ebpf_exporter_run_queue_latency_seconds_bucket") }
            .compactMap { Double($0.split(separator: " ").last ?? "") }
        #expect(buckets.count >= 29 && buckets == buckets.sorted(), "cumulative buckets: \(buckets)")
        for tool in tools { #expect(tool.stop() == 0, "\(tool.stderr)") }
    }

    /// killsnoop, exitsnoop, tcpstates, biosnoop and mountsnoop count their events.
    @Test func moreEventCountersScrapedByPrometheus() throws {
        let disk = try LoopDevice()
        defer { disk.remove() }
        let names = ["killsnoop", "exitsnoop", "tcpstates", "biosnoop", "mountsnoop"]
        let ports = names.map { _ in Self.freePort() }
        let tools = try zip(names, ports).map { tool, port in try ToolRun(tool, ["--prometheus", "127.0.0.1:\(port)"]) }
        defer { for tool in tools { _ = tool.stop() } }
        for tool in tools { try tool.waitForStderr("serving metrics at") }
        let prometheus = try PrometheusServer(targets: ports.map { "127.0.0.1:\($0)" })
        defer { prometheus.stop() }

        let dir = try TempDir("prometheus-more")
        defer { dir.remove() }
        let failing = try dir.copy(of: "/bin/false", prefix: "pf")
        for _ in 0..<4 { _ = try runCommand(failing.path, []) }
        // signal 0 to a PID no process has (ESRCH)
        for _ in 0..<3 { _ = try runCommand("/bin/sh", ["-c", "kill -0 4194000 2>/dev/null"]) }
        let closed = Self.freePort()
        for _ in 0..<3 { _ = try runCommand("/bin/bash", ["-c", "echo > /dev/tcp/127.0.0.1/\(closed)"]) }
        try disk.directIO(reads: 20)
        let mountpoint = dir.path + "/mnt"
        try FileManager.default.createDirectory(atPath: mountpoint, withIntermediateDirectories: true)
        #expect(try runCommand("/bin/mount", ["-t", "tmpfs", "none", mountpoint]).status == 0)
        #expect(try runCommand("/bin/umount", [mountpoint]).status == 0)

        #expect(try prometheus.waitFor("exitsnoop_exits_total{comm=\"\(failing.comm)\",status=\"code 1\"}", 4) == 4)
        let esrch = try prometheus.waitUntil("killsnoop_signals_total{signal=\"0\",result=\"ESRCH\"}") { $0 >= 3 }
        #expect(esrch.map { $0 >= 3 } == true, "\(String(describing: esrch))")
        let refused = try prometheus.waitUntil("tcpstates_transitions_total{old=\"SYN_SENT\",new=\"CLOSE\"}") { $0 >= 3 }
        #expect(refused.map { $0 >= 3 } == true, "\(String(describing: refused))")
        #expect(try prometheus.waitFor("biosnoop_ios_total{disk=\"\(disk.name)\",op=\"read\"}", 20) == 20)
        #expect(try prometheus.value("biosnoop_bytes_total{disk=\"\(disk.name)\",op=\"read\"}") == 20 * 4096)
        let mounts = try prometheus.waitUntil("mountsnoop_calls_total{call=\"mount\",result=\"ok\"}") { $0 >= 1 }
        #expect(mounts.map { $0 >= 1 } == true, "\(String(describing: mounts))")
        for tool in tools { #expect(tool.stop() == 0, "\(tool.stderr)") }
    }

    /// syscount's calls of one process by name; dbstat's query histogram of a real PostgreSQL.
    @Test(.enabled(if: PostgresServer.installed, "needs postgresql-15"))
    func syscountAndDbstatScrapedByPrometheus() throws {
        let dir = try TempDir("prometheus-summary")
        defer { dir.remove() }
        // 500 getppid() calls once the file "go" exists
        let caller = Process()
        caller.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        caller.arguments = ["-c", "import os, time\nwhile not os.path.exists('\(dir.path)/go'): time.sleep(0.02)\n"
                            + "for _ in range(500): os.getppid()\ntime.sleep(60)"]
        try caller.run()
        defer { caller.kill(); caller.waitUntilExit() }
        let server = try PostgresServer()
        defer { server.stop() }

        let ports = [Self.freePort(), Self.freePort(), Self.freePort()]
        let syscount = try ToolRun("syscount", ["-p", String(caller.processIdentifier), "-L", "--prometheus", "127.0.0.1:\(ports[0])"])
        defer { _ = syscount.stop() }
        let dbstat = try ToolRun("dbstat", ["postgres", "-p", String(server.pid), "--prometheus", "127.0.0.1:\(ports[1])"])
        defer { _ = dbstat.stop() }
        let dbslower = try ToolRun("dbslower", ["postgres", "-p", String(server.pid), "-m", "100", "--prometheus", "127.0.0.1:\(ports[2])"])
        defer { _ = dbslower.stop() }
        for tool in [syscount, dbstat, dbslower] { try tool.waitForStderr("serving metrics at") }
        let prometheus = try PrometheusServer(targets: ports.map { "127.0.0.1:\($0)" })
        defer { prometheus.stop() }
        _ = FileManager.default.createFile(atPath: dir.path + "/go", contents: nil)
        try server.run((0..<5).map { "SELECT \($0)" } + ["SELECT pg_sleep(0.2)"])

        #expect(try prometheus.waitFor("syscount_calls_total{syscall=\"getppid\"}", 500) == 500)
        #expect(try prometheus.value("syscount_call_seconds_total{syscall=\"getppid\"}").map { $0 > 0 && $0 < 1 } == true)
        #expect(try prometheus.waitFor("dbstat_query_latency_seconds_count{engine=\"postgres\"}", 6) == 6)
        // the 0.2 s query is above the 2^17 us bucket (0.131072 s), below 2^18 us
        #expect(try prometheus.value("dbstat_query_latency_seconds_bucket{engine=\"postgres\",le=\"0.131072\"}") == 5)
        #expect(try prometheus.value("dbstat_query_latency_seconds_bucket{engine=\"postgres\",le=\"0.262144\"}") == 6)
        #expect(try prometheus.value("dbstat_query_latency_seconds_sum{engine=\"postgres\"}").map { $0 >= 0.2 && $0 < 1 } == true)
        // dbslower: only the 0.2 s query is slower than 100 ms
        #expect(try prometheus.waitFor("dbslower_slow_queries_total", 1) == 1)
        #expect(try prometheus.value("dbslower_slow_query_seconds_total").map { $0 >= 0.2 && $0 < 1 } == true)
        for tool in [syscount, dbstat, dbslower] { #expect(tool.stop() == 0, "\(tool.stderr)") }
    }

    /// offcputime's time off CPU by name: four sleeps of 0.3 s by a uniquely named process.
    @Test func offcputimeScrapedByPrometheus() throws {
        let port = Self.freePort()
        let tool = try ToolRun("offcputime", ["--prometheus", "127.0.0.1:\(port)"])
        defer { _ = tool.stop() }
        try tool.waitForStderr("serving metrics at")
        let prometheus = try PrometheusServer(target: "127.0.0.1:\(port)")
        defer { prometheus.stop() }
        let dir = try TempDir("prometheus-offcpu")
        defer { dir.remove() }
        let sleeper = try dir.copy(of: URL(fileURLWithPath: "/bin/sh").resolvingSymlinksInPath().path, prefix: "so")
        _ = try runCommand(sleeper.path, ["-c", "for i in 1 2 3 4; do /bin/sleep 0.3; done"])
        let seconds = try prometheus.waitUntil("offcputime_seconds_total{comm=\"\(sleeper.comm)\"}") { $0 >= 1.2 }
        // the shell waits for each sleep: 1.2 s and a little more off CPU
        #expect(seconds.map { $0 >= 1.2 && $0 < 3 } == true, "\(String(describing: seconds))")
        #expect(tool.stop() == 0, "\(tool.stderr)")
    }

    @Test func badAddressesAndConflicts() throws {
        for arguments in [["--prometheus", "nonsense"], ["--prometheus", ":0"], ["--prometheus", ":9435", "5"],
                          ["--prometheus", ":9435", "-D"], ["--prometheus", ":9435", "-j"]] {
            let run = try ToolRun("biolatency", arguments)
            #expect(run.waitForExit() == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("biolatency: error: "), "\(arguments): \(run.stderr)")
        }
        for (tool, arguments) in [("runqlat", ["--prometheus", ":9435", "-P"]), ("runqlat", ["--prometheus", ":9435", "1"]),
                                  ("tcpretrans", ["--prometheus", ":9435", "-c"]), ("execsnoop", ["--prometheus", "9435"])] {
            let run = try ToolRun(tool, arguments)
            #expect(run.waitForExit() == 2, "\(tool) \(arguments): \(run.stderr)")
            #expect(run.stderr.contains("\(tool): error: "), "\(tool) \(arguments): \(run.stderr)")
        }
        // a port another program listens on: one line, status 1
        let port = Self.freePort()
        let first = try ToolRun("biolatency", ["--prometheus", "127.0.0.1:\(port)"])
        defer { _ = first.stop() }
        try first.waitForStderr("serving metrics")
        let second = try ToolRun("biolatency", ["--prometheus", "127.0.0.1:\(port)"])
        #expect(second.waitForExit() == 1)
        #expect(second.stderr.contains("cannot listen: Address already in use"), "\(second.stderr)")
    }

    /// oomkill's kills by the victim's name: dd killed in a 64 MiB memory cgroup.
    @Test func oomkillScrapedByPrometheus() throws {
        let port = Self.freePort()
        let tool = try ToolRun("oomkill", ["--prometheus", "127.0.0.1:\(port)"])
        defer { _ = tool.stop() }
        try tool.waitForStderr("serving metrics at")
        let prometheus = try PrometheusServer(target: "127.0.0.1:\(port)")
        defer { prometheus.stop() }
        let group = try MemoryCgroup(limitMB: 64)
        defer { group.remove() }
        let dir = try TempDir("prometheus-oom")
        defer { dir.remove() }
        let dd = try dir.copy(of: "/bin/dd", prefix: "om")
        let result = try runCommand("/bin/sh", ["-c", "echo $$ > \(group.procs) && exec \(dd.path) if=/dev/zero of=/dev/null bs=512M count=1"])
        #expect(result.status != 0, "dd was not killed")
        #expect(try prometheus.waitFor("oomkill_kills_total{comm=\"\(dd.comm)\"}", 1) == 1)
        #expect(tool.stop() == 0, "\(tool.stderr)")
    }

    /// profile --prometheus: /debug/pprof/profile?seconds=N samples from the request on, as
    /// Go's net/http/pprof; Go's pprof reads the answer. A second request meanwhile gets 409,
    /// and /metrics still answers (each connection has its thread).
    @Test func profileServesPprofOverHTTP() throws {
        let port = Self.freePort()
        let tool = try ToolRun("profile", ["--prometheus", "127.0.0.1:\(port)"])
        defer { _ = tool.stop() }
        try tool.waitForStderr("serving metrics at")
        let dir = try TempDir("pprof-http")
        defer { dir.remove() }
        let spinner = try dir.copy(of: "/bin/dash", prefix: "pp")
        let spin = Process()
        spin.executableURL = URL(fileURLWithPath: spinner.path)
        spin.arguments = ["-c", "while :; do :; done"]
        try spin.run()
        defer { spin.terminate(); kill(spin.processIdentifier, SIGKILL); spin.waitUntilExit() }

        let base = "http://127.0.0.1:\(port)"
        let path = dir.path + "/cpu.pb.gz"
        let profile = Process()
        profile.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        profile.arguments = ["-s", "-o", path, "-w", "%{http_code}", base + "/debug/pprof/profile?seconds=3"]
        let status = Pipe()
        profile.standardOutput = status
        try profile.run()
        Thread.sleep(forTimeInterval: 0.5)
        let second = try commandOutput("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", base + "/debug/pprof/profile?seconds=1"])
        #expect(second == "409")
        let started = Date()
        let metrics = try commandOutput("/usr/bin/curl", ["-s", "--max-time", "2", base + "/metrics"])
        #expect(metrics.contains("swift_bpf_tools_lost_events_total{tool=\"profile\"}") && Date().timeIntervalSince(started) < 1)
        profile.waitUntilExit()
        #expect(String(decoding: status.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "200")

        let (_, text) = try goToolPprof(["-tags", path], home: dir.path)
        // "   2.9s (65.46%): ppXXXX": the spinner's CPU time over the 3 s asked for (49 Hz)
        let line = text.split(separator: "\n").first { $0.hasSuffix(": " + spinner.comm) }
        let seconds = line.flatMap { Double($0.trimmingCharacters(in: .whitespaces).prefix { $0 != "s" && $0 != " " }) }
        #expect(seconds.map { $0 >= 1.5 && $0 <= 3.5 } == true, "\(text)")
        let bad = try commandOutput("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", base + "/debug/pprof/profile?seconds=x"])
        #expect(bad == "400")
        #expect(tool.stop() == 0, "\(tool.stderr)")
    }
}
