import HTTP

/// `server`: threads, directories, origins and the echo route.
public struct ServerSection: ConfigSection {
    public static let key = "server"
    /// Event-loop threads (connections are spread over them).
    public var eventLoops: Int
    /// Writable state: development certificate, databases.
    public var dataDirectory: String
    /// Static files served at `/`.
    public var webRoot: String
    /// Origins allowed to open WebSockets, besides same-origin requests.
    public var allowedOrigins: [String]
    /// Enables the `/ws/echo` WebSocket route (tests, benchmarks).
    public var echo: Bool
    /// The name clients use to reach this server (`sketch.example.org`), allowed in `Host`; nil when none.
    public var publicName: String?
    /// Further host names allowed in `Host` besides the localhost names, the listener addresses and
    /// `publicName`; `"*"` allows any.
    public var allowedHosts: [String]

    public init(from object: ConfigObject) throws {
        eventLoops = try object.integer("event_loops", default: 2, in: 1...64)
        dataDirectory = try object.string("data_dir", default: "data")
        webRoot = try object.string("web_root", default: "web")
        allowedOrigins = try object.strings("allowed_origins", default: [
            "http://127.0.0.1:8080", "http://localhost:8080", "https://127.0.0.1:8443", "https://localhost:8443",
        ])
        for origin in allowedOrigins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) || origin.hasSuffix("/") {
            throw object.error("allowed_origins", "\"\(origin)\" is not an origin (scheme://host[:port], no path)")
        }
        echo = try object.bool("echo", default: false)
        publicName = try object.optionalString("public_name").flatMap { $0.isEmpty ? nil : $0 }
        allowedHosts = try object.strings("allowed_hosts", default: [])
        for name in allowedHosts + [publicName].compactMap({ $0 }) where name != "*" && !HostAllowList.isPlainHost(name) {
            throw object.error(name == publicName ? "public_name" : "allowed_hosts",
                               "\"\(name)\" is not a host name (no scheme, port or path)")
        }
    }
}
