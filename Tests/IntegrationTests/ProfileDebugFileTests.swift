import Foundation
import Testing

/// profile names the functions of a stripped binary from its separate debug file: found by
/// build ID under a debug directory, by its .gnu_debuglink name next to the binary, or fetched
/// from a debuginfod server (one the test runs, Debian's debuginfod, on a private port).
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class ProfileDebugFileTests {
    let dir: TempDir
    let buildID: String

    static let source = """
    #include <stdlib.h>
    #include <time.h>
    volatile unsigned long sink;
    __attribute__((noinline)) static void strip_leaf(void) { for (int i = 0; i < 1000; i++) sink += i * i; }
    __attribute__((noinline)) static void strip_middle(void) { for (int i = 0; i < 100; i++) strip_leaf(); }
    int main(int argc, char **argv) {
        time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 6);
        while (time(NULL) < end) strip_middle();
        return 0;
    }
    """

    /// bin/stripped (no .symtab, a .gnu_debuglink to "stripped.debug") and debug/stripped.debug.
    init() throws {
        dir = try TempDir("profile-debug")
        let src = dir.path + "/prog.c", full = dir.path + "/full"
        try Self.source.write(toFile: src, atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir.path + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.path + "/debug", withIntermediateDirectories: true)
        let debug = dir.path + "/debug/stripped.debug"
        for (tool, arguments) in [("/usr/bin/gcc", ["-O1", "-g", "-fno-inline", "-Wl,--build-id", "-o", full, src]),
                                  ("/usr/bin/objcopy", ["--only-keep-debug", full, debug]),
                                  ("/usr/bin/objcopy", ["--strip-all", "--add-gnu-debuglink=" + debug, full, dir.path + "/bin/stripped"])] {
            guard try runCommand(tool, arguments).status == 0 else {
                dir.remove()
                throw HotProgramError.compileFailed
            }
        }
        let readelf = try commandOutput("/usr/bin/readelf", ["-n", full])
        buildID = readelf.split(separator: "\n").first { $0.contains("Build ID:") }
            .map { String($0.split(separator: " ").last ?? "") } ?? ""
    }

    deinit { dir.remove() }

    /// profile's folded lines for the stripped program, run from `binary`.
    func profile(_ binary: String, environment: [String: String] = [:]) throws -> ToolRun {
        let workload = Process()
        workload.executableURL = URL(fileURLWithPath: binary)
        workload.arguments = ["8"]
        try workload.run()
        defer { workload.kill(); workload.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.2)
        var env = ProcessInfo.processInfo.environment
        env["BPF_TOOLS_DEBUG_DIRS"] = dir.path + "/none"
        env.removeValue(forKey: "DEBUGINFOD_URLS")
        env.merge(environment) { $1 }
        let run = try ToolRun("profile", ["-U", "-f", "-v", "-p", String(workload.processIdentifier), "2"], environment: env)
        #expect(run.waitForExit(timeout: 30) == 0, "\(run.stderr)")
        return run
    }

    func named(_ run: ToolRun) -> Bool {
        run.lines.contains { $0.contains(";main;strip_middle;strip_leaf ") }
    }

    @Test func withoutDebugFileTheFramesAreUnknown() throws {
        let alone = dir.path + "/alone"
        try FileManager.default.createDirectory(atPath: alone, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.path + "/bin/stripped", toPath: alone + "/stripped")
        let run = try profile(alone + "/stripped")
        #expect(!run.lines.isEmpty && !named(run), "\(run.lines)")
        #expect(run.stderr.contains("is stripped and no debug file was found"), "\(run.stderr)")
    }

    @Test func foundByBuildID() throws {
        #expect(buildID.count == 40, "build ID \(buildID)")
        let root = dir.path + "/root"
        let place = root + "/.build-id/" + buildID.prefix(2)
        try FileManager.default.createDirectory(atPath: place, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.path + "/debug/stripped.debug", toPath: place + "/" + buildID.dropFirst(2) + ".debug")
        let alone = dir.path + "/byid"
        try FileManager.default.createDirectory(atPath: alone, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.path + "/bin/stripped", toPath: alone + "/stripped")
        let run = try profile(alone + "/stripped", environment: ["BPF_TOOLS_DEBUG_DIRS": root])
        #expect(named(run), "\(run.lines)\n\(run.stderr)")
    }

    @Test func foundByDebugLinkNextToTheBinary() throws {
        try FileManager.default.copyItem(atPath: dir.path + "/debug/stripped.debug", toPath: dir.path + "/bin/stripped.debug")
        defer { try? FileManager.default.removeItem(atPath: dir.path + "/bin/stripped.debug") }
        #expect(named(try profile(dir.path + "/bin/stripped")))

        // a file of that name that is not the binary's debug file is refused
        try FileManager.default.removeItem(atPath: dir.path + "/bin/stripped.debug")
        try FileManager.default.copyItem(atPath: "/usr/bin/true", toPath: dir.path + "/bin/stripped.debug")
        let wrong = try profile(dir.path + "/bin/stripped")
        #expect(!named(wrong), "\(wrong.lines)")
        #expect(wrong.stderr.contains("stripped.debug: build ID "), "\(wrong.stderr)")
    }

    @Test func fetchedFromDebuginfod() throws {
        let served = dir.path + "/served", cache = dir.path + "/cache"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.path + "/debug/stripped.debug", toPath: served + "/stripped.debug")
        let port = 61000 + Int.random(in: 0..<4000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/debuginfod")
        server.arguments = ["-F", served, "-p", String(port), "-d", dir.path + "/debuginfod.sqlite", "-t", "0", "-g", "0"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.kill(); server.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)"
        // indexed once the client can fetch it (a fresh cache each time: the client remembers a
        // miss for 10 minutes)
        let deadline = Date().addingTimeInterval(30)
        var indexed = false, attempt = 0
        while !indexed && Date() < deadline {
            attempt += 1
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: "/usr/bin/debuginfod-find")
            probe.arguments = ["debuginfo", buildID]
            probe.environment = ["DEBUGINFOD_URLS": url, "DEBUGINFOD_CACHE_PATH": dir.path + "/probe-cache-\(attempt)"]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            try probe.run()
            probe.waitUntilExit()
            indexed = probe.terminationStatus == 0
            if !indexed { Thread.sleep(forTimeInterval: 0.3) }
        }
        #expect(indexed, "debuginfod did not serve the debug file within 30 s")
        let alone = dir.path + "/remote"
        try FileManager.default.createDirectory(atPath: alone, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.path + "/bin/stripped", toPath: alone + "/stripped")
        let run = try profile(alone + "/stripped", environment: ["DEBUGINFOD_URLS": url, "DEBUGINFOD_CACHE_PATH": cache])
        #expect(named(run), "\(run.lines)\n\(run.stderr)")
    }
}
