import BPFEvents
import CLibbpf
import Glibc

/// Names kernel addresses with the kernel's own symbol table, through a tool's
/// `name_kernel_addresses` program (bpf-src/ksym.bpf.h: bpf_snprintf's %pS, Linux 5.13+), run
/// with BPF_PROG_TEST_RUN a batch of addresses at a time. The alternative, one pass over
/// /proc/kallsyms for the names and a table of every function's start kept from the tool's
/// start, cost 45-70 ms per report and 1 MB.
public final class KernelSymbolNamer {
    public static let program = "name_kernel_addresses"

    /// The plan's entry for it, in the plan of a tool whose object includes bpf-src/ksym.bpf.h:
    /// optional, and taken only where the kernel has bpf_snprintf() (else /proc/kallsyms is read).
    public static let chain = ProbeChain.optional("kernel symbol names",
                                                  [ProbeCandidate(.onDemand, program: program, requires: [.snprintfHelper])])
    private let fd: Int32
    private let owner: ObjectHandle
    private let batch: BPFMap

    /// Where in a batch the names and the count are (see ksym.h).
    private static let namesOffset = 8 * Int(KSYM_BATCH)
    private static let countOffset = namesOffset + Int(KSYM_BATCH) * Int(KSYM_TEXT)

    /// nil when the plan did not choose the program on this kernel (or the object has none).
    public init?(_ loaded: borrowing LoadedBPF) {
        guard let (fd, owner) = loaded.onDemandProgram(Self.program), let batch = try? loaded.map("ksym_batch"),
              batch.valueSize >= Self.countOffset + 4 else { return nil }
        (self.fd, self.owner, self.batch) = (fd, owner, batch)
    }

    /// The frame of each address, or nil if the program could not be run (then nothing is
    /// named this way). An address the kernel has no symbol for gets a frame without a name.
    func frames(_ addresses: [UInt64]) -> [(UInt64, Frame)]? {
        var result: [(UInt64, Frame)] = []
        result.reserveCapacity(addresses.count)
        var buffer = [UInt8](repeating: 0, count: batch.valueSize)
        var start = 0
        while start < addresses.count {
            let chunk = addresses[start..<min(start + Int(KSYM_BATCH), addresses.count)]
            buffer.withUnsafeMutableBytes { raw in
                for (i, address) in chunk.enumerated() { raw.storeBytes(of: address, toByteOffset: i * 8, as: UInt64.self) }
                raw.storeBytes(of: UInt32(chunk.count), toByteOffset: Self.countOffset, as: UInt32.self)
            }
            var key: UInt32 = 0
            guard buffer.withUnsafeBytes({ bpf_map_update_elem(batch.fd, &key, $0.baseAddress, UInt64(BPF_ANY)) }) == 0,
                  run(),
                  buffer.withUnsafeMutableBytes({ bpf_map_lookup_elem(batch.fd, &key, $0.baseAddress) }) == 0 else { return nil }
            buffer.withUnsafeBytes { raw in
                for (i, address) in chunk.enumerated() {
                    let text = UnsafeRawBufferPointer(rebasing: raw[(Self.namesOffset + i * Int(KSYM_TEXT))...].prefix(Int(KSYM_TEXT)))
                    result.append((address, Self.frame(parsing: text)))
                }
            }
            start += chunk.count
        }
        return result
    }

    private func run() -> Bool {
        var opts = bpf_test_run_opts()
        opts.sz = MemoryLayout<bpf_test_run_opts>.size
        return bpf_prog_test_run_opts(fd, &opts) == 0
    }

    /// %pS's text: "name+0x1a/0x80" and " [module]" for a module's symbol, or the bare address
    /// ("0xffffffffc0a01234") where there is no symbol; NUL-terminated within its slot.
    static func frame(parsing text: UnsafeRawBufferPointer) -> Frame {
        let bytes = text.prefix { $0 != 0 }
        guard let plus = bytes.firstIndex(of: UInt8(ascii: "+")), plus > bytes.startIndex,
              !(bytes.starts(with: "0x".utf8)) else { return Frame(name: nil, module: "kernel") }
        let name = String(decoding: bytes[bytes.startIndex..<plus], as: UTF8.self)
        var offset: UInt64 = 0
        var i = plus + 1
        if bytes[i...].starts(with: "0x".utf8) { i += 2 }
        while i < bytes.endIndex, let digit = hexValue(bytes[i]) { offset = offset &<< 4 | UInt64(digit); i += 1 }
        var module = "kernel"
        if let open = bytes[i...].firstIndex(of: UInt8(ascii: "[")), let close = bytes[open...].firstIndex(of: UInt8(ascii: "]")) {
            module = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        }
        return Frame(name: name, offset: offset, module: module)
    }
}
