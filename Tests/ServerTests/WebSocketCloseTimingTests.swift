import Foundation
import Glibc
import Testing
@testable import Server
import WebSocket

/// A WebSocket closed while replies are still queued for it closes as soon as those replies are delivered,
/// whoever starts the close (issue 10: such closes used to take about 10 s).
@Suite("WebSocket close with queued replies")
struct WebSocketCloseTimingTests {
    /// On "go": 150 binary messages of 16 KiB sent from another thread (as session queues send), then a close.
    final class Burst: WebSocketHandler {
        func webSocketDidOpen(_ channel: WebSocketChannel) {}
        func webSocket(_ channel: WebSocketChannel, didReceiveText text: String) {
            if text == "go" {
                DispatchQueue.global().async {
                    for index in 0..<150 { channel.send(binary: [UInt8](repeating: UInt8(index & 0xff), count: 16 * 1024)) }
                    channel.close(code: .normalClosure, reason: "done")
                }
            } else {
                channel.send(text: text)
            }
        }
        func webSocket(_ channel: WebSocketChannel, didReceiveBinary bytes: [UInt8]) { channel.send(binary: bytes) }
        func webSocket(_ channel: WebSocketChannel, didCloseWith code: WebSocketCloseCode, reason: String) {}
    }

    func server() throws -> TestServer {
        try TestServer(["timeouts.close_linger_ms": .integer(5000)]) { router in
            router.addWebSocket(.exact("/ws/burst")) { _ in Burst() }
        }
    }

    @Test func serverCloseAfterQueuedRepliesEndsOnceTheyAreRead() throws {
        let server = try server()
        let client = try RawClient(port: server.httpPort)
        #expect(try client.upgrade(path: "/ws/burst").status == 101)
        let start = Date()
        client.send(Frames.text("go"))
        var received = 0
        var code: UInt16?
        while code == nil {
            let frame = try client.readFrame()
            if frame.opcode == 2 { received += 1 }
            if frame.opcode == 8 { code = frame.closeCode }
        }
        client.send(Frames.close(code: 1000))
        let closing = client.secondsUntilClosed(limit: 8)
        #expect(received == 150)
        #expect(code == 1000)
        #expect(closing != nil && closing! < 0.5, "the server released the socket after \(closing ?? -1) s")
        #expect(Date().timeIntervalSince(start) < 3)
    }

    @Test func clientCloseWhileRepliesAreQueuedEndsOnceTheyAreRead() throws {
        let server = try server()
        let client = try RawClient(port: server.httpPort)
        client.shrinkReceiveBuffer()
        #expect(try client.upgrade(path: "/ws/burst").status == 101)
        // Echoes pile up on the server while the client reads nothing.
        let message = Frames.frame(opcode: 2, payload: [UInt8](repeating: 7, count: 32 * 1024))
        for _ in 0..<40 { client.send(message) }
        let start = Date()
        client.send(Frames.close(code: 1000))
        var code: UInt16?
        while code == nil {
            let frame = try client.readFrame()
            if frame.opcode == 8 { code = frame.closeCode }
        }
        let closing = client.secondsUntilClosed(limit: 8)
        #expect(code == 1000)
        #expect(closing != nil && Date().timeIntervalSince(start) < 1, "closed after \(Date().timeIntervalSince(start)) s")
    }
}
