import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Programs with known hot functions, compiled by the tests with frame pointers and symbols:
/// `hotprog` (a PIE executable: main -> hot_outer -> hot_middle -> hot_leaf, or with "lib"
/// lib_outer -> lib_hot in libhot.so, or with "sys" a loop of getppid() syscalls).
final class HotPrograms {
    let dir: TempDir
    var program: String { dir.path + "/hotprog" }

    static let librarySource = """
    volatile unsigned long lib_sink;
    __attribute__((noinline)) void lib_hot(void) { for (int i = 0; i < 1000; i++) lib_sink += i * i; }
    __attribute__((noinline)) void lib_outer(void) { for (int i = 0; i < 100; i++) lib_hot(); }
    """

    static let programSource = """
    #include <stdlib.h>
    #include <string.h>
    #include <time.h>
    #include <unistd.h>
    void lib_outer(void);
    volatile unsigned long sink;
    __attribute__((noinline)) void hot_leaf(void) { for (int i = 0; i < 1000; i++) sink += i * i; }
    __attribute__((noinline)) void hot_middle(void) { for (int i = 0; i < 100; i++) hot_leaf(); }
    __attribute__((noinline)) void hot_outer(void) { hot_middle(); }
    __attribute__((noinline)) void sys_loop(void) { for (int i = 0; i < 1000; i++) getppid(); }
    int main(int argc, char **argv) {
        double seconds = argc > 2 ? atof(argv[2]) : 3;
        struct timespec now, end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_sec += (time_t)seconds;
        end.tv_nsec += (long)((seconds - (time_t)seconds) * 1e9);
        if (end.tv_nsec >= 1000000000L) { end.tv_sec++; end.tv_nsec -= 1000000000L; }
        const char *mode = argc > 1 ? argv[1] : "cpu";
        do {
            if (!strcmp(mode, "lib")) lib_outer();
            else if (!strcmp(mode, "sys")) sys_loop();
            else hot_outer();
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
        return 0;
    }
    """

    init() throws {
        dir = try TempDir("profile-test")
        try Self.librarySource.write(toFile: dir.path + "/lib.c", atomically: false, encoding: .utf8)
        try Self.programSource.write(toFile: dir.path + "/prog.c", atomically: false, encoding: .utf8)
        let flags = ["-O1", "-g0", "-fno-omit-frame-pointer", "-fno-inline"]
        let library = try runCommand("/usr/bin/clang", flags + ["-shared", "-fPIC", "-o", dir.path + "/libhot.so", dir.path + "/lib.c"])
        let program = try runCommand("/usr/bin/clang", flags + ["-fPIE", "-pie", "-o", self.program, dir.path + "/prog.c",
                                                                "-L", dir.path, "-lhot", "-Wl,-rpath," + dir.path])
        guard library.status == 0, program.status == 0 else {
            dir.remove()
            throw HotProgramError.compileFailed
        }
    }

    /// Starts the program in `mode` for `seconds`.
    func start(_ mode: String, seconds: Double = 3) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = [mode, String(seconds)]
        try process.run()
        return process
    }

    deinit { dir.remove() }
}

enum HotProgramError: Error { case compileFailed }

