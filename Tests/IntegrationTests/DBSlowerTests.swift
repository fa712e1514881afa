import Foundation
import Testing

/// dbslower against real servers from Debian's packages, started by the tests: PostgreSQL 15
/// through its USDT probes (with semaphores), MariaDB 10.11 through uprobes on dispatch_command().
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class DBSlowerTests {
    static let header = "TIME(s)        PID           MS QUERY"

    /// A row: TIME(s), PID, MS and the query, split as BCC's "%-14.6f %-7d %8.3f %s" prints them.
    struct Row {
        let pid: Int32
        let ms: Double
        let query: String

        init?(_ line: String) {
            guard let m = line.wholeMatch(of: /(\d+\.\d{6}) +(\d+) +(\d+\.\d{3}) (.*)/), let pid = Int32(m.2), let ms = Double(m.3) else { return nil }
            (self.pid, self.ms, self.query) = (pid, ms, String(m.4))
        }
    }

    func trace(_ options: [String], _ workload: () throws -> Void) throws -> ToolRun {
        try ToolRun.around("dbslower", options, ready: options.contains("--json") ? .stderr("Tracing database queries") : .header(Self.header),
                           workload)
    }

    /// PostgreSQL's USDT probes: the slow queries with their exact text and MS >= 200, the fast
    /// ones filtered in the kernel; -p keeps that server's backends, not another server's.
    @Test(.enabled(if: PostgresServer.installed, "needs postgresql-15"))
    func postgresSlowQueriesOfOneServer() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let other = try PostgresServer()
        defer { other.stop() }
        let marker = uniqueName("q")
        let run = try trace(["postgres", "-p", String(server.pid), "-m", "100"]) {
            try server.run(["SELECT pg_sleep(0.2), '\(marker)-slow'", "SELECT 1, '\(marker)-fast'"])
            try other.run(["SELECT pg_sleep(0.2), '\(marker)-other'"])
        }
        let lines = run.lines
        #expect(lines.first == "Tracing database queries for pids \(server.pid) slower than 100 ms...", "\(lines)")
        #expect(lines.dropFirst().first == Self.header, "\(lines)")
        let rows = lines.dropFirst(2).compactMap(Row.init)
        #expect(rows.count == lines.count - 2, "every line is a row: \(lines)")
        // psql sends a statement with its semicolon
        let slow = rows.filter { $0.query == "SELECT pg_sleep(0.2), '\(marker)-slow';" }
        #expect(slow.count == 1 && slow.allSatisfy { $0.ms >= 200 && $0.ms < 5000 }, "\(lines)")
        // the query ran in a backend (a child of the postmaster given with -p, gone by now)
        #expect(slow.allSatisfy { $0.pid != server.pid && $0.pid > 0 }, "\(lines)")
        #expect(!rows.contains { $0.query.contains("\(marker)-fast") || $0.query.contains("\(marker)-other") }, "\(lines)")
    }

    /// Started before the server, without -p: the installed binary is probed, so a server that
    /// starts later is traced; -m 0 shows every query, and --json has the text whole.
    @Test(.enabled(if: PostgresServer.installed, "needs postgresql-15"))
    func postgresServerStartedAfterTheTool() throws {
        let marker = uniqueName("q")
        var server: PostgresServer?
        defer { server?.stop() }
        let run = try trace(["postgres", "-m", "0", "--json"]) {
            server = try PostgresServer()
            try server?.run(["SELECT '\(marker)', pg_sleep(0.05)"])
        }
        let objects = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let mine = objects.filter { ($0["query"] as? String) == "SELECT '\(marker)', pg_sleep(0.05);" }
        #expect(mine.count == 1, "\(run.lines.filter { $0.contains(marker) })")
        if let row = mine.first {
            #expect((row["duration_ms"] as? Double ?? 0) >= 50 && row["query_truncated"] as? Bool == false && (row["pid"] as? Int ?? 0) > 0, "\(row)")
            #expect(row["timestamp"] is String && row["time_s"] is Double, "\(row)")
        }
        #expect(run.stderr.contains("Tracing database queries for"), "\(run.stderr)")
    }

    /// MariaDB has no USDT probes: uprobes on dispatch_command(), whose packet is copied at the
    /// start. SLEEP(0.2) shows with its text and MS >= 200; a long query is cut at
    /// --max-query-size and the cut noted once on stderr, or shown whole with a larger size.
    @Test(.enabled(if: MariaDBServer.installed, "needs mariadb-server"))
    func mariadbThroughDispatchCommand() throws {
        let server = try MariaDBServer()
        defer { server.stop() }
        let marker = uniqueName("q")
        let long = "SELECT '\(marker)-long', '" + String(repeating: "x", count: 1000) + "', SLEEP(0.15)"
        let run = try trace(["mysql", "-p", String(server.pid), "-m", "100", "-v"]) {
            try server.run(["SELECT SLEEP(0.2), '\(marker)-slow'", "SELECT 1, '\(marker)-fast'", long])
        }
        let rows = run.lines.dropFirst(2).compactMap(Row.init)
        #expect(run.lines.first == "Tracing database queries for pids \(server.pid) slower than 100 ms...", "\(run.lines)")
        #expect(rows.contains { $0.query == "SELECT SLEEP(0.2), '\(marker)-slow'" && $0.ms >= 200 && $0.pid == server.pid }, "\(run.lines)")
        #expect(!rows.contains { $0.query.contains("\(marker)-fast") }, "\(run.lines)")
        // BCC's 256 bytes by default
        #expect(rows.contains { $0.query == String(long.prefix(256)) && $0.ms >= 150 }, "\(run.lines)")
        #expect(run.stderr.contains("longer than 256 bytes was cut (\(long.utf8.count) bytes); raise --max-query-size"), "\(run.stderr)")
        #expect(run.stderr.contains("uprobes on _Z16dispatch_command"), "\(run.stderr)")

        let whole = try trace(["mysql", "-p", String(server.pid), "-m", "100", "--max-query-size", "4096"]) {
            try server.run([long])
        }
        #expect(whole.lines.dropFirst(2).compactMap(Row.init).contains { $0.query == long }, "\(whole.lines)")
        #expect(!whole.stderr.contains("was cut"), "\(whole.stderr)")
    }

    /// Hostile query text: the client chooses it, the row escapes it.
    @Test(.enabled(if: MariaDBServer.installed, "needs mariadb-server"))
    func queryTextIsEscaped() throws {
        let server = try MariaDBServer()
        defer { server.stop() }
        let marker = uniqueName("q")
        let run = try trace(["mysql", "-p", String(server.pid), "-m", "0"]) {
            try server.run(["SELECT '\(marker)\u{1b}]0;owned\u{07}',\n'x'"])
        }
        #expect(run.lines.contains { $0.hasSuffix("SELECT '\(marker)\\x1b]0;owned\\x07',\\n'x'") }, "\(run.lines)")
        #expect(!run.lines.joined().unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 }, "\(run.lines)")
    }

    @Test func badInput() throws {
        for arguments in [[], ["oracle"], ["postgres", "-p", "0"], ["postgres", "--max-query-size", "0"],
                          ["postgres", "--max-query-size", "16385"], ["postgres", "-m", "x"], ["postgres", "mysql"]] {
            let run = try ToolRun("dbslower", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: dbslower [-h]"), "\(arguments): \(run.stderr)")
        }
        // PID_MAX_LIMIT: pid_max cannot be set above it, so no process has it (a free PID
        // picked below pid_max was given to this very run of dbslower once, under CI's load)
        let missing: Int32 = 4_194_304
        for (arguments, message) in [(["postgres", "-p", String(missing)], "dbslower: no process \(missing) whose binary can be read (-p)"),
                                     (["postgres", "-x", "/nonexistent/postgres"], "dbslower: /nonexistent/postgres: No such file or directory (-x)"),
                                     (["postgres", "-x", "/bin/true"], "dbslower: /bin/true: no postgresql:query__start USDT probe (PostgreSQL built without --enable-dtrace)")] {
            let run = try ToolRun("dbslower", arguments)
            #expect(run.waitForExit() == 1, "\(arguments)")
            #expect(run.stderr == message + "\n", "\(arguments): \(run.stderr)")
        }
    }
}
