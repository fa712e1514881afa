/// Text from fixed-size kernel buffers, which may lack a terminating NUL.
public enum KernelString {
    /// The bytes of a fixed-size C array (imported as a tuple) up to the first NUL, or all of
    /// them if there is none.
    public static func from<T>(tuple: T) -> String {
        withUnsafeBytes(of: tuple) { from(bytes: $0) }
    }

    public static func from(bytes: UnsafeRawBufferPointer) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
    }

    /// Splits NUL-terminated strings packed back to back; a last one without NUL is kept.
    public static func split(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var result: [String] = []
        var start = 0
        for i in 0..<bytes.count where bytes[i] == 0 {
            result.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
            start = i + 1
        }
        if start < bytes.count {
            result.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start...]), as: UTF8.self))
        }
        return result
    }
}
