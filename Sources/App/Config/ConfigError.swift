/// An invalid configuration: one line naming the key, printed by the CLI before exiting with status 2.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The dotted key path (`limits.max_body_bytes`), or the file for file-level problems.
    public var key: String
    /// What is wrong, e.g. `must be a positive integer (got "abc")`.
    public var problem: String
    /// The command-line flag that supplied the value, when one did.
    public var flag: String?

    public init(key: String, problem: String, flag: String? = nil) {
        self.key = key
        self.problem = problem
        self.flag = flag
    }

    public var description: String {
        let source = flag.map { " (set by \($0))" } ?? ""
        return "config error: \(key)\(source): \(problem)"
    }
}
