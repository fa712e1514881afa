import ArgumentParser
import Glibc

/// Runs a tool's command with BCC's (argparse's) exit contract: usage errors print a usage
/// line and `<tool>: error: <message>` on stderr and exit 2; --help prints to stdout and exits
/// 0; runtime failures print one line `<tool>: <message>` and exit 1.
public enum ToolMain {
    public static func run<T: ParsableCommand>(_ type: T.Type, arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        StandardDescriptors.reopenClosed()
        let name = T.configuration.commandName ?? "tool"
        // argparse's help and version actions win over everything else on the line
        let options = arguments.prefix { $0 != "--" }
        if options.contains("-h") || options.contains("--help") {
            OutputSink.stdout.write(ArgparseHelp(T.self).text)
            OutputSink.stdout.flush()
            exit(0)
        }
        if options.contains("--version") {
            OutputSink.stdout.writeLine(ToolVersion.line(for: name))
            OutputSink.stdout.flush()
            exit(0)
        }
        var command: ParsableCommand
        do {
            command = try T.parseAsRoot(arguments)
        } catch {
            // what argparse would have taken (prefixes, -xu0, -P -1), in the parser's spelling
            let rewritten: [String]
            do throws(ArgparseCompat.Ambiguous) {
                rewritten = try ArgparseCompat.rewrite(arguments, ArgparseCompat.OptionTable(T.self))
            } catch {
                exitForParse(ValidationError(error.description), type, name)
            }
            guard rewritten != arguments else { exitForParse(error, type, name) }
            do { command = try T.parseAsRoot(rewritten) } catch { exitForParse(error, type, name) }
        }
        do {
            try command.run()
            OutputSink.stdout.flush()
            exit(0)
        } catch let failure as ToolFailure {
            OutputSink.stdout.flush()
            Diagnostics.line(failure.message)
            exit(failure.status)
        } catch let error as BPFError {
            OutputSink.stdout.flush()
            Diagnostics.line("\(name): \(error.message)")
            if let detail = error.detail {
                if LibbpfLog.shared.isVerbose {
                    Diagnostics.write(detail.hasSuffix("\n") ? detail : detail + "\n")
                } else if error.code == .load || error.code == .attach {
                    Diagnostics.line("\(name): run with -v to see libbpf's log")
                }
            }
            exit(1)
        } catch {
            OutputSink.stdout.flush()
            exitForParse(error, type, name)
        }
    }

    private static func exitForParse<T: ParsableCommand>(_ error: Error, _ type: T.Type, _ name: String) -> Never {
        let code = T.exitCode(for: error)
        if code == .success {
            OutputSink.stdout.write(T.fullMessage(for: error) + "\n")
            OutputSink.stdout.flush()
            exit(0)
        }
        if code == .validationFailure {
            let message = T.message(for: error)
            Diagnostics.line(ArgparseHelp(T.self).usage)
            Diagnostics.line("\(name): error: \(lowercasedFirst(message))")
            exit(2)
        }
        let message = T.message(for: error)
        if !message.isEmpty { Diagnostics.line("\(name): \(message)") }
        exit(code.rawValue)
    }

    private static func lowercasedFirst(_ s: String) -> String {
        guard let first = s.first, first.isUppercase, s.dropFirst().first?.isUppercase != true else { return s }
        return first.lowercased() + s.dropFirst()
    }
}

/// A failure reported in BCC's own words (no "<tool>: " prefix), with BCC's exit status.
public struct ToolFailure: Error {
    public let message: String
    public let status: Int32

    public init(_ message: String, status: Int32 = 1) {
        self.message = message
        self.status = status
    }
}

/// Standard input, output and error that the caller closed (`tool >&-`) are opened on
/// /dev/null before anything else opens a file: otherwise the first file the tool opens (a BPF
/// object's map, say) takes fd 1, and rows are written into it.
enum StandardDescriptors {
    static func reopenClosed() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) < 0 && errno == EBADF {
            let opened = open("/dev/null", O_RDWR)
            if opened >= 0 && opened != fd {
                dup2(opened, fd)
                close(opened)
            }
        }
    }
}
