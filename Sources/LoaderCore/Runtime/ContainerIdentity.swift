/// Who a cgroup v2 path belongs to: a container (its ID and runtime), under Kubernetes its pod
/// (UID and QoS class), or else the systemd unit; read from the layouts the runtimes make:
///
/// - docker: `…/docker-<id>.scope` (systemd driver), `/docker/<id>` (cgroupfs driver)
/// - containerd (Kubernetes' CRI): `…/cri-containerd-<id>.scope`; cri-o: `…/crio-<id>.scope`
/// - podman: `…/libpod-<id>.scope`, `/libpod_parent/libpod-<id>` (cgroupfs)
/// - systemd-nspawn: `/machine.slice/systemd-nspawn@<name>.service`, `…/machine-<name>.scope`
/// - Kubernetes pods: `/kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid>.slice/…`
///   (systemd driver, the UID's dashes written as underscores), `/kubepods/<qos>/pod<uid>/<id>`
///   (cgroupfs); a pod directly under kubepods is Guaranteed.
///
/// The deepest container wins (a container inside a container is named by the inner one); a
/// runtime's monitor scope (`crio-conmon-`, `libpod-conmon-`) is not the container.
public struct ContainerIdentity: Sendable, Hashable {
    public var containerID: String?
    public var runtime: String?
    public var podUID: String?
    /// Guaranteed, Burstable or BestEffort, as Kubernetes spells them.
    public var qosClass: String?
    /// The deepest .service or .scope, when the task is in no container.
    public var systemdUnit: String?
    public let cgroup: String

    public init(cgroup: String) {
        self.cgroup = cgroup
        let parts = cgroup.split(separator: "/").map(String.init)
        for (index, part) in parts.enumerated().reversed() where containerID == nil {
            if let (id, runtime) = Self.container(part, parent: index > 0 ? parts[index - 1] : nil, inKubepods: parts.contains { $0.hasPrefix("kubepods") }) {
                (containerID, self.runtime) = (id, runtime)
            }
        }
        for (index, part) in parts.enumerated() where podUID == nil {
            (podUID, qosClass) = Self.pod(part, parent: index > 0 ? parts[index - 1] : nil)
        }
        if containerID == nil {
            systemdUnit = parts.last { $0.hasSuffix(".service") || $0.hasSuffix(".scope") }
        }
    }

    /// The JSON keys --containers adds, and what each holds.
    public static let jsonKeys: [(key: String, value: @Sendable (ContainerIdentity) -> String?)] = [
        ("container_id", \.containerID), ("container_runtime", \.runtime), ("pod_uid", \.podUID),
        ("qos_class", \.qosClass), ("systemd_unit", \.systemdUnit), ("cgroup", \.cgroup),
    ]

    /// The JSON members of `identity` (nulls when it is unknown): a report's per-container record.
    public static func jsonMembers(_ identity: ContainerIdentity?) -> [(String, JSONValue)] {
        jsonKeys.map { key, value in (key, identity.flatMap(value).map { .string($0) } ?? .null) }
    }

    /// What the CONTAINER column shows: the short container ID (12 characters, as `docker ps`),
    /// the machine's name, else the systemd unit, else the cgroup path.
    public var display: String {
        if let containerID { return Self.isHexID(containerID) ? String(containerID.prefix(12)) : containerID }
        return systemdUnit ?? cgroup
    }

    /// A container's name where one must be given (a section, a label, a root frame): its
    /// display, or "unknown" when the cgroup was gone before its first lookup.
    public static func name(_ identity: ContainerIdentity?) -> String { identity?.display ?? "unknown" }

    static func isHexID(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static let scopedRuntimes: [(prefix: String, runtime: String)] = [
        ("docker-", "docker"), ("cri-containerd-", "containerd"), ("crio-", "cri-o"), ("libpod-", "podman"),
    ]

    private static func container(_ part: String, parent: String?, inKubepods: Bool) -> (String, String?)? {
        var name = Substring(part)
        if name.hasSuffix(".scope") { name = name.dropLast(".scope".count) }
        for (prefix, runtime) in scopedRuntimes where name.hasPrefix(prefix) {
            let id = String(name.dropFirst(prefix.count))
            if isHexID(id) { return (id, runtime) }
        }
        if isHexID(part) {
            switch parent {
            case "docker": return (part, "docker")
            default: return (part, inKubepods ? nil : parent)
            }
        }
        if part.hasPrefix("systemd-nspawn@") && part.hasSuffix(".service") {
            return (String(part.dropFirst("systemd-nspawn@".count).dropLast(".service".count)), "systemd-nspawn")
        }
        if parent == "machine.slice", part.hasPrefix("machine-"), part.hasSuffix(".scope") {
            return (String(part.dropFirst("machine-".count).dropLast(".scope".count)), "systemd-nspawn")
        }
        return nil
    }

    private static func pod(_ part: String, parent: String?) -> (String?, String?) {
        // systemd driver: kubepods-burstable-pod<uid>.slice, kubepods-pod<uid>.slice
        if part.hasPrefix("kubepods-"), part.hasSuffix(".slice") {
            let words = part.dropFirst("kubepods-".count).dropLast(".slice".count).split(separator: "-", maxSplits: 1)
            let (qos, podWord) = words.count == 2 && !words[0].hasPrefix("pod") ? (qosName(String(words[0])), words[1]) : ("Guaranteed", words.first ?? "")
            guard podWord.hasPrefix("pod"), podWord.count > 3, qos != nil else { return (nil, nil) }
            return (String(podWord.dropFirst(3).map { $0 == "_" ? "-" : $0 }), qos)
        }
        // cgroupfs driver: /kubepods/<qos>/pod<uid>, /kubepods/pod<uid>
        if part.hasPrefix("pod"), let parent, parent == "kubepods" || parent == "burstable" || parent == "besteffort" {
            return (String(part.dropFirst(3)), parent == "kubepods" ? "Guaranteed" : qosName(parent))
        }
        return (nil, nil)
    }

    private static func qosName(_ raw: String) -> String? {
        switch raw {
        case "burstable": "Burstable"
        case "besteffort": "BestEffort"
        default: nil
        }
    }
}
