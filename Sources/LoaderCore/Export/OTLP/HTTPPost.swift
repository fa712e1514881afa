import Glibc

/// One HTTP/1.1 POST on its own connection (`Connection: close`), blocking, with a deadline for
/// connecting and one for the whole exchange: what the OTLP exporter's thread sends a batch
/// with, once a second at most. The status and a Retry-After are all that is read back.
enum HTTPPost {
    struct Response: Sendable {
        let status: Int
        /// Retry-After in seconds, when the server gave one.
        let retryAfter: Double?
    }

    enum Failure: Error, Sendable {
        case resolve(String)
        case connect(String)
        case exchange(String)

        var message: String {
            switch self {
            case .resolve(let s), .connect(let s), .exchange(let s): s
            }
        }
    }

    static func post(_ endpoint: OTLPEndpoint, path: String, contentType: String, headers: [(String, String)],
                     body: [UInt8], timeoutSeconds: Int = 5) -> Result<Response, Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &result)
        guard status == 0, result != nil else { return .failure(.resolve("cannot resolve \(endpoint.host): \(String(cString: gai_strerror(status)))")) }
        defer { freeaddrinfo(result) }
        var lastError = "no address"
        var candidate = result
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            // a blocking connect() with SO_SNDTIMEO set gives up after that timeout
            guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                lastError = "cannot connect to \(endpoint.authority): \(String(cString: strerror(errno)))"
                continue
            }
            var request = "POST \(endpoint.basePath)\(path) HTTP/1.1\r\nHost: \(endpoint.authority)\r\n"
            request += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
            request += "User-Agent: swift-bpf-tools/\(ToolVersion.number)\r\n"
            for (name, value) in headers { request += "\(name): \(value)\r\n" }
            request += "\r\n"
            guard writeAll(fd, Array(request.utf8) + body) else {
                return .failure(.exchange("sending to \(endpoint.authority): \(String(cString: strerror(errno)))"))
            }
            return readResponse(fd).map { .success($0) } ?? .failure(.exchange("no HTTP response from \(endpoint.authority)"))
        }
        return .failure(.connect(lastError))
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return -1 }
                return Glibc.send(fd, base + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// The status line and headers (up to 16 KiB); the body is not needed.
    private static func readResponse(_ fd: Int32) -> Response? {
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while head.count < 16_384 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            head += buffer[0..<n]
            if head.containsSubsequence([13, 10, 13, 10]) { break }  // the headers' end
        }
        let text = String(decoding: head, as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."), statusLine.count >= 12,
              let status = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
        var retryAfter: Double?
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "retry-after", let seconds = Double(parts[1].filter { $0 != " " && $0 != "\t" }) {
                retryAfter = seconds
            }
        }
        return Response(status: status, retryAfter: retryAfter)
    }
}
