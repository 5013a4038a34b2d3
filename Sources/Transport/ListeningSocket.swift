import CLinux
import Glibc

/// A non-blocking listening TCP socket (IPv4 or IPv6) with `SO_REUSEADDR`.
///
/// Bind to port 0 to let the kernel choose; `address` then holds the port actually bound.
// @unchecked: immutable descriptor and address; `close()` is called once, by the listener on its loop.
public final class ListeningSocket: @unchecked Sendable {
    /// The file descriptor; owned by this object until `close()`.
    public let fd: Int32
    /// The bound address, with the real port (meaningful after binding port 0).
    public let address: SocketAddress

    /// Creates, binds and listens. Throws `TransportError.system` naming the failing call (e.g. `bind` on EADDRINUSE).
    public init(address requested: SocketAddress, backlog: Int32 = 1024) throws {
        let family = requested.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TransportError.system(call: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var requestedCopy = requested
        let bound = withUnsafePointer(to: &requestedCopy.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, requested.length) }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TransportError.system(call: "bind \(requested)", errno: code)
        }
        guard listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TransportError.system(call: "listen \(requested)", errno: code)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.address = SocketAddress(storage: storage, length: length)
    }

    /// The outcome of `accept()`.
    enum Accepted {
        case connection(fd: Int32, peer: SocketAddress)
        /// Nothing pending (or the client already gave up).
        case none
        /// Out of file descriptors (EMFILE/ENFILE): stop accepting for a moment.
        case exhausted
    }

    /// Accepts one pending connection as a non-blocking socket with TCP_NODELAY.
    func accept() -> Accepted {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let client = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                accept4(fd, $0, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            }
        }
        guard client >= 0 else { return errno == EMFILE || errno == ENFILE ? .exhausted : .none }
        var one: Int32 = 1
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return .connection(fd: client, peer: SocketAddress(storage: storage, length: length))
    }

    /// Closes the socket; further connections are refused by the kernel.
    public func close() { Glibc.close(fd) }
}
