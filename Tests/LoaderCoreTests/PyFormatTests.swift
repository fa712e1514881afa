import Testing
@testable import LoaderCore

/// Python `%` semantics, checked against strings Python itself prints (spec section 0).
@Suite struct PyFormatTests {
    @Test func padsLeftAndRightWithoutTruncating() {
        #expect(PyFormat("%-16s|")("bash") == "bash            |")
        #expect(PyFormat("%7s|")("42") == "     42|")
        #expect(PyFormat("%-7d ")(.int(12345678)) == "12345678 ")  // wider than 7: shifts, not cut
        #expect(PyFormat("%-16s ")("a-very-long-command-name") == "a-very-long-command-name ")
    }

    @Test func precisionTruncatesStrings() {
        #expect(PyFormat("%-12.12s|")("averylongcommandname") == "averylongcom|")
        #expect(PyFormat("%-10.10s|")("short") == "short     |")
        #expect(PyFormat("%-16.16s|")("x") == "x               |")
    }

    @Test func integers() {
        #expect(PyFormat("%3d")(.int(-2)) == " -2")
        // kernel addresses are Python ints, never negative (profile -A: BCC's "0x%-16x")
        #expect(PyFormat("0x%-16x %s")(.unsigned(0xffff_ffff_816b_6249), .text("f")) == "0xffffffff816b6249 f")
        #expect(PyFormat("%d")(.unsigned(.max)) == "18446744073709551615")
        // a double too large, infinite or NaN for an integer format must not trap
        #expect(PyFormat("%d")(.double(.infinity)) == "9223372036854775807")
        #expect(PyFormat("%d")(.double(.nan)) == "0")
        #expect(PyFormat("%3d")(.int(0)) == "  0")
        #expect(PyFormat("%-6d|")(.int(0)) == "0     |")
        #expect(PyFormat("%4d")(.int(-1)) == "  -1")
        #expect(PyFormat("%08o")(.int(0o2000000)) == "02000000")
        #expect(PyFormat("%04o")(.int(0o644)) == "0644")
        #expect(PyFormat("%04o")(.int(0)) == "0000")
        #expect(PyFormat("%x")(.int(255)) == "ff")
        #expect(PyFormat("0x%016x")(.int(0xffff)) == "0x000000000000ffff")
        #expect(PyFormat("%-10d|")(.int(700)) == "700       |")
    }

    @Test func floatsRoundLikeC() {
        #expect(PyFormat("%-8.3f")(.double(2.849)) == "2.849   ")
        #expect(PyFormat("%-8.3f")(.double(12345.6789)) == "12345.679")  // runs into the next column
        #expect(PyFormat("%-14.9f")(.double(1.023068)) == "1.023068000   ")
        #expect(PyFormat("%.2f")(.double(0.125)) == "0.12")   // binary 0.125 is exact: half-even
        #expect(PyFormat("%.2f")(.double(2.675)) == "2.67")   // 2.675 is 2.67499999... in binary
        #expect(PyFormat("%-9.3f")(.double(0)) == "0.000    ")
        #expect(PyFormat("%-9.6f ")(.double(1.5)) == "1.500000  ")
    }

    @Test func literalsAndPercent() {
        #expect(PyFormat("%s:%d")("10.0.0.1", .int(22)) == "10.0.0.1:22")
        #expect(PyFormat("100%% %s")("done") == "100% done")
        #expect(PyFormat("[%s]#%d")("::1", .int(443)) == "[::1]#443")
    }

    @Test func widthsCountBytesLikePrintb() {
        // BCC formats bytes: a two-byte character takes two columns of padding.
        #expect(PyFormat("%-6s|")("né") == "né   |")
    }

    /// Spec 1.2 and 2.2: every header of execsnoop and opensnoop, built column by column.
    @Test func bccHeadersFromColumns() {
        let exec = Table([
            Column("TIME", header: "%-9s", row: "%-9s"), Column("TIME(s)", header: "%-8s", row: "%-8.3f"),
            Column("UID", header: "%-6s", row: "%-6d"), Column("COMM", header: "%-16s ", row: "%-16s "),
            Column("PID", header: "%-7s ", row: "%-7d "), Column("PCOMM", header: "%-16s ", row: "%-16s "),
            Column("PPID", header: "%-7s ", row: "%-7s "), Column("CPU", header: "%-4s ", row: "%-4d "),
            Column("RET", header: "%3s ", row: "%3d "), Column("ARGS", header: "%s", row: "%s"),
        ])
        #expect(exec.header == "TIME     TIME(s) UID   COMM             PID     PCOMM            PPID    CPU  RET ARGS")
        let open = Table([
            Column("TIME(s)", header: "%-14s", row: "%-14.9f"), Column("UID", header: "%-6s", row: "%-6d"),
            Column("PID", header: "%-6s ", row: "%-6d "), Column("COMM", header: "%-16s ", row: "%-16s "),
            Column("FD", header: "%4s ", row: "%4d "), Column("ERR", header: "%3s ", row: "%3d "),
            Column("FLAGS", header: "%-8s ", row: "%08o "), Column("MODE", header: "%-4s ", row: "%s "),
            Column("PATH", header: "%s", row: "%s"),
        ])
        #expect(open.header == "TIME(s)       UID   PID    COMM               FD ERR FLAGS    MODE PATH")
        #expect(open.row([.double(1.023068), .int(0), .int(1234), .text("cat"), .int(3), .int(0),
                          .int(0o2000000), .text("n/a "), .text("/etc/passwd")])
                == "1.023068000   0     1234   cat                 3   0 02000000 n/a  /etc/passwd")
    }
}
