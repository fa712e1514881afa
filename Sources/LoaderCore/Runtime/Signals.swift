import Glibc
import Synchronization

/// SIGINT, SIGTERM and SIGHUP (the terminal went away) ask the tool to stop: it prints its final
/// report, if it has one, and exits 0; the poll loop sees the flag within one poll timeout
/// (the signal also interrupts the wait, or a blocked write, at once). SIGPIPE is ignored, also
/// when sent with kill: a closed stdout shows up as EPIPE on the next write, which ends the
/// tool quietly with status 0.
public enum Signals {
    private static let stop = Atomic<Bool>(false)

    public static var stopRequested: Bool { stop.load(ordering: .relaxed) }

    public static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Signals.stop.store(true, ordering: .relaxed) }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: the blocked poll returns EINTR at once
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // under nohup SIGHUP is ignored on purpose: leave it so
        var hangup = sigaction()
        sigaction(SIGHUP, nil, &hangup)
        if unsafeBitCast(hangup.__sigaction_handler.sa_handler, to: Int.self) != 1 /* SIG_IGN */ {
            sigaction(SIGHUP, &action, nil)
        }
        signal(SIGPIPE, SIG_IGN)
        // A blocked mask is inherited across exec (some supervisors and test runners block
        // these), and would make the tool deaf to Ctrl-C and SIGTERM.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        sigaddset(&unblock, SIGHUP)
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
    }
}
