import Foundation
import Testing

/// scripts/otlp-receiver.py (the official opentelemetry-proto bindings decode each request) on
/// a private port, in the virtual environment scripts/install-deps.sh makes; every log record
/// and data point it received is one JSON object in `received()`. Stopped by `stop()`.
final class OTLPReceiver {
    static let python = "/opt/swift-bpf-tools/test-venv/bin/python"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/otlp-receiver.py").path

    let port: Int
    let dir: TempDir
    private var process: Process?
    private let status: Int

    /// `start`: listen now (false: only the port is chosen, for a collector that is down).
    init(port: Int, status: Int = 200, start: Bool = true) throws {
        self.port = port
        self.status = status
        dir = try TempDir("otlp")
        if start { try self.start() }
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.script, String(port), dir.path + "/received.jsonl"] + (status == 200 ? [] : ["--status", String(status)])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // "listening" once the socket accepts
        let line = out.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self).contains("listening"), "the receiver did not start")
    }

    func stop() {
        // SIGKILL: it keeps nothing, and the test process's children may have SIGTERM blocked
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process = nil
    }

    func received() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: dir.path + "/received.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func logs(_ matching: ([String: Any]) -> Bool = { _ in true }) -> [[String: Any]] {
        received().filter { $0["signal"] as? String == "logs" && matching($0["attributes"] as? [String: Any] ?? [:]) }
    }

    /// The latest data point of metric `name` whose attributes include `attributes`.
    func latestPoint(_ name: String, _ attributes: [String: String] = [:]) -> [String: Any]? {
        received().filter { item in
            guard item["signal"] as? String == "metrics", item["name"] as? String == name else { return false }
            let attrs = item["attributes"] as? [String: Any] ?? [:]
            return attributes.allSatisfy { attrs[$0.key] as? String == $0.value }
        }.max { ($0["time_unix_nano"] as? Int ?? 0) < ($1["time_unix_nano"] as? Int ?? 0) }
    }

    /// Polls until `condition` holds (up to `timeout` seconds); its last answer.
    @discardableResult
    func waitUntil(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return condition()
    }

    deinit {
        stop()
        dir.remove()
    }
}
