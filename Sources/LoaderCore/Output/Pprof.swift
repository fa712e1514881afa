import CLibbpf
import Glibc

/// A profile in pprof's format (github.com/google/pprof, proto/profile.proto), gzipped: what
/// `go tool pprof`, Pyroscope, Parca, Grafana and speedscope read. Only the messages a stack
/// profile needs are encoded, by hand (a few dozen lines; swift-protobuf would need generated
/// code and its plugin's build): samples, locations with their addresses, mappings with file
/// names and build IDs, functions with names and file names, the string table.
public final class PprofProfile {
    /// A frame of a sample: its address, its symbol, and the file mapped there (nil for the
    /// kernel, whose frames share one "[kernel.kallsyms]" mapping).
    public struct Location: Hashable {
        public let address: UInt64
        public let function: String?
        public let file: UserSymbols.MappedFile?
        /// Frames of different processes at one address are different locations.
        public let pid: UInt32

        public init(address: UInt64, function: String?, file: UserSymbols.MappedFile?, pid: UInt32) {
            (self.address, self.function, self.file, self.pid) = (address, function, file, pid)
        }
    }

    private var strings: [String] = [""]
    private var stringIndex: [String: Int64] = ["": 0]
    private var samples: [UInt8] = []
    private var locations: [Location: UInt64] = [:]
    private var locationMessages: [UInt8] = []
    private var functions: [String: UInt64] = [:]
    private var functionMessages: [UInt8] = []
    private var mappings: [UserSymbols.MappedFile?: UInt64] = [:]
    private var mappingMessages: [UInt8] = []
    private var header: [UInt8] = []

    /// `sampleTypes`: (type, unit) of each value ("samples"/"count", "cpu"/"nanoseconds");
    /// `period`: what one sample stands for, in `periodType`'s unit.
    public init(sampleTypes: [(String, String)], periodType: (String, String), period: Int64, durationNs: Int64) {
        func valueType(_ t: (String, String)) -> [UInt8] { Proto.varint(1, UInt64(string(t.0))) + Proto.varint(2, UInt64(string(t.1))) }
        for t in sampleTypes { header += Proto.bytes(1, valueType(t)) }
        header += Proto.varint(9, UInt64(clamping: Clock.realtimeNs()))      // time_nanos
        header += Proto.varint(10, UInt64(clamping: durationNs))              // duration_nanos
        header += Proto.bytes(11, valueType(periodType))                      // period_type
        header += Proto.varint(12, UInt64(clamping: period))                  // period
    }

    private func string(_ s: String) -> Int64 {
        if let i = stringIndex[s] { return i }
        strings.append(s)
        stringIndex[s] = Int64(strings.count - 1)
        return Int64(strings.count - 1)
    }

    /// Makes `file` the first mapping, which pprof takes for the profiled program ("File:",
    /// "Build ID:"); call before adding samples.
    public func mainBinary(_ file: UserSymbols.MappedFile?) {
        guard let file else { return }
        _ = mappingID(file)
    }

    private func mappingID(_ file: UserSymbols.MappedFile?) -> UInt64 {
        if let id = mappings[file] { return id }
        let id = UInt64(mappings.count + 1)
        mappings[file] = id
        var m = Proto.varint(1, id)
        if let file {
            m += Proto.varint(2, file.start) + Proto.varint(3, file.end) + Proto.varint(4, file.offset)
            m += Proto.varint(5, UInt64(string(file.path)))
            if let buildID = file.buildID { m += Proto.varint(6, UInt64(string(buildID))) }
        } else {
            m += Proto.varint(2, 0x8000_0000_0000_0000) + Proto.varint(3, UInt64.max)
            m += Proto.varint(5, UInt64(string("[kernel.kallsyms]")))
        }
        m += Proto.varint(7, 1)  // has_functions
        mappingMessages += Proto.bytes(3, m)
        return id
    }

    private func functionID(_ name: String, file: String) -> UInt64 {
        let key = file + "\0" + name
        if let id = functions[key] { return id }
        let id = UInt64(functions.count + 1)
        functions[key] = id
        let n = UInt64(string(name))
        functionMessages += Proto.bytes(5, Proto.varint(1, id) + Proto.varint(2, n) + Proto.varint(3, n)
                                        + Proto.varint(4, UInt64(string(file))))
        return id
    }

    private func locationID(_ location: Location) -> UInt64 {
        if let id = locations[location] { return id }
        let id = UInt64(locations.count + 1)
        locations[location] = id
        var l = Proto.varint(1, id) + Proto.varint(2, mappingID(location.file)) + Proto.varint(3, location.address)
        if let function = location.function {
            l += Proto.bytes(4, Proto.varint(1, functionID(function, file: location.file?.path ?? "[kernel.kallsyms]")))
        }
        locationMessages += Proto.bytes(4, l)
        return id
    }

    /// One sample: its frames, leaf first, its values (one per sample type) and labels.
    public func add(_ frames: [Location], values: [Int64], labels: [(String, String)], numericLabels: [(String, Int64)]) {
        var s = Proto.packed(1, frames.map(locationID)) + Proto.packed(2, values.map { UInt64(bitPattern: $0) })
        for (key, value) in labels { s += Proto.bytes(3, Proto.varint(1, UInt64(string(key))) + Proto.varint(2, UInt64(string(value)))) }
        for (key, value) in numericLabels { s += Proto.bytes(3, Proto.varint(1, UInt64(string(key))) + Proto.varint(3, UInt64(bitPattern: value))) }
        samples += Proto.bytes(2, s)
    }

    /// The encoded Profile message.
    public func encoded() -> [UInt8] {
        header + samples + mappingMessages + locationMessages + functionMessages + strings.flatMap { Proto.bytes(6, Array($0.utf8)) }
    }

    /// Writes the profile gzipped to `path`.
    public func write(to path: String) throws(BPFError) {
        guard let compressed = Gzip.compress(encoded()) else { throw BPFError(.invalidArgument, "cannot compress the pprof profile") }
        try writeFile(path, bytes: compressed)
    }
}

/// Protocol buffers' fields as byte arrays, the form the profile's messages are built in
/// (written by ProtobufWriter, the one wire-format writer).
enum Proto {
    /// A varint field (wire type 0).
    static func varint(_ field: UInt64, _ value: UInt64) -> [UInt8] { write { $0.uint(field, value) } }

    /// A length-delimited field (wire type 2): bytes, a string, a message.
    static func bytes(_ field: UInt64, _ payload: [UInt8]) -> [UInt8] { write { $0.bytes(field, payload) } }

    /// A packed repeated varint field.
    static func packed(_ field: UInt64, _ values: [UInt64]) -> [UInt8] { write { $0.packedVarint(field, values) } }

    private static func write(_ body: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var writer = ProtobufWriter()
        body(&writer)
        return writer.bytes
    }
}

/// gzip (RFC 1952) through zlib.
public enum Gzip {
    public static func compress(_ input: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        // 15 + 16: a gzip header and trailer around the deflate stream
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        var input = input
        let status = input.withUnsafeMutableBytes { inBuf in
            output.withUnsafeMutableBytes { outBuf in
                stream.next_in = inBuf.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        return Array(output.prefix(Int(stream.total_out)))
    }
}
