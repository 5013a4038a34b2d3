import Logging

/// `logging`: how much the server says.
public struct LoggingSection: ConfigSection {
    public static let key = "logging"
    /// trace, debug, info, notice, warning, error or critical.
    public var level: Logger.Level

    public init(from object: ConfigObject) throws {
        let text = try object.string("level", default: "info")
        guard let level = Logger.Level(rawValue: text) else {
            throw object.error("level", "must be one of trace, debug, info, notice, warning, error, critical (got \"\(text)\")")
        }
        self.level = level
    }
}
