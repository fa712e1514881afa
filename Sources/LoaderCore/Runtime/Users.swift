import Glibc

/// User names to UIDs. getpwnam() first (NSS: LDAP, systemd-homed...); a static binary may not
/// be able to load the system's NSS modules, so /etc/passwd is read directly when it fails.
public enum Users {
    public static func uid(named name: String) -> UInt32? {
        if let entry = getpwnam(name) { return entry.pointee.pw_uid }
        return passwdUID(named: name, in: (try? readFile("/etc/passwd")) ?? "")
    }

    static func passwdUID(named name: String, in passwd: String) -> UInt32? {
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count > 2, fields[0] == name { return UInt32(fields[2]) }
        }
        return nil
    }
}
