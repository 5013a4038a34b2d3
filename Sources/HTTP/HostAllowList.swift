/// The host names a server answers to, checked against each request's `Host` (or the authority of an
/// absolute-form target): a page on another name that resolves to us (DNS rebinding) is refused.
///
/// Names compare case-insensitively, without port and without a trailing dot; IPv6 literals are
/// written without brackets (`::1`). The name `*` allows every host.
public struct HostAllowList: Sendable, Equatable {
    private let names: Set<String>
    private let allowsAny: Bool

    /// Allows exactly `names` (`*` among them allows any host).
    public init(names: [String]) {
        allowsAny = names.contains("*")
        self.names = Set(names.map { Self.canonical($0) })
    }

    /// Whether `authority` (`name`, `name:port`, `[v6]:port`) names an allowed host; a malformed
    /// authority is never allowed.
    public func allows(_ authority: some StringProtocol) -> Bool {
        guard let name = Self.hostName(of: authority) else { return false }
        return allowsAny || names.contains(name)
    }

    /// The canonical host name of an authority (`Example.org.:8080` → `example.org`, `[::1]:80` → `::1`),
    /// or nil when it is not `host[:port]`.
    public static func hostName(of authority: some StringProtocol) -> String? {
        let text = String(authority)
        var host: Substring
        var port: Substring = ""
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                port = rest.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            host = Substring(text)
        }
        guard port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber), isPlainHost(host) else { return nil }
        return canonical(host)
    }

    /// Whether `name` is a bare host (registered name, IPv4 or unbracketed IPv6): no scheme, port, path,
    /// user info or whitespace.
    public static func isPlainHost(_ name: some StringProtocol) -> Bool {
        guard !name.isEmpty else { return false }
        let isIPv6 = name.contains(":")
        return name.utf8.allSatisfy { c in
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                return true
            case UInt8(ascii: ":"), UInt8(ascii: "%"):
                return isIPv6
            default:
                return false
            }
        }
    }

    private static func canonical(_ name: some StringProtocol) -> String {
        var lowered = name.lowercased()
        while lowered.count > 1 && lowered.hasSuffix(".") { lowered.removeLast() }
        return lowered
    }
}
