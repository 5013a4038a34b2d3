import HTTP
import Transport
import WebSocket

/// The upgrade request a WebSocket route sees when deciding whether to accept it.
public struct WebSocketRequest: Sendable {
    /// The HTTP upgrade request (path, query, headers).
    public let request: HTTPRequest
    /// The path after the route's prefix (e.g. the session id in `/ws/session/<id>`).
    public let remainder: Substring
    /// The client's address.
    public let peer: SocketAddress
    /// Whether the connection is TLS.
    public let isSecure: Bool
}

/// The application side of one WebSocket (a session participant, the echo route).
///
/// Every call arrives on the connection's event loop, in order; keep them short and hand heavy work to
/// threads of your own (as guidance does). Send through the `WebSocketChannel` from any thread.
public protocol WebSocketHandler: AnyObject {
    /// The upgrade succeeded; `channel` is the way to send. Keep it for as long as you need to send.
    func webSocketDidOpen(_ channel: WebSocketChannel)
    /// A complete text message (valid UTF-8).
    func webSocket(_ channel: WebSocketChannel, didReceiveText text: String)
    /// A complete binary message.
    func webSocket(_ channel: WebSocketChannel, didReceiveBinary bytes: [UInt8])
    /// The WebSocket is gone: `code` is the close code sent or received (1006 when the connection dropped
    /// without a close frame). Called exactly once; sends afterwards are ignored.
    func webSocket(_ channel: WebSocketChannel, didCloseWith code: WebSocketCloseCode, reason: String)
}

extension WebSocketHandler {
    public func webSocket(_ channel: WebSocketChannel, didReceiveBinary bytes: [UInt8]) {
        channel.close(code: .unsupportedData, reason: "binary messages not supported")
    }
}
