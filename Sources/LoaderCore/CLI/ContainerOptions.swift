import ArgumentParser

/// --containers: each event's container (ID, runtime; under Kubernetes its pod's UID and QoS
/// class) or else systemd unit, from the cgroup v2 ID the BPF side takes with the event.
public struct ContainerOptions: ParsableArguments, Sendable {
    @Flag(name: .customLong("containers"),
          help: "name each event's (histogram's, stack's) container or systemd unit, from the task's cgroup: a CONTAINER column last in rows; in JSON and exports its ID, runtime, pod UID, QoS class, unit and cgroup")
    public var enabled = false

    public init() {}

    /// With --containers (`enabled`), a cgroup v2 hierarchy to resolve IDs in (runtime error 1
    /// without).
    public static func requireHierarchy(if enabled: Bool) throws(BPFError) {
        if enabled, CgroupResolver().mountPoint == nil {
            throw BPFError(.preflight, "--containers: no cgroup v2 hierarchy is mounted (a cgroup v1-only host), so cgroup IDs cannot be resolved")
        }
    }
}

/// Each cgroup ID's identity, resolved once per run (one thread at a time).
public final class ContainerNames {
    private let resolver = CgroupResolver()
    private var identities: [UInt64: ContainerIdentity?] = [:]

    public init() {}

    public func identity(_ id: UInt64) -> ContainerIdentity? {
        if let known = identities[id] { return known }
        let identity = resolver.path(id).map { ContainerIdentity(cgroup: $0) }
        if identities.count >= CgroupResolver.cacheLimit { identities.removeAll(keepingCapacity: true) }
        identities[id] = identity
        return identity
    }

    /// The cgroup's container name (ContainerIdentity.name).
    public func name(_ id: UInt64) -> String { ContainerIdentity.name(identity(id)) }
}

extension StreamingTool {
    /// The event's container identity (--containers), nil when the tool takes no cgroup ID or
    /// the cgroup is gone.
    static func containerIdentity(_ row: Row, _ context: RowContext) -> ContainerIdentity? {
        guard let cgroupID = Self.cgroupID else { return nil }
        return context.state { ContainerNames() }.identity(cgroupID(row))
    }

    /// The CONTAINER column, last, for a tool that takes cgroup IDs.
    static var containerColumns: [EventColumn<Self, Row>] {
        guard cgroupID != nil else { return [] }
        return [EventColumn("CONTAINER", ColumnFormat(" %-12s", " %-12s"), json: "", shownWith: "--containers", when: { $0.containers }) { row, context in
            .text(containerIdentity(row, context)?.display ?? "-")
        }]
    }

    /// The JSON fields --containers adds (null when unknown).
    static var containerFields: [JSONField<Self, Row>] {
        guard cgroupID != nil else { return [] }
        return ContainerIdentity.jsonKeys.map { key, value in
            JSONField(key, when: { $0.containers }) { row, context in
                containerIdentity(row, context).flatMap(value).map { .string($0) } ?? .null
            }
        }
    }
}
