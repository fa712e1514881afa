import Testing
@testable import LoaderCore

/// argparse's spellings rewritten into swift-argument-parser's.
@Suite struct ArgparseCompatTests {
    let table = ArgparseCompat.OptionTable(
        longs: ["fails": false, "time": false, "timestamp": false, "uid": true, "ppid": true, "pid": true,
                "max-args": true, "max-arg-size": true, "tid": true],
        shorts: ["x": false, "T": false, "t": false, "u": true, "P": true, "p": true, "L": true],
        longOfShort: ["u": "uid", "P": "ppid", "p": "pid", "L": "tid"])

    @Test func uniqueLongPrefixes() throws {
        #expect(try ArgparseCompat.rewrite(["--fail", "--timest"], table) == ["--fails", "--timestamp"])
        #expect(try ArgparseCompat.rewrite(["--ui", "1000"], table) == ["--uid", "1000"])
        #expect(try ArgparseCompat.rewrite(["--ui=1000"], table) == ["--uid=1000"])
        #expect(try ArgparseCompat.rewrite(["--time"], table) == ["--time"])  // exact wins over prefix
        #expect(try ArgparseCompat.rewrite(["--bogus"], table) == ["--bogus"])  // left for the parser to refuse
    }

    @Test func ambiguousPrefixIsArgparsesError() {
        #expect(throws: ArgparseCompat.Ambiguous.self) { try ArgparseCompat.rewrite(["--ti"], table) }
        do {
            _ = try ArgparseCompat.rewrite(["--max-arg", "3"], table)
        } catch {
            #expect(error.description == "ambiguous option: --max-arg could match --max-arg-size, --max-args")
        }
    }

    @Test func shortGroupsWithAnAttachedValue() throws {
        #expect(try ArgparseCompat.rewrite(["-xu0"], table) == ["-x", "-u", "0"])
        #expect(try ArgparseCompat.rewrite(["-xp123"], table) == ["-x", "-p", "123"])
        #expect(try ArgparseCompat.rewrite(["-Lp123"], table) == ["-L", "p123"])  // -L takes the rest, as argparse
        #expect(try ArgparseCompat.rewrite(["-xT", "-p", "5"], table) == ["-x", "-T", "-p", "5"])
        #expect(try ArgparseCompat.rewrite(["-xz"], table) == ["-xz"])  // unknown: left for the parser
    }

    @Test func negativeNumbersAreValues() throws {
        #expect(try ArgparseCompat.rewrite(["-P", "-1"], table) == ["--ppid=-1"])
        #expect(try ArgparseCompat.rewrite(["--ppid", "-1"], table) == ["--ppid=-1"])
        #expect(try ArgparseCompat.rewrite(["-x", "--", "-P"], table) == ["-x", "--", "-P"])
        #expect(try ArgparseCompat.rewrite(["5", "-3"], table) == ["5", "-3"])  // positionals
    }
}
