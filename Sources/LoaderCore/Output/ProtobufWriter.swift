/// Protocol Buffers' wire format, written (never read): OTLP/HTTP's requests and pprof profiles.
/// Fields go out in the order they are written; an embedded message is written into its own
/// writer and added as bytes (its length is needed first).
///
/// Written here rather than with swift-protobuf (measured in README, "Running on a fleet"):
/// a static binary with its runtime is larger, and OTLP's messages would need ~10k lines of
/// generated code for the few fields sent.
public struct ProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    private enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2 }

    private mutating func key(_ field: UInt64, _ type: WireType) { varint(field << 3 | type.rawValue) }

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    private mutating func fixed64Bits(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// int64, uint64, bool and enum fields (a negative int64 takes ten bytes, as protobuf says).
    public mutating func uint(_ field: UInt64, _ value: UInt64) {
        key(field, .varint)
        varint(value)
    }

    public mutating func int(_ field: UInt64, _ value: Int64) { uint(field, UInt64(bitPattern: value)) }

    public mutating func bool(_ field: UInt64, _ value: Bool) { uint(field, value ? 1 : 0) }

    public mutating func fixed64(_ field: UInt64, _ value: UInt64) {
        key(field, .fixed64)
        fixed64Bits(value)
    }

    public mutating func sfixed64(_ field: UInt64, _ value: Int64) { fixed64(field, UInt64(bitPattern: value)) }

    public mutating func double(_ field: UInt64, _ value: Double) { fixed64(field, value.bitPattern) }

    public mutating func bytes(_ field: UInt64, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes += value
    }

    public mutating func string(_ field: UInt64, _ value: String) { bytes(field, Array(value.utf8)) }

    public mutating func message(_ field: UInt64, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }

    /// A packed repeated fixed64 field (HistogramDataPoint.bucket_counts).
    public mutating func packedFixed64(_ field: UInt64, _ values: [UInt64]) {
        guard !values.isEmpty else { return }
        var inner = ProtobufWriter()
        values.forEach { inner.fixed64Bits($0) }
        bytes(field, inner.bytes)
    }

    /// A packed repeated varint field (pprof's location and value lists), written even when empty.
    public mutating func packedVarint(_ field: UInt64, _ values: [UInt64]) {
        var inner = ProtobufWriter()
        values.forEach { inner.varint($0) }
        bytes(field, inner.bytes)
    }

    /// A packed repeated double field (HistogramDataPoint.explicit_bounds).
    public mutating func packedDouble(_ field: UInt64, _ values: [Double]) { packedFixed64(field, values.map(\.bitPattern)) }
}
