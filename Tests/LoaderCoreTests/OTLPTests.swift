import Testing
@testable import LoaderCore

/// The OTLP side that needs no collector: the wire format, the endpoint and the environment
/// (the integration tests decode real requests with the official bindings).
struct OTLPTests {
    @Test func wireFormatMatchesProtobufsEncoding() {
        var w = ProtobufWriter()
        w.uint(1, 150)          // the protobuf documentation's example: 08 96 01
        w.int(2, -1)            // a negative int64: ten bytes
        w.fixed64(3, 1)
        w.string(4, "hé")
        w.packedDouble(5, [1.0])
        #expect(w.bytes == [0x08, 0x96, 0x01,
                            0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                            0x19, 1, 0, 0, 0, 0, 0, 0, 0,
                            0x22, 3, 0x68, 0xC3, 0xA9,
                            0x2A, 8, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
    }

    @Test func endpoints() throws {
        let plain = try OTLPEndpoint("http://collector")
        #expect(plain.host == "collector" && plain.port == 4318 && plain.basePath == "")
        let full = try OTLPEndpoint("http://[::1]:4000/otlp/")
        #expect(full.host == "::1" && full.port == 4000 && full.basePath == "/otlp" && full.authority == "[::1]:4000")
        for bad in ["https://x", "x:4318", "http://", "http://h:0", "http://h:x", "http://h/a b", "http://u@h", "http://h/?q"] {
            #expect(throws: BPFError.self, "\(bad)") { try OTLPEndpoint(bad) }
        }
    }

    @Test func environmentAsTheSDKsReadIt() throws {
        let settings = try OTLPSettings(tool: "execsnoop", environment: [
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=ignored, k8s.node.name=n%2C1",
            "OTEL_SERVICE_NAME": "exec-audit",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-token=a%3Db",
            "OTEL_METRIC_EXPORT_INTERVAL": "1500", "OTEL_BLRP_MAX_QUEUE_SIZE": "100", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "512",
        ])
        let resource = Dictionary(settings.resource.map { ($0.0, $0.1.serialized) }, uniquingKeysWith: { $1 })
        #expect(resource["service.name"] == "\"exec-audit\"" && resource["k8s.node.name"] == "\"n,1\"" && resource["host.name"] != nil)
        #expect(settings.headers.first! == ("x-token", "a=b"))
        #expect(settings.metricIntervalSeconds == 1.5 && settings.maxQueue == 100 && settings.maxBatch == 100)
        for (name, value) in [("OTEL_METRIC_EXPORT_INTERVAL", "-1"), ("OTEL_BLRP_MAX_QUEUE_SIZE", "lots"),
                              ("OTEL_EXPORTER_OTLP_HEADERS", "novalue"), ("OTEL_EXPORTER_OTLP_HEADERS", "bad name=x"),
                              ("OTEL_RESOURCE_ATTRIBUTES", "k=%zz")] {
            #expect(throws: BPFError.self, "\(name)=\(value)") { try OTLPSettings(tool: "t", environment: [name: value]) }
        }
    }

    @Test func semanticNamesAndToolRenames() {
        let members: [(String, JSONValue)] = [("timestamp", .string("t")), ("pid", .int(1)), ("raddr", .string("::1")), ("fd", .int(3))]
        let named = OTLPAttributes.attributes(members, renames: ["raddr": "server.address"]).map(\.0)
        #expect(named == ["process.pid", "server.address", "fd"])
    }
}
