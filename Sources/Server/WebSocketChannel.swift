import Transport
import WebSocket

/// The sending side of one WebSocket, safe to use from any thread.
///
/// Sends are queued for the connection's event loop, which frames and writes them in call order. The
/// queue is bounded (`maxSendQueueBytes`, counting messages not yet handed to the socket plus bytes the
/// socket has not accepted): a consumer too slow to keep up is closed with 1008 instead of letting memory
/// grow. After the close every send is ignored.
// @unchecked: `endpoint` is read and written only on `loop`; the queue count is `Locked`; the rest is immutable.
public final class WebSocketChannel: @unchecked Sendable {
    /// The underlying connection's id (for logs).
    public let id: UInt64
    /// The client's address.
    public let peer: SocketAddress
    /// The loop that delivers this WebSocket's events.
    public let loop: EventLoop
    /// The send-queue bound in bytes.
    public let maxQueuedBytes: Int

    /// Set on the loop; the endpoint that frames and writes.
    var endpoint: WebSocketEndpoint?
    private let inFlight = Locked(0)

    init(id: UInt64, peer: SocketAddress, loop: EventLoop, maxQueuedBytes: Int) {
        self.id = id
        self.peer = peer
        self.loop = loop
        self.maxQueuedBytes = maxQueuedBytes
    }

    /// Sends a text message.
    public func send(text: String) { enqueue(.text(text), size: text.utf8.count) }

    /// Sends a binary message.
    public func send(binary bytes: [UInt8]) { enqueue(.binary(bytes), size: bytes.count) }

    /// Starts the closing handshake with `code` and `reason` (≤ 123 bytes).
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") {
        run { $0.close(code: code, reason: reason) }
    }

    /// Bytes sent but not yet handed to the socket (a cross-thread estimate).
    public var queuedBytes: Int { inFlight.withLock { $0 } }

    enum Outgoing {
        case text(String)
        case binary([UInt8])
    }

    private func enqueue(_ message: Outgoing, size: Int) {
        if loop.inEventLoop {
            endpoint?.send(message, size: size)
            return
        }
        let total = inFlight.withLock { value -> Int in
            value += size
            return value
        }
        if total > maxQueuedBytes {
            inFlight.withLock { $0 -= size }
            run { $0.dropSlowConsumer() }
            return
        }
        loop.execute { [self] in
            inFlight.withLock { $0 -= size }
            endpoint?.send(message, size: size)
        }
    }

    private func run(_ body: @escaping (WebSocketEndpoint) -> Void) {
        if loop.inEventLoop {
            if let endpoint { body(endpoint) }
        } else {
            loop.execute { [self] in if let endpoint { body(endpoint) } }
        }
    }
}
