import ArgumentParser

/// `--exec CMD...` (BCC's opensnoop and syscount): start a command, trace only it, end when it
/// ends. The command is started gated (see GatedChild): its PID goes into the BPF config and
/// it runs once the probes are attached.
public struct ExecCommand: ParsableArguments, Sendable {
    @Option(name: .customLong("exec"), parsing: .remaining,
            help: ArgumentHelp("run this command and trace only it (must be last); ends when it ends", valueName: "CMD"))
    public var command: [String] = []

    public init() {}

    /// Whether --exec was given: ArgumentParser leaves `command` empty both without it and with
    /// no command after it, so the raw arguments tell.
    static var given: Bool { CommandLine.arguments.dropFirst().contains { $0.hasPrefix("--exe") } }

    /// The command, started and waiting; nil without --exec. BCC's two checks, in its words
    /// (status 2, as every conflict of options): not with -p, and not without a command.
    public func start(pidGiven: Bool) throws -> GatedChild? {
        guard !command.isEmpty || Self.given else { return nil }
        if pidGiven { throw ToolFailure("ERROR: can only use -p or --exec. Exiting.", status: 2) }
        if command.isEmpty { throw ToolFailure("ERROR: --exec without command. Exiting.", status: 2) }
        return try GatedChild(command)
    }

    /// Lets the started command run, once the header is out (before anything the command
    /// prints on the shared stdout).
    public func release(_ child: GatedChild?) throws {
        guard let child, let name = command.first else { return }
        OutputSink.stdout.flush()
        try child.release(name)
    }
}
