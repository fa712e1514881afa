import Glibc
import Testing
@testable import LoaderCore

/// The core pieces the TCP tools and profile share, on values whose answers are known.
@Suite struct NetAndSymbolTests {
    @Test func addressesPrintAsInetNtop() {
        // bytes as the kernel stores them (network order), loaded little-endian
        #expect(IPAddress(family: 2, bytes: (0x0100_007F, 0)).description == "127.0.0.1")
        #expect(IPAddress(family: 2, bytes: (0x0100_007F, 0)).version == 4)
        #expect(IPAddress(family: 10, bytes: (0, 0x0100_0000_0000_0000)).description == "::1")
        // fe80::1:22 -> fe 80 00 .. 00 01 00 22
        let low: UInt64 = 0x2200_0100_0000_0000
        #expect(IPAddress(family: 10, bytes: (0x80FE, low)).description == "fe80::1:22")
        #expect(IPAddress(family: 10, bytes: (0, 0x0100_007F_FFFF_0000)).description == "::ffff:127.0.0.1")
    }

    @Test func tcpStateNamesAsBCC() {
        #expect(TCPState.name(1) == "ESTABLISHED")
        #expect(TCPState.name(2) == "SYN_SENT")
        #expect(TCPState.name(12) == "NEW_SYN_RECV")
        #expect(TCPState.name(99) == "99")
    }

    @Test func portLists() {
        #expect(PortList(argument: "80")?.ports == [80])
        #expect(PortList(argument: "80,443")?.ports == [80, 443])
        for bad in ["", "0", "65536", "80,", ",80", "http", "80;443", "-1"] {
            #expect(PortList(argument: bad) == nil, "\(bad)")
        }
        #expect(IDList(argument: "185,2040")?.description == "[185, 2040]")
        #expect(IDList(argument: "0")?.ids == [0])  // the idle task, as BCC's positive_int allows
        for bad in ["-1", "2147483648", "1,,2", "x"] {
            #expect(IDList(argument: bad) == nil, "\(bad)")
        }
    }

    @Test func framesRenderAsBCCSym() {
        #expect(Frame(name: "main", offset: 0x12, module: "a.out").detailed == "main+0x12 [a.out]")
        #expect(Frame(name: "main", offset: 0x12, module: "a.out").bare == "main")
        #expect(Frame(name: nil, module: "libc.so.6").detailed == "[unknown] [libc.so.6]")
        #expect(Frame.unknown.detailed == "[unknown]")
        #expect(Frame.unknown.bare == "[unknown]")
    }

    /// Names are read in a second pass, for the addresses a report shows; the first listed of
    /// several at one address wins, modules are kept, data symbols and zero addresses are not,
    /// and modules listed out of order still sort.
    @Test func kallsymsNamesTheAddressesAsked() throws {
        let text = """
            ffffffff81000000 T _stext
            ffffffff81000100 t first_alias
            ffffffff81000100 T second_alias
            ffffffff81000200 D some_data
            ffffffff81000300 T __schedule
            ffffffff81000400 T after
            ffffffffc0002000 t late_fn\t[late]
            ffffffffc0001000 t early_fn\t[early]
            0000000000000000 T hidden

            """
        let path = "/tmp/kallsyms-test-\(getpid())"
        defer { unlink(path) }
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let symbols = KernelSymbols(path: path, marking: ["__schedule"])
        symbols.loadInBackground()
        symbols.resolve([0xffff_ffff_8100_0105, 0xffff_ffff_8100_0250, 0xffff_ffff_c000_1010, 0xffff_ffff_c000_2000, 0x10])
        #expect(symbols.frame(0xffff_ffff_8100_0105).detailed == "first_alias+0x5 [kernel]")
        #expect(symbols.frame(0xffff_ffff_8100_0250).detailed == "first_alias+0x150 [kernel]")  // data is not a function
        #expect(symbols.frame(0xffff_ffff_c000_1010).detailed == "early_fn+0x10 [early]")
        #expect(symbols.frame(0xffff_ffff_c000_2000).detailed == "late_fn+0x0 [late]")
        #expect(symbols.frame(0x10).detailed == "[unknown] [kernel]")
        #expect(symbols.frame(0xffff_ffff_8100_0410).bare == "after")  // not resolved ahead: a pass of its own
        #expect(symbols.isIn("__schedule", 0xffff_ffff_8100_0310))
        #expect(!symbols.isIn("__schedule", 0xffff_ffff_8100_0400))
        #expect(!symbols.isIn("after", 0xffff_ffff_8100_0400))  // not marked
    }

    @Test func symbolLookupHonoursSizesAndAliases() {
        let table = SymbolTable([
            .init(start: 0x1000, size: 0x100, name: "first"),
            .init(start: 0x2000, size: 0, name: "alias"),
            .init(start: 0x2000, size: 0x80, name: "sized"),
            .init(start: 0x3000, size: 0, name: "open_ended"),
        ])
        #expect(table.lookup(0x0fff) == nil)
        #expect(table.lookup(0x1000)?.name == "first")
        #expect(table.lookup(0x10ff)?.offset == 0xff)
        #expect(table.lookup(0x1100) == nil)  // past first's size, before the next symbol
        #expect(table.lookup(0x2010)?.name == "sized")
        #expect(table.lookup(0x2010)?.offset == 0x10)
        #expect(table.lookup(0x3456)?.name == "open_ended")
    }

    @Test func perfMapsAndMappingsParse() {
        let perf = UserSymbols.parsePerfMap("7f0000001000 20 jitted_a\n0x7f0000002000 0x10 jitted b\nnonsense\n")
        #expect(perf.lookup(0x7f00_0000_1010)?.name == "jitted_a")
        #expect(perf.lookup(0x7f00_0000_2004)?.name == "jitted b")
        #expect(perf.lookup(0x7f00_0000_2010) == nil)
        let mapping = UserSymbols.parse("55d0c8a00000-55d0c8a02000 r-xp 00002000 fd:00 1234   /usr/bin/x y")
        #expect(mapping?.start == 0x55d0_c8a0_0000 && mapping?.offset == 0x2000 && mapping?.path == "/usr/bin/x y")
        #expect(UserSymbols.parse("55d0c8a00000-55d0c8a02000 rw-p 00000000 00:00 0") == nil)  // not executable
    }

    @Test func flameGraphEscapesAndScales() {
        let svg = FlameGraph(title: "t", samples: [(["a<b>", "leaf_[k]"], 3), (["a<b>", "other"], 1)]).svg()
        #expect(svg.contains("a&lt;b&gt; (4 samples, 100%)"))
        #expect(svg.contains("leaf (3 samples, 75%)"))
        #expect(svg.contains("other (1 samples, 25%)"))
        #expect(!svg.contains("<b>"))
    }

    /// C++ and Rust names as binutils demangles them; anything else, a name that does not
    /// demangle and a huge one (a crafted binary's) left as they are.
    @Test func demangledNames() {
        #expect(Demangler.demangle("_ZN4shop4CartIlE5totalEi") == "shop::Cart<long>::total(int)")
        #expect(Demangler.demangle("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h8c507c98f25de309E") == "std::rt::lang_start::{{closure}}")
        #expect(Demangler.demangle("_RNvNtCsjrHSEGnQ3l9_3std2rt19lang_start_internal") == "std::rt::lang_start_internal")
        #expect(Demangler.demangle("main") == "main")
        #expect(Demangler.demangle("_Zxyz") == "_Zxyz")
        let huge = "_ZN" + String(repeating: "3abc", count: 2000) + "E"
        #expect(Demangler.demangle(huge) == huge)
    }
}
