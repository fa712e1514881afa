import BPFEvents
import LoaderCore

/// One traced call, decoded: its name, its arguments as BCC prints them, and as JSON.
public struct MountCall {
    let event: mountsnoop_event
    let syscall: String
    /// BCC's CALL text: `mount("/dev/loop0", "/mnt", "ext4", MS_RDONLY, "") = 0`.
    let text: String
    /// The arguments for JSON: strings raw, flags decoded as in `text`.
    let arguments: [(String, JSONValue)]

    /// Decodes a record: the event, then its strings back to back. Nil for a short record or
    /// an unknown call.
    init?(_ record: UnsafeRawBufferPointer) {
        let header = MemoryLayout<mountsnoop_event>.size
        guard record.count >= header else { return nil }
        let e = record.loadUnaligned(as: mountsnoop_event.self)
        let lengths = withUnsafeBytes(of: e.str_len) { $0.bindMemory(to: UInt32.self).map { min(Int($0), Int(MOUNTSNOOP_STR_MAX)) } }
        /// String `i`'s bytes before its NUL, within the record whatever the lengths say.
        func bytes(_ i: Int) -> [UInt8] {
            let start = header + lengths.prefix(i).reduce(0, +)
            guard lengths[i] > 0, start < record.count else { return [] }
            let slot = record[start..<min(start + lengths[i], record.count)]
            return Array(slot.prefix { $0 != 0 })
        }
        var parts: [(name: String, text: String, json: JSONValue)] = []
        func string(_ name: String, _ slot: Int) {
            let b = bytes(slot)
            parts.append((name, Self.quoted(b), .string(String(decoding: b, as: UTF8.self))))
        }
        func flags(_ name: String, _ text: String) { parts.append((name, text, .string(text))) }
        func number(_ name: String, _ value: Int64, text: String? = nil) {
            parts.append((name, text ?? String(value), text.map { .string($0) } ?? .int(value)))
        }
        func fd(_ name: String, _ value: Int32) { number(name, Int64(value), text: value == Self.atFDCWD ? "AT_FDCWD" : nil) }

        switch Int32(bitPattern: e.call) {  // a kernel value: never a trapping conversion
        case MOUNTSNOOP_MOUNT:
            syscall = "mount"
            string("source", 0); string("target", 1); string("type", 2)
            flags("flags", Self.mountFlags(e.flags))
            string("data", 3)
        case MOUNTSNOOP_UMOUNT:
            syscall = "umount"
            string("target", 0)
            flags("flags", Self.decode(e.flags, Self.umountFlags))
        case MOUNTSNOOP_FSOPEN:
            syscall = "fsopen"
            string("fs_name", 0)
            flags("flags", Self.decode(e.flags, Self.fsopenFlags))
        case MOUNTSNOOP_FSCONFIG:
            syscall = "fsconfig"
            number("fd", Int64(e.fd))
            let cmd = Int(e.arg)
            flags("cmd", Self.fsconfigCommands.indices.contains(cmd) ? Self.fsconfigCommands[cmd] : "0x" + String(e.arg, radix: 16))
            string("key", 0); string("value", 1)
            number("aux", Int64(e.aux))
        case MOUNTSNOOP_FSMOUNT:
            syscall = "fsmount"
            number("fs_fd", Int64(e.fd))
            flags("flags", Self.decode(e.flags, Self.fsmountFlags))
            flags("attr_flags", Self.mountAttributes(UInt64(e.arg)))
        case MOUNTSNOOP_MOVE_MOUNT:
            syscall = "move_mount"
            fd("from_dfd", e.fd); string("from_pathname", 0)
            fd("to_dfd", e.fd2); string("to_pathname", 1)
            flags("flags", Self.decode(e.flags, Self.moveMountFlags))
        default:
            return nil
        }
        event = e
        text = "\(syscall)(" + parts.map(\.text).joined(separator: ", ") + ") = " + ErrnoNames.returnValue(Int64(e.ret))
        arguments = parts.map { ($0.name, $0.json) }
    }

    static let atFDCWD: Int32 = -100

    /// BCC's decode_mount_string: in double quotes, C's escapes for \a \b \t \n \v \f \r " \,
    /// \xNN for any other byte outside printable ASCII (so every byte of UTF-8 text too).
    static func quoted(_ bytes: [UInt8]) -> String {
        var out = "\""
        for b in bytes {
            switch b {
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0B: out += "\\v"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += "\\x" + (b < 0x10 ? "0" : "") + String(b, radix: 16)
            }
        }
        return out + "\""
    }

    /// BCC's _decode_flags: the names of the bits set, in the table's order, then what is left
    /// in hex ("0x0" when nothing was named), joined by "|".
    static func decode(_ value: UInt64, _ table: [(String, UInt64)], named: [String] = []) -> String {
        var names = named, rest = value
        for (name, bit) in table where rest & bit != 0 {
            names.append(name)
            rest &= ~bit
        }
        if rest != 0 || names.count == named.count { names.append("0x" + String(rest, radix: 16)) }
        return names.joined(separator: "|")
    }

