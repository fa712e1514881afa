import CLibbpf
import Glibc

/// A map of a loaded object, read and written with fixed-layout Swift values. It keeps the
/// object alive, so a map handle can never outlive its file descriptor.
public struct BPFMap {
    let map: OpaquePointer
    let owner: ObjectHandle

    public var name: String { String(cString: bpf_map__name(map)) }
    public var fd: Int32 { bpf_map__fd(map) }
    public var keySize: Int { Int(bpf_map__key_size(map)) }
    public var valueSize: Int { Int(bpf_map__value_size(map)) }
    var isPerCPU: Bool {
        switch bpf_map__type(map) {
        case BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH: true
        default: false
        }
    }

    private func checkSizes<K, V>(_: K.Type, _: V.Type) throws(BPFError) {
        guard MemoryLayout<K>.size == keySize, MemoryLayout<V>.size == valueSize else {
            throw BPFError(.map, "map \(name): key/value are \(keySize)/\(valueSize) bytes, not \(MemoryLayout<K>.size)/\(MemoryLayout<V>.size)")
        }
    }

    /// The value at `key`, or nil if there is none.
    public func lookup<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, as: V.Type = V.self) throws(BPFError) -> V? {
        try checkSizes(K.self, V.self)
        precondition(!isPerCPU, "use lookupPerCPU for per-CPU maps")
        var key = key
        var value = zeroed(V.self)
        let err = bpf_map_lookup_elem(fd, &key, &value)
        return err == 0 ? value : nil
    }

    /// The value at `key` read as an array of `E` (a stack-trace map's addresses, say), or nil.
    public func lookupArray<K: BitwiseCopyable, E: BitwiseCopyable>(_ key: K, of: E.Type) throws(BPFError) -> [E]? {
        guard MemoryLayout<K>.size == keySize, valueSize % MemoryLayout<E>.stride == 0 else {
            throw BPFError(.map, "map \(name): key/value are \(keySize)/\(valueSize) bytes, not \(MemoryLayout<K>.size)/n*\(MemoryLayout<E>.stride)")
        }
        precondition(!isPerCPU, "use lookupPerCPU for per-CPU maps")
        var key = key
        var values = [E](repeating: zeroed(E.self), count: valueSize / MemoryLayout<E>.stride)
        let err = values.withUnsafeMutableBytes { bpf_map_lookup_elem(fd, &key, $0.baseAddress) }
        return err == 0 ? values : nil
    }

    /// One value per possible CPU.
    public func lookupPerCPU<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, as: V.Type = V.self) throws(BPFError) -> [V] {
        try checkSizes(K.self, V.self)
        let cpus = Int(libbpf_num_possible_cpus())
        guard cpus > 0 else { throw BPFError(.map, "cannot count possible CPUs") }
        let stride = (MemoryLayout<V>.size + 7) & ~7  // the kernel rounds per-CPU values up to 8 bytes
        var buffer = [UInt8](repeating: 0, count: stride * cpus)
        var key = key
        let err = buffer.withUnsafeMutableBytes { bpf_map_lookup_elem(fd, &key, $0.baseAddress) }
        guard err == 0 else { return [] }
        return buffer.withUnsafeBytes { raw in
            (0..<cpus).map { raw.loadUnaligned(fromByteOffset: $0 * stride, as: V.self) }
        }
    }

    public func update<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, _ value: V) throws(BPFError) {
        try checkSizes(K.self, V.self)
        var key = key, value = value
        let err = bpf_map_update_elem(fd, &key, &value, UInt64(BPF_ANY))
        if err != 0 { throw BPFError.libbpf(.map, "cannot update map \(name)", errno: errno) }
    }

    @discardableResult
    public func delete<K: BitwiseCopyable>(_ key: K) -> Bool {
        var key = key
        return bpf_map_delete_elem(fd, &key) == 0
    }

    /// All keys, in the map's iteration order. A key deleted meanwhile ends iteration early
    /// only for hash maps being changed concurrently, as with every BPF map walk.
    public func keys<K: BitwiseCopyable>(as: K.Type = K.self) throws(BPFError) -> [K] {
        guard MemoryLayout<K>.size == keySize else {
            throw BPFError(.map, "map \(name): key is \(keySize) bytes, not \(MemoryLayout<K>.size)")
        }
        var result: [K] = []
        var next = zeroed(K.self)
        var err = bpf_map_get_next_key(fd, nil, &next)
        while err == 0 {
            result.append(next)
            var current = next
            err = bpf_map_get_next_key(fd, &current, &next)
        }
        return result
    }

    /// All entries of a (non per-CPU) map: in batches of thousands per system call where the
    /// kernel has batch lookups (5.6+, hash and array maps), else one lookup per key (two
    /// system calls per entry: a report of 10,000 stacks spent a third of its time there).
    public func entries<K: BitwiseCopyable, V: BitwiseCopyable>(_: K.Type = K.self, _: V.Type = V.self) throws(BPFError) -> [(K, V)] {
        try checkSizes(K.self, V.self)
        precondition(!isPerCPU, "use lookupPerCPU for per-CPU maps")
        if let batched = batchEntries(K.self, V.self) { return batched }
        var result: [(K, V)] = []
        for key in try keys(as: K.self) {
            if let value = try lookup(key, as: V.self) { result.append((key, value)) }
        }
        return result
    }

    /// nil when the kernel or the map type has no batch lookup (the caller walks the keys).
    private func batchEntries<K: BitwiseCopyable, V: BitwiseCopyable>(_: K.Type, _: V.Type) -> [(K, V)]? {
        // a hash map's batch never splits a bucket: ENOSPC if a bucket holds more than the chunk
        var chunk = UInt32(clamping: min(max(Int(bpf_map__max_entries(map)), 1), 4096))
        var keys = [K](repeating: zeroed(K.self), count: Int(chunk))
        var values = [V](repeating: zeroed(V.self), count: Int(chunk))
        // the position token: a bucket number for hash maps, a key for arrays
        var token = [UInt8](repeating: 0, count: max(keySize, 8)), next = token
        var result: [(K, V)] = []
        var opts = bpf_map_batch_opts()
        opts.sz = MemoryLayout<bpf_map_batch_opts>.size
        var first = true
        while true {
            var count = chunk
            let err = keys.withUnsafeMutableBytes { k in
                values.withUnsafeMutableBytes { v in
                    next.withUnsafeMutableBytes { out in
                        token.withUnsafeMutableBytes { inBatch in
                            bpf_map_lookup_batch(fd, first ? nil : inBatch.baseAddress, out.baseAddress, k.baseAddress, v.baseAddress, &count, &opts)
                        }
                    }
                }
            }
            let code = err < 0 ? -err : err
            if err != 0 && code == ENOSPC && chunk < 1 << 16 {
                chunk *= 4  // a bucket larger than the chunk: again, with room for it
                keys = [K](repeating: zeroed(K.self), count: Int(chunk))
                values = [V](repeating: zeroed(V.self), count: Int(chunk))
                continue
            }
            if err != 0 && code != ENOENT { return nil }  // none here, or the walk broke: key by key instead
            for i in 0..<min(Int(count), keys.count) { result.append((keys[i], values[i])) }
            if err != 0 { return result }  // ENOENT: the walk reached the end
            first = false
            token = next
        }
    }

    /// Deletes every entry (for summary tools that reset each interval).
    public func clear<K: BitwiseCopyable>(keyType: K.Type) throws(BPFError) {
        for key in try keys(as: K.self) { delete(key) }
    }
}

/// A zero-filled value of a fixed-layout type, to be overwritten by the kernel.
func zeroed<T: BitwiseCopyable>(_: T.Type) -> T {
    withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { buffer in
        UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0)
        return buffer[0]
    }
}
