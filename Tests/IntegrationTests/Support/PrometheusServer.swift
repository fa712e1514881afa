import Foundation
import Testing

/// Debian's Prometheus server in a temporary directory on a private port, scraping one target
/// every second; stopped (SIGKILL if need be) and removed by `stop()`.
final class PrometheusServer {
    let dir: TempDir
    let port: Int
    private let process = Process()

    convenience init(target: String) throws { try self.init(targets: [target]) }

    init(targets: [String]) throws {
        dir = try TempDir("prometheus")
        port = 61000 + Int.random(in: 0..<4000)
        let config = """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
        scrape_configs:
          - job_name: tool
            static_configs:
              - targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))]
        """
        try config.write(toFile: dir.path + "/prometheus.yml", atomically: false, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        process.arguments = ["--config.file=" + dir.path + "/prometheus.yml", "--storage.tsdb.path=" + dir.path + "/data",
                             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try? curl("/-/ready"))?.contains("Ready") != true { Thread.sleep(forTimeInterval: 0.2) }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        dir.remove()
    }

    func curl(_ path: String) throws -> String {
        try commandOutput("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(port)" + path])
    }

    /// The value of an instant query's single result, nil while it has none.
    func value(_ query: String) throws -> Double? {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        let text = try curl("/api/v1/query?query=" + encoded)
        guard let data = text.data(using: .utf8),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]],
              let first = result.first, let pair = first["value"] as? [Any], pair.count == 2,
              let number = pair[1] as? String else { return nil }
        return Double(number)
    }

    /// Waits until `query` gives `expected` (a scrape after the workload), up to `timeout`.
    func waitFor(_ query: String, _ expected: Double, timeout: Double = 30) throws -> Double? {
        try waitUntil(query, timeout: timeout) { $0 == expected }
    }

    /// Waits until `query`'s value satisfies `done`, up to `timeout`; the last value.
    func waitUntil(_ query: String, timeout: Double = 30, _ done: (Double) -> Bool) throws -> Double? {
        let deadline = Date().addingTimeInterval(timeout)
        var last: Double?
        while Date() < deadline {
            last = try value(query)
            if let last, done(last) { return last }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return last
    }
}
