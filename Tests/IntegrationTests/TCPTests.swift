import Foundation
import Testing

/// A Python script run to completion (the TCP workloads), with what it printed as JSON.
struct PythonRun {
    let pid: Int32
    let status: Int32
    let output: [[String: Any]]

    /// `asNobody`: with the real and effective UID of nobody (65534), through setpriv (which execs).
    init(_ script: String, _ arguments: [String] = [], netns: String? = nil, asNobody: Bool = false) throws {
        let process = Process()
        if asNobody {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script] + arguments
        } else if let netns {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", netns, "/usr/bin/python3", "-c", script] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script] + arguments
        }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        pid = process.processIdentifier
        status = process.terminationStatus
        output = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

/// Connects from this process to listeners it opens: prints {"family", "lport", "dport"} per
/// connect. Arguments: "4"/"6" families to use, then "nb" for a non-blocking connect.
let connectScript = """
import json, socket, sys, time
hosts = {"4": (socket.AF_INET, "127.0.0.1"), "6": (socket.AF_INET6, "::1")}
for spec in sys.argv[1:]:
    fam, host = hosts[spec[0]]
    srv = socket.socket(fam); srv.bind((host, 0)); srv.listen()
    port = srv.getsockname()[1]
    c = socket.socket(fam)
    if spec.endswith("nb"):
        c.setblocking(False)
        try: c.connect((host, port))
        except BlockingIOError: pass
        time.sleep(0.05)
    else:
        c.connect((host, port))
    print(json.dumps({"family": spec[0], "lport": c.getsockname()[1], "dport": port, "host": host}), flush=True)
    c.close(); srv.close()
"""

/// One connection that sends argv[1] MiB, receives twice that, and lives argv[3] seconds more;
/// argv[2] is the family, argv[4] (optional) the server's port. Prints {"cport", "sport"}.
let sessionScript = """
import json, socket, sys, threading, time
mb, fam, linger = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
family, host = (socket.AF_INET6, "::1") if fam == "6" else (socket.AF_INET, "127.0.0.1")
srv = socket.socket(family); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((host, int(sys.argv[4]) if len(sys.argv) > 4 else 0)); srv.listen()
def serve():
    c, _ = srv.accept()
    got = 0
    while got < mb * 1048576:
        b = c.recv(65536)
        if not b: break
        got += len(b)
    c.sendall(b"x" * (2 * mb * 1048576))
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536): pass
    c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.create_connection((host, srv.getsockname()[1]))
print(json.dumps({"cport": cl.getsockname()[1], "sport": srv.getsockname()[1]}), flush=True)
cl.sendall(b"y" * (mb * 1048576))
got = 0
while True:
    b = cl.recv(65536)
    if not b: break
    got += len(b)
time.sleep(linger)
cl.close(); t.join(); srv.close()
"""

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class TCPConnectTests {
    static let banner = "Tracing connect ... Hit Ctrl-C to end"

    func trace(_ options: [String], _ workload: () throws -> Void) throws -> ToolRun {
        let run = try ToolRun("tcpconnect", options)
        if options.contains("--json") {
            try run.waitForStderr(Self.banner)
        } else {
            try run.waitUntilReady(header: options.contains("-c") ? Self.banner : nil)
            _ = run.waitForLine { $0.hasPrefix("PID") || $0.hasPrefix("TIME") || $0.hasPrefix("UID") || options.contains("-c") }
        }
        try workload()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(run.stop() == 0, "\(run.stderr)")
        return run
    }

    func row(pid: Int32, ip: String, saddr: String, lport: Int?, daddr: String, dport: Int) -> String {
        var line = left(String(pid), 7) + " " + left("python3", 12) + " " + left(ip, 2) + " " + left(saddr, 16) + " "
        if let lport { line += left(String(lport), 6) + " " }
        return line + left(daddr, 16) + " " + left(String(dport), 6) + " "
    }

    @Test func connectsOverIPv4AndIPv6WithLocalPorts() throws {
        var python: PythonRun?
        let run = try trace(["-L"]) { python = try PythonRun(connectScript, ["4", "6", "4nb", "6nb"]) }
        let workload = try #require(python)
        #expect(run.lines.first == Self.banner)
        #expect(run.lines.dropFirst().first == "PID     COMM         IP SADDR            LPORT  DADDR            DPORT ")
        #expect(workload.output.count == 4)
        for connect in workload.output {
            let host = connect["host"] as? String ?? ""
            let expected = row(pid: workload.pid, ip: connect["family"] as? String ?? "", saddr: host,
                               lport: connect["lport"] as? Int, daddr: host, dport: connect["dport"] as? Int ?? 0)
            #expect(run.lines.contains(expected), "\(expected) not in \(run.lines)")
        }
    }

    @Test func familyPortAndPidFilters() throws {
        var python: PythonRun?
        let v6 = try trace(["-6"]) { python = try PythonRun(connectScript, ["4", "6"]) }
        let rows6 = v6.lines.filter { $0.hasPrefix(String(python?.pid ?? -1) + " ") }
        #expect(rows6.count == 1 && rows6.first?.contains(" 6  ::1 ") == true, "\(v6.lines)")

        let v4 = try trace(["-4"]) { python = try PythonRun(connectScript, ["4", "6"]) }
        let rows4 = v4.lines.filter { $0.hasPrefix(String(python?.pid ?? -1) + " ") }
        #expect(rows4.count == 1 && rows4.first?.contains(" 4  127.0.0.1 ") == true, "\(v4.lines)")

        // -P: a listener on a fixed port that the test picks, and one on another port
        let port = Int.random(in: 20000...30000)
        let script = """
        import json, socket
        a = socket.socket(); a.bind(("127.0.0.1", \(port))); a.listen()
        b = socket.socket(); b.bind(("127.0.0.1", 0)); b.listen()
        for s in (a, b):
            c = socket.create_connection(s.getsockname()); print(json.dumps({"dport": s.getsockname()[1]}), flush=True); c.close()
        """
        let ported = try trace(["-P", "\(port),1"]) { python = try PythonRun(script) }
        let rowsP = ported.lines.filter { $0.hasPrefix(String(python?.pid ?? -1) + " ") }
        #expect(rowsP.count == 1 && rowsP.first?.hasSuffix(" " + left(String(port), 6) + " ") == true, "\(ported.lines)")

        // -p: the traced process's connect is kept, another process's is left out. The traced
        // one waits for a line on stdin, so that its PID is known before it connects.
        let traced = Process(), go = Pipe()
        traced.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        traced.arguments = ["-c", "import sys; sys.stdin.readline()\n" + connectScript, "4"]
        traced.standardInput = go
        traced.standardOutput = FileHandle.nullDevice
        try traced.run()
        defer { traced.kill(); traced.waitUntilExit() }
        let byPid = try trace(["-p", String(traced.processIdentifier)]) {
            python = try PythonRun(connectScript, ["4"])
            go.fileHandleForWriting.write(Data("go\n".utf8))
            traced.waitUntilExit()
        }
        #expect(!byPid.lines.contains { $0.hasPrefix(String(python?.pid ?? -1) + " ") }, "\(byPid.lines)")
        #expect(byPid.lines.contains { $0.hasPrefix(left(String(traced.processIdentifier), 7) + " python3") }, "\(byPid.lines)")
    }

    /// -u: the connect of a process running as nobody is kept, root's is left out.
    @Test func uidFilter() throws {
        var nobody: PythonRun?, root: PythonRun?
        let run = try trace(["-U", "-u", "65534"]) {
            nobody = try PythonRun(connectScript, ["4"], asNobody: true)
            root = try PythonRun(connectScript, ["4"])
        }
        #expect(nobody?.status == 0)
        #expect(run.lines.contains { $0.hasPrefix(left("65534", 6) + left(String(nobody?.pid ?? -1), 7) + " python3") }, "\(run.lines)")
        #expect(!run.lines.contains { $0.contains(" \(root?.pid ?? -1) ") }, "\(run.lines)")
    }

    @Test func countModeCountsPerFlow() throws {
        let script = """
        import json, socket
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
        for _ in range(3):
            c = socket.create_connection(s.getsockname()); c.close()
        print(json.dumps({"dport": s.getsockname()[1]}), flush=True)
        """
        var python: PythonRun?
        let run = try trace(["-c"]) { python = try PythonRun(script) }
        let dport = try #require(python?.output.first?["dport"] as? Int)
        #expect(run.lines.contains("LADDR                     RADDR                     RPORT                CONNECTS  "), "\(run.lines)")
        let expected = left("127.0.0.1", 25) + " " + left("127.0.0.1", 25) + " " + left(String(dport), 20) + " " + left("3", 10)
        #expect(run.lines.contains(expected), "\(expected) not in \(run.lines)")
    }

    @Test func jsonAndTimestamps() throws {
        var python: PythonRun?
        let run = try trace(["--json", "-t", "-U"]) { python = try PythonRun(connectScript, ["4"]) }
        let mine = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["pid"] as? Int == Int(python?.pid ?? -1) }
        #expect(mine.count == 1, "\(run.lines)")
        #expect(mine.first?["rport"] as? Int == python?.output.first?["dport"] as? Int)
        #expect(mine.first?["uid"] as? Int == 0 && mine.first?["ip"] as? Int == 4 && mine.first?["time_s"] is Double)
        #expect(mine.first?["laddr"] as? String == "127.0.0.1")
    }

