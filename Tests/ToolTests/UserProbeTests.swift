import Foundation
import LoaderCore
import Testing

/// Attach points given at run time: a uprobe and a uretprobe on a function and a USDT probe of
/// a program built here, by binary path and name (as dbslower will attach to a database).
@Suite(.enabled(if: geteuid() == 0 || ProcessInfo.processInfo.environment["BPF_TESTS_REQUIRED"] == "1",
                "needs root to load BPF"))
struct UserProbeTests {
    static let fixtures = Manifest.packageRoot.appendingPathComponent("Tests/ToolTests/Fixtures").path
    static let bpfSource = Manifest.packageRoot.appendingPathComponent("bpf-src").path

    @Test func uprobeUretprobeAndUSDTOnTargetsGivenAtRunTime() throws {
        let dir = NSTemporaryDirectory() + "userprobes-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let object = dir + "/userprobes.bpf.o", target = dir + "/target"
        try Self.run("/usr/bin/clang", ["-target", "bpf", "-O2", "-g", "-D__TARGET_ARCH_x86", "-I", Self.bpfSource + "/arch/x86", "-I", "/usr/include/x86_64-linux-gnu",
                                        "-c", Self.fixtures + "/userprobes.bpf.c", "-o", object])
        try Self.run("/usr/bin/clang", ["-O1", "-g", "-o", target, Self.fixtures + "/userprobes-target.c"])
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: object)))

        let plan: AttachPlan = [
            .oneOf("entry", [ProbeCandidate(.uprobe(UserProbeTarget(binary: target, symbol: "probed")), program: "count_entry")]),
            .oneOf("return", [ProbeCandidate(.uretprobe(UserProbeTarget(binary: target, symbol: "probed")), program: "count_return")]),
            .oneOf("tick", [ProbeCandidate(.usdt(USDTTarget(binary: target, provider: "test", name: "tick")), program: "count_tick")]),
        ]
        // libbpf names the .bss map after the object's first 8 characters: "up.bss"
        var opened = try BPFObject(EmbeddedObject(name: "up", bytes: bytes))
        try opened.choose(plan, kernel: RunningKernel())
        let loaded = try opened.load()
        try loaded.attach()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: target)
        process.arguments = ["1000"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("go\n".utf8))
        process.waitUntilExit()
        #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "1001000\n")

        // the counters in the object's .bss, in declaration order
        let values = try #require(try loaded.map("up.bss").lookupArray(UInt32(0), of: UInt64.self))
        #expect(values[0] == 1000 && values[1] == 1000 && values[2] == 1000, "entries, returns, ticks: \(values)")
        #expect(values[3] == 500_500, "USDT argument sum: \(values[3])")
        #expect(values[4] == 1_001_000, "return value sum: \(values[4])")

        // a binary that is not there is passed over before anything loads, with the reason
        let missing: AttachPlan = [.oneOf("entry", [ProbeCandidate(.uprobe(UserProbeTarget(binary: dir + "/nothing", symbol: "f")),
                                                                  program: "count_entry")])]
        #expect(throws: BPFError.self) { _ = try missing.resolve(on: RunningKernel(), tool: "test") }
    }

    static func run(_ path: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(path) \(arguments)")
    }
}
