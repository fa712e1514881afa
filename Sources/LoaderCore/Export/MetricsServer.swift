import Glibc
import Synchronization

/// Serves `GET /metrics` over HTTP/1.1 while the tool runs: each scrape calls `render` for the
/// current text, on its connection's thread (two scrapes may render at once: `render` must be
/// safe for that); `routes` serve other paths (profile's /debug/pprof/profile). A thread accepts,
/// and each connection gets a thread of its own (at most `maxConnections` at once: past that a
/// connection is answered 503), so a client that sends nothing, or a profile that takes 30 s,
/// does not hold up a scrape; a client gets 2 s to send its request, and the connection is closed
/// after the response. An unknown path gets a 404 (405 for a method other than GET or HEAD). A few dozen lines of sockets instead of swift-nio: the tools start
/// in ~10 ms and are static binaries; NIO's event loops add start-up and megabytes for a
/// server that answers a scrape every few seconds.
public final class MetricsServer: @unchecked Sendable {
    private let listener: Int32
    private let render: @Sendable () -> String
    private let routes: [String: Route]
    private let connections = Atomic<Int>(0)
    static let maxConnections = 8

    /// What a route answers.
    public struct Response: Sendable {
        public let status: String
        public let contentType: String
        public let body: [UInt8]

        public init(status: String = "200 OK", contentType: String, body: [UInt8]) {
            (self.status, self.contentType, self.body) = (status, contentType, body)
        }

        public static func text(_ status: String, _ body: String) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: Array(body.utf8))
        }
    }

    /// A path's handler, given the query string (after "?", "" without one); it runs on the
    /// connection's thread and may take its time.
    public typealias Route = @Sendable (_ query: String) -> Response
    private var thread: pthread_t?
    /// Set by stop(); read by the server thread between polls.
    private let stopping = Atomic<Bool>(false)
    public let address: String

    /// Binds and listens on `address` (":9435", "127.0.0.1:9435", "[::1]:9435") at once: a port
    /// in use is an error (status 1) before the tool says it serves.
    public init(address: String, routes: [String: Route] = [:], render: @escaping @Sendable () -> String) throws(BPFError) {
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
        self.routes = routes
        self.address = address
    }

    deinit {
        stop()
        close(listener)
    }

    /// "HOST:PORT", ":PORT" (every address), "[V6]:PORT".
    public static func parse(_ address: String) throws(BPFError) -> (host: String?, port: UInt16) {
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
        // the connections' threads read the tool's maps: let them end before those close (a
        // route that waits checks Signals.stopRequested)
        let deadline = Clock.monotonicNs() &+ 3_000_000_000
        while connections.load(ordering: .relaxed) > 0 && Clock.monotonicNs() < deadline {
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
        }
    }

    private func serve() {
        while !stopping.load(ordering: .relaxed) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            guard connections.add(1, ordering: .relaxed).newValue <= Self.maxConnections,
                  let thread = BackgroundThread.start({ [self] in
                      respond(client)
                      close(client)
                      connections.subtract(1, ordering: .relaxed)
                  }) else {
                send(client, .text("503 Service Unavailable", "too many connections\n"), head: false)
                close(client)
                connections.subtract(1, ordering: .relaxed)
                continue
            }
            pthread_detach(thread)
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
        let response: Response
        if line.count < 2 {
            response = .text("400 Bad Request", "bad request\n")
        } else if line[0] != "GET" && line[0] != "HEAD" {
            response = .text("405 Method Not Allowed", "only GET\n")
        } else {
            let target = line[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let path = String(target[0]), query = target.count > 1 ? String(target[1]) : ""
            if path == "/metrics" {
                response = Response(contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(render().utf8))
            } else if let route = routes[path] {
                response = route(query)
            } else {
                response = .text("404 Not Found", "metrics are at /metrics\n")
            }
        }
        send(client, response, head: line.first == "HEAD")
    }

    private func send(_ client: Int32, _ response: Response, head: Bool) {
        let header = "HTTP/1.1 \(response.status)\r\nContent-Type: \(response.contentType)\r\n"
            + "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(header.utf8)
        if !head { bytes += response.body }
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return -1 }
                return Glibc.send(client, base + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
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
