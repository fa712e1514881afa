import Foundation
import Testing

/// dbstat against real servers from Debian's packages, started by the tests: the histogram's
/// total is the number of queries the test sent, through PostgreSQL's USDT probes and through
/// MariaDB's dispatch_command().
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class DBStatTests {
    /// Counts by bucket ("low -> high" to count) of every histogram printed.
    static func buckets(_ lines: [String]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in lines {
            guard let m = line.wholeMatch(of: /\s*(\d+) -> (\d+)\s+: (\d+)\s+\|[* ]*\|/), let n = Int(m.3) else { continue }
            counts["\(m.1) -> \(m.2)", default: 0] += n
        }
        return counts
    }

    func stat(_ server: some DatabaseServer, _ engine: String, _ options: [String], queries: [String]) throws -> ToolRun {
        try ToolRun.around("dbstat", [engine, "-p", String(server.pid)] + options,
                           ready: .header("Tracing database queries for pids \(server.pid) slower than \(options.contains("-m") ? "100" : "0") ms...")) {
            try server.run(queries)
        }
    }

    /// 20 fast queries and 2 of 0.2 s: 22 counted, the slow ones in 128 -> 255 ms; -m 100 keeps
    /// those two only; -u counts in microseconds.
    @Test(.enabled(if: PostgresServer.installed, "needs postgresql-15"))
    func postgresQueriesCounted() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let queries = (0..<20).map { "SELECT \($0)" } + ["SELECT pg_sleep(0.2)", "SELECT pg_sleep(0.2)"]
        let all = try stat(server, "postgres", [], queries: queries)
        #expect(Self.buckets(all.lines).values.reduce(0, +) == 22, "\(all.lines)")
        #expect(Self.buckets(all.lines)["128 -> 255"] == 2, "\(all.lines)")
        #expect(all.lines.contains("     query latency (ms)  : count     distribution"), "\(all.lines)")
        #expect(all.lines.contains { $0.wholeMatch(of: /\[\d\d:\d\d:\d\d\]/) != nil }, "\(all.lines)")

        let slow = try stat(server, "postgres", ["-m", "100"], queries: queries)
        #expect(Self.buckets(slow.lines).values.reduce(0, +) == 2 && Self.buckets(slow.lines)["128 -> 255"] == 2, "\(slow.lines)")

        let micro = try stat(server, "postgres", ["-u"], queries: queries)
        #expect(Self.buckets(micro.lines).values.reduce(0, +) == 22 && Self.buckets(micro.lines)["131072 -> 262143"] == 2, "\(micro.lines)")
        #expect(micro.lines.contains("     query latency (us)  : count     distribution"), "\(micro.lines)")
    }

    /// MariaDB through dispatch_command(): only COM_QUERY commands count (not the client's
    /// connect, ping or quit); -i 1 reports each second, and the reports add up.
    @Test(.enabled(if: MariaDBServer.installed, "needs mariadb-server"))
    func mariadbQueriesCounted() throws {
        let server = try MariaDBServer()
        defer { server.stop() }
        let queries = (0..<15).map { "SELECT \($0)" } + ["SELECT SLEEP(0.2)"]
        let run = try stat(server, "mysql", ["-i", "1"], queries: queries + ["SELECT SLEEP(1.2)"])
        let buckets = Self.buckets(run.lines)
        #expect(buckets.values.reduce(0, +) == 17, "\(run.lines)")
        #expect(buckets["128 -> 255"] == 1 && buckets["1024 -> 2047"] == 1, "\(run.lines)")
        #expect(run.lines.filter { $0.wholeMatch(of: /\[\d\d:\d\d:\d\d\]/) != nil }.count >= 2, "\(run.lines)")

        let json = try ToolRun.around("dbstat", ["mysql", "-p", String(server.pid), "--json"], ready: .stderr("Tracing database queries")) {
            try server.run(queries)
        }
        let objects = json.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let total = objects.flatMap { ($0["data"] as? [[String: Any]]) ?? [] }.compactMap { $0["count"] as? Int }.reduce(0, +)
        #expect(total == 16 && objects.allSatisfy { $0["val_type"] as? String == "msecs" && $0["timestamp"] is String }, "\(json.lines)")
    }

    @Test func badInput() throws {
        for arguments in [[], ["oracle"], ["mysql", "-i", "0"], ["mysql", "-i", "x"], ["mysql", "-p", "-3"]] {
            let run = try ToolRun("dbstat", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: dbstat [-h]"), "\(arguments): \(run.stderr)")
        }
    }
}
