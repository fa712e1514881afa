import syscount

extension SysCount: OptionSampled {
    static var optionSamples: [String: String] { ["--syscall": "read"] }
}
