/// A row's JSON fields as OTLP log attributes: the keys of docs/json.md's vocabulary that
/// OpenTelemetry's semantic conventions name get those names; the others keep their JSON key
/// (a tool may rename more: tcpconnect's remote end is `server.address`).
public enum OTLPAttributes {
    /// docs/json.md key → semantic-convention attribute (same meaning, same type).
    public static let semanticNames: [String: String] = [
        "pid": "process.pid",
        "ppid": "process.parent_pid",
        "tid": "thread.id",
        "uid": "process.user.id",
        "comm": "process.executable.name",
        "args": "process.command_args",
        "exit_code": "process.exit.code",
        "path": "file.path",
        "laddr": "network.local.address",
        "lport": "network.local.port",
        "raddr": "network.peer.address",
        "rport": "network.peer.port",
        "cpu": "cpu.logical_number",
        "disk": "system.device",
        "query": "db.query.text",
        "container_id": "container.id",
        "container_runtime": "container.runtime.name",
        "pod_uid": "k8s.pod.uid",
    ]

    /// Keys not sent as attributes: the record's own time is `timestamp`.
    static let dropped: Set<String> = ["timestamp"]

    /// `members` renamed (a tool's `renames` first, then the common names).
    public static func attributes(_ members: [(String, JSONValue)], renames: [String: String] = [:]) -> [(String, JSONValue)] {
        members.compactMap { key, value in
            dropped.contains(key) ? nil : (renames[key] ?? semanticNames[key] ?? key, value)
        }
    }
}
