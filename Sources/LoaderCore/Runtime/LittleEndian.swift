/// Reading ELF files (BPF objects, executables): little-endian integers out of byte arrays.
extension Collection where Element == UInt8, Index == Int {
    /// Little-endian integers at `offset` from the start of this slice (0 if out of range).
    func u8(_ offset: Int) -> UInt8 { let i = startIndex + offset; return i < endIndex ? self[i] : 0 }
    func u16(_ offset: Int) -> UInt16 { UInt16(u8(offset)) | UInt16(u8(offset + 1)) << 8 }
    func u32(_ offset: Int) -> UInt32 { UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16 }
    func u64(_ offset: Int) -> UInt64 { UInt64(u32(offset)) | UInt64(u32(offset + 4)) << 32 }
}
