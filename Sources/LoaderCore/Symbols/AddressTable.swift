/// Values by code address, for a report's million lookups (every frame of every stack): open
/// addressing with a multiplicative hash, in memory of its own. Swift's Dictionary hashes each
/// key with SipHash (15% of profile's report of 40,000 stacks), and a table of arrays in a
/// class was copied, with its reference counts, at every lookup (half of that report).
final class AddressTable<Value> {
    /// UInt64.max marks a free slot; that address is kept aside (no code lives there, but a
    /// stack from the kernel may still say so).
    private var keys: UnsafeMutablePointer<UInt64>
    private var values: UnsafeMutablePointer<Value?>
    private var capacity: Int
    private var maxAddress: Value?
    private var count = 0
    private var shift: UInt64

    init() {
        capacity = 1024
        shift = 64 - 10
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: .max, count: capacity)
        values = .allocate(capacity: capacity)
        values.initialize(repeating: nil, count: capacity)
    }

    deinit {
        keys.deallocate()
        values.deinitialize(count: capacity)
        values.deallocate()
    }

    /// Fibonacci hashing: the top bits of the address times 2^64 / phi.
    @inline(__always)
    private func home(_ address: UInt64) -> Int { Int(truncatingIfNeeded: (address &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    subscript(address: UInt64) -> Value? {
        if address == .max { return maxAddress }
        let mask = capacity - 1
        var slot = home(address)
        while true {
            let key = keys[slot]
            if key == address { return values[slot] }
            if key == .max { return nil }
            slot = (slot + 1) & mask
        }
    }

    func insert(_ address: UInt64, _ value: Value) {
        if address == .max { return maxAddress = value }
        if (count + 1) * 2 > capacity { grow() }
        let mask = capacity - 1
        var slot = home(address)
        while keys[slot] != .max && keys[slot] != address { slot = (slot + 1) & mask }
        if keys[slot] == .max { count += 1 }
        keys[slot] = address
        values[slot] = value
    }

    /// Twice the slots, every entry placed again: at most half of them are ever used.
    private func grow() {
        let (oldKeys, oldValues, oldCapacity) = (keys, values, capacity)
        capacity *= 2
        shift -= 1
        count = 0
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: .max, count: capacity)
        values = .allocate(capacity: capacity)
        values.initialize(repeating: nil, count: capacity)
        for slot in 0..<oldCapacity where oldKeys[slot] != .max {
            if let value = oldValues[slot] { insert(oldKeys[slot], value) }
        }
        oldKeys.deallocate()
        oldValues.deinitialize(count: oldCapacity)
        oldValues.deallocate()
    }
}
