import Foundation
import Testing

/// Connects that fail are what people troubleshoot with tcpconnect: refused ones (to a closed
/// port, IPv4 and IPv6) and IPv4-mapped ones on an IPv6 socket. Prints {"family", "lport",
/// "dport", "host", "error"} per connect; argv: specs "4r", "6r" (refused), "m" (mapped, to a
/// listener), "mr" (mapped, refused).
let failingConnectScript = """
import errno, json, socket, sys
def closed_port(family, host):
    s = socket.socket(family); s.bind((host, 0)); port = s.getsockname()[1]; s.close()
    return port
for spec in sys.argv[1:]:
    if spec.startswith("m"):
        family, host, shown = socket.AF_INET6, "::ffff:127.0.0.1", "127.0.0.1"
    else:
        family, host = (socket.AF_INET6, "::1") if spec[0] == "6" else (socket.AF_INET, "127.0.0.1")
        shown = host
    srv = None
    if spec.endswith("r"):
        port = closed_port(family, host)
    else:
        srv = socket.socket(socket.AF_INET6); srv.bind(("::", 0)); srv.listen(); port = srv.getsockname()[1]
    c = socket.socket(family)
    error = 0
    try: c.connect((host, port))
    except OSError as e: error = e.errno
    print(json.dumps({"family": "6" if spec[0] == "6" else "4", "lport": c.getsockname()[1], "dport": port,
                      "host": shown, "error": error}), flush=True)
    c.close()
    if srv: srv.close()
"""

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class TCPConnectFailureTests {
    func trace(_ options: [String], _ specs: [String]) throws -> (ToolRun, PythonRun) {
        let run = try ToolRun("tcpconnect", options)
        try run.waitUntilReady()
        _ = run.waitForLine { $0.hasPrefix("PID") }
        let python = try PythonRun(failingConnectScript, specs)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(run.stop() == 0, "\(run.stderr)")
        return (run, python)
    }

    func row(_ pid: Int32, _ connect: [String: Any]) -> String {
        let host = connect["host"] as? String ?? ""
        return left(String(pid), 7) + " " + left("python3", 12) + " " + left(connect["family"] as? String ?? "", 2) + " "
            + left(host, 16) + " " + left(String(connect["lport"] as? Int ?? -1), 6) + " " + left(host, 16) + " "
            + left(String(connect["dport"] as? Int ?? -1), 6) + " "
    }

    @Test func refusedConnectsAreReported() throws {
        let (run, python) = try trace(["-L"], ["4r", "6r", "mr"])
        #expect(python.output.count == 3)
        for connect in python.output {
            #expect(connect["error"] as? Int == Int(ECONNREFUSED))
            let expected = row(python.pid, connect)
            #expect(run.lines.contains(expected), "\(expected) not in \(run.lines)")
        }
    }

    @Test func ipv4MappedConnectsAreIPv4() throws {
        let (all, python) = try trace(["-L"], ["m"])
        let connect = try #require(python.output.first)
        #expect(connect["error"] as? Int == 0)
        #expect(all.lines.contains(row(python.pid, connect)), "\(all.lines)")
        let (v6, python6) = try trace(["-6"], ["m"])
        #expect(!v6.lines.contains { $0.hasPrefix(String(python6.pid) + " ") }, "\(v6.lines)")
        let (v4, python4) = try trace(["-4"], ["m"])
        #expect(v4.lines.contains { $0.hasPrefix(String(python4.pid) + " ") }, "\(v4.lines)")
    }
}

/// A connection whose first SYN is dropped (an iptables rule in a private namespace, removed
/// after 0.3 s), established by the retransmit ~1 s later, and closed 0.2 s after that.
let lateSynScript = """
import json, select, socket, subprocess, sys, time
rule = ["INPUT", "-p", "tcp", "--dport", sys.argv[1], "--syn", "-j", "DROP"]
srv = socket.socket(); srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen()
subprocess.run(["iptables", "-A"] + rule, check=True)
c = socket.socket(); c.setblocking(False)
try: c.connect(("127.0.0.1", int(sys.argv[1])))
except BlockingIOError: pass
time.sleep(0.3)
subprocess.run(["iptables", "-D"] + rule, check=True)
select.select([], [c], [], 10)
a, _ = srv.accept()
print(json.dumps({"lport": c.getsockname()[1]}), flush=True)
time.sleep(0.2)
c.close(); a.close(); srv.close()
"""

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class TCPLifeBirthTests {
    /// BCC refreshes the birth on every state before FIN_WAIT1: MS counts from ESTABLISHED,
    /// not from the dropped SYN (~1.2 s earlier).
    @Test func lifespanCountsFromEstablished() throws {
        let netns = try DroppingNamespace()
        defer { netns.remove() }
        let run = try ToolRun("tcplife", [])
        try run.waitUntilReady()
        let python = try PythonRun(lateSynScript, ["4242"], netns: netns.name)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(run.stop() == 0)
        let lport = try #require(python.output.first?["lport"] as? Int)
        let client = try #require(run.lines.map { $0.split(separator: " ").map(String.init) }
            .first { $0.count == 9 && $0[3] == String(lport) }, "\(run.lines)")
        let ms = try #require(Double(client[8]))
        #expect(ms >= 150 && ms < 700, "MS \(ms): counted from the first SYN?")
    }
}
