import Foundation
import Testing

/// Real database servers from Debian's packages, each in a temporary directory on a private
/// socket (no TCP port), started by a test and stopped (SIGKILL if need be) and removed by
/// `stop()`, which the tests call in a `defer`, whatever happens.
protocol DatabaseServer: AnyObject {
    /// The server's main process.
    var pid: Int32 { get }
    /// Runs SQL statements through the engine's own client, each sent as one query.
    func run(_ statements: [String]) throws
    func stop()
}

extension DatabaseServer {
    /// Waits (30 s at most) until the server answers a query through its client.
    func waitUntilAnswering(_ server: Process, failure: () -> String) throws {
        let deadline = Date().addingTimeInterval(30)
        while (try? run(["SELECT 1"])) == nil {
            guard Date() < deadline, server.isRunning else { throw DatabaseServerError.failed(failure()) }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}

enum DatabaseServerError: Error, CustomStringConvertible {
    case failed(String)
    var description: String { switch self { case .failed(let s): s } }
}

/// Runs a program to completion; throws with its output when it fails.
@discardableResult
func mustRun(_ path: String, _ arguments: [String], input: String? = nil, asUser user: String? = nil) throws -> String {
    let process = Process()
    if let user {
        // setpriv (util-linux) drops to the user without a login shell; PostgreSQL refuses root
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=\(user)", "--regid=\(user)", "--init-groups", "--", path] + arguments
    } else {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
    }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let stdin = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    try process.run()
    if let input {
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
    }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw DatabaseServerError.failed("\(path) \(arguments.joined(separator: " ")): status \(process.terminationStatus): \(text)")
    }
    return text
}

/// Debian's PostgreSQL 15: initdb, then the postmaster on a socket in the directory, as a child
/// of the test (not through pg_ctl, which leaves it to init and its own exit unreaped by
/// Foundation's Process here).
final class PostgresServer: DatabaseServer {
    static let bin = "/usr/lib/postgresql/15/bin"
    static var installed: Bool { FileManager.default.isExecutableFile(atPath: bin + "/postgres") }

    let dir: TempDir
    let port = 5432
    private var process: Process?
    var pid: Int32 { process?.processIdentifier ?? 0 }

    init() throws {
        dir = try TempDir("dbtest-pg")
        do {
            _ = chown(dir.path, Self.postgresUID, Self.postgresGID)
            try mustRun(Self.bin + "/initdb", ["-D", dir.path + "/data", "-A", "trust", "-U", "postgres", "--no-sync"], asUser: "postgres")
            // setpriv execs postgres: the child's PID is the postmaster's
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            p.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", Self.bin + "/postgres", "-D", dir.path + "/data",
                           "-p", String(port), "-k", dir.path, "-c", "listen_addresses=", "-c", "fsync=off"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            process = p
            try waitUntilAnswering(p) { "postgres did not start" }
        } catch {
            stop()
            throw error
        }
    }

    static var postgresUID: uid_t { getpwnam("postgres")?.pointee.pw_uid ?? 0 }
    static var postgresGID: gid_t { getpwnam("postgres")?.pointee.pw_gid ?? 0 }

    /// psql sends each statement of its input as a query of its own.
    func run(_ statements: [String]) throws {
        try mustRun("/usr/bin/psql", ["-X", "-q", "-h", dir.path, "-p", String(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                    input: statements.map { $0 + ";\n" }.joined())
    }

    func stop() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGQUIT)  // immediate shutdown: the data directory is thrown away
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        process = nil
        dir.remove()
    }
}

/// Debian's MariaDB 10.11: mariadb-install-db, then mariadbd on a socket, no networking.
final class MariaDBServer: DatabaseServer {
    static var installed: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/mariadbd") }

    let dir: TempDir
    private var process: Process?
    var pid: Int32 { process?.processIdentifier ?? 0 }
    var socket: String { dir.path + "/sock" }

    init() throws {
        dir = try TempDir("dbtest-my")
        do {
            try mustRun("/usr/bin/mariadb-install-db", ["--no-defaults", "--datadir=\(dir.path)/data", "--user=root",
                                                        "--auth-root-authentication-method=normal", "--skip-test-db"])
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/mariadbd")
            p.arguments = ["--no-defaults", "--datadir=\(dir.path)/data", "--socket=\(socket)", "--skip-networking", "--user=root",
                           "--pid-file=\(dir.path)/pid", "--log-error=\(dir.path)/err.log", "--innodb-buffer-pool-size=16M"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            process = p
            try waitUntilAnswering(p) { "mariadbd did not start: " + ((try? String(contentsOfFile: self.dir.path + "/err.log", encoding: .utf8)) ?? "") }
        } catch {
            stop()
            throw error
        }
    }

    /// The mariadb client sends each statement of its input as a query of its own.
    func run(_ statements: [String]) throws {
        try mustRun("/usr/bin/mariadb", ["--no-defaults", "-S", socket, "-u", "root", "-N", "-B"], input: statements.map { $0 + ";\n" }.joined())
    }

    func stop() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process = nil
        dir.remove()
    }
}