    @Test func badInput() throws {
        for arguments in [["-4", "-6"], ["-p", "x"], ["-P", "0"], ["-P", "80,"], ["-c", "-d"], ["--nope"]] {
            let run = try ToolRun("tcpconnect", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: tcpconnect"), "\(arguments): \(run.stderr)")
        }
        let dns = try ToolRun("tcpconnect", ["-d"])
        #expect(dns.waitForExit() == 1)
        #expect(dns.stderr.hasPrefix("tcpconnect: -d/--dns is not supported: "), "\(dns.stderr)")
    }
}

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class TCPLifeTests {
    func trace(_ options: [String], header: String? = nil, _ workload: () throws -> Void) throws -> ToolRun {
        try ToolRun.around("tcplife", options, header: header, workload)
    }

    /// 2 MiB sent and 4 MiB received by the client, which lives 0.6 s after the transfer.
    @Test func bytesAndLifespanOfBothEnds() throws {
        var python: PythonRun?
        let run = try trace([], header: "PID   COMM       LADDR           LPORT RADDR           RPORT TX_KB RX_KB MS") {
            python = try PythonRun(sessionScript, ["2", "4", "0.6"])
        }
        let ports = try #require(python?.output.first)
        let (cport, sport) = (try #require(ports["cport"] as? Int), try #require(ports["sport"] as? Int))
        let pid = String(python?.pid ?? -1)
        func fields(localPort: Int) -> [String]? {
            run.lines.map { $0.split(separator: " ").map(String.init) }.first { $0.count == 9 && $0[3] == String(localPort) }
        }
        let client = try #require(fields(localPort: cport), "\(run.lines)")
        #expect(client[0] == pid && client[1] == "python3" && client[2] == "127.0.0.1" && client[5] == String(sport))
        #expect(client[6] == "2048" && client[7] == "4096", "TX_KB/RX_KB \(client)")
        let ms = try #require(Double(client[8]))
        #expect(ms >= 600 && ms < 5000, "MS \(ms)")
        #expect(client[8].split(separator: ".").last?.count == 2)
        let server = try #require(fields(localPort: sport), "\(run.lines)")
        #expect(server[6] == "4096" && server[7] == "2048", "TX_KB/RX_KB \(server)")
    }

    @Test func wideAndCSVLayouts() throws {
        var python: PythonRun?
        let wide = try trace(["-w"]) { python = try PythonRun(sessionScript, ["1", "6", "0.1"]) }
        #expect(wide.lines.first == "PID   COMM             IP LADDR                                   LPORT RADDR                                   RPORT  TX_KB  RX_KB MS")
        let cport = python?.output.first?["cport"] as? Int ?? -1, sport = python?.output.first?["sport"] as? Int ?? -1
        let pid = String(python?.pid ?? -1)
        let prefix = left(pid, 5) + " " + left("python3", 16) + " " + left("6", 2) + " " + left("::1", 39) + " " + left(String(cport), 5) + " "
            + left("::1", 39) + " " + left(String(sport), 5) + " " + right("1024", 6) + " " + right("2048", 6) + " "
        #expect(wide.lines.contains { $0.hasPrefix(prefix) }, "\(prefix) not in \(wide.lines)")

        let csv = try trace(["-s", "-T", "-t"], header: "TIME,TIME(s),PID,COMM,IP,LADDR,LPORT,RADDR,RPORT,TX_KB,RX_KB,MS") {
            python = try PythonRun(sessionScript, ["1", "4", "0.1"])
        }
        let c = python?.output.first?["cport"] as? Int ?? -1, s = python?.output.first?["sport"] as? Int ?? -1
        let line = try #require(csv.lines.first { $0.contains(",127.0.0.1,\(c),127.0.0.1,\(s),") }, "\(csv.lines)")
        let parts = line.split(separator: ",").map(String.init)
        #expect(parts.count == 12)
        #expect(parts[0].range(of: #"^\d\d:\d\d:\d\d$"#, options: .regularExpression) != nil)
        #expect(parts[2] == String(python?.pid ?? -1) && parts[3] == "python3" && parts[4] == "4")
        #expect(parts[9] == "1024" && parts[10] == "2048")
    }

    /// -p: the sessions of the traced process are kept, another process's are left out. The
    /// traced one waits for a line on stdin, so that its PID is known before it connects.
    @Test func pidFilter() throws {
        let traced = Process(), go = Pipe()
        traced.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        traced.arguments = ["-c", "import sys; sys.stdin.readline()\n" + sessionScript, "1", "4", "0"]
        traced.standardInput = go
        traced.standardOutput = FileHandle.nullDevice
        try traced.run()
        defer { traced.kill(); traced.waitUntilExit() }
        var other: PythonRun?
        let run = try trace(["-p", String(traced.processIdentifier)]) {
            other = try PythonRun(sessionScript, ["1", "4", "0"])
            go.fileHandleForWriting.write(Data("go\n".utf8))
            traced.waitUntilExit()
        }
        let pids = run.lines.dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(pids.count == 2 && pids.allSatisfy { $0 == String(traced.processIdentifier) }, "\(run.lines)")
        #expect(!pids.contains(String(other?.pid ?? -1)))
    }

    @Test func portFiltersAndJSON() throws {
        // no header in JSON mode: sessions are made until one shows that the probes are attached
        let run = try ToolRun("tcplife", ["--json", "-6"])
        var sport = -1
        for _ in 0..<40 {
            _ = try PythonRun(sessionScript, ["1", "4", "0"])
            sport = try PythonRun(sessionScript, ["1", "6", "0"]).output.first?["sport"] as? Int ?? -1
            if run.waitForLine(timeout: 0.5, { $0.contains("\"rport\": \(sport),") }) != nil { break }
        }
        #expect(run.stop() == 0)
        let objects = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == run.lines.count && !objects.isEmpty)
        #expect(objects.allSatisfy { $0["ip"] as? Int == 6 }, "\(run.lines)")
        #expect(objects.contains { $0["rport"] as? Int == sport && $0["tx_kb"] as? Int == 1024 && $0["rx_kb"] as? Int == 2048 },
                "\(run.lines)")

        // a session with a known server port, and one without: -L keeps the server's end of
        // the first only, -D the client's end of it only
        let port = Int.random(in: 20000...30000)
        func sessions() throws -> Int32 {
            let known = try PythonRun(sessionScript, ["1", "4", "0", String(port)])
            #expect(known.status == 0)
            _ = try PythonRun(sessionScript, ["1", "4", "0"])
            return known.pid
        }
        var pid: Int32 = -1
        let local = try trace(["-L", "1,\(port)"]) { pid = try sessions() }
        let localRows = local.lines.dropFirst().map { $0.split(separator: " ").map(String.init) }
        #expect(localRows.count == 1 && localRows.first?[0] == String(pid), "\(local.lines)")
        #expect(localRows.first?[3] == String(port) && localRows.first?[6] == "2048", "\(local.lines)")
        let remote = try trace(["-D", "\(port)"]) { pid = try sessions() }
        let remoteRows = remote.lines.dropFirst().map { $0.split(separator: " ").map(String.init) }
        #expect(remoteRows.count == 1 && remoteRows.first?[5] == String(port) && remoteRows.first?[6] == "1024", "\(remote.lines)")
    }

