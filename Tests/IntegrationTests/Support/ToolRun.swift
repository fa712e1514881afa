import Foundation
import Synchronization
import Testing

/// Whether this run may load BPF. In CI (`BPF_TESTS_REQUIRED=1`, set by .ci/run) the BPF tests
/// always run, so a machine that cannot load BPF fails them instead of skipping them; on a
/// laptop without root they are skipped.
enum BPFTests {
    static let required = ProcessInfo.processInfo.environment["BPF_TESTS_REQUIRED"] == "1"
    static let enabled = required || geteuid() == 0
}

/// The directory holding the built tool binaries: the test bundle's own.
enum Products {
    static let directory: URL = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }()

    static func binary(_ tool: String) -> String { directory.appendingPathComponent(tool).path }

    /// Every tool's name, from the package's tools.json.
    static let toolNames: [String] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        guard let data = try? Data(contentsOf: root.appendingPathComponent("tools.json")),
              let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let tools = manifest["tools"] as? [[String: Any]] else { return [] }
        return tools.compactMap { $0["name"] as? String }
    }()
}

/// A tool binary running with its stdout and stderr read through pipes as it writes them, so
/// every check also proves the tool flushes each row while it is still running.
final class ToolRun: Sendable {
    let process: Process
    private let stdoutLines = Mutex<[String]>([])
    private let stderrText = Mutex<String>("")
    private let partial = Mutex<String>("")

    /// `executable` and `arguments` run a wrapper instead (setpriv, say) whose `arguments`
    /// name the tool.
    init(_ tool: String, _ arguments: [String], environment: [String: String]? = nil,
         executable: String? = nil, arguments wrapped: [String]? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? Products.binary(tool))
        process.arguments = wrapped ?? arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            guard !data.isEmpty else { handle.readabilityHandler = nil; return }
            let text = String(decoding: data, as: UTF8.self)
            partial.withLock { rest in
                rest += text
                var lines = rest.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                rest = lines.removeLast()
                stdoutLines.withLock { $0 += lines }
            }
        }
        err.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            guard !data.isEmpty else { handle.readabilityHandler = nil; return }
            stderrText.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var lines: [String] { stdoutLines.withLock { $0 } }
    var stderr: String { stderrText.withLock { $0 } }

    /// Waits until a line satisfies `predicate` (or the tool exits, or time runs out).
    @discardableResult
    func waitForLine(timeout: Double = 10, _ predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = lines.first(where: predicate) { return line }
            if !process.isRunning {
                Thread.sleep(forTimeInterval: 0.1)  // let the pipes drain
                return lines.first(where: predicate)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    /// How a test knows the tool's probes are attached.
    enum Ready {
        /// This header line (the tool prints it once attached).
        case header(String)
        /// Any first line.
        case firstLine
        /// A line like this (a header whose widths vary by machine).
        case line((String) -> Bool)
        /// This text on stderr (with --json, where a banner goes).
        case stderr(String)
        /// Nothing shows until an event (JSON of a tool without a banner): the probes are
        /// attached within a second and a half.
        case attached
    }

    /// `tool` traced around `workload`: started, ready, the workload run, a moment for the last
    /// events, Ctrl-C, exit status 0 expected.
    static func around(_ tool: String, _ options: [String], ready: Ready, environment: [String: String]? = nil,
                       _ workload: () throws -> Void) throws -> ToolRun {
        let run = try ToolRun(tool, options, environment: environment)
        switch ready {
        case .header(let header): try run.waitUntilReady(header: header)
        case .firstLine: try run.waitUntilReady()
        case .line(let predicate):
            if run.waitForLine(timeout: 20, predicate) == nil {
                Issue.record("tool not ready; stderr: \(run.stderr)")
                throw ToolRunError.notReady
            }
        case .stderr(let text): try run.waitForStderr(text)
        case .attached: Thread.sleep(forTimeInterval: 1.5)
        }
        try workload()
        Thread.sleep(forTimeInterval: 0.3)
        #expect(run.stop() == 0, "\(run.stderr)")
        return run
    }

    /// As above, ready at `header`, or at any first line when nil.
    static func around(_ tool: String, _ options: [String], header: String?, _ workload: () throws -> Void) throws -> ToolRun {
        try around(tool, options, ready: header.map(Ready.header) ?? .firstLine, workload)
    }

    func waitUntilReady(header: String? = nil, timeout: Double = 20) throws {
        let found = waitForLine(timeout: timeout) { header == nil ? !$0.isEmpty : $0 == header }
        if found == nil {
            Issue.record("tool not ready; stderr: \(stderr)")
            throw ToolRunError.notReady
        }
    }

    /// Waits for `text` on stderr: tools whose stdout is only JSON say there that they are ready.
    func waitForStderr(_ text: String, timeout: Double = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !stderr.contains(text) {
            if Date() >= deadline || !process.isRunning {
                Issue.record("no '\(text)' on stderr: \(stderr)")
                throw ToolRunError.notReady
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Sends `signal` and waits for the exit; returns the exit status.
    @discardableResult
    func stop(_ signal: Int32 = SIGINT, timeout: Double = 10) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        return waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: Double = 10) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("tool did not exit within \(timeout)s")
        }
        Thread.sleep(forTimeInterval: 0.05)  // the pipes' last bytes
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

enum ToolRunError: Error { case notReady }

/// Runs a command to completion and returns its pid and exit status.
@discardableResult
func runCommand(_ path: String, _ arguments: [String], cwd: String? = nil) throws -> (pid: Int32, status: Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return (process.processIdentifier, process.terminationStatus)
}

/// Runs a command to completion and returns its standard output.
func commandOutput(_ path: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// A fresh temporary directory, removed by `remove()`.
struct TempDir {
    let path: String

    init(_ prefix: String) throws {
        path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// A copy of `program` here under a unique name, so that its rows (its comm) can be told
    /// from every other process's.
    func copy(of program: String, prefix: String) throws -> (path: String, comm: String) {
        let name = uniqueName(prefix)
        try FileManager.default.copyItem(atPath: program, toPath: path + "/" + name)
        return (path + "/" + name, name)
    }
}

/// A unique, short name usable as a process name (comm keeps 15 bytes).
func uniqueName(_ prefix: String) -> String {
    let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(15 - prefix.count).lowercased()
    return prefix + id
}

/// Python's "%-Ns" / "%Ns" for building expected rows.
func left(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
func right(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }

/// Loaded BPF programs whose names are in `names`, as (id, name), from bpftool's JSON.
func loadedPrograms(named names: Set<String>) throws -> [(id: Int, name: String)] {
    try bpftool(["prog", "show"]).compactMap { prog in
        guard let name = prog["name"] as? String, names.contains(name), let id = prog["id"] as? Int else { return nil }
        return (id, name)
    }
}

/// BPF links attached to any of the programs `ids`.
func linksOf(programs ids: Set<Int>) throws -> [Int] {
    try bpftool(["link", "show"]).compactMap { link in
        guard let prog = link["prog_id"] as? Int, ids.contains(prog) else { return nil }
        return link["id"] as? Int
    }
}

private func bpftool(_ arguments: [String]) throws -> [[String: Any]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/bpftool")
    process.arguments = ["-j"] + arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
}

extension Process {
    /// SIGKILL: the test runner may block SIGTERM, and a blocked mask is inherited.
    func kill() {
        if isRunning { Glibc.kill(processIdentifier, SIGKILL) }
    }
}
