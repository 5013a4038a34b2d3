import Foundation

/// The whole configuration: one typed value per registered section.
///
/// Built from `Config/sketchface.json` (or defaults) plus command-line overrides; every problem is a
/// `ConfigError` naming its key. Read a section with `config[LimitsSection.self]`.
public struct Config: Sendable {
    /// Every section the file may contain. Adding a section is one line here plus its own file.
    public static let sectionTypes: [any ConfigSection.Type] = [
        ListenersSection.self,
        TLSSection.self,
        LimitsSection.self,
        TimeoutsSection.self,
        ServerSection.self,
        ModelSection.self,
        LoggingSection.self,
        SessionsSection.self,
        StorageSection.self,
        NodeSection.self,
        GuidanceSection.self,
    ]

    private var sections: [String: any ConfigSection] = [:]

    /// The section of type `S` (its defaults when the file has none).
    public subscript<S: ConfigSection>(_ type: S.Type) -> S {
        get { sections[S.key] as! S }
        set { sections[S.key] = newValue }
    }

    /// Every section with its defaults.
    public static var defaults: Config { try! decode(.object([:])) }

    /// Reads `path` (JSON), applies `overrides`, validates every section.
    public static func load(path: String, overrides: [ConfigOverride] = []) throws -> Config {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(key: path, problem: "cannot read the configuration file")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(data)
        } catch var error as ConfigError {
            error.key = path
            throw error
        }
        return try decode(document, overrides: overrides)
    }

    /// Validates a parsed document (a JSON object of sections) with `overrides` applied.
    public static func decode(_ document: JSONValue, overrides: [ConfigOverride] = []) throws -> Config {
        guard case .object(var root) = document else {
            throw ConfigError(key: "file", problem: "must be a JSON object of sections (got \(document))")
        }
        var flags: [String: String] = [:]
        for override in overrides {
            let parts = override.key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            var section: [String: JSONValue] = [:]
            if case .object(let existing)? = root[parts[0]] { section = existing }
            section[parts[1]] = override.value
            root[parts[0]] = .object(section)
            flags[override.key] = override.flag
        }
        var config = Config()
        let known = Set(sectionTypes.map { $0.key })
        if let unknown = root.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(key: unknown, problem: "unknown section")
        }
        for type in sectionTypes {
            var members: [String: JSONValue] = [:]
            switch root[type.key] {
            case nil, .null?: break
            case .object(let values)?: members = values
            case let other?: throw ConfigError(key: type.key, problem: "must be an object (got \(other))")
            }
            let object = ConfigObject(path: type.key, values: members, flags: flags)
            let section = try type.init(from: object)
            try object.finish()
            config.sections[type.key] = section
        }
        return config
    }
}

/// A command-line flag's value replacing one key of the file.
public struct ConfigOverride: Sendable {
    /// Dotted key, `section.key`.
    public var key: String
    public var value: JSONValue
    /// The flag as typed (`--http`), for error messages.
    public var flag: String

    public init(key: String, value: JSONValue, flag: String) {
        self.key = key
        self.value = value
        self.flag = flag
    }
}
