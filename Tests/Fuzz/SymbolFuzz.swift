// libFuzzer entry point for the symbol readers (built by scripts/fuzz-symbols.sh with
// -sanitize=fuzzer,address, together with the LoaderCore files it needs; not a package target).
// The first input byte chooses the reader, the rest is the file: 0 an ELF file behind a
// process, 1 a /tmp/perf-PID.map, 2 /proc/kallsyms.
import Glibc

private let scratch = "/tmp/symbol-fuzz-\(getpid())"

private func writeScratch(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n <= 0 { return false }
        done += n
    }
    return true
}

@_cdecl("LLVMFuzzerTestOneInput")
public func symbolFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let body = UnsafeBufferPointer(start: data + 1, count: size - 1)
    switch data[0] % 3 {
    case 0:
        guard writeScratch(body), let file = try? UntrustedFile(path: scratch, maxSize: 1 << 30) else { return 0 }
        let elf = ELFSymbols(file: file, name: "fuzz")
        for probe: UInt64 in [0, 0x1000, 0x40_0000, .max, UInt64(size) &* 0x9E37_79B9] {
            if let vaddr = elf.address(ofFileOffset: probe) { _ = elf.symbols.lookup(vaddr).map { Frame(name: $0.name, offset: $0.offset, module: "m").detailed } }
            _ = elf.symbols.lookup(probe)
        }
    case 1:
        let table = UserSymbols.parsePerfMap(String(decoding: body, as: UTF8.self))
        for probe: UInt64 in [0, 0x7f00_0000_1000, .max, UInt64(size)] { _ = table.lookup(probe) }
    default:
        guard writeScratch(body) else { return 0 }
        let kernel = KernelSymbols(path: scratch)
        for probe: UInt64 in [0, 0xffff_ffff_8100_0000, .max] { _ = kernel.frame(probe).detailed }
    }
    return 0
}
