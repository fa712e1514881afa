/// BTF kind numbers (uapi linux/btf.h; fixed ABI). The C enum reaches Swift twice, through
/// libbpf's headers and the kernel's, which makes its names ambiguous.
enum BTFKind {
    static let int: UInt32 = 1
    static let ptr: UInt32 = 2
    static let array: UInt32 = 3
    static let `struct`: UInt32 = 4
    static let union: UInt32 = 5
    static let `enum`: UInt32 = 6
    static let fwd: UInt32 = 7
    static let typedef: UInt32 = 8
    static let volatile: UInt32 = 9
    static let const: UInt32 = 10
    static let restrict: UInt32 = 11
    static let `func`: UInt32 = 12
    static let funcProto: UInt32 = 13
    static let `var`: UInt32 = 14
    static let datasec: UInt32 = 15
    static let float: UInt32 = 16
    static let declTag: UInt32 = 17
    static let typeTag: UInt32 = 18
    static let enum64: UInt32 = 19
}