    /// mount(2)'s flags: MS_MGC_VAL (the magic old programs put in the top half) first.
    static func mountFlags(_ value: UInt64) -> String {
        let magic: UInt64 = 0xC0ED_0000, magicMask: UInt64 = 0xFFFF_0000
        if value & magicMask == magic { return decode(value & ~magicMask, mountFlagBits, named: ["MS_MGC_VAL"]) }
        return decode(value, mountFlagBits)
    }

    /// fsmount(2)'s attributes. The access-time setting is a 3-bit field, not bits: BCC tests
    /// its mask as a flag (so MOUNT_ATTR_NOATIME prints as MOUNT_ATTR__ATIME); it is named by
    /// its value here. MOUNT_ATTR_RELATIME (0) is the default and not named, as in BCC.
    static func mountAttributes(_ value: UInt64) -> String {
        let atimeField: UInt64 = 0x70
        let atimeNames: [UInt64: String] = [0x10: "MOUNT_ATTR_NOATIME", 0x20: "MOUNT_ATTR_STRICTATIME"]
        let atime = atimeNames[value & atimeField].map { [($0, atimeField)] } ?? []
        return decode(value, Array(mountAttributeBits.prefix(4)) + atime + mountAttributeBits.dropFirst(4))
    }

    // sys/mount.h, linux/mount.h: the tables BCC's mountsnoop decodes with, in its order
    static let mountFlagBits: [(String, UInt64)] = [
        ("MS_RDONLY", 1), ("MS_NOSUID", 2), ("MS_NODEV", 4), ("MS_NOEXEC", 8), ("MS_SYNCHRONOUS", 16),
        ("MS_REMOUNT", 32), ("MS_MANDLOCK", 64), ("MS_DIRSYNC", 128), ("MS_NOATIME", 1024), ("MS_NODIRATIME", 2048),
        ("MS_BIND", 4096), ("MS_MOVE", 8192), ("MS_REC", 16384), ("MS_SILENT", 32768), ("MS_POSIXACL", 1 << 16),
        ("MS_UNBINDABLE", 1 << 17), ("MS_PRIVATE", 1 << 18), ("MS_SLAVE", 1 << 19), ("MS_SHARED", 1 << 20),
        ("MS_RELATIME", 1 << 21), ("MS_KERNMOUNT", 1 << 22), ("MS_I_VERSION", 1 << 23), ("MS_STRICTATIME", 1 << 24),
        ("MS_LAZYTIME", 1 << 25), ("MS_ACTIVE", 1 << 30), ("MS_NOUSER", 1 << 31),
    ]
    static let fsopenFlags: [(String, UInt64)] = [("FSOPEN_CLOEXEC", 1)]
    static let fsmountFlags: [(String, UInt64)] = [("FSMOUNT_CLOEXEC", 1)]
    static let mountAttributeBits: [(String, UInt64)] = [
        ("MOUNT_ATTR_RDONLY", 0x1), ("MOUNT_ATTR_NOSUID", 0x2), ("MOUNT_ATTR_NODEV", 0x4), ("MOUNT_ATTR_NOEXEC", 0x8),
        ("MOUNT_ATTR_NODIRATIME", 0x80), ("MOUNT_ATTR_IDMAP", 0x10_0000), ("MOUNT_ATTR_NOSYMFOLLOW", 0x20_0000),
    ]
    static let fsconfigCommands = [
        "FSCONFIG_SET_FLAG", "FSCONFIG_SET_STRING", "FSCONFIG_SET_BINARY", "FSCONFIG_SET_PATH", "FSCONFIG_SET_PATH_EMPTY",
        "FSCONFIG_SET_FD", "FSCONFIG_CMD_CREATE", "FSCONFIG_CMD_RECONFIGURE", "FSCONFIG_CMD_CREATE_EXCL",
    ]
    static let moveMountFlags: [(String, UInt64)] = [
        ("MOVE_MOUNT_F_SYMLINKS", 0x1), ("MOVE_MOUNT_F_AUTOMOUNTS", 0x2), ("MOVE_MOUNT_F_EMPTY_PATH", 0x4),
        ("MOVE_MOUNT_T_SYMLINKS", 0x10), ("MOVE_MOUNT_T_AUTOMOUNTS", 0x20), ("MOVE_MOUNT_T_EMPTY_PATH", 0x40),
        ("MOVE_MOUNT_SET_GROUP", 0x100), ("MOVE_MOUNT_BENEATH", 0x200),
    ]
    static let umountFlags: [(String, UInt64)] = [("MNT_FORCE", 1), ("MNT_DETACH", 2), ("MNT_EXPIRE", 4), ("UMOUNT_NOFOLLOW", 8)]
}
