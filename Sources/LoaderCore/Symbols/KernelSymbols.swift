import Glibc

/// The kernel's function symbols from /proc/kallsyms, read once. Module symbols keep their
/// module's name; the others are "kernel", as BCC prints them.
public final class KernelSymbols: @unchecked Sendable {
    private var table: CompactSymbols?
    private let path: String

    public init(path: String = "/proc/kallsyms") {
        self.path = path
    }

    private var resolved: [UInt64: Frame] = [:]
    /// The thread reading /proc/kallsyms ahead of the first lookup (see loadInBackground).
    private var loader: pthread_t?

    /// Reads /proc/kallsyms on a thread of its own, so that a report at the end (profile's,
    /// offcputime's) does not wait for it: it took 40% of profile's report. The first lookup
    /// waits for the thread (pthread_join orders its writes before our reads).
    public func loadInBackground() {
        guard table == nil, loader == nil else { return }
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<KernelSymbols>.fromOpaque(context).takeRetainedValue().load()
            return nil
        }, context)
        if started == 0 {
            loader = thread
        } else {
            Unmanaged<KernelSymbols>.fromOpaque(context).release()
        }
    }

    public func frame(_ address: UInt64) -> Frame {
        if let frame = resolved[address] { return frame }
        if let thread = loader {
            pthread_join(thread, nil)
            loader = nil
        }
        if table == nil { load() }
        let frame = table?.lookup(address).map { Frame(name: $0.name, offset: $0.offset, module: table?.modules[$0.name] ?? "kernel") }
            ?? Frame(name: nil, module: "kernel")
        resolved[address] = frame
        return frame
    }

    private func load() {
        table = CompactSymbols(readingKallsyms: path)
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
