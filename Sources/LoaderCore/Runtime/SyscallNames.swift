/// System call names of this architecture, by number: generated at build time from the
/// kernel's UAPI headers (<asm/unistd.h>, see SyscallTablePlugin). A call newer than those
/// headers shows as BCC shows a number it has no name for: "[unknown: N]".
public struct SyscallNames: Sendable {
    public static let shared = SyscallNames(table: builtinSyscallTable)

    /// Every known name by number.
    public let all: [Int: String]
    private let numbers: [String: Int]

    /// `table`: "NUMBER NAME" lines.
    init(table: String) {
        var all: [Int: String] = [:]
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let number = Int(fields[0]), number >= 0 { all[number] = String(fields[1]) }
        }
        self.all = all
        numbers = Dictionary(all.map { ($0.value, $0.key) }, uniquingKeysWith: min)
    }

    /// BCC's syscall_name(): the name, or "[unknown: N]".
    public func name(_ number: Int) -> String { all[number] ?? "[unknown: \(number)]" }

    /// The number of the call named `name`, if known.
    public func number(_ name: String) -> Int? { numbers[name] }
}
