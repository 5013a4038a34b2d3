import Foundation
import Server
import Sessions
import WebSocket

/// Adapts one WebSocket to a session participant: the channel is the `Peer`, received messages go to the
/// `SessionConnection`, on the session's serial queue (`SessionQueues`), never on the event loop.
///
/// Messages waiting for that queue are bounded (`maxPendingBytes`): a client sending faster than its session can
/// process is closed with 1008, as a slow reader is. Sends go straight to the channel, which counts every byte
/// against its send-queue bound before queueing it for the loop, in call order.
final class SessionSocket: WebSocketHandler, Peer {
    private let hub: SessionHub
    private let session: SessionID
    private let queue: DispatchQueue
    private let helloTimeout: Double
    /// Whether the node still serves the session (false once it drains away); checked on the session's queue.
    private let admitted: () -> Bool
    private var channel: WebSocketChannel?
    /// Only touched on `queue`.
    private var connection: SessionConnection?
    private let pendingLock = NSLock()
    private var pendingBytes = 0

    /// Received bytes that may wait for the session's queue.
    static let maxPendingBytes = 4 << 20

    init(hub: SessionHub, session: SessionID, queue: DispatchQueue, helloTimeout: Double, admitted: @escaping () -> Bool) {
        self.admitted = admitted
        self.hub = hub
        self.session = session
        self.queue = queue
        self.helloTimeout = helloTimeout
    }

    // MARK: WebSocketHandler (on the connection's loop)

    func webSocketDidOpen(_ channel: WebSocketChannel) {
        self.channel = channel
        queue.async { [self] in
            // The drain's hand-over closes the session's clients on this queue: a connection that reaches it after
            // the drain began must not join (it would outlive the hand-over).
            guard admitted() else { return close(code: SessionCloseCode.sessionMoved.rawValue, reason: "session moved to another node") }
            connection = hub.connect(to: session, peer: self)
        }
        queue.asyncAfter(deadline: .now() + helloTimeout) { [self] in connection?.helloDeadlinePassed() }
    }

    func webSocket(_ channel: WebSocketChannel, didReceiveText text: String) {
        let size = text.utf8.count
        guard admit(size) else {
            return channel.close(code: WebSocketCloseCode(SessionCloseCode.policyViolation.rawValue), reason: "too many messages waiting")
        }
        queue.async { [self] in
            release(size)
            connection?.receive(text: text)
        }
    }

    func webSocket(_ channel: WebSocketChannel, didReceiveBinary bytes: [UInt8]) {
        guard admit(bytes.count) else {
            return channel.close(code: WebSocketCloseCode(SessionCloseCode.policyViolation.rawValue), reason: "too many messages waiting")
        }
        queue.async { [self] in
            release(bytes.count)
            connection?.receive(binary: bytes)
        }
    }

    func webSocket(_ channel: WebSocketChannel, didCloseWith code: WebSocketCloseCode, reason: String) {
        queue.async { [self] in
            connection?.disconnected()
            connection = nil
        }
    }

    private func admit(_ size: Int) -> Bool {
        pendingLock.lock(); defer { pendingLock.unlock() }
        guard pendingBytes + size <= SessionSocket.maxPendingBytes else { return false }
        pendingBytes += size
        return true
    }

    private func release(_ size: Int) {
        pendingLock.lock(); pendingBytes -= size; pendingLock.unlock()
    }

    // MARK: Peer (any thread but the loop: session queues, the store's writer, guidance workers)

    func send(text: String) {
        guard let channel else { return }
        if channel.loop.inEventLoop { channel.loop.execute { channel.send(text: text) } } else { channel.send(text: text) }
    }

    func send(binary: [UInt8]) {
        guard let channel else { return }
        if channel.loop.inEventLoop { channel.loop.execute { channel.send(binary: binary) } } else { channel.send(binary: binary) }
    }

    func close(code: UInt16, reason: String) {
        channel?.close(code: WebSocketCloseCode(code), reason: reason)
    }
}
