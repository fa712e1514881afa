/// Objects the process's exit reclaims: a report's tables of tens of thousands of stacks,
/// freed one allocation at a time when the tool's run returns, cost profile 20-30 ms between
/// its last line and its exit, which a pipe's reader waits for.
public enum KeptUntilExit {
    /// Takes a reference that is never given back: the object is never freed.
    public static func keep(_ object: AnyObject) {
        _ = Unmanaged.passRetained(object)
    }
}
