import Glibc
import Synchronization

/// Serves `GET /metrics` over HTTP/1.1 on a thread of its own while the tool runs: each scrape
/// calls `render` on that thread for the current text. One connection at a time, closed after
/// each response; a client gets 2 s to send its request. Anything but GET /metrics gets a 404
/// (405 for another method). A few dozen lines of sockets instead of swift-nio: the tools start
/// in ~10 ms and are static binaries; NIO's event loops add start-up and megabytes for a
/// server that answers a scrape every few seconds.
public final class MetricsServer: @unchecked Sendable {
    private let listener: Int32
    private let render: @Sendable () -> String
    private var thread: pthread_t?
    /// Set by stop(); read by the server thread between polls.
    private let stopping = Atomic<Bool>(false)
    public let address: String

    /// Binds and listens on `address` (":9435", "127.0.0.1:9435", "[::1]:9435") at once: a port
    /// in use is an error (status 1) before the tool says it serves.
    public init(address: String, render: @escaping @Sendable () -> String) throws(BPFError) {
        let (host, port) = try Self.parse(address)
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let info = result else {
            throw BPFError(.invalidArgument, "--prometheus \(address): not a numeric address and port")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BPFError(.invalidArgument, "--prometheus \(address): socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if info.pointee.ai_family == AF_INET6 {
            var zero: Int32 = 0  // ":PORT" on IPv6 takes IPv4 too
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw BPFError(.invalidArgument, "--prometheus \(address): cannot listen: \(reason)")
        }
        listener = fd
        self.render = render
        self.address = address
    }

    deinit {
        stop()
        close(listener)
    }

    /// "HOST:PORT", ":PORT" (every address), "[V6]:PORT".
    static func parse(_ address: String) throws(BPFError) -> (host: String?, port: UInt16) {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]), port > 0 else {
            throw BPFError(.invalidArgument, "--prometheus \(address): expected [HOST]:PORT, e.g. :9435")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "::" : host, port)
    }

    public func start() {
        thread = BackgroundThread.start { [self] in serve() }
    }

    /// Stops serving and waits for the thread (at most one poll interval and a response).
    public func stop() {
        guard let thread else { return }
        stopping.store(true, ordering: .relaxed)
        pthread_join(thread, nil)
        self.thread = nil
    }

    private func serve() {
        while !stopping.load(ordering: .relaxed) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            respond(client)
            close(client)
        }
    }

    private func respond(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while request.count < 8192 {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { break }
            request += buffer.prefix(n)
            if request[max(request.count - n - 3, 0)...].containsSubsequence([13, 10, 13, 10]) { break }  // the headers' end
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let (status, body): (String, String)
        if line.count < 2 {
            (status, body) = ("400 Bad Request", "bad request\n")
        } else if line[0] != "GET" && line[0] != "HEAD" {
            (status, body) = ("405 Method Not Allowed", "only GET\n")
        } else if line[1] == "/metrics" || line[1].hasPrefix("/metrics?") {
            (status, body) = ("200 OK", render())
        } else {
            (status, body) = ("404 Not Found", "metrics are at /metrics\n")
        }
        let payload = Array(body.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            + "Content-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        var response = Array(head.utf8)
        if line.first != "HEAD" { response += payload }
        var sent = 0
        while sent < response.count {
            let n = response.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return -1 }
                return send(client, base + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { break }
            sent += n
        }
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        for i in 0...(count - needle.count) where self[i..<(i + needle.count)].elementsEqual(needle) { return true }
        return false
    }
}

extension ArraySlice where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool { Array(self).containsSubsequence(needle) }
}
