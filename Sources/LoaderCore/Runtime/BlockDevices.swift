import Glibc

/// A disk or partition, as the kernel numbers it.
public struct BlockDevice: Sendable, Equatable {
    public let name: String
    public let major: UInt32
    public let minor: UInt32
    /// The disk it is on: itself for a whole disk.
    public let diskMajor: UInt32
    public let diskMinor: UInt32
    /// For a partition, its sectors (512 bytes) on the disk: [start, start + sectors).
    public let partition: (start: UInt64, sectors: UInt64)?

    /// The kernel's internal dev_t (MAJOR << 20 | MINOR), as BPF programs see it.
    public var kernelDev: UInt32 { BlockDevices.kernelDev(major: major, minor: minor) }
    public var diskKernelDev: UInt32 { BlockDevices.kernelDev(major: diskMajor, minor: diskMinor) }

    /// What a BPF side filtering requests on this device compares: the whole disk's dev_t
    /// (requests carry it, not the partition's) and the sectors [start, end) of the device.
    public var requestFilter: (dev: UInt32, sectorStart: UInt64, sectorEnd: UInt64) {
        guard let partition else { return (diskKernelDev, 0, UInt64.max) }
        let (end, overflow) = partition.start.addingReportingOverflow(partition.sectors)
        return (diskKernelDev, partition.start, overflow ? UInt64.max : end)
    }

    public static func == (a: BlockDevice, b: BlockDevice) -> Bool {
        a.name == b.name && a.major == b.major && a.minor == b.minor && a.diskMajor == b.diskMajor
            && a.diskMinor == b.diskMinor && a.partition?.start == b.partition?.start
            && a.partition?.sectors == b.partition?.sectors
    }
}

/// Block devices by name and by number, from /proc/diskstats and /sys (disks and partitions).
public final class BlockDevices {
    private var names: [UInt32: String] = [:]
    private let diskstats: String
    /// When the table was last read: a device missing from it is looked for again at most
    /// once a second, not at every event that names it (biosnoop prints one per request).
    private var loadedAt: UInt64 = 0

    public init(diskstats: String = "/proc/diskstats") {
        self.diskstats = diskstats
        reload()
    }

    public static func kernelDev(major: UInt32, minor: UInt32) -> UInt32 { major << 20 | (minor & 0xfffff) }

    /// The name of a kernel dev_t, "?" if there is no such device (BCC's answer). A device
    /// unknown so far makes the table be read again: disks come and go while a tool runs.
    public func name(ofKernelDev dev: UInt32) -> String {
        if let name = names[dev] { return name }
        if Clock.monotonicNs() &- loadedAt >= 1_000_000_000 { reload() }
        return names[dev] ?? "?"
    }

    private func reload() {
        loadedAt = Clock.monotonicNs()
        guard let text = try? readFile(diskstats) else { return }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count >= 3, let major = UInt32(fields[0]), let minor = UInt32(fields[1]) else { continue }
            names[Self.kernelDev(major: major, minor: minor)] = String(fields[2])
        }
    }

    /// The disk or partition `name` (as under /dev: "sda", "sda1", "mapper/root", or a path).
    public static func find(_ name: String) -> BlockDevice? {
        guard !name.isEmpty, let (major, minor) = numbers(of: name) else { return nil }
        let sys = "/sys/dev/block/\(major):\(minor)"
        var diskMajor = major, diskMinor = minor
        var partition: (UInt64, UInt64)?
        if pathExists("\(sys)/partition") {
            guard let disk = numbers(inFile: "\(sys)/../dev"),
                  let start = UInt64(((try? readFile("\(sys)/start")) ?? "").trimmed),
                  let sectors = UInt64(((try? readFile("\(sys)/size")) ?? "").trimmed) else { return nil }
            (diskMajor, diskMinor) = disk
            partition = (start, sectors)
        }
        return BlockDevice(name: name.hasPrefix("/") ? String(name.split(separator: "/").last ?? "") : name,
                           major: major, minor: minor, diskMajor: diskMajor, diskMinor: diskMinor,
                           partition: partition)
    }

    private static func numbers(of name: String) -> (UInt32, UInt32)? {
        if !name.contains("/"), let found = numbers(inFile: "/sys/class/block/\(name)/dev") { return found }
        var st = stat()
        let path = name.hasPrefix("/") ? name : "/dev/\(name)"
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFBLK else { return nil }
        let rdev = UInt64(st.st_rdev)
        let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~UInt64(0xfff))
        let minor = (rdev & 0xff) | ((rdev >> 12) & ~UInt64(0xff))
        return (UInt32(truncatingIfNeeded: major), UInt32(truncatingIfNeeded: minor))
    }

    /// "MAJOR:MINOR\n" as in /sys/.../dev.
    private static func numbers(inFile path: String) -> (UInt32, UInt32)? {
        guard let text = try? readFile(path) else { return nil }
        let parts = text.trimmed.split(separator: ":")
        guard parts.count == 2, let major = UInt32(parts[0]), let minor = UInt32(parts[1]) else { return nil }
        return (major, minor)
    }
}
