/// Counts by a 64-bit key, for tens of thousands of keys counted thousands of times a second
/// (profile's distinct samples at 4999 Hz): open addressing with a multiplicative hash, 16
/// bytes a slot, filled up to three quarters. Swift's Dictionary of profile's 24-byte keys and
/// counts took 2 MB for 32,000 of them (32 bytes a slot, at most three quarters full, a power of
/// two), and 3 MB while it grew; this takes 1 MB, and 1.5 MB while it grows.
public final class CountTable {
    /// UInt64.max marks a free slot; that key's count is kept aside.
    private var keys: UnsafeMutablePointer<UInt64>
    private var counts: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    private var shift: UInt64
    private var maxKeyCount: UInt64?
    /// Keys held.
    public private(set) var count = 0

    public init() {
        capacity = 1024
        shift = 64 - 10
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: .max, count: capacity)
        counts = .allocate(capacity: capacity)
        counts.initialize(repeating: 0, count: capacity)
    }

    deinit {
        keys.deallocate()
        counts.deallocate()
    }

    /// Fibonacci hashing: the top bits of the key times 2^64 / phi.
    @inline(__always)
    private func home(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// Adds `n` to the count of `key` (wrapping, as the kernel's counters do).
    public func add(_ key: UInt64, _ n: UInt64 = 1) {
        if key == .max {
            if maxKeyCount == nil { count += 1 }
            return maxKeyCount = (maxKeyCount ?? 0) &+ n
        }
        let mask = capacity - 1
        var slot = home(key)
        while true {
            let held = keys[slot]
            if held == key { return counts[slot] &+= n }
            if held == .max { break }
            slot = (slot + 1) & mask
        }
        keys[slot] = key
        counts[slot] = n
        count += 1
        if count * 4 > capacity * 3 { grow() }
    }

    /// The count of `key`, 0 for a key never added.
    public subscript(key: UInt64) -> UInt64 {
        if key == .max { return maxKeyCount ?? 0 }
        let mask = capacity - 1
        var slot = home(key)
        while true {
            let held = keys[slot]
            if held == key { return counts[slot] }
            if held == .max { return 0 }
            slot = (slot + 1) & mask
        }
    }

    /// Every key with its count, in no particular order.
    public func forEach<E: Error>(_ body: (_ key: UInt64, _ count: UInt64) throws(E) -> Void) throws(E) {
        for slot in 0..<capacity where keys[slot] != .max { try body(keys[slot], counts[slot]) }
        if let maxKeyCount { try body(.max, maxKeyCount) }
    }

    /// Twice the slots, every key placed again.
    private func grow() {
        let (oldKeys, oldCounts, oldCapacity) = (keys, counts, capacity)
        capacity *= 2
        shift -= 1
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: .max, count: capacity)
        counts = .allocate(capacity: capacity)
        counts.initialize(repeating: 0, count: capacity)
        let mask = capacity - 1
        for old in 0..<oldCapacity where oldKeys[old] != .max {
            var slot = home(oldKeys[old])
            while keys[slot] != .max { slot = (slot + 1) & mask }
            keys[slot] = oldKeys[old]
            counts[slot] = oldCounts[old]
        }
        oldKeys.deallocate()
        oldCounts.deallocate()
    }
}
