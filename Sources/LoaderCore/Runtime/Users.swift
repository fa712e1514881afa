/// User names to UIDs, from /etc/passwd only. getpwnam() is not used: in a static binary it
/// loads the NSS modules /etc/nsswitch.conf names, built for another libc, and crashed
/// (SIGSEGV in libnss_systemd) on names it did not know. Users known only to a network
/// directory (LDAP, systemd-homed) are given by number.
public enum Users {
    public static let passwd = "/etc/passwd"

    public static func uid(named name: String) -> UInt32? {
        passwdUID(named: name, in: (try? readFile(passwd)) ?? "")
    }

    static func passwdUID(named name: String, in passwd: String) -> UInt32? {
        guard !name.isEmpty else { return nil }
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            if fields.count > 2, fields[0] == name { return UInt32(fields[2]) }
        }
        return nil
    }
}
