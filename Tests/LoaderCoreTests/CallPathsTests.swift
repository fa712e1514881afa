import Testing
@testable import LoaderCore

/// The tree profile keeps its unwound user stacks in: one node per distinct stack.
@Suite struct CallPathsTests {
    @Test func stacksComeBackAsGivenAndShareTheirOuterFrames() throws {
        let tree = CallPathTree()
        // 4,096 stacks of a binary call tree 12 deep under _start and main (innermost first),
        // enough for the index to grow several times
        var stacks: [[UInt64]] = []
        for leaf in 0..<4096 {
            let path = (0..<12).map { level in 0x40_1000 + UInt64(level) * 0x100 + UInt64((leaf >> level) & 1) * 0x10 }
            stacks.append(path + [0x40_0500, 0x40_0100])
        }
        let nodes = try stacks.map { try #require(tree.node(innermostFirst: $0)) }
        // the same stack again is the same node; distinct stacks are distinct nodes
        #expect(try stacks.map { try #require(tree.node(innermostFirst: $0)) } == nodes)
        #expect(Set(nodes).count == 4096)
        // _start, main, then 2 + 4 + ... + 4096 nodes below them, and the root
        #expect(tree.count == 1 + 2 + (2...4096).reduce(0) { $1.nonzeroBitCount == 1 ? $0 + $1 : $0 })
        let paths = tree.frozen()
        #expect(nodes.indices.allSatisfy { paths.frames(nodes[$0]) == stacks[$0] && paths.depth(nodes[$0]) == 14 })
        // the empty stack is the root; a node the tree does not have has no frames
        #expect(tree.node(innermostFirst: []) == CallPathTree.root && paths.frames(CallPathTree.root).isEmpty)
        #expect(paths.frames(UInt32.max).isEmpty && paths.depth(UInt32.max) == 0)
    }

    /// A node's innermost frame and the node of the rest: how profile finds the kernel address
    /// it keeps as a sample's innermost frame, and the user stack under it.
    @Test func aNodeGivesItsInnermostFrameAndTheRest() throws {
        let tree = CallPathTree()
        let user = try #require(tree.node(innermostFirst: [0x40_1234, 0x40_0100]))
        let withKernel = try #require(tree.node(innermostFirst: [0xffff_ffff_8100_0000, 0x40_1234, 0x40_0100]))
        let paths = tree.frozen()
        #expect(paths.address(withKernel) == 0xffff_ffff_8100_0000 && paths.parent(withKernel) == user)
        #expect(paths.address(user) == 0x40_1234 && paths.frames(paths.parent(user)) == [0x40_0100])
        #expect(paths.address(CallPathTree.root) == 0 && paths.parent(CallPathTree.root) == CallPathTree.root)
        #expect(paths.address(UInt32.max) == 0 && paths.parent(UInt32.max) == CallPathTree.root)
    }

    @Test func aStackTooDeepIsRefused() {
        let tree = CallPathTree()
        #expect(tree.node(innermostFirst: Array(repeating: 0x1000, count: 255)) != nil)
        #expect(tree.node(innermostFirst: Array(repeating: 0x1000, count: 256)) == nil)
    }

    /// A sample pointing into the tree shows the same frames as one holding them.
    @Test func aSampleReadsItsUserStackFromTheTree() throws {
        let tree = CallPathTree()
        let node = try #require(tree.node(innermostFirst: [3, 2, 1]))
        let sample = StackSample(pid: 1, shownID: 1, comm: "a", count: 2, kernel: [9], userPath: (tree.frozen(), node))
        #expect(sample.user == [3, 2, 1] && sample.hasUserFrames && !sample.userMissed)
        #expect(StackSample(pid: 1, shownID: 1, comm: "a", count: 1, kernel: nil, user: nil).userMissed)
        let trimmed = sample.with(kernel: [])
        #expect(trimmed.user == [3, 2, 1] && trimmed.kernel == [] && trimmed.count == 2)
        let empty = StackSample(pid: 1, shownID: 1, comm: "a", count: 1, kernel: nil, userPath: (tree.frozen(), CallPathTree.root))
        #expect(empty.user == [] && !empty.hasUserFrames)
    }
}
