import Foundation
import Testing

/// --containers: cgroups laid out as docker, containerd under Kubernetes, cri-o (cgroupfs),
/// podman and systemd-nspawn lay them out are made in the cgroup v2 hierarchy (this host's
/// hybrid `unified` one, or /sys/fs/cgroup on a pure v2 host), a workload is moved into each,
/// and the tools must name the container, pod and QoS class, or the unit.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
struct ContainerTests {
    /// The cgroup2 mount point, from /proc/self/mountinfo.
    static let cgroup2: String? = {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.contains(" - cgroup2 ") {
            return String(line.split(separator: " ")[4])
        }
        return nil
    }()

    /// Cgroup directories made under a test-owned top directory, removed deepest first.
    final class Cgroups {
        let root: String
        private var made: [String] = []

        init() throws {
            guard let cgroup2 = ContainerTests.cgroup2 else { throw CocoaError(.fileNoSuchFile) }
            root = cgroup2 + "/" + uniqueName("swift-bpf-test")
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
            made.append(root)
        }

        /// `relative` made (with its parents) below the test's top directory.
        func make(_ relative: String) throws -> String {
            var path = root
            for part in relative.split(separator: "/") {
                path += "/" + part
                if !FileManager.default.fileExists(atPath: path) {
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                    made.append(path)
                }
            }
            return path
        }

        /// `program` run inside cgroup `path` (a shell joins it, then execs the program).
        func run(_ program: String, in path: String, _ arguments: [String] = []) throws {
            _ = try runCommand("/bin/sh", ["-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", path, program] + arguments)
        }

        func remove() {
            for dir in made.reversed() { rmdir(dir) }
        }
    }

    static let id = "5e1f0c9b8a7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f"
    static let uid = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"

    @Test func execsnoopNamesEachLayout() throws {
        let cgroups = try Cgroups()
        defer { cgroups.remove() }
        let dir = try TempDir("containers")
        defer { dir.remove() }
        let layouts: [(path: String, container: String?, runtime: String?, pod: String?, qos: String?, unit: String?)] = [
            ("system.slice/docker-\(Self.id).scope", Self.id, "docker", nil, nil, nil),
            ("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(String(Self.uid.map { $0 == "-" ? "_" : $0 })).slice/cri-containerd-\(Self.id).scope",
             Self.id, "containerd", Self.uid, "Burstable", nil),
            ("kubepods/besteffort/pod\(Self.uid)/\(Self.id)", Self.id, nil, Self.uid, "BestEffort", nil),
            ("machine.slice/libpod-\(Self.id).scope/container", Self.id, "podman", nil, nil, nil),
            ("machine.slice/systemd-nspawn@web.service/payload", "web", "systemd-nspawn", nil, nil, nil),
            ("system.slice/swift-bpf-test-unit.service", nil, nil, nil, nil, "swift-bpf-test-unit.service"),
        ]
        var programs: [String: (comm: String, layout: Int)] = [:]
        let run = try ToolRun.around("execsnoop", ["--containers", "--json"], ready: .attached) {
            for (index, layout) in layouts.enumerated() {
                let program = try dir.copy(of: "/bin/true", prefix: "ct\(index)")
                programs[program.path] = (program.comm, index)
                try cgroups.run(program.path, in: try cgroups.make(layout.path))
            }
        }
        for (path, (comm, index)) in programs {
            let layout = layouts[index]
            let line = run.lines.first { $0.contains("\"comm\": \"\(comm)\"") }
            let json = line.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
            #expect(json["container_id"] as? String == layout.container, "\(layout.path): \(line ?? "no row for \(path)")")
            #expect(json["container_runtime"] as? String == layout.runtime, "\(layout.path)")
            #expect(json["pod_uid"] as? String == layout.pod, "\(layout.path)")
            #expect(json["qos_class"] as? String == layout.qos, "\(layout.path)")
            #expect(json["systemd_unit"] as? String == layout.unit, "\(layout.path)")
            #expect((json["cgroup"] as? String)?.hasSuffix("/" + layout.path) == true, "\(layout.path)")
        }
    }

