/// Where --otlp sends: an OTLP/HTTP base URL, `http://HOST[:PORT][/PATH]` (as
/// OTEL_EXPORTER_OTLP_ENDPOINT: logs go to PATH/v1/logs, metrics to PATH/v1/metrics; the port is
/// 4318 unless given). Plain HTTP only: a collector (or agent) on the host or its network is
/// what these tools send to; TLS would bring a TLS library into every static binary.
public struct OTLPEndpoint: Sendable, Equatable {
    public let host: String
    public let port: UInt16
    public let basePath: String

    public init(_ url: String) throws(BPFError) {
        func invalid(_ why: String) -> BPFError { BPFError(.invalidArgument, "--otlp \(url): \(why)") }
        if url.lowercased().hasPrefix("https://") {
            throw invalid("https is not supported; send to a collector over http:// (e.g. http://localhost:4318)")
        }
        guard url.lowercased().hasPrefix("http://") else { throw invalid("expected http://HOST[:PORT][/PATH], e.g. http://localhost:4318") }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        guard !path.contains(where: { $0 == "?" || $0 == "#" || $0 == " " || $0.isNewline }) else {
            throw invalid("a query, fragment or space in the path is not supported")
        }
        var host = Substring(authority)
        var port: UInt16 = 4318
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw invalid("unclosed [") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = UInt16(after.dropFirst()), p > 0 else { throw invalid("bad port") }
                port = p
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = UInt16(host[host.index(after: colon)...]), p > 0 else { throw invalid("bad port") }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty, !host.contains(where: { $0 == "@" || $0.isWhitespace }) else { throw invalid("no host") }
        (self.host, self.port, self.basePath) = (String(host), port, path)
    }

    /// "localhost:4318", "[::1]:4318": the Host header.
    var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public var description: String { "http://\(authority)\(basePath)" }
}
