import Glibc

/// Runs a helper program and reads its standard output, within a time limit (killed after)
/// and a size limit (the rest is not read). Its stdin is /dev/null, its stderr discarded.
enum ChildOutput {
    enum Result {
        case output(String, status: Int32)
        case timedOut
        case failed(String)
    }

    static func run(_ argv: [String], timeout: Double, maxBytes: Int) -> Result {
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else { return .failed("pipe: \(String(cString: strerror(errno)))") }
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }  // the child gets the write end as its stdout only
        defer { close(pipeFDs[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        close(pipeFDs[1])
        guard spawned == 0 else { return .failed("\(argv[0]): \(String(cString: strerror(spawned)))") }

        var output: [UInt8] = []
        let deadline = Clock.monotonicNs() &+ Clock.nanoseconds(timeout)
        var timedOut = false
        while true {
            let now = Clock.monotonicNs()
            if now >= deadline { timedOut = true; break }
            var poller = pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min((deadline - now) / 1_000_000 + 1, 1000)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(pipeFDs[0], &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            if output.count < maxBytes { output += buffer.prefix(min(n, maxBytes - output.count)) }
        }
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { return .timedOut }
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return .output(String(decoding: output, as: UTF8.self), status: code)
    }
}
