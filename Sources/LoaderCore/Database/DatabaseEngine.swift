import ArgumentParser
import Glibc

/// The database servers dbslower and dbstat trace (BCC's `{mysql,postgres}`), and where their
/// queries can be caught.
public enum DatabaseEngine: String, CaseIterable, ExpressibleByArgument, Sendable {
    case mysql
    case postgres

    /// The server's executable names, looked for under /proc when no PID is given (BCC runs
    /// `pidof mysqld`; Debian's MariaDB runs as mariadbd, mysqld being a symlink to it).
    var executableNames: Set<String> {
        switch self {
        case .mysql: ["mysqld", "mariadbd"]
        case .postgres: ["postgres"]
        }
    }

    /// Where distributions install the server (Debian's paths first): also traced when no PID
    /// is given, so that a server started after the tool is seen.
    var installedPaths: [String] {
        switch self {
        case .mysql: ["/usr/sbin/mariadbd", "/usr/sbin/mysqld", "/usr/libexec/mysqld"]
        case .postgres: glob("/usr/lib/postgresql/*/bin/postgres") + glob("/usr/pgsql-*/bin/postgres") + ["/usr/local/pgsql/bin/postgres"]
        }
    }

    /// The provider of the query__start and query__done USDT probes (both carry the query text).
    var usdtProvider: String {
        switch self {
        case .mysql: "mysql"
        case .postgres: "postgresql"
        }
    }

    /// The function BCC's `dbslower -x` probes where a MySQL server has no USDT probes: the
    /// mangled name of dispatch_command() (BCC's pattern `\w+dispatch_command\w+`).
    static func isDispatchCommand(_ symbol: String) -> Bool {
        guard let range = symbol.firstRange(of: "dispatch_command"),
              range.lowerBound > symbol.startIndex, range.upperBound < symbol.endIndex else { return false }
        return symbol.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
    }
}

/// Paths matching a shell pattern, sorted (glob(3)); none when nothing matches.
func glob(_ pattern: String) -> [String] {
    var result = glob_t()
    defer { globfree(&result) }
    guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
    return (0..<Int(result.gl_pathc)).compactMap { i in result.gl_pathv[i].map { String(cString: $0) } }
}
