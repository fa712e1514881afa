/// How BCC's execsnoop shows argument text.
extension String {
    /// For -q: `"` becomes `\"`.
    var quoteEscaped: String { replacingASCII("\"", with: "\\\"") }

    /// Faster than the generic `replacing(_:with:)`, and free when `target` does not occur.
    private func replacingASCII(_ target: Unicode.Scalar, with replacement: String) -> String {
        guard utf8.contains(UInt8(target.value)) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
            if scalar == target { out += replacement } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
