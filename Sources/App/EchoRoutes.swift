import Server
import WebSocket

/// `/ws/echo`: echoes every text and binary message back, for conformance probes and benchmarks.
/// Built only when `server.echo` is true.
final class EchoRoutes: RouteProvider {
    func register(on router: Router) {
        router.addWebSocket(.exact("/ws/echo")) { _ in Echo() }
    }
}

/// One echo WebSocket.
final class Echo: WebSocketHandler {
    func webSocketDidOpen(_ channel: WebSocketChannel) {}
    func webSocket(_ channel: WebSocketChannel, didReceiveText text: String) { channel.send(text: text) }
    func webSocket(_ channel: WebSocketChannel, didReceiveBinary bytes: [UInt8]) { channel.send(binary: bytes) }
    func webSocket(_ channel: WebSocketChannel, didCloseWith code: WebSocketCloseCode, reason: String) {}
}
