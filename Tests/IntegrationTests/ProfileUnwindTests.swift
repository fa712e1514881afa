import Foundation
import Testing

/// profile's user stacks through code built without frame pointers (Debian's python3 and libc,
/// a C program built with -fomit-frame-pointer): unwound with CFI, they reach the program's
/// entry with the callers in order.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class ProfileUnwindTests {
    let dir: TempDir

    /// main -> run -> sort_once -> qsort (glibc) -> ... -> compare, all without frame pointers;
    /// with "sys", a loop of getppid() system calls instead.
    static let sortSource = """
    #include <stdlib.h>
    #include <string.h>
    #include <time.h>
    #include <unistd.h>
    static volatile unsigned sink;
    __attribute__((noinline)) static int compare(const void *a, const void *b) {
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
        for (int i = 0; i < 20; i++) sink += i;
        return (x > y) - (x < y);
    }
    __attribute__((noinline)) void sort_once(unsigned *v, size_t n) {
        for (size_t i = 0; i < n; i++) v[i] = (unsigned)rand();
        qsort(v, n, sizeof *v, compare);
        sink += v[0];
    }
    __attribute__((noinline)) void run(double seconds) {
        static unsigned v[100000];
        time_t end = time(NULL) + (time_t)seconds;
        while (time(NULL) < end) sort_once(v, 100000);
    }
    __attribute__((noinline)) void sys_loop(double seconds) {
        time_t end = time(NULL) + (time_t)seconds;
        while (time(NULL) < end) for (int i = 0; i < 1000; i++) getppid();
    }
    int main(int argc, char **argv) {
        if (argc > 2 && !strcmp(argv[2], "sys")) sys_loop(atof(argv[1]));
        else run(argc > 1 ? atof(argv[1]) : 5);
        return 0;
    }
    """

    /// No libc, frame pointers everywhere (-O0): the kernel's frame-pointer walk gives the same
    /// stacks as CFI, so --unwind auto hands the process to the kernel.
    static let framePointerSource = """
    static volatile unsigned long sink;
    __attribute__((noinline)) void leaf(void) { for (int i = 0; i < 1000; i++) sink += i; }
    __attribute__((noinline)) void mid(void) { leaf(); sink++; }
    int main(void) { for (unsigned long i = 0; i < 40000000UL; i++) mid(); return 0; }  /* ~20 s, killed before */
    __asm__(".globl _start\\n.type _start, @function\\n_start:\\n\\t.cfi_startproc\\n\\t.cfi_undefined rip\\n"
            "\\txor %ebp, %ebp\\n\\tcall main\\n\\tmov %eax, %edi\\n\\tmov $60, %eax\\n\\tsyscall\\n\\t.cfi_endproc\\n"
            ".size _start, .-_start\\n");
    """

    static let pythonSource = """
    import sys, time
    def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
    def work(seconds):
        end = time.time() + seconds
        while time.time() < end:
            fib(18)
            sorted(range(2000), key=lambda x: -x)
    work(float(sys.argv[1]))
    """

    init() throws {
        dir = try TempDir("profile-unwind")
        try Self.sortSource.write(toFile: dir.path + "/sort.c", atomically: false, encoding: .utf8)
        try Self.framePointerSource.write(toFile: dir.path + "/fp.c", atomically: false, encoding: .utf8)
        try Self.pythonSource.write(toFile: dir.path + "/burn.py", atomically: false, encoding: .utf8)
        let sort = try runCommand("/usr/bin/gcc", ["-O2", "-fomit-frame-pointer", "-o", dir.path + "/sortprog", dir.path + "/sort.c"])
        let fp = try runCommand("/usr/bin/gcc", ["-O0", "-fno-omit-frame-pointer", "-nostdlib", "-static", "-o", dir.path + "/fpprog",
                                                 dir.path + "/fp.c"])
        guard sort.status == 0, fp.status == 0 else {
            dir.remove()
            throw HotProgramError.compileFailed
        }
    }

    deinit { dir.remove() }

    /// The folded stacks of `seconds` of profile over a program started for longer.
    func profile(_ executable: String, _ arguments: [String], _ options: [String], seconds: Int = 2)
        throws -> (stacks: [(frames: [String], count: Int)], run: ToolRun) {
        let workload = Process()
        workload.executableURL = URL(fileURLWithPath: executable)
        workload.arguments = arguments
        try workload.run()
        defer { workload.kill(); workload.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.3)
        let run = try ToolRun("profile", ["-f", "-p", String(workload.processIdentifier)] + options + [String(seconds)])
        #expect(run.waitForExit(timeout: Double(seconds) + 20) == 0, "stderr: \(run.stderr)")
        let stacks = run.lines.compactMap { line -> ([String], Int)? in
            guard let space = line.lastIndex(of: " "), let count = Int(line[line.index(after: space)...]) else { return nil }
            return (line[..<space].split(separator: ";").map(String.init), count)
        }
        return (stacks, run)
    }

    /// Samples whose user stack starts at the program's entry (frames[1]: the comm comes first).
    static func fromEntry(_ stacks: [(frames: [String], count: Int)]) -> (entry: Int, total: Int) {
        (stacks.filter { $0.frames.dropFirst().first == "_start" }.reduce(0) { $0 + $1.count },
         stacks.reduce(0) { $0 + $1.count })
    }

    /// Whether `names` appear in `frames` in this order (others may come between).
    static func inOrder(_ frames: [String], _ names: [String]) -> Bool {
        var rest = frames[...]
        for name in names {
            guard let at = rest.firstIndex(of: name) else { return false }
            rest = rest[(at + 1)...]
        }
        return true
    }

    @Test func cProgramWithoutFramePointersReachesEntry() throws {
        let (stacks, run) = try profile(dir.path + "/sortprog", ["5"], ["-U", "-v"])
        let (entry, total) = Self.fromEntry(stacks)
        #expect(total >= 20, "\(run.lines)")
        #expect(entry * 100 >= total * 95, "\(entry) of \(total) samples reach _start: \(run.lines)")
        let chain = stacks.filter { Self.inOrder($0.frames, ["_start", "__libc_start_main", "main", "run", "qsort_r", "compare"]) }
            .reduce(0) { $0 + $1.count }
        #expect(chain * 2 > total, "_start ... main;run;qsort_r;...;compare in \(chain) of \(total): \(run.lines)")
        #expect(run.stderr.contains("sortprog: "), "-v names the binary: \(run.stderr)")
        #expect(run.stderr.contains(" samples unwound with CFI"), "\(run.stderr)")

        // the same program walked with frame pointers (BCC's way) loses its callers
        let (fpStacks, fpRun) = try profile(dir.path + "/sortprog", ["5"], ["-U", "--unwind", "fp"])
        let (fpEntry, fpTotal) = Self.fromEntry(fpStacks)
        #expect(fpTotal >= 20 && fpEntry * 2 < fpTotal, "frame pointers: \(fpEntry) of \(fpTotal) reach _start: \(fpRun.lines)")
    }

    /// A program built without unwind tables has CFI only in .debug_frame (its .eh_frame holds
    /// the C start-up files' few FDEs): stripped of it, its debug file under /usr/lib/debug,
    /// found by build ID, unwinds its frames; without the debug file nothing does. (Files
    /// whose .eh_frame covers them, Debian's, are never given one: see SharedELFFiles.)
    @Test func debugFrameFromTheDebugFileWhereEHFrameDoesNotCover() throws {
        let full = dir.path + "/nounwind-full", stripped = dir.path + "/nounwind"
        #expect(try runCommand("/usr/bin/gcc", ["-O2", "-fomit-frame-pointer", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables",
                                                "-g", "-Wl,--build-id", "-o", full, dir.path + "/sort.c"]).status == 0)
        let buildID = try commandOutput("/usr/bin/readelf", ["-n", full]).split(separator: "\n")
            .first { $0.contains("Build ID:") }.map { String($0.split(separator: " ").last ?? "") } ?? ""
        try #require(buildID.count == 40, "build ID \(buildID)")
        let place = "/usr/lib/debug/.build-id/" + buildID.prefix(2)
        let debugFile = place + "/" + buildID.dropFirst(2) + ".debug"
        try FileManager.default.createDirectory(atPath: place, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: debugFile) }
        #expect(try runCommand("/usr/bin/objcopy", ["--only-keep-debug", full, debugFile]).status == 0)
        #expect(try runCommand("/usr/bin/objcopy", ["--strip-debug", full, stripped]).status == 0)
        func chain(_ stacks: [(frames: [String], count: Int)]) -> (Int, Int) {
            (stacks.filter { Self.inOrder($0.frames, ["_start", "main", "run", "compare"]) }.reduce(0) { $0 + $1.count },
             stacks.reduce(0) { $0 + $1.count })
        }
        let (found, total) = chain(try profile(stripped, ["5"], ["-U"]).stacks)
        #expect(total >= 20 && found * 2 > total, "_start ... main;run;...;compare in \(found) of \(total)")
        try FileManager.default.removeItem(atPath: debugFile)
        let (without, totalWithout) = chain(try profile(stripped, ["5"], ["-U"]).stacks)
        #expect(totalWithout >= 20 && without == 0, "without the debug file: \(without) of \(totalWithout)")
    }

    /// A library its process loaded, truncated by its owner while profile samples: profile
    /// reads the files it unwinds with (never maps them, where the pages past the new end
    /// would raise SIGBUS) and ends normally, with the samples taken before, unwound through
    /// the library (whose names are gone with its contents: "[unknown]").
    @Test func aLibraryTruncatedWhileSampledDoesNotKillProfile() throws {
        let library = dir.path + "/libspin.so", program = dir.path + "/spinmain"
        try """
            volatile unsigned long s;
            __attribute__((noinline)) void inner(void) { for (int i = 0; i < 1000; i++) s += i; }
            void spin(void) { for (int i = 0; i < 100; i++) inner(); }
            """.write(toFile: dir.path + "/spin.c", atomically: false, encoding: .utf8)
        try """
            #include <dlfcn.h>
            #include <signal.h>
            int main(int argc, char **argv) {
                signal(SIGBUS, SIG_DFL);
                void *h = dlopen(argv[1], RTLD_NOW);
                void (*f)(void) = h ? (void (*)(void))dlsym(h, "spin") : 0;
                for (;;) if (f) f();
            }
            """.write(toFile: dir.path + "/spinmain.c", atomically: false, encoding: .utf8)
        #expect(try runCommand("/usr/bin/gcc", ["-O2", "-shared", "-fPIC", "-o", library, dir.path + "/spin.c"]).status == 0)
        #expect(try runCommand("/usr/bin/gcc", ["-O2", "-o", program, dir.path + "/spinmain.c", "-ldl"]).status == 0)
        let workload = Process()
        workload.executableURL = URL(fileURLWithPath: program)
        workload.arguments = [library]
        try workload.run()
        defer { workload.kill(); workload.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.3)
        let run = try ToolRun("profile", ["-U", "-f", "-F", "999", "-p", String(workload.processIdentifier), "3"])
        Thread.sleep(forTimeInterval: 1.2)
        #expect(truncate(library, 0) == 0, "truncate: \(errno)")
        #expect(run.waitForExit(timeout: 30) == 0, "stderr: \(run.stderr)")
        #expect(run.lines.contains { $0.contains(";__libc_start_call_main;main;[unknown];") },
                "samples from before the truncation, through the library: \(run.lines)")
    }

    @Test func debianPythonReachesEntry() throws {
        let (stacks, run) = try profile("/usr/bin/python3", [dir.path + "/burn.py", "5"], ["-U"])
        let (entry, total) = Self.fromEntry(stacks)
        #expect(total >= 20, "\(run.lines)")
        #expect(entry * 100 >= total * 95, "\(entry) of \(total) samples reach _start: \(run.lines)")
        let chain = stacks.filter { Self.inOrder($0.frames, ["_start", "__libc_start_main", "Py_BytesMain", "Py_RunMain",
                                                             "_PyEval_EvalFrameDefault"]) }.reduce(0) { $0 + $1.count }
        #expect(chain * 100 >= total * 90, "_start ... Py_BytesMain;Py_RunMain;...;_PyEval_EvalFrameDefault in \(chain) of \(total)")
    }

    /// A sample taken in the kernel (a system call) still gets its whole user stack.
    @Test func samplesInTheKernelKeepTheirUserStacks() throws {
        let (stacks, run) = try profile(dir.path + "/sortprog", ["5", "sys"], ["-d"])
        let inKernel = stacks.filter { $0.frames.contains("-") && $0.frames.last != "-" }
        let total = inKernel.reduce(0) { $0 + $1.count }
        let whole = inKernel.filter { Self.inOrder($0.frames, ["sortprog", "_start", "__libc_start_main", "main", "sys_loop", "getppid", "-"]) }
            .reduce(0) { $0 + $1.count }
        #expect(total >= 10, "samples in the kernel: \(run.lines)")
        #expect(whole * 100 >= total * 90, "\(whole) of \(total) kernel samples have a user stack from _start: \(run.lines)")
    }

    @Test func autoHandsFramePointerProcessesToTheKernel() throws {
        let (stacks, run) = try profile(dir.path + "/fpprog", [], ["-U", "-v"])
        #expect(run.stderr.contains("frame pointers gave CFI's stacks 16 times; walking them in the kernel from now on"), "\(run.stderr)")
        #expect(run.stderr.contains(" with frame pointers in the kernel"), "\(run.stderr)")
        let total = stacks.reduce(0) { $0 + $1.count }
        let chain = stacks.filter { $0.frames.starts(with: ["fpprog", "_start", "main", "mid"]) }.reduce(0) { $0 + $1.count }
        #expect(total >= 20 && chain * 100 >= total * 95, "_start;main;mid in \(chain) of \(total): \(run.lines)")
    }
}
