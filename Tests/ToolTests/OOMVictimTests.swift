import Foundation
import Glibc
import Testing
@testable import oomkill

/// oomkill on kernels whose oom:mark_victim gives only the victim's thread ID: its process and
/// name come from /proc while the thread exists.
struct OOMVictimTests {
    @Test func aThreadsProcessAndName() throws {
        let (pid, name) = OOMRow.thread(UInt32(getpid()))
        let comm = try String(contentsOfFile: "/proc/self/comm", encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(pid == UInt32(getpid()) && name == comm)
    }

    @Test func aThreadThatIsGone() {
        var missing: UInt32 = 4_194_303
        while kill(pid_t(missing), 0) == 0 { missing -= 1 }
        let (pid, name) = OOMRow.thread(missing)
        #expect(pid == missing && name == nil)
    }
}
