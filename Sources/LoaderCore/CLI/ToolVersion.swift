/// The suite's version: this line is the one place it is set (tools, multi-call binary, man
/// pages' footers and the Debian package read it from here or from `--version`).
public enum ToolVersion {
    public static let number = "0.10.0"

    /// "0.10.0 (git 1a2b3c4d5e6f)", or the number alone when not built from a git checkout.
    public static var description: String { buildCommit.isEmpty ? number : "\(number) (git \(buildCommit))" }

    /// What `--version` prints: argparse's `%(prog)s <version>` form.
    public static func line(for tool: String) -> String { "\(tool) \(description)" }
}
