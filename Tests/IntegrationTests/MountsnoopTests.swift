import Foundation
import Testing

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class MountsnoopTests {
    static let header = "COMM             PID     TID     MNT_NS      CALL"
    static let parentHeader = "COMM             PID     TID     PCOMM            PPID    MNT_NS      CALL"

    /// The new mount API, step by step, as BCC's example does it: a read-only tmpfs moved onto
    /// argv[1], then unmounted (Python's ctypes: util-linux 2.38's mount does not use it).
    static let newMountAPI = """
        import ctypes, sys
        libc = ctypes.CDLL(None, use_errno=True)
        L = ctypes.c_long
        def call(nr, *args):
            r = libc.syscall(L(nr), *args)
            if r < 0: sys.exit(f"syscall {nr}: errno {ctypes.get_errno()}")
            return r
        fs = call(430, b"tmpfs", L(0))                                  # fsopen
        call(431, L(fs), L(1), b"size", b"1m", L(0))                    # fsconfig SET_STRING
        call(431, L(fs), L(6), None, None, L(0))                        # fsconfig CMD_CREATE
        m = call(432, L(fs), L(0), L(0x11))                             # fsmount RDONLY|NOATIME
        call(429, L(m), b"", L(-100), sys.argv[1].encode(), L(4))       # move_mount F_EMPTY_PATH
        import os; os.close(m); os.close(fs)
        call(166, sys.argv[1].encode(), L(0))                           # umount2
        """

    /// A command's exit status (-1 when it could not start).
    func run(_ path: String, _ arguments: [String]) -> Int32 { (try? runCommand(path, arguments).status) ?? -1 }

    func trace(_ options: [String], header: String? = MountsnoopTests.header, _ workload: () throws -> Void) throws -> [String] {
        try ToolRun.around("mountsnoop", options, ready: header.map(ToolRun.Ready.header) ?? .attached, workload).lines
    }

    /// mount(8) of a tmpfs whose source name is hostile, its umount, a failed mount, and a
    /// mount on a path longer than BCC's 412 bytes: each one row, BCC's columns and escapes.
    @Test func mountAndUmount() throws {
        let dir = try TempDir("mountsnoop")
        defer { _ = try? runCommand("/bin/umount", ["-l", dir.path]); dir.remove() }
        let deep = dir.path + "/" + (0..<6).map { _ in String(repeating: "d", count: 99) }.joined(separator: "/")
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        let lines = try trace([]) {
            #expect(run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "we\"ird\tsrc\u{1b}é", dir.path]) == 0)
            #expect(run("/bin/umount", [dir.path]) == 0)
            #expect(run("/bin/mount", ["-t", "tmpfs", "none", dir.path + "/missing"]) != 0)
            #expect(run("/bin/mount", ["--bind", "-o", "ro", dir.path, deep]) == 0)
            #expect(run("/bin/umount", [deep]) == 0)
        }
        #expect(lines.first == Self.header, "\(lines)")
        let nsLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/mnt")) ?? ""
        let inode = nsLink.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }
        func row(_ call: String) -> String? { lines.first { $0.hasSuffix("  " + call) } }
        let mounted = row(#"mount("we\"ird\tsrc\x1b\xc3\xa9", "\#(dir.path)", "tmpfs", 0x0, "size=1m") = 0"#)
        #expect(mounted?.wholeMatch(of: try Regex(#"mount +\d+ +\d+ +\#(inode) +mount\(.*"#)) != nil, "\(lines)")
        #expect(row(#"umount("\#(dir.path)", 0x0) = 0"#) != nil, "\(lines)")
        #expect(row(#"mount("none", "\#(dir.path)/missing", "tmpfs", 0x0, "") = -ENOENT"#) != nil, "\(lines)")
        // -o ro: a bind, then a read-only remount (mount(8) makes both)
        #expect(row(#"mount("\#(dir.path)", "\#(deep)", "none", MS_RDONLY|MS_BIND, "") = 0"#) != nil, "\(lines)")
        #expect(row(#"mount("none", "\#(deep)", "", MS_RDONLY|MS_REMOUNT|MS_BIND, "") = 0"#) != nil, "\(lines)")
        #expect(row(#"umount("\#(deep)", 0x0) = 0"#) != nil, "\(lines)")
    }

    /// fsopen, fsconfig, fsmount, move_mount and umount from one process, in order, with -P's
    /// parent columns (this test process).
    @Test func newMountAPIWithParent() throws {
        let dir = try TempDir("mountsnoop")
        defer { _ = try? runCommand("/bin/umount", ["-l", dir.path]); dir.remove() }
        let lines = try trace(["-P"], header: Self.parentHeader) {
            // a shell as the parent (it waits, then runs `true`: it does not exec python)
            #expect(run("/bin/sh", ["-c", "/usr/bin/python3 -c '\(Self.newMountAPI)' \(dir.path); true"]) == 0)
        }
        let mine = lines.filter { $0.hasPrefix("python3 ") }
        let calls = mine.compactMap { $0.wholeMatch(of: /\S+ +\d+ +\d+ +\S+ +\d+ +\d+ +(.*)/).map { String($0.1) } }
        #expect(calls.count == 6, "\(lines)")
        let fd = calls.first?.split(separator: " ").last.map(String.init) ?? "?"
        let mfd = calls.dropFirst(3).first?.split(separator: " ").last.map(String.init) ?? "?"
        #expect(calls == [
            #"fsopen("tmpfs", 0x0) = \#(fd)"#,
            #"fsconfig(\#(fd), FSCONFIG_SET_STRING, "size", "1m", 0) = 0"#,
            #"fsconfig(\#(fd), FSCONFIG_CMD_CREATE, "", "", 0) = 0"#,
            #"fsmount(\#(fd), 0x0, MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOATIME) = \#(mfd)"#,
            #"move_mount(\#(mfd), "", AT_FDCWD, "\#(dir.path)", MOVE_MOUNT_F_EMPTY_PATH) = 0"#,
            #"umount("\#(dir.path)", 0x0) = 0"#,
        ], "\(lines)")
        // the parent: the shell (not this process), its name and PID on every row
        let parents = Set(mine.compactMap { $0.wholeMatch(of: /\S+ +\d+ +\d+ +sh +(\d+) .*/).map { Int32($0.1) } })
        #expect(parents.count == 1 && parents.first != getpid() && mine.count == 6, "\(mine)")
    }

    /// JSON: the call's text and its parts; --cgroup leaves out a mount from outside the cgroup.
    @Test func jsonAndCgroup() throws {
        let dir = try TempDir("mountsnoop")
        defer { _ = try? runCommand("/bin/umount", ["-l", dir.path]); dir.remove() }
        let json = try trace(["--json"], header: nil) {
            #expect(run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "jsonsrc", dir.path]) == 0)
            #expect(run("/bin/umount", [dir.path]) == 0)
        }
        let objects = json.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let mount = objects.first { ($0["syscall_args"] as? [String: Any])?["source"] as? String == "jsonsrc" }
        #expect(mount?["syscall"] as? String == "mount" && mount?["ret"] as? Int == 0 && mount?["comm"] as? String == "mount", "\(json)")
        #expect((mount?["syscall_args"] as? [String: Any])?["target"] as? String == dir.path && (mount?["syscall_args"] as? [String: Any])?["flags"] as? String == "0x0")
        #expect((mount?["call"] as? String)?.hasPrefix(#"mount("jsonsrc", "#) == true && (mount?["mnt_ns"] as? Int ?? 0) > 0)


        let mountPoint = try TempDir("cg2")
        defer { mountPoint.remove() }
        #expect(run("/bin/mount", ["-t", "cgroup2", "none", mountPoint.path]) == 0)
        defer { _ = try? runCommand("/bin/umount", [mountPoint.path]) }
        let group = mountPoint.path + "/" + uniqueName("t")
        try FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: group) }
        let filtered = try trace(["--cgroup", group]) {
            #expect(run("/bin/mount", ["-t", "tmpfs", "outside", dir.path]) == 0)
            #expect(run("/bin/umount", [dir.path]) == 0)
            #expect(run("/bin/sh", ["-c", "echo $$ > \(group)/cgroup.procs && exec mount -t tmpfs inside \(dir.path)"]) == 0)
            #expect(run("/bin/umount", [dir.path]) == 0)
        }
        #expect(filtered.count == 2 && filtered.last?.hasSuffix(#"mount("inside", "\#(dir.path)", "tmpfs", 0x0, "") = 0"#) == true, "\(filtered)")
    }

    @Test func badInput() throws {
        for arguments in [["-x"], ["extra"], ["--cgroup", "/nonexistent"]] {
            let run = try ToolRun("mountsnoop", arguments)
            let status = run.waitForExit()
            #expect(status == (arguments[0] == "--cgroup" ? 1 : 2), "\(arguments): \(run.stderr)")
        }
    }
}
