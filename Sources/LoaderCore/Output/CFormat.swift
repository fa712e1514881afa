import Glibc

/// `%.<precision>f` through C's snprintf, which rounds the exact binary value like Python.
func cFormat(_ value: Double, precision: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 400)
    let n = withVaList([Int32(precision), value]) { args in
        vsnprintf(&buffer, buffer.count, "%.*f", args)
    }
    guard n > 0 else { return "" }
    return String(decoding: buffer[0..<min(Int(n), buffer.count - 1)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
