import Testing
@testable import LoaderCore

/// The cgroup v2 paths container runtimes, Kubernetes and systemd make, read back.
struct ContainerIdentityTests {
    static let id = "3f9a1c0b7d2e4f6a8b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a"
    static let uid = "8d3c2b1a-4f5e-6d7c-8b9a-0f1e2d3c4b5a"

    @Test(arguments: [
        ("/system.slice/docker-\(id).scope", id, "docker", nil, nil, nil),
        ("/docker/\(id)", id, "docker", nil, nil, nil),
        ("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(uid.replacingDashes).slice/cri-containerd-\(id).scope",
         id, "containerd", uid, "Burstable", nil),
        ("/kubepods.slice/kubepods-pod\(uid.replacingDashes).slice/crio-\(id).scope", id, "cri-o", uid, "Guaranteed", nil),
        ("/kubepods/besteffort/pod\(uid)/\(id)", id, nil, uid, "BestEffort", nil),
        ("/kubepods/pod\(uid)/\(id)", id, nil, uid, "Guaranteed", nil),
        // the pod's own slice, no container yet (its pause process, say)
        ("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(uid.replacingDashes).slice", nil, nil, uid, "BestEffort", nil),
        ("/machine.slice/libpod-\(id).scope/container", id, "podman", nil, nil, nil),
        ("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(id).scope", id, "podman", nil, nil, nil),
        ("/libpod_parent/libpod-\(id)", id, "podman", nil, nil, nil),
        // a runtime's monitor is not the container: its unit is the scope
        ("/machine.slice/libpod-conmon-\(id).scope", nil, nil, nil, nil, "libpod-conmon-\(id).scope"),
        ("/machine.slice/systemd-nspawn@web.service/payload", "web", "systemd-nspawn", nil, nil, nil),
        ("/machine.slice/machine-web.scope", "web", "systemd-nspawn", nil, nil, nil),
        // kind: a Kubernetes node in a docker container; the innermost container wins
        ("/system.slice/docker-\(id).scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice", id, "docker", nil, nil, nil),
        ("/system.slice/ssh.service", nil, nil, nil, nil, "ssh.service"),
        ("/user.slice/user-0.slice/session-4.scope", nil, nil, nil, nil, "session-4.scope"),
        ("/", nil, nil, nil, nil, nil),
    ] as [(String, String?, String?, String?, String?, String?)])
    func layouts(path: String, container: String?, runtime: String?, pod: String?, qos: String?, unit: String?) {
        let identity = ContainerIdentity(cgroup: path)
        #expect(identity.containerID == container)
        #expect(identity.runtime == runtime)
        #expect(identity.podUID == pod)
        #expect(identity.qosClass == qos)
        #expect(identity.systemdUnit == unit)
        #expect(identity.display == (container.map { $0.count == 64 ? String($0.prefix(12)) : $0 } ?? unit ?? path))
    }

    @Test func cgroup2MountOfEachLayout() {
        let hybrid = """
        35 24 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        43 35 0:40 / /sys/fs/cgroup/memory rw,relatime shared:19 - cgroup cgroup rw,memory
        """
        let pure = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
        let v1Only = "43 35 0:40 / /sys/fs/cgroup/memory rw,relatime shared:19 - cgroup cgroup rw,memory\n"
        #expect(CgroupResolver.cgroup2MountPoint(hybrid) == "/sys/fs/cgroup/unified")
        #expect(CgroupResolver.cgroup2MountPoint(pure) == "/sys/fs/cgroup")
        #expect(CgroupResolver.cgroup2MountPoint(v1Only) == nil)
        #expect(CgroupResolver.cgroup2MountPoint("1 2 0:1 / /mnt/cg\\0402 rw - cgroup2 none rw\n") == "/mnt/cg 2")
    }
}

extension String {
    /// A pod UID as the systemd cgroup driver writes it in a slice name.
    var replacingDashes: String { String(map { $0 == "-" ? "_" : $0 }) }
}
