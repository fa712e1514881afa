import Glibc

/// /proc/kallsyms' function symbols in compact form: sorted start addresses, and the names in
/// one byte buffer. An array of (start, size, String) entries took ~75 bytes a symbol with the
/// names' own allocations (9 MB for this machine's 122,000); this takes ~14 plus the name.
struct CompactSymbols: Sendable {
    private var starts: [UInt64] = []
    private var nameStarts: [UInt32] = []
    private var nameLengths: [UInt16] = []
    private var names: [UInt8] = []
    /// Module symbols' modules, by name: "ext4_fill_super" -> "ext4".
    private(set) var modules: [String: String] = [:]

    var isEmpty: Bool { starts.isEmpty }

    /// Reads "ffffffff81000000 T _stext" and "ffffffffc0a01000 t ext4_fill_super\t[ext4]"
    /// lines from `path` a chunk at a time (the whole file is 5-6 MB); keeps t, T, w and W.
    init(readingKallsyms path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var pending: [UInt8] = []  // a line cut by the chunk's end
        var chunk = [UInt8](repeating: 0, count: 65536)
        starts.reserveCapacity(1 << 17)
        nameStarts.reserveCapacity(1 << 17)
        nameLengths.reserveCapacity(1 << 17)
        names.reserveCapacity(1 << 22)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var lineStart = 0
            chunk.withUnsafeBufferPointer { b in
                for i in 0..<n where b[i] == 0x0A {
                    if pending.isEmpty {
                        add(line: UnsafeBufferPointer(rebasing: b[lineStart..<i]))
                    } else {
                        pending.append(contentsOf: b[lineStart..<i])
                        pending.withUnsafeBufferPointer { add(line: $0) }
                        pending.removeAll(keepingCapacity: true)
                    }
                    lineStart = i + 1
                }
                pending.append(contentsOf: b[lineStart..<n])
            }
        }
        if !pending.isEmpty { pending.withUnsafeBufferPointer { add(line: $0) } }
        sortByAddress()
    }

    private mutating func add(line b: UnsafeBufferPointer<UInt8>) {
        var i = 0
        var address: UInt64 = 0
        while i < b.count, let digit = hexValue(b[i]) { address = address << 4 | UInt64(digit); i += 1 }
        guard i + 3 < b.count, address != 0 else { return }
        let type = b[i + 1] | 0x20  // lower case
        guard type == UInt8(ascii: "t") || type == UInt8(ascii: "w") else { return }
        i += 3
        var nameEnd = i
        while nameEnd < b.count && b[nameEnd] != 0x09 && b[nameEnd] != 0x20 { nameEnd += 1 }
        guard let start = UInt32(exactly: names.count), let length = UInt16(exactly: nameEnd - i) else { return }
        if nameEnd < b.count, let open = (nameEnd..<b.count).first(where: { b[$0] == UInt8(ascii: "[") }),
           let close = (open..<b.count).first(where: { b[$0] == UInt8(ascii: "]") }) {
            modules[String(decoding: UnsafeBufferPointer(rebasing: b[i..<nameEnd]), as: UTF8.self)] =
                String(decoding: UnsafeBufferPointer(rebasing: b[(open + 1)..<close]), as: UTF8.self)
        }
        names.append(contentsOf: b[i..<nameEnd])
        starts.append(address)
        nameStarts.append(start)
        nameLengths.append(length)
    }

    /// kallsyms lists the kernel's symbols in address order and the modules' after them, each
    /// module in its own order; aliases keep the order they came in (the first is taken).
    private mutating func sortByAddress() {
        let order = starts.indices.sorted { starts[$0] < starts[$1] || (starts[$0] == starts[$1] && $0 < $1) }
        if order.elementsEqual(starts.indices) { return }
        starts = order.map { starts[$0] }
        nameStarts = order.map { nameStarts[$0] }
        nameLengths = order.map { nameLengths[$0] }
    }

    /// The symbol starting last at or before `address` (the first of several at one address)
    /// and the offset into it; kallsyms gives no sizes.
    func lookup(_ address: UInt64) -> (name: String, offset: UInt64)? {
        var low = 0, high = starts.count
        while low < high {
            let mid = (low + high) / 2
            if starts[mid] <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        var index = low - 1
        while index > 0 && starts[index - 1] == starts[index] { index -= 1 }
        let from = Int(nameStarts[index]), to = from + Int(nameLengths[index])
        guard to <= names.count else { return nil }
        let name = names.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[from..<to]), as: UTF8.self) }
        return (name, address - starts[index])
    }
}
