/// A sample's user-space state as the kernel copied it: the registers in DWARF numbering and a
/// window of the stack from the stack pointer up. Borrowed: valid while the record is.
public struct UserContext {
    /// x86-64: rax rdx rcx rbx rsi rdi rbp rsp r8-r15 rip (DWARF registers 0-16).
    public let registers: UnsafeBufferPointer<UInt64>
    public let stack: UnsafeRawBufferPointer

    public static let stackPointer = 7
    public static let instructionPointer = 16

    public init(registers: UnsafeBufferPointer<UInt64>, stack: UnsafeRawBufferPointer) {
        self.registers = registers
        self.stack = stack
    }

    var pc: UInt64 { registers.count > Self.instructionPointer ? registers[Self.instructionPointer] : 0 }
    var sp: UInt64 { registers.count > Self.stackPointer ? registers[Self.stackPointer] : 0 }

    /// The 8 bytes at `address`, when the copy holds them (the stack as it was at the sample;
    /// the process has moved on since, so nothing else may be read).
    func word(at address: UInt64) -> UInt64? {
        guard address >= sp else { return nil }
        let offset = address - sp
        guard offset <= UInt64(stack.count), UInt64(stack.count) - offset >= 8 else { return nil }
        return stack.loadUnaligned(fromByteOffset: Int(offset), as: UInt64.self)
    }
}
