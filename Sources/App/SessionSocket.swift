import Foundation
import Server
import Sessions
import WebSocket

/// Adapts one WebSocket to a session participant: the channel is the `Peer`, received messages go to the
/// `SessionConnection`.
///
/// Every send is queued onto the channel's event loop (even when already on it), so that messages sent from
/// different threads under a session's lock reach the socket in the order they were sent, i.e. in seq order.
final class SessionSocket: WebSocketHandler, Peer {
    private let hub: SessionHub
    private let session: SessionID
    private var channel: WebSocketChannel?
    private var connection: SessionConnection?

    init(hub: SessionHub, session: SessionID) {
        self.hub = hub
        self.session = session
    }

    // MARK: WebSocketHandler (on the connection's loop)

    func webSocketDidOpen(_ channel: WebSocketChannel) {
        self.channel = channel
        connection = hub.connect(to: session, peer: self)
    }

    func webSocket(_ channel: WebSocketChannel, didReceiveText text: String) {
        connection?.receive(text: text)
    }

    func webSocket(_ channel: WebSocketChannel, didReceiveBinary bytes: [UInt8]) {
        connection?.receive(binary: bytes)
    }

    func webSocket(_ channel: WebSocketChannel, didCloseWith code: WebSocketCloseCode, reason: String) {
        connection?.disconnected()
        connection = nil
    }

    // MARK: Peer (any thread)

    func send(text: String) {
        guard let channel else { return }
        channel.loop.execute { channel.send(text: text) }
    }

    func send(binary: [UInt8]) {
        guard let channel else { return }
        channel.loop.execute { channel.send(binary: binary) }
    }

    func close(code: UInt16, reason: String) {
        guard let channel else { return }
        channel.loop.execute { channel.close(code: WebSocketCloseCode(code), reason: reason) }
    }
}
