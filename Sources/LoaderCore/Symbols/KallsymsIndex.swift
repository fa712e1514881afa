import Glibc

/// Where /proc/kallsyms' function symbols start, sorted, without their names: 8 bytes a symbol
/// (1 MB for this machine's 122,000), where the names took 4.7 MB more for the whole run of
/// profile or offcputime. The names a report needs are read in one more pass over the file
/// (`names(at:)`, ~45 ms), once the report knows its addresses.
struct KallsymsIndex: Sendable {
    private var starts: [UInt64] = []
    /// The starts of the functions asked for by name (offcputime's "__schedule").
    private(set) var marked: [String: UInt64] = [:]
    let path: String

    var isEmpty: Bool { starts.isEmpty }

    init(readingKallsyms path: String, marking names: Set<String> = []) {
        self.path = path
        var starts: [UInt64] = []
        var marked: [String: UInt64] = [:]
        starts.reserveCapacity(1 << 17)
        var sorted = true
        Self.forEachFunction(in: path) { address, name, _ in
            if let last = starts.last, address < last { sorted = false }
            starts.append(address)
            if !names.isEmpty, marked.count < names.count {
                let text = String(decoding: name, as: UTF8.self)
                if names.contains(text), marked[text] == nil { marked[text] = address }
            }
            return true
        }
        // the kernel's symbols come in address order, then each module's in its own
        if !sorted { starts.sort() }
        (self.starts, self.marked) = (starts, marked)
    }

    /// The start of the symbol holding `address`: the last one at or before it (kallsyms gives
    /// no sizes).
    func start(of address: UInt64) -> UInt64? {
        var low = 0, high = starts.count
        while low < high {
            let mid = (low + high) / 2
            if starts[mid] <= address { low = mid + 1 } else { high = mid }
        }
        return low > 0 ? starts[low - 1] : nil
    }

    /// The name (the first listed, of several at one address) and module of each symbol
    /// starting at one of `wanted`, from one pass over the file.
    ///
    /// The pass ends once every one is found: the file lists the kernel's symbols in address
    /// order, so a report whose kernel frames are all in the core kernel (interrupt entry,
    /// scheduler, softirqs: profile's usual ones) reads a part of it. Each line is checked
    /// against an AddressTable: a Set's hashing of 180,000 lines took a third of the pass.
    func names(at wanted: Set<UInt64>) -> [UInt64: (name: String, module: String?)] {
        var found: [UInt64: (name: String, module: String?)] = [:]
        guard !wanted.isEmpty else { return found }
        let pending = AddressTable<Bool>()
        for address in wanted { pending.insert(address, true) }
        var left = wanted.count
        Self.forEachFunction(in: path) { address, name, module in
            guard pending[address] == true else { return true }
            pending.insert(address, false)
            found[address] = (String(decoding: name, as: UTF8.self), module.map { String(decoding: $0, as: UTF8.self) })
            left -= 1
            return left > 0
        }
        return found
    }

    /// Calls `body` with the address, name and module (nil for the kernel's own) of each
    /// function symbol (t, T, w, W) of lines like "ffffffff81000000 T _stext" and
    /// "ffffffffc0a01000 t ext4_fill_super\t[ext4]", read a chunk at a time (the file is 5-6
    /// MB), until `body` returns false. Lines with a zero address (kallsyms hides them from
    /// those without the right) are left out.
    private static func forEachFunction(in path: String,
                                        _ body: (UInt64, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>?) -> Bool) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var going = true
        func line(_ b: UnsafeBufferPointer<UInt8>) {
            guard going else { return }
            var i = 0
            var address: UInt64 = 0
            while i < b.count, i < 16, let digit = hexValue(b[i]) { address = address << 4 | UInt64(digit); i += 1 }
            guard i + 3 < b.count, address != 0 else { return }
            let type = b[i + 1] | 0x20  // lower case
            guard type == UInt8(ascii: "t") || type == UInt8(ascii: "w") else { return }
            i += 3
            var nameEnd = i
            while nameEnd < b.count && b[nameEnd] != 0x09 && b[nameEnd] != 0x20 { nameEnd += 1 }
            var module: UnsafeBufferPointer<UInt8>?
            if nameEnd < b.count, let open = (nameEnd..<b.count).first(where: { b[$0] == UInt8(ascii: "[") }),
               let close = (open..<b.count).first(where: { b[$0] == UInt8(ascii: "]") }) {
                module = UnsafeBufferPointer(rebasing: b[(open + 1)..<close])
            }
            going = body(address, UnsafeBufferPointer(rebasing: b[i..<nameEnd]), module)
        }
        var pending: [UInt8] = []  // a line cut by the chunk's end
        var chunk = [UInt8](repeating: 0, count: 65536)
        while going {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var lineStart = 0
            chunk.withUnsafeBufferPointer { b in
                for i in 0..<n where b[i] == 0x0A {
                    if pending.isEmpty {
                        line(UnsafeBufferPointer(rebasing: b[lineStart..<i]))
                    } else {
                        pending.append(contentsOf: b[lineStart..<i])
                        pending.withUnsafeBufferPointer { line($0) }
                        pending.removeAll(keepingCapacity: true)
                    }
                    lineStart = i + 1
                }
                pending.append(contentsOf: b[lineStart..<n])
            }
        }
        if !pending.isEmpty { pending.withUnsafeBufferPointer { line($0) } }
    }
}
