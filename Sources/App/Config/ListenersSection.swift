import Transport

/// `listeners`: where the server accepts connections.
public struct ListenersSection: ConfigSection {
    public static let key = "listeners"
    /// Plaintext HTTP address, nil when disabled.
    public var http: SocketAddress?
    /// TLS address, nil when disabled.
    public var https: SocketAddress?
    /// Allows plaintext on a non-loopback address (traffic readable on the network).
    public var allowInsecurePublic: Bool

    public init(from object: ConfigObject) throws {
        allowInsecurePublic = try object.bool("allow_insecure_public", default: false)
        http = try Self.address(object, "http", default: "127.0.0.1:8080")
        https = try Self.address(object, "https", default: "0.0.0.0:8443")
        if let http, !http.isLoopback, !allowInsecurePublic {
            throw object.error("http", "plaintext on non-loopback address \(http) is refused; use https, a loopback address, or set listeners.allow_insecure_public")
        }
        if http == nil && https == nil {
            throw object.error("https", "at least one of listeners.http and listeners.https must be set")
        }
    }

    private static func address(_ object: ConfigObject, _ key: String, default defaultValue: String) throws -> SocketAddress? {
        // Absent: the default. null, "" or "off": disabled.
        let text = object.contains(key) ? try object.optionalString(key) : (try object.optionalString(key) ?? defaultValue)
        guard let text, text != "off" else { return nil }
        do {
            return try SocketAddress(parsing: text)
        } catch {
            throw object.error(key, "invalid address \"\(text)\" (expected host:port such as 127.0.0.1:8080, [::1]:8443 or \"off\")")
        }
    }
}