/// profile run as root against programs with known hot functions.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class ProfileTests {
    let programs: HotPrograms

    init() throws { programs = try HotPrograms() }

    /// Folded lines "frames count" of one run of profile over `mode`'s program.
    func folded(_ mode: String, _ options: [String], seconds: Int = 2,
                environment: [String: String]? = nil) throws -> (lines: [(frames: [String], count: Int)], run: ToolRun, pid: Int32) {
        let workload = try programs.start(mode, seconds: Double(seconds) + 1.5)
        defer { workload.kill(); workload.waitUntilExit() }
        let run = try ToolRun("profile", ["-f", "-p", String(workload.processIdentifier)] + options + [String(seconds)],
                              environment: environment)
        #expect(run.waitForExit(timeout: Double(seconds) + 20) == 0, "stderr: \(run.stderr)")
        let lines = run.lines.compactMap { line -> ([String], Int)? in
            guard let space = line.lastIndex(of: " "), let count = Int(line[line.index(after: space)...]) else { return nil }
            return (line[..<space].split(separator: ";").map(String.init), count)
        }
        return (lines, run, workload.processIdentifier)
    }

    @Test func hotFunctionsAppearInCallOrder() throws {
        let (lines, run, _) = try folded("cpu", [])
        #expect(run.lines.count == lines.count, "every line is folded: \(run.lines)")
        let total = lines.reduce(0) { $0 + $1.count }
        let chain = lines.filter { $0.frames.first == "hotprog" && $0.frames.joined(separator: ";").contains("main;hot_outer;hot_middle;hot_leaf") }
            .reduce(0) { $0 + $1.count }
        // 98 samples at 49 Hz for 2 s on a free CPU; fewer when the machine is busy
        #expect(total >= 20, "at 49 Hz for 2 s: \(total) samples")
        #expect(chain * 2 > total, "main;hot_outer;hot_middle;hot_leaf in \(chain) of \(total) samples: \(run.lines)")
        // ascending counts
        #expect(lines.map(\.count) == lines.map(\.count).sorted())
    }

    @Test func sharedLibraryAndPIEResolve() throws {
        let workload = try programs.start("lib", seconds: 3.5)
        defer { workload.kill(); workload.waitUntilExit() }
        let run = try ToolRun("profile", ["-U", "-p", String(workload.processIdentifier), "2"])
        #expect(run.waitForExit(timeout: 20) == 0)
        let text = run.lines.joined(separator: "\n")
        #expect(run.lines.contains { $0.hasPrefix("    lib_hot+0x") && $0.hasSuffix(" [libhot.so]") }, "\(text)")
        #expect(run.lines.contains { $0.hasPrefix("    main+0x") && $0.hasSuffix(" [hotprog]") }, "\(text)")
        #expect(run.lines.contains("    -                hotprog (\(workload.processIdentifier))"))
        #expect(run.lines.first == "Sampling at 49 Hertz of PID [\(workload.processIdentifier)] by user stack for 2 secs.")
        #expect(run.lines.dropFirst().first == "")
    }

    @Test func kernelAndUserSidesSplit() throws {
        let both = try folded("sys", ["-a", "-d"])
        let kernelFrames = both.lines.flatMap(\.frames).filter { $0.hasSuffix("_[k]") }
        #expect(!kernelFrames.isEmpty, "a syscall loop shows kernel frames: \(both.run.lines)")
        // user frames, the delimiter, then kernel frames (sys_loop itself is often skipped:
        // libc's getppid() has no frame pointer, so the unwinder goes from it to main)
        #expect(both.lines.contains { line in
            guard let dash = line.frames.firstIndex(of: "-") else { return false }
            return line.frames[..<dash].contains("main") && line.frames[(dash + 1)...].allSatisfy { $0.hasSuffix("_[k]") }
                && dash + 1 < line.frames.count
        }, "\(both.run.lines)")

        let kernelOnly = try folded("sys", ["-a", "-K"])
        #expect(!kernelOnly.lines.isEmpty)
        #expect(kernelOnly.lines.allSatisfy { $0.frames.dropFirst().allSatisfy { $0.hasSuffix("_[k]") } }, "\(kernelOnly.run.lines)")

        let userOnly = try folded("sys", ["-a", "-U"])
        #expect(!userOnly.lines.isEmpty)
        #expect(userOnly.lines.allSatisfy { $0.frames.allSatisfy { !$0.hasSuffix("_[k]") } }, "\(userOnly.run.lines)")
        #expect(userOnly.lines.contains { $0.frames.contains("sys_loop") })
    }

    /// Kernel frames are named by the kernel itself (bpf_snprintf's %pS, run on demand) where
    /// it can, else from /proc/kallsyms: both give names /proc/kallsyms lists, and the same
    /// syscall path.
    @Test func kernelFramesNamedByTheKernelOrFromKallsyms() throws {
        // read to its end: Foundation's String(contentsOfFile:) stops at a procfs file's size (0)
        let kallsyms = String(decoding: FileHandle(forReadingAtPath: "/proc/kallsyms")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        let functions = Set(kallsyms.split(separator: "\n").compactMap { line -> Substring? in
            let fields = line.split(separator: " ", maxSplits: 2)
            guard fields.count == 3 else { return nil }
            return fields[2].split(separator: "\t").first
        })
        var environment = ProcessInfo.processInfo.environment
        environment["BPF_TOOLS_AVOID_PROBES"] = "name_kernel_addresses"
        for (environment, says) in [(nil, "profile: kernel symbol names: using run on demand (name_kernel_addresses)"),
                                    (environment, "profile: kernel symbol names: skipped")] {
            let run = try folded("sys", ["-a", "-K", "-v"], environment: environment)
            #expect(run.run.stderr.contains(says), "\(run.run.stderr)")
            let names = Set(run.lines.flatMap { $0.frames.dropFirst() }.map { String($0.dropLast("_[k]".count)) })
            #expect(names.contains("do_syscall_64") && names.contains("entry_SYSCALL_64_after_hwframe"), "\(names.sorted())")
            let unknown = names.filter { !functions.contains(Substring($0)) }
            #expect(unknown.isEmpty, "not in /proc/kallsyms: \(unknown.sorted())")
        }
    }

    /// --pprof: Go's own pprof reads the file; its total and top function are the folded
    /// output's; the mapping has the program's name and build ID; protoc decodes the message.
    @Test func pprofReadByGoToolPprof() throws {
        let path = programs.dir.path + "/cpu.pb.gz"
        let (lines, run, _) = try folded("cpu", ["--pprof", path])
        let total = lines.reduce(0) { $0 + $1.count }
        #expect(total > 0, "\(run.lines) \(run.stderr)")
        let (status, text) = try goToolPprof(["-top", "-sample_index=samples", path], home: programs.dir.path)
        #expect(status == 0, "\(text)")
        #expect(text.contains("Total samples = \(total)"), "folded total \(total): \(text)")
        // the first row under the header: the function with the most samples of its own
        let rows = text.split(separator: "\n").drop { !$0.contains("flat%") }.dropFirst()
        #expect(rows.first?.hasSuffix(" hot_leaf") == true, "\(text)")
        #expect(text.contains("File: hotprog") && text.range(of: #"Build ID: [0-9a-f]{40}"#, options: .regularExpression) != nil, "\(text)")
        // the raw message: sample types, samples with their location IDs, the string table
        let decode = Process()
        decode.executableURL = URL(fileURLWithPath: "/bin/sh")
        decode.arguments = ["-c", "gunzip -c \(path) | protoc --decode_raw"]
        let decoded = Pipe()
        decode.standardOutput = decoded
        try decode.run()
        let message = String(decoding: decoded.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        decode.waitUntilExit()
        #expect(decode.terminationStatus == 0 && message.contains("6: \"hot_leaf\"") && message.contains("6: \"cpu\"")
                && message.contains("6: \"nanoseconds\""), "\(message.prefix(600))")
    }

    @Test func flameGraphIsValidSVGWithTheHotFunction() throws {
        let svg = programs.dir.path + "/out.svg"
        let (_, run, _) = try folded("cpu", ["--flamegraph", svg])
        #expect(run.stderr.isEmpty || !run.stderr.contains("error"), "\(run.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: svg))
        final class Collector: NSObject, XMLParserDelegate {
            var texts: [String] = []
            var rects = 0
            var root: String?
            var current = ""
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                if root == nil { root = name }
                if name == "rect" { rects += 1 }
                current = ""
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                if name == "text" || name == "title" { texts.append(current) }
            }
        }
        let collector = Collector()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        #expect(parser.parse(), "the SVG parses as XML: \(String(describing: parser.parserError))")
        #expect(collector.root == "svg")
        #expect(collector.rects > 4)
        #expect(collector.texts.contains { $0.hasPrefix("hot_leaf (") && $0.contains(" samples, ") }, "\(collector.texts)")
    }

    @Test func jsonObjectPerStack() throws {
        let workload = try programs.start("cpu", seconds: 3)
        defer { workload.kill(); workload.waitUntilExit() }
        let run = try ToolRun("profile", ["--json", "-p", String(workload.processIdentifier), "1"])
        #expect(run.waitForExit(timeout: 20) == 0)
        let objects = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!objects.isEmpty && objects.count == run.lines.count, "\(run.lines)")
        let hot = objects.first { ($0["user_stack"] as? [[String: Any]])?.contains { $0["symbol"] as? String == "hot_leaf" } == true }
        #expect(hot?["pid"] as? Int == Int(workload.processIdentifier))
        #expect(hot?["comm"] as? String == "hotprog")
        #expect((hot?["count"] as? Int ?? 0) > 0)
        #expect((hot?["user_stack"] as? [[String: Any]])?.first?["module"] as? String == "hotprog")
    }

    /// A process that exits before profile prints: its frames are "[unknown]", nothing fails.
    /// A process that exits before the report: named from what was read at its first sample
    /// (its samples unwound in user space); with --unwind fp, read only at the end, "[unknown]".
    @Test func exitedProcessIsNamedFromItsFirstSample() throws {
        for (options, named) in [([String](), true), (["--unwind", "fp"], false)] {
            let run = try ToolRun("profile", ["-f", "-U"] + options + ["3"])
            try run.waitForStderr("Sampling at 49 Hertz")
            let workload = try programs.start("cpu", seconds: 1)
            workload.waitUntilExit()
            #expect(run.waitForExit(timeout: 20) == 0, "\(run.stderr)")
            let mine = run.lines.filter { $0.hasPrefix("hotprog;") }
            #expect(!mine.isEmpty, "\(run.lines.suffix(5))")
            if named {
                let total = mine.compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
                let chain = mine.filter { $0.contains(";main;hot_outer;hot_middle;hot_leaf") }
                    .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
                #expect(chain * 2 > total, "\(mine)")
            } else {
                #expect(mine.allSatisfy { $0.hasPrefix("hotprog;[unknown]") }, "\(mine)")
            }
        }
    }

    /// A binary only visible in the process's own mount namespace (as in a container) is read
    /// through /proc/PID/root.
    @Test func binaryInAnotherMountNamespaceResolves() throws {
        let hidden = "/mnt/" + uniqueName("ns")
        let script = "mkdir -p \(hidden) && mount -t tmpfs none \(hidden) && cp \(programs.program) \(hidden)/nsprog && exec \(hidden)/nsprog cpu 3.5"
        let workload = Process()
        workload.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        workload.arguments = ["-m", "--propagation", "private", "/bin/sh", "-c", script]
        try workload.run()
        defer { workload.kill(); workload.waitUntilExit(); try? FileManager.default.removeItem(atPath: hidden) }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(!FileManager.default.fileExists(atPath: hidden + "/nsprog"), "the binary must not be visible here")
        let run = try ToolRun("profile", ["-U", "-f", "-p", String(workload.processIdentifier), "2"])
        #expect(run.waitForExit(timeout: 20) == 0, "\(run.stderr)")
        #expect(run.lines.contains { $0.hasPrefix("nsprog;") && $0.contains(";main;hot_outer;hot_middle;hot_leaf") }, "\(run.lines)")
    }

    #if arch(x86_64)
    /// Code without a file (a JIT's) resolves through the /tmp/perf-PID.map the process writes.
    @Test func jitCodeResolvesThroughThePerfMap() throws {
        let source = """
        #include <stdio.h>
        #include <string.h>
        #include <sys/mman.h>
        #include <time.h>
        #include <unistd.h>
        int main(void) {
            /* mov ecx, 10000000; 1: dec ecx; jnz 1b; ret */
            unsigned char code[] = {0xB9, 0x80, 0x96, 0x98, 0x00, 0xFF, 0xC9, 0x75, 0xFC, 0xC3};
            void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            memcpy(page, code, sizeof(code));
            char path[64];
            snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
            FILE *map = fopen(path, "w");
            fprintf(map, "%lx %zx jitted_hot_loop\\n", (unsigned long)page, sizeof(code));
            fclose(map);
            time_t end = time(NULL) + 4;
            while (time(NULL) < end) ((void (*)(void))page)();
            unlink(path);
            return 0;
        }
        """
        let dir = programs.dir.path
        try source.write(toFile: dir + "/jit.c", atomically: false, encoding: .utf8)
        #expect(try runCommand("/usr/bin/clang", ["-O1", "-o", dir + "/jitprog", dir + "/jit.c"]).status == 0)
        let workload = Process()
        workload.executableURL = URL(fileURLWithPath: dir + "/jitprog")
        try workload.run()
        defer { workload.kill(); workload.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.3)
        let run = try ToolRun("profile", ["-U", "-p", String(workload.processIdentifier), "2"])
        #expect(run.waitForExit(timeout: 20) == 0)
        #expect(run.lines.contains { $0.hasPrefix("    jitted_hot_loop+0x") && $0.hasSuffix(" [perf-\(workload.processIdentifier).map]") },
                "\(run.lines)")
    }
    #endif

    /// C++ frames demangled (binutils' demangler), a template's arguments and the parameters
    /// included; --no-demangle keeps the names the binary has.
    @Test func cxxNamesDemangled() throws {
        let source = """
        #include <cstdlib>
        #include <ctime>
        namespace shop { template <typename T> struct Cart {
            __attribute__((noinline)) T total(int n) { volatile T s = 0; for (int i = 0; i < n; i++) s += i * 3; return s; }
        }; }
        __attribute__((noinline)) long work(int seconds) {
            shop::Cart<long> cart; long t = 0; std::time_t end = std::time(nullptr) + seconds;
            while (std::time(nullptr) < end) t += cart.total(100000);
            return t;
        }
        int main(int argc, char **argv) { return work(argc > 1 ? std::atoi(argv[1]) : 4) == 42; }
        """
        let dir = programs.dir.path
        try source.write(toFile: dir + "/cart.cpp", atomically: false, encoding: .utf8)
        #expect(try runCommand("/usr/bin/g++", ["-O1", "-fno-omit-frame-pointer", "-o", dir + "/cartprog", dir + "/cart.cpp"]).status == 0)
        func profile(_ options: [String]) throws -> [String] {
            let workload = Process()
            workload.executableURL = URL(fileURLWithPath: dir + "/cartprog")
            workload.arguments = ["4"]
            try workload.run()
            defer { workload.kill(); workload.waitUntilExit() }
            let run = try ToolRun("profile", ["-U", "-f", "-p", String(workload.processIdentifier)] + options + ["2"])
            #expect(run.waitForExit(timeout: 20) == 0, "\(run.stderr)")
            return run.lines
        }
        let demangled = try profile([])
        #expect(demangled.contains { $0.contains(";main;work(int);shop::Cart<long>::total(int) ") }, "\(demangled)")
        let raw = try profile(["--no-demangle"])
        #expect(raw.contains { $0.contains(";main;_Z4worki;_ZN4shop4CartIlE5totalEi ") }, "\(raw)")
    }

    /// A stack table too small for the stacks: BCC's placeholders and warning.
    @Test func missedStacksAreReported() throws {
        let (lines, run, _) = try folded("sys", ["--stack-storage-size", "1"])
        #expect(lines.contains { $0.frames.contains("[Missed User Stack]") || $0.frames.contains("[Missed Kernel Stack]") }, "\(run.lines)")
        #expect(run.stderr.contains("WARNING: "), "\(run.stderr)")
        #expect(run.stderr.contains(" stack traces could not be displayed. Consider increasing --stack-storage-size.\n"), "\(run.stderr)")
    }

    @Test func usageErrors() throws {
        for arguments in [["-p", "1", "-L", "1"], ["-U", "-K"], ["-F", "0"], ["-c", "0"], ["-F", "9", "-c", "9"], ["0"],
                          ["--stack-storage-size", "0"], ["--hash-storage-size", "0"], ["-p", "abc"], ["-p", "1,,2"], ["--nope"],
                          ["--flamegraph", "/tmp/x.svg", "--width", "5"], ["--unwind", "frames"]] {
            let run = try ToolRun("profile", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: profile"), "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("profile: error: "), "\(arguments)")
        }
        let offline = try ToolRun("profile", ["-C", "4096", "1"])
        #expect(offline.waitForExit() == 1)
        #expect(offline.stderr.hasPrefix("profile: CPU 4096 is not online"), "\(offline.stderr)")
    }
}

/// `go tool pprof ARGUMENTS` with its caches in `home`: its exit status and its output.
func goToolPprof(_ arguments: [String], home: String) throws -> (status: Int32, text: String) {
    let pprof = Process()
    pprof.executableURL = URL(fileURLWithPath: "/usr/bin/go")
    pprof.arguments = ["tool", "pprof"] + arguments
    pprof.environment = ["HOME": home, "PATH": "/usr/bin:/bin", "GOCACHE": home + "/gocache"]
    let out = Pipe()
    pprof.standardOutput = out
    pprof.standardError = out
    try pprof.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    pprof.waitUntilExit()
    return (pprof.terminationStatus, text)
}
