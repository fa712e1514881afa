import Foundation
import Testing
@testable import LoaderCore

@Suite struct TableAndJSONTests {
    let table = Table([
        Column("COMM", header: "%-16s ", row: "%-16s "),
        Column("PID", header: "%-7s ", row: "%-7d "),
        Column("PPID", header: "%-7s ", row: "%-7s "),
        Column("RET", header: "%3s ", row: "%3d "),
        Column("ARGS", header: "%s", row: "%s"),
    ])

    @Test func headerAndRowAreBCCs() {
        #expect(table.header == "COMM             PID     PPID    RET ARGS")
        let row = table.row([.text("bash"), .int(1234), .optionalInt(1000, display: "1000"), .int(0),
                             .list(display: "/bin/ls -l", items: ["/bin/ls", "-l"])])
        #expect(row == "bash             1234    1000      0 /bin/ls -l")
    }

    @Test func jsonUsesSnakeCaseKeysAndTypedValues() throws {
        let line = table.json([.text("a\"b\n"), .int(7), .optionalInt(nil, display: "?"), .int(-2),
                               .list(display: "x y", items: ["x", "y"])],
                              extra: [("args_truncated", .bool(false))])
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["comm"] as? String == "a\"b\n")
        #expect(object["pid"] as? Int == 7)
        #expect(object["ppid"] is NSNull)
        #expect(object["ret"] as? Int == -2)
        #expect(object["args"] as? [String] == ["x", "y"])
        #expect(object["args_truncated"] as? Bool == false)
        #expect(!line.contains("\n"))
    }

    @Test func snakeCaseOfBCCTitles() {
        #expect(Column.snakeCase("TIME(s)") == "time_s")
        #expect(Column.snakeCase("LADDR:LPORT") == "laddr_lport")
        #expect(Column.snakeCase("TX_KB") == "tx_kb")
    }

    @Test func controlCharactersAreEscaped() {
        #expect(JSONValue.string("\u{1}\t").serialized == "\"\\u0001\\t\"")
        #expect(JSONValue.double(.nan).serialized == "null")
        #expect(JSONValue.double(2.5).serialized == "2.5")
    }
}
