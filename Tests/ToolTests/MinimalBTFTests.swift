import CLibbpf
import Foundation
import Testing
@testable import LoaderCore

/// The minimal BTF keeps, for every field the BPF programs read, the kernel's own offset. It
/// needs only the (world-readable) kernel BTF, no privilege.
@Suite(.enabled(if: FileManager.default.isReadableFile(atPath: "/sys/kernel/btf/vmlinux"), "no kernel BTF"))
struct MinimalBTFTests {
    /// (struct, member) pairs each tool's BPF code reads through CO-RE.
    static let expectedFields: [String: [(String, String)]] = [
        "execsnoop": [("task_struct", "tgid"), ("task_struct", "real_parent"), ("task_struct", "comm")],
        "opensnoop": [("task_struct", "files"), ("task_struct", "fs"), ("files_struct", "fdt"), ("fdtable", "fd"),
                      ("fdtable", "max_fds"), ("file", "f_path"), ("path", "dentry"), ("path", "mnt"),
                      ("dentry", "d_parent"), ("dentry", "d_name"), ("qstr", "name"), ("vfsmount", "mnt_root"),
                      ("mount", "mnt_parent"), ("mount", "mnt_mountpoint"), ("mount", "mnt"), ("fs_struct", "pwd")],
    ]

    @Test(arguments: toolsUnderTest.map(\.name))
    func keepsTheKernelsOffsetsOfEveryFieldRead(name: String) throws {
        let tool = try #require(toolsUnderTest.first { $0.name == name })
        let kernel = try #require(btf__load_vmlinux_btf())
        defer { btf__free(kernel) }
        let bytes = try #require(MinimalBTF.build(object: tool.object.bytes, kernelBTF: kernel))
        #expect(bytes.count < 16 * 1024, "\(bytes.count) bytes")
        let minimal = try #require(bytes.withUnsafeBytes { btf__new($0.baseAddress, UInt32($0.count)) })
        defer { btf__free(minimal) }
        for (structName, member) in Self.expectedFields[name] ?? [] {
            let full = try #require(Self.bitOffset(kernel, structName, member), "\(structName).\(member) in the kernel")
            #expect(Self.bitOffset(minimal, structName, member) == full, "\(structName).\(member)")
        }
    }

    @Test func relocationsAreParsedFromTheObject() throws {
        let object = try #require(toolsUnderTest.first { $0.name == "execsnoop" }).object
        let elf = try #require(ELFSections(object.bytes))
        let ext = try #require(elf.sections[".BTF.ext"])
        let relocations = try #require(CORERelocation.parse(btfExt: object.bytes[ext], name: { _ in "0:1" }))
        #expect(!relocations.isEmpty)
        #expect(relocations.allSatisfy { $0.kind.isField })
    }

    /// The offset of `member` in struct `name`, looking inside anonymous members.
    static func bitOffset(_ btf: OpaquePointer, _ name: String, _ member: String) -> UInt32? {
        let id = btf__find_by_name_kind(btf, name, BTFKind.`struct`)
        guard id > 0, let t = btf__type_by_id(btf, UInt32(id)) else { return nil }
        return find(btf, t, member)
    }

    private static func find(_ btf: OpaquePointer, _ t: UnsafePointer<btf_type>, _ member: String) -> UInt32? {
        for i in 0..<UInt32(clibbpf_btf_vlen(t)) {
            guard let m = clibbpf_btf_member(t, i)?.pointee else { continue }
            let memberName = String(cString: btf__name_by_offset(btf, m.name_off))
            let offset = clibbpf_btf_member_bit_offset(t, i)
            if memberName == member { return offset }
            if memberName.isEmpty, let inner = btf__type_by_id(btf, m.type), let found = find(btf, inner, member) {
                return offset + found
            }
        }
        return nil
    }
}
