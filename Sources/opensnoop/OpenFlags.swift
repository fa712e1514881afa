/// open(2) flag names as Python's `os` module spells them (Linux values; these are the same
/// on x86-64 and arm64).
enum OpenFlags {
    static let O_CREAT: UInt32 = 0o100
    static let O_TMPFILE: UInt32 = 0o20200000

    static let byName: [String: UInt32] = [
        "O_RDONLY": 0, "O_WRONLY": 0o1, "O_RDWR": 0o2, "O_ACCMODE": 0o3,
        "O_CREAT": O_CREAT, "O_EXCL": 0o200, "O_NOCTTY": 0o400, "O_TRUNC": 0o1000,
        "O_APPEND": 0o2000, "O_NONBLOCK": 0o4000, "O_NDELAY": 0o4000, "O_DSYNC": 0o10000,
        "O_ASYNC": 0o20000, "O_DIRECT": 0o40000, "O_LARGEFILE": 0o100000,
        "O_DIRECTORY": 0o200000, "O_NOFOLLOW": 0o400000, "O_NOATIME": 0o1000000,
        "O_CLOEXEC": 0o2000000, "O_SYNC": 0o4010000, "O_RSYNC": 0o4010000, "O_FSYNC": 0o4010000,
        "O_PATH": 0o10000000, "O_TMPFILE": O_TMPFILE,
    ]

    static func bits(named name: String) -> UInt32? { byName[name] }
}