    @Test func badInput() throws {
        for arguments in [["-4", "-6"], ["-p", "0"], ["-L", "x"], ["-D", "70000"], ["extra"]] {
            let run = try ToolRun("tcplife", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: tcplife"), "\(arguments): \(run.stderr)")
        }
    }
}

/// A private network namespace whose loopback drops incoming SYNs to port 9 (IPv4 and IPv6):
/// connects there retransmit their SYN. Removed by `remove()`, rules and all.
final class DroppingNamespace {
    let name = uniqueName("rt")

    init() throws {
        for command in [["ip", "netns", "add", name], ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
                        ["ip", "netns", "exec", name, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "9", "--syn", "-j", "DROP"],
                        ["ip", "netns", "exec", name, "ip6tables", "-A", "INPUT", "-p", "tcp", "--dport", "9", "--syn", "-j", "DROP"]] {
            guard try runCommand("/usr/sbin/" + command[0], Array(command.dropFirst())).status == 0 else {
                remove()
                throw DroppingNamespaceError.setupFailed(command.joined(separator: " "))
            }
        }
    }

    func remove() { _ = try? runCommand("/usr/sbin/ip", ["netns", "del", name]) }
}

enum DroppingNamespaceError: Error { case setupFailed(String) }

/// Connects to port 9 with a timeout of argv[2] seconds for each family in argv[1] ("46").
let droppedConnectScript = """
import json, socket, sys
for fam in sys.argv[1]:
    family, host = (socket.AF_INET6, "::1") if fam == "6" else (socket.AF_INET, "127.0.0.1")
    s = socket.socket(family); s.settimeout(float(sys.argv[2]))
    try: s.connect((host, 9))
    except OSError: pass
    print(json.dumps({"family": fam, "lport": s.getsockname()[1], "host": host}), flush=True)
    s.close()
"""

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class TCPRetransTests {
    let netns: DroppingNamespace

    init() throws { netns = try DroppingNamespace() }
    deinit { netns.remove() }

    @Test func synRetransmitsShowUpWithAddressesAndState() throws {
        let run = try ToolRun("tcpretrans", ["-s"])
        try run.waitUntilReady(header: "TIME     PID     IP LADDR:LPORT          T> RADDR:RPORT          STATE        SEQ       ")
        // the first SYN retransmit comes after 1 s
        let python = try PythonRun(droppedConnectScript, ["46", "1.6"], netns: netns.name)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(run.stop() == 0)
        #expect(run.lines.first == "Tracing retransmits ... Hit Ctrl-C to end")
        #expect(python.output.count == 2)
        for connect in python.output {
            let host = connect["host"] as? String ?? "", lport = connect["lport"] as? Int ?? -1
            let middle = " " + left(connect["family"] as? String ?? "", 2) + " " + left("\(host):\(lport)", 20) + " R> "
                + left("\(host):9", 20) + " " + left("SYN_SENT", 12) + " "
            let line = run.lines.first { $0.contains(middle) }
            #expect(line != nil, "\(middle) not in \(run.lines)")
            #expect(line.map { $0.range(of: #"^\d\d:\d\d:\d\d \d+ "#, options: .regularExpression) != nil } == true)
            #expect(line.flatMap { UInt32($0.split(separator: " ").last ?? "") } != nil, "SEQ is a number")
        }
    }

    @Test func countModeAndFamilyFilter() throws {
        let run = try ToolRun("tcpretrans", ["-c", "-4"])
        try run.waitUntilReady(header: "Tracing retransmits ... Hit Ctrl-C to end")
        // 1 s then 2 s later: two retransmits of the same SYN
        let python = try PythonRun(droppedConnectScript, ["46", "3.4"], netns: netns.name)
        #expect(run.stop() == 0)
        #expect(run.lines.contains("LADDR:LPORT               RADDR:RPORT               RETRANSMITS"), "\(run.lines)")
        let v4 = try #require(python.output.first { $0["family"] as? String == "4" })
        let lport = v4["lport"] as? Int ?? -1
        let row = try #require(run.lines.first { $0.hasPrefix("[127.0.0.1]#\(lport) ") }, "\(run.lines)")
        #expect(row.hasPrefix(left("[127.0.0.1]#\(lport)", 20) + " <-> " + left("[127.0.0.1]#9", 20) + " "))
        #expect((Int(row.split(separator: " ").last ?? "") ?? 0) >= 2, "\(row)")
        #expect(!run.lines.contains { $0.contains("[::1]") }, "-4 leaves IPv6 out: \(run.lines)")
    }

    /// Where neither fentry nor kprobes work (as on the development machine), -l says why;
    /// elsewhere it runs.
    @Test func lossProbesNeedFentryOrKprobes() throws {
        let run = try ToolRun("tcpretrans", ["-l"])
        let deadline = Date().addingTimeInterval(5)
        while run.process.isRunning && run.lines.count < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if run.process.isRunning {
            #expect(run.stop() == 0)
        } else {
            #expect(run.waitForExit() == 1)
            #expect(run.stderr.hasPrefix("tcpretrans: can't use -l: tail loss probes have no tracepoint, and this kernel allows neither fentry nor kprobes"),
                    "\(run.stderr)")
        }
    }

    @Test func badInput() throws {
        for arguments in [["-4", "-6"], ["-x"], ["1"]] {
            let run = try ToolRun("tcpretrans", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: tcpretrans"), "\(arguments): \(run.stderr)")
        }
    }
}
