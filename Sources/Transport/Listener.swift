import CLinux
import Glibc

/// Accepts connections on one listening socket and hands each to the next loop of a group.
///
/// The socket is watched by one loop; each accepted connection gets its stream (plain or TLS), its
/// admission decision and its handler (from `makeHandler`, called on the connection's own loop).
// @unchecked: `stopped` and the epoll registration are touched only on `acceptLoop`.
public final class Listener: EventSource, @unchecked Sendable {
    /// The bound socket (its `address.port` is the real port when bound to port 0).
    public let socket: ListeningSocket
    private let tls: TLSContext?
    private let group: EventLoopGroup
    private let admission: Admission
    private let options: ConnectionOptions
    private let makeHandler: (Connection) -> ConnectionHandler
    private let acceptLoop: EventLoop
    private var stopped = false

    /// - Parameters:
    ///   - tls: a context for TLS listeners, nil for plaintext.
    ///   - makeHandler: builds the handler for a new connection; check `connection.isAdmitted`.
    public init(socket: ListeningSocket, tls: TLSContext?, group: EventLoopGroup, admission: Admission,
                options: ConnectionOptions, makeHandler: @escaping (Connection) -> ConnectionHandler) {
        self.socket = socket
        self.tls = tls
        self.group = group
        self.admission = admission
        self.options = options
        self.makeHandler = makeHandler
        self.acceptLoop = group.next()
    }

    /// Starts accepting. Safe from any thread.
    public func start() {
        acceptLoop.execute { [self] in acceptLoop.register(self, fd: socket.fd, events: EPOLLIN.rawValue) }
    }

    /// Stops accepting and closes the socket; open connections are unaffected. Blocks until done.
    public func stop() {
        let done = Locked(false)
        let body = { [self] in
            if !stopped {
                stopped = true
                acceptLoop.deregister(fd: socket.fd)
                socket.close()
            }
            done.withLock { $0 = true }
        }
        if acceptLoop.inEventLoop { body(); return }
        acceptLoop.execute(body)
        while !done.withLock({ $0 }) { usleep(1_000) }
    }

    func handleEvents(_ events: UInt32) {
        for _ in 0..<64 {
            let fd: Int32, peer: SocketAddress
            switch socket.accept() {
            case .connection(let acceptedFD, let acceptedPeer):
                (fd, peer) = (acceptedFD, acceptedPeer)
            case .none:
                return
            case .exhausted:
                // Level-triggered readiness would spin while descriptors are exhausted: pause briefly.
                acceptLoop.modify(fd: socket.fd, events: 0)
                acceptLoop.scheduleTimer(afterMilliseconds: 100) { [self] in
                    if !stopped { acceptLoop.modify(fd: socket.fd, events: EPOLLIN.rawValue) }
                }
                return
            }
            let address = peer.host
            let decision = admission.decide(address: address)
            if decision == .drop {
                Glibc.close(fd)
                continue
            }
            let stream: ByteStream
            if let tls {
                guard let tlsStream = tls.makeStream(fd: fd, plaintextAnswer: options.plaintextOnTLSAnswer) else {
                    Glibc.close(fd)
                    admission.release(decision, address: address)
                    continue
                }
                stream = tlsStream
            } else {
                stream = PlainStream(fd: fd)
            }
            let loop = group.next()
            let admission = self.admission
            let connection = Connection(fd: fd, peer: peer, loop: loop, stream: stream, isSecure: tls != nil,
                                        isAdmitted: decision == .admit, options: options,
                                        onRelease: { admission.release(decision, address: address) })
            let makeHandler = self.makeHandler
            loop.execute {
                connection.handler = makeHandler(connection)
                connection.start()
            }
        }
    }
}