    /// The CONTAINER column comes last in text output, on the other tools that take cgroup IDs too.
    @Test func textColumnOnEveryToolWithTheOption() throws {
        let cgroups = try Cgroups()
        defer { cgroups.remove() }
        let docker = try cgroups.make("system.slice/docker-\(Self.id).scope")
        let short = String(Self.id.prefix(12))
        let dir = try TempDir("containers-text")
        defer { dir.remove() }
        let program = try dir.copy(of: "/bin/cat", prefix: "cc")
        let closed = 61000 + Int.random(in: 0..<4000)
        let script = "kill -0 $$; cat /nonexistent-\(program.comm) 2>/dev/null; echo > /dev/tcp/127.0.0.1/\(closed); exit 3"
        let disk = try LoopDevice()
        defer { disk.remove() }
        let mountPoint = try TempDir("containers-mount")
        defer { mountPoint.remove() }
        let netns = try DroppingNamespace()
        defer { netns.remove() }
        // one TCP session, both ends made in the container (their sockets carry its cgroup)
        let session = "import socket; l=socket.socket(); l.bind(('127.0.0.1',0)); l.listen(); c=socket.create_connection(l.getsockname()); "
            + "a,_=l.accept(); c.send(b'x'); a.recv(1); c.close(); a.close(); l.close()"
        for tool in ["execsnoop", "opensnoop", "exitsnoop", "killsnoop", "tcpconnect", "mountsnoop", "biosnoop",
                     "tcplife", "tcpstates", "tcpretrans"] {
            let run = try ToolRun.around(tool, ["--containers"], ready: .firstLine) {
                try cgroups.run("/bin/bash", in: docker, ["-c", script])
                switch tool {
                case "execsnoop": try cgroups.run(program.path, in: docker, ["/dev/null"])
                case "mountsnoop":
                    try cgroups.run("/bin/bash", in: docker, ["-c", "mount -t tmpfs none \(mountPoint.path) && umount \(mountPoint.path)"])
                case "biosnoop":
                    try cgroups.run("/bin/dd", in: docker, ["if=\(disk.path)", "of=/dev/null", "bs=4096", "count=4", "iflag=direct", "status=none"])
                case "tcplife", "tcpstates": try cgroups.run("/usr/bin/python3", in: docker, ["-c", session])
                case "tcpretrans":
                    // SYNs dropped in the namespace: the first retransmit comes after 1 s
                    try cgroups.run("/usr/sbin/ip", in: docker, ["netns", "exec", netns.name, "/usr/bin/python3", "-c", droppedConnectScript, "4", "1.6"])
                default: break
                }
            }
            // the header (tcpconnect prints its banner line first)
            let header = run.lines.first { $0.contains("PID") || $0.contains("COMM") }
            #expect(header?.hasSuffix("CONTAINER   ") == true, "\(tool): \(header ?? "")")
            let mine = run.lines.filter {
                $0.contains(program.comm) || $0.contains("bash") || $0.contains("mount") || $0.contains("dd ") || $0.contains("python")
                    || (tool == "tcpretrans" && $0.contains("SYN_SENT"))
            }
            #expect(mine.contains { $0.hasSuffix(" " + short + " ") || $0.hasSuffix(" " + short) }, "\(tool): \(run.lines.suffix(8))")
        }
    }

