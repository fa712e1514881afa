import LoaderCore

/// A tool whose options take values the manifest test cannot make up from the argument's
/// name (a syscall's name, an open flag's): valid values by option, in Samples/<tool>.swift.
protocol OptionSampled: BPFTool {
    static var optionSamples: [String: String] { get }
}
