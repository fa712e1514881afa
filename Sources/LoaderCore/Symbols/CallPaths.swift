/// Stacks kept as a tree of frames: a stack is one node, its frames the path from that node up
/// to the root. A profile's tens of thousands of distinct stacks share their outer frames
/// (`_start`, `main`, an event loop...): 30,000 stacks of ~20 frames held as arrays took 6 MB,
/// and a table keyed by the arrays 4 MB more; as nodes they take ~1.5 MB, and a stack is a
/// 4-byte key that hashes at once.
///
/// This is the builder, owned by the one that adds stacks; `frozen()` gives what a report reads.
public final class CallPathTree {
    /// The node of the empty stack.
    public static let root: UInt32 = 0

    private var parents: [UInt32] = [0]
    private var addresses: [UInt64] = [0]
    private var depths: [UInt8] = [0]
    /// Children by (parent, address), open addressing: a node's index, 0 for a free slot (the
    /// root is nobody's child).
    private var slots: [UInt32] = Array(repeating: 0, count: 1024)
    private var shift: UInt64 = 64 - 10

    public init() {}

    /// Nodes held, the root included.
    public var count: Int { parents.count }

    /// The node of a stack given innermost frame first (as the kernel and unwinders give it);
    /// nil when the tree is full (2^32 - 1 nodes) or the stack deeper than 255 frames.
    public func node(innermostFirst frames: [UInt64]) -> UInt32? {
        guard frames.count <= Int(UInt8.max) else { return nil }
        var node = Self.root
        for address in frames.reversed() {
            guard let next = child(of: node, address) else { return nil }
            node = next
        }
        return node
    }

    /// The tree as it stands, for reading; the lookup table stays here.
    public func frozen() -> CallPaths { CallPaths(parents: parents, addresses: addresses, depths: depths) }

    @inline(__always)
    private func home(_ parent: UInt32, _ address: UInt64) -> Int {
        Int(truncatingIfNeeded: ((address ^ (UInt64(parent) &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    private func child(of parent: UInt32, _ address: UInt64) -> UInt32? {
        let mask = slots.count - 1
        var slot = home(parent, address)
        while true {
            let node = slots[slot]
            if node == 0 { break }
            if parents[Int(node)] == parent && addresses[Int(node)] == address { return node }
            slot = (slot + 1) & mask
        }
        guard parents.count < Int(UInt32.max) else { return nil }
        let node = UInt32(truncatingIfNeeded: parents.count)
        parents.append(parent)
        addresses.append(address)
        depths.append(depths[Int(parent)] &+ 1)
        slots[slot] = node
        if parents.count * 2 > slots.count { grow() }
        return node
    }

    /// Twice the slots, every node placed again: at most half of them are ever used.
    private func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        shift -= 1
        let mask = slots.count - 1
        for node in 1..<parents.count {
            var slot = home(parents[node], addresses[node])
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(truncatingIfNeeded: node)
        }
    }
}

/// The stacks of a `CallPathTree`, read-only: what a report's samples point into.
public final class CallPaths: Sendable {
    private let parents: [UInt32]
    private let addresses: [UInt64]
    private let depths: [UInt8]

    init(parents: [UInt32], addresses: [UInt64], depths: [UInt8]) {
        (self.parents, self.addresses, self.depths) = (parents, addresses, depths)
    }

    /// How many frames the stack of `node` has (0 for a node this tree does not have).
    public func depth(_ node: UInt32) -> Int { Int(node) < depths.count ? Int(depths[Int(node)]) : 0 }

    /// The innermost frame of `node`'s stack (0 for the root, or a node this tree does not have).
    public func address(_ node: UInt32) -> UInt64 { Int(node) < addresses.count ? addresses[Int(node)] : 0 }

    /// The node of `node`'s stack without its innermost frame (the root for the root, or a node
    /// this tree does not have).
    public func parent(_ node: UInt32) -> UInt32 { Int(node) < parents.count ? parents[Int(node)] : CallPathTree.root }

    /// The frames of `node`'s stack, innermost first.
    public func frames(_ node: UInt32) -> [UInt64] {
        var frames: [UInt64] = []
        frames.reserveCapacity(depth(node))
        var at = Int(node)
        while at != 0 && at < parents.count {
            frames.append(addresses[at])
            at = Int(parents[at])
        }
        return frames
    }
}
