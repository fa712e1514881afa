import Foundation
import Testing

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class TCPStatesTests {
    static let header = "SKADDR           C-PID C-COMM     LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS"

    func trace(_ options: [String], header: String? = TCPStatesTests.header, _ workload: () throws -> Void) throws -> ToolRun {
        try ToolRun.around("tcpstates", options, header: header, workload)
    }

    /// A session whose server port is known, followed only on its client end (-D): every
    /// transition of that socket in order, under one SKADDR, with the time spent in each state.
    @Test func clientSocketLifecycle() throws {
        let port = Int.random(in: 30001...40000)
        var python: PythonRun?
        let run = try trace(["-D", String(port)]) { python = try PythonRun(sessionScript, ["1", "4", "0.4", String(port)]) }
        let cport = try #require(python?.output.first?["cport"] as? Int)
        let rows = run.lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            .filter { $0.count == 11 && $0[6] == String(port) }
        let transitions = rows.map { "\($0[7])>\($0[9])" }
        // the server shuts its end first: the client waits in CLOSE_WAIT, then closes
        #expect(transitions == ["CLOSE>SYN_SENT", "SYN_SENT>ESTABLISHED", "ESTABLISHED>CLOSE_WAIT", "CLOSE_WAIT>LAST_ACK",
                                "LAST_ACK>CLOSE"], "\(run.lines)")
        #expect(Set(rows.map(\.[0])).count == 1, "one socket: \(rows)")
        #expect(rows.first?[1] == String(python?.pid ?? -1) && rows.first?[2] == "python3", "\(rows)")
        #expect(rows.dropFirst().allSatisfy { $0[3] == "127.0.0.1" && $0[4] == String(cport) }, "\(rows)")
        #expect(rows.first?[10] == "0.000", "the first change seen has no span: \(rows)")
        // the client lingers 0.4 s in CLOSE_WAIT after the transfer
        let established = try #require(rows.first { $0[7] == "CLOSE_WAIT" })
        let ms = try #require(Double(established[10]))
        #expect(ms >= 400 && ms < 5000, "MS \(ms)")
        #expect(established[10].split(separator: ".").last?.count == 3)
    }

    /// -L keeps the server's sockets (the listener and the accepted one); -w, -s, -T, -t and
    /// --json lay the same rows out as BCC does.
    @Test func serverEndLayoutsAndJSON() throws {
        let port = Int.random(in: 40001...50000)
        let local = try trace(["-L", String(port)]) { _ = try PythonRun(sessionScript, ["1", "4", "0", String(port)]) }
        let states = local.lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }.filter { $0.count == 11 }
        #expect(states.allSatisfy { $0[4] == String(port) }, "\(local.lines)")
        #expect(states.contains { $0[7] == "CLOSE" && $0[9] == "LISTEN" } && states.contains { $0[7] == "LISTEN" && $0[9] == "CLOSE" },
                "\(local.lines)")

        var python: PythonRun?
        let wide = try trace(["-w", "-6", "-D", String(port)],
                             header: "SKADDR           C-PID C-COMM           IP LADDR                      LPORT RADDR                      RPORT OLDSTATE    -> NEWSTATE    MS") {
            python = try PythonRun(sessionScript, ["1", "6", "0", String(port)])
        }
        let cport = python?.output.first?["cport"] as? Int ?? -1
        let widePrefix = left("python3", 16) + " " + left("6", 2) + " " + left("::1", 26) + " " + left("0", 5) + " "
        #expect(wide.lines.contains { $0.dropFirst(23).hasPrefix(widePrefix) && $0.hasSuffix("CLOSE       -> SYN_SENT    0.000") },
                "\(wide.lines)")
        #expect(wide.lines.contains { $0.contains(" " + left(String(cport), 5) + " ") })

        let csv = try trace(["-s", "-T", "-t", "-D", String(port)],
                            header: "TIME,TIME(s),SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS") {
            _ = try PythonRun(sessionScript, ["1", "4", "0", String(port)])
        }
        let parts = try #require(csv.lines.dropFirst().first).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(parts.count == 13 && parts[4] == "python3" && parts[5] == "4" && parts[9] == String(port), "\(parts)")
        #expect(parts[1] == "0.000000" && parts[10] == "CLOSE" && parts[11] == "SYN_SENT" && parts[12] == "0.000", "\(parts)")

        // no header in JSON: the probes get a second to attach
        let json = try ToolRun("tcpstates", ["--json", "-D", String(port)])
        Thread.sleep(forTimeInterval: 1)
        _ = try PythonRun(sessionScript, ["1", "4", "0", String(port)])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(json.stop() == 0, "\(json.stderr)")
        let objects = json.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == json.lines.count && objects.count >= 5, "\(json.lines)")
        #expect(objects.allSatisfy { $0["rport"] as? Int == port && ($0["skaddr"] as? String)?.count == 16 }, "\(json.lines)")
        #expect(objects.first?["oldstate"] as? String == "CLOSE" && objects.first?["newstate"] as? String == "SYN_SENT")
    }

    /// -Y sends each change to journald's socket in its native protocol. This machine has no
    /// journald: the test runs the tool in a private mount namespace with a listener of its own
    /// at /run/systemd/journal/socket; without one, -Y is BCC's error and status 1.
    @Test func journalEntries() throws {
        let port = Int.random(in: 50001...60000)
        let dir = try TempDir("tcpstates-journal")
        defer { dir.remove() }
        let received = dir.path + "/journal"
        let listener = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind("/run/systemd/journal/socket")
        s.settimeout(8); out = open(sys.argv[1], "wb")
        try:
            while True: out.write(s.recv(65536) + b"\\n--\\n"); out.flush()
        except socket.timeout: pass
        """
        let script = """
        set -e
        mount -t tmpfs none /run
        out=$(\(Products.binary("tcpstates")) -Y 2>&1 >/dev/null) && exit 9 || echo "$out" > \(dir.path)/missing
        mkdir -p /run/systemd/journal
        python3 -c '\(listener)' \(received) & sleep 0.5
        timeout -s INT 4 \(Products.binary("tcpstates")) -Y -D \(port) > \(dir.path)/rows &
        sleep 1.5
        python3 -c '\(sessionScript)' 1 4 0 \(port) > /dev/null
        wait
        """
        let (_, status) = try runCommand("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script])
        #expect(status == 0)
        let missing = (try? String(contentsOfFile: dir.path + "/missing", encoding: .utf8)) ?? ""
        #expect(missing.hasPrefix("ERROR: Journal logging requires the systemd journal: "), "\(missing)")
        let entries = ((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").components(separatedBy: "\n--\n")
        let established = entries.first { $0.contains("OBJECT_TCP_OLD_STATE=SYN_SENT\n") && $0.contains("OBJECT_TCP_NEW_STATE=ESTABLISHED\n") }
        let entry = try #require(established, "\(entries)")
        for field in ["SYSLOG_IDENTIFIER=tcpstates\n", "PRIORITY=5\n", "OBJECT_IPV4_SOURCE_ADDRESS=127.0.0.1\n",
                      "OBJECT_TCP_DESTINATION_PORT=\(port)\n", "OBJECT_IPV4_DESTINATION_ADDRESS=127.0.0.1\n"] {
            #expect(entry.contains(field), "\(field) not in \(entry)")
        }
        #expect(entry.contains("MESSAGE=python3 127.0.0.1 ") && entry.contains(" SYN_SENT → ESTABLISHED"), "\(entry)")
        let rows = (try? String(contentsOfFile: dir.path + "/rows", encoding: .utf8)) ?? ""
        #expect(rows.contains("SYN_SENT    -> ESTABLISHED"), "rows are printed too: \(rows)")
    }

    @Test func badInput() throws {
        for arguments in [["-4", "-6"], ["-L", "x"], ["-D", "70000"], ["extra"]] {
            let run = try ToolRun("tcpstates", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: tcpstates"), "\(arguments): \(run.stderr)")
        }
    }
}
