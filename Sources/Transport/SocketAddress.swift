import Glibc

/// An IPv4 or IPv6 socket address with a port, parsed from `host:port` text.
public struct SocketAddress: Sendable, CustomStringConvertible, Equatable {
    /// The raw address; `length` bytes of it are meaningful.
    var storage = sockaddr_storage()
    var length: socklen_t = 0

    /// Parses `127.0.0.1:8080`, `[::1]:8443`, `0.0.0.0:0` or `localhost:8080` (→ 127.0.0.1).
    /// Host names are not resolved: a listener address must be numeric.
    public init(parsing text: String) throws {
        let host: String
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw TransportError.invalidAddress(text) }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw TransportError.invalidAddress(text) }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw TransportError.invalidAddress(text) }
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
              let port = UInt16(portText) else { throw TransportError.invalidAddress(text) }
        try self.init(host: host == "localhost" ? "127.0.0.1" : host, port: port, original: text)
    }

    /// Builds an address from a numeric host and a port.
    public init(host: String, port: UInt16) throws {
        try self.init(host: host, port: port, original: "\(host):\(port)")
    }

    private init(host: String, port: UInt16, original: String) throws {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: v4) { dst.copyMemory(from: $0) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            return
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: v6) { dst.copyMemory(from: $0) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            return
        }
        throw TransportError.invalidAddress(original)
    }

    /// Wraps an address returned by the kernel (accept, getsockname).
    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// Whether this is IPv6.
    public var isIPv6: Bool { Int32(storage.ss_family) == AF_INET6 }

    /// The port in host byte order.
    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            isIPv6 ? UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
                   : UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
        }
    }

    /// The numeric host, without brackets.
    public var host: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        withUnsafeBytes(of: storage) { raw in
            if isIPv6 {
                var a = raw.load(as: sockaddr_in6.self).sin6_addr
                _ = inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
            } else {
                var a = raw.load(as: sockaddr_in.self).sin_addr
                _ = inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
            }
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether the address only accepts connections from this machine (127.0.0.0/8 or ::1).
    /// The wildcard addresses (0.0.0.0, ::) are public.
    public var isLoopback: Bool {
        withUnsafeBytes(of: storage) { raw in
            if isIPv6 {
                let bytes = withUnsafeBytes(of: raw.load(as: sockaddr_in6.self).sin6_addr) { Array($0) }
                if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
                // IPv4-mapped loopback ::ffff:127.x.y.z
                return bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127
            }
            let address = UInt32(bigEndian: raw.load(as: sockaddr_in.self).sin_addr.s_addr)
            return address >> 24 == 127
        }
    }

    /// Whether this is a wildcard address (0.0.0.0 or ::), which listens on every interface.
    public var isUnspecified: Bool { host == "0.0.0.0" || host == "::" }

    /// The numeric addresses of this machine's network interfaces (what a wildcard listener answers on).
    public static func interfaceHosts() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var hosts: [String] = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var storage = sockaddr_storage()
            let size = family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: size)) }
            hosts.append(SocketAddress(storage: storage, length: socklen_t(size)).host)
        }
        return hosts
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public static func == (a: SocketAddress, b: SocketAddress) -> Bool { a.description == b.description }
}
