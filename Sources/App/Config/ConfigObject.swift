/// One JSON object of the configuration file (a section), read key by key.
///
/// Every getter records its key as known; `finish()` then reports the first key nobody asked for, so a
/// typo such as `max_body_byte` is an error instead of a silently ignored setting. Absent keys and
/// `null` take the default.
public final class ConfigObject {
    /// The dotted path of this object (`limits`), used in error messages.
    public let path: String
    private let values: [String: JSONValue]
    private var known: Set<String> = []
    private let flags: [String: String]

    init(path: String, values: [String: JSONValue], flags: [String: String]) {
        self.path = path
        self.values = values
        self.flags = flags
    }

    private func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error about `key` (naming the command-line flag that set it, if one did).
    public func error(_ key: String, _ problem: String) -> ConfigError {
        ConfigError(key: keyPath(key), problem: problem, flag: flags[keyPath(key)])
    }

    private func raw(_ key: String) -> JSONValue? {
        known.insert(key)
        guard let value = values[key], value != .null else { return nil }
        return value
    }

    /// Whether the file (or a flag) has this key at all, even as `null`.
    public func contains(_ key: String) -> Bool { values[key] != nil }

    /// A string, or `defaultValue` when absent.
    public func string(_ key: String, default defaultValue: String) throws -> String {
        guard let value = raw(key) else { return defaultValue }
        guard case .string(let text) = value, !text.isEmpty else { throw error(key, "must be a non-empty string (got \(value))") }
        return text
    }

    /// A string, or nil when absent, null or empty.
    public func optionalString(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        guard case .string(let text) = value else { throw error(key, "must be a string or null (got \(value))") }
        return text.isEmpty ? nil : text
    }

    /// A boolean, or `defaultValue` when absent.
    public func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let value = raw(key) else { return defaultValue }
        guard case .bool(let flag) = value else { throw error(key, "must be true or false (got \(value))") }
        return flag
    }

    /// An integer within `range`, or `defaultValue` when absent.
    public func integer(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let value = raw(key) else { return defaultValue }
        guard case .integer(let number) = value else { throw error(key, "must be an integer (got \(value))") }
        guard range.contains(number) else {
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound) (got \(number))")
        }
        return number
    }

    /// A list of strings, or `defaultValue` when absent.
    public func strings(_ key: String, default defaultValue: [String]) throws -> [String] {
        guard let value = raw(key) else { return defaultValue }
        guard case .array(let items) = value else { throw error(key, "must be a list of strings (got \(value))") }
        return try items.map { item in
            guard case .string(let text) = item else { throw error(key, "must be a list of strings (got \(item) in it)") }
            return text
        }
    }

    /// Throws for the first key present in the file that no getter asked for.
    public func finish() throws {
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(key: keyPath(unknown), problem: "unknown key")
        }
    }
}