    /// runqlat --containers: a histogram per container; JSON carries the container's fields.
    @Test func runqlatHistogramPerContainer() throws {
        let cgroups = try Cgroups()
        defer { cgroups.remove() }
        let pod = try cgroups.make("kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(String(Self.uid.map { $0 == "-" ? "_" : $0 })).slice/cri-containerd-\(Self.id).scope")
        let sleeps = "for i in $(seq 20); do sleep 0.01; done"
        let text = try ToolRun.around("runqlat", ["--containers", "1", "1"], ready: .header(RunqlatTests.banner)) {
            try cgroups.run("/bin/sh", in: pod, ["-c", sleeps])
        }
        let section = text.lines.firstIndex { $0 == "container = \(Self.id.prefix(12))" }
        #expect(section != nil, "\(text.lines)")
        // the histogram under it counts the woken sleeps (each sleep and each fork's child: at least 20)
        let counts = text.lines.dropFirst((section ?? text.lines.count) + 2).prefix { $0.contains("->") }
            .compactMap { Int($0.split(separator: ":")[1].split(separator: "|")[0].trimmingCharacters(in: .whitespaces)) }
        #expect(counts.reduce(0, +) >= 20, "\(text.lines)")

        let json = try ToolRun.around("runqlat", ["--containers", "--json", "1", "1"], ready: .stderr(RunqlatTests.banner)) {
            try cgroups.run("/bin/sh", in: pod, ["-c", sleeps])
        }
        let record = json.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["container_id"] as? String == Self.id }
        #expect(record?["pod_uid"] as? String == Self.uid && record?["qos_class"] as? String == "BestEffort", "\(json.lines)")
        #expect(record?["container_runtime"] as? String == "containerd")
    }

    /// dbstat --containers: a PostgreSQL server moved into a docker-layout cgroup (its backends,
    /// forked per connection, are born there): its queries counted under that container.
    @Test(.enabled(if: PostgresServer.installed, "needs postgresql-15"))
    func dbstatHistogramPerContainer() throws {
        let cgroups = try Cgroups()
        defer { cgroups.remove() }
        let docker = try cgroups.make("system.slice/docker-\(Self.id).scope")
        let server = try PostgresServer()
        defer { server.stop() }
        try String(server.pid).write(toFile: docker + "/cgroup.procs", atomically: false, encoding: .utf8)
        let run = try ToolRun.around("dbstat", ["postgres", "-p", String(server.pid), "--containers"],
                                     ready: .header("Tracing database queries for pids \(server.pid) slower than 0 ms...")) {
            try server.run((0..<7).map { "SELECT \($0)" })
        }
        let section = run.lines.firstIndex { $0 == "container = \(Self.id.prefix(12))" }
        #expect(section != nil, "\(run.lines)")
        let histogram = run.lines.dropFirst((section ?? run.lines.count) + 1).prefix { !$0.isEmpty }
        #expect(DBStatTests.buckets(Array(histogram)).values.reduce(0, +) == 7, "\(run.lines)")
    }

    /// syscount --containers: counts by container; 300 getppid() calls made inside one.
    @Test func syscountByContainer() throws {
        let cgroups = try Cgroups()
        defer { cgroups.remove() }
        let podman = try cgroups.make("machine.slice/libpod-\(Self.id).scope")
        let run = try ToolRun.around("syscount", ["--containers", "--syscall", "getppid", "--json"], ready: .stderr("Tracing syscall 'getppid'")) {
            try cgroups.run("/usr/bin/python3", in: podman, ["-c", "import os\nfor _ in range(300): os.getppid()"])
        }
        let record = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["container_id"] as? String == Self.id }
        #expect(record?["count"] as? Int == 300, "\(run.lines)")
        #expect(record?["container_runtime"] as? String == "podman")
    }

    /// offcputime and profile --containers: the container is each folded stack's root frame
    /// (so a flame graph splits by container first), and a JSON field.
    @Test func stacksUnderTheirContainer() throws {
        let cgroups = try Cgroups()
        defer { cgroups.remove() }
        let nspawn = try cgroups.make("machine.slice/systemd-nspawn@build.service/payload")
        let dir = try TempDir("containers-stacks")
        defer { dir.remove() }
        let shell = try dir.copy(of: URL(fileURLWithPath: "/bin/sh").resolvingSymlinksInPath().path, prefix: "cs")
        let offcpu = try ToolRun.around("offcputime", ["--containers", "-f"], ready: .attached) {
            try cgroups.run(shell.path, in: nspawn, ["-c", "/bin/sleep 0.2; /bin/sleep 0.2"])
        }
        #expect(offcpu.lines.contains { $0.hasPrefix("build;\(shell.comm);") }, "\(offcpu.lines.filter { $0.contains(shell.comm) })")
        let profile = try ToolRun.around("profile", ["--containers", "-f", "-F", "99"], ready: .attached) {
            // SIGKILL: this test process's children have SIGTERM blocked
            try cgroups.run("/usr/bin/timeout", in: nspawn, ["-s", "KILL", "1", shell.path, "-c", "while :; do :; done"])
        }
        let mine = profile.lines.filter { $0.hasPrefix("build;\(shell.comm);") }
        #expect(mine.reduce(0) { $0 + (Int($1.split(separator: " ").last ?? "") ?? 0) } >= 30, "\(profile.lines.suffix(5))")
        let json = try ToolRun.around("offcputime", ["--containers", "--json"], ready: .attached) {
            try cgroups.run(shell.path, in: nspawn, ["-c", "/bin/sleep 0.2"])
        }
        let record = json.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["comm"] as? String == shell.comm }
        #expect(record?["container_id"] as? String == "build" && record?["container_runtime"] as? String == "systemd-nspawn", "\(String(describing: record))")
    }

    /// biolatency --containers: a histogram per container of the task that started the I/O;
    /// 20 direct reads made in a cri-o-layout pod's container. Not with -D or -F.
    @Test func biolatencyHistogramPerContainer() throws {
        let cgroups = try Cgroups()
        defer { cgroups.remove() }
        let pod = try cgroups.make("kubepods/besteffort/pod\(Self.uid)/crio-\(Self.id).scope")
        let disk = try LoopDevice()
        defer { disk.remove() }
        // -d: only the loop device's reads (dd paging its own binary in from the root disk, in
        // the same container, once made 22)
        let run = try ToolRun.around("biolatency", ["--containers", "--json", "-d", disk.name], ready: .stderr("Tracing block device I/O")) {
            try cgroups.run("/bin/dd", in: pod, ["if=\(disk.path)", "of=/dev/null", "bs=4096", "count=20", "iflag=direct", "status=none"])
        }
        let record = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["container_id"] as? String == Self.id }
        let counts = (record?["data"] as? [[String: Any]] ?? []).compactMap { $0["count"] as? Int }
        #expect(counts.reduce(0, +) == 20, "\(run.lines)")
        #expect(record?["container_runtime"] as? String == "cri-o" && record?["pod_uid"] as? String == Self.uid
                && record?["qos_class"] as? String == "BestEffort", "\(String(describing: record))")
        let conflict = try ToolRun("biolatency", ["--containers", "-D"])
        #expect(conflict.waitForExit() == 2)
    }
}
