/// A BPF object file embedded in the tool's binary by the build plugin (as base64, which
/// compiles fast; see Sources/bpf-embed).
public struct EmbeddedObject: Sendable {
    public let name: String
    public let bytes: [UInt8]

    public init(name: String, base64: String) {
        self.name = name
        self.bytes = Base64.decode(base64)
    }

    /// An object read or built at run time (tests compile their own).
    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

enum Base64 {
    /// Decodes standard base64 (padding optional). The input is generated at build time, so
    /// characters outside the alphabet are skipped rather than reported.
    static func decode(_ text: String) -> [UInt8] {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(c)] = UInt8(i)
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count / 4 * 3)
        var acc: UInt32 = 0
        var bits = 0
        for c in text.utf8 {
            let v = table[Int(c)]
            if v == 0xff { continue }
            acc = (acc << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xff))
            }
        }
        return out
    }
}
