import Glibc

/// The kernel's function symbols from /proc/kallsyms. Module symbols keep their module's
/// name; the others are "kernel", as BCC prints them. Where symbols start is read once, ahead
/// of time; names only for the addresses a report shows (`resolve`), in one pass.
public final class KernelSymbols: @unchecked Sendable {
    private let path: String
    /// Functions whose start is kept by name (see `isIn`).
    private let marking: Set<String>
    private var index: KallsymsIndex?
    private let resolved = AddressTable<Frame>()
    /// The thread reading where symbols start (loadInBackground): joined before `index` is
    /// used (pthread_join orders its writes before our reads).
    private var worker: pthread_t?

    /// Names addresses with the kernel's own symbol table where the tool's object can (Linux
    /// 5.13+): then no table of symbol starts is read (see `loadInBackground`) and no pass over
    /// /proc/kallsyms is made for names.
    private let namer: KernelSymbolNamer?

    public init(path: String = "/proc/kallsyms", marking names: Set<String> = [], namer: KernelSymbolNamer? = nil) {
        self.path = path
        marking = names
        self.namer = namer
    }

    private func waitForWorker() {
        guard let worker else { return }
        pthread_join(worker, nil)
        self.worker = nil
    }

    /// Reads where symbols start on a thread of its own, while the tool samples: a report at
    /// the end (profile's, offcputime's) then does not wait for it.
    public func loadInBackground() {
        guard index == nil, worker == nil, namer == nil else { return }
        worker = BackgroundThread.start { [self] in _ = loaded() }
    }

    /// Called on the worker or after it is joined.
    private func loaded() -> KallsymsIndex {
        if let index { return index }
        let made = KallsymsIndex(readingKallsyms: path, marking: marking)
        index = made
        return made
    }

    /// Names the symbols of all of `addresses` at once: call it with every address a report
    /// shows before asking for their frames.
    public func resolve(_ addresses: some Sequence<UInt64>) {
        waitForWorker()
        name(addresses)
    }

    private func name(_ addresses: some Sequence<UInt64>) {
        guard let namer else { return nameFromKallsyms(addresses) }
        var wanted: [UInt64] = []
        let seen = AddressTable<Bool>()
        for address in addresses where resolved[address] == nil && seen[address] == nil {
            seen.insert(address, true)
            wanted.append(address)
        }
        guard let frames = namer.frames(wanted) else { return nameFromKallsyms(wanted) }  // the program could not run
        for (address, frame) in frames { resolved.insert(address, frame) }
    }

    private func nameFromKallsyms(_ addresses: some Sequence<UInt64>) {
        let index = loaded()
        let starts = AddressTable<UInt64>()  // address -> its symbol's start
        var found: [(address: UInt64, start: UInt64)] = []
        for address in addresses where resolved[address] == nil && starts[address] == nil {
            if let start = index.start(of: address) {
                starts.insert(address, start)
                found.append((address, start))
            } else {
                resolved.insert(address, Frame(name: nil, module: "kernel"))
            }
        }
        guard !found.isEmpty else { return }
        let names = index.names(at: Set(found.map(\.start)))
        for (address, start) in found {
            resolved.insert(address, names[start].map { Frame(name: $0.name, offset: address - start, module: $0.module ?? "kernel") }
                ?? Frame(name: nil, module: "kernel"))
        }
    }

    /// The frame at `address`; one not resolved ahead costs a pass over /proc/kallsyms.
    public func frame(_ address: UInt64) -> Frame {
        waitForWorker()
        if let frame = resolved[address] { return frame }
        name(CollectionOfOne(address))
        return resolved[address] ?? Frame(name: nil, module: "kernel")
    }

    /// Whether `address` is in the function `name`, one of those marked at init. With the
    /// namer, by its name (name the addresses ahead with `resolve`: each unnamed one costs a run).
    public func isIn(_ name: String, _ address: UInt64) -> Bool {
        if namer != nil { return frame(address).name == name }
        waitForWorker()
        let index = loaded()
        guard let start = index.marked[name] else { return false }
        return index.start(of: address) == start
    }
}

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x61...0x66: c - 0x61 + 10
    case 0x41...0x46: c - 0x41 + 10
    default: nil
    }
}
