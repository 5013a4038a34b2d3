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

    /// Both directions on one server (each test server costs seconds to start).
    @Test func closesWithQueuedRepliesEndAsSoonAsTheRepliesAreRead() throws {
        let server = try TestServer(["timeouts.close_linger_ms": .integer(5000)]) { router in
            router.addWebSocket(.exact("/ws/burst")) { _ in Burst() }
        }
        try serverCloseAfterQueuedReplies(port: server.httpPort)
        try clientCloseWhileRepliesAreQueued(port: server.httpPort)
    }

    /// The server closes right after queueing 2.4 MB: the client reads everything, then the close frame; the server
    /// releases the socket as soon as the client answers it (not at the linger deadline).
    func serverCloseAfterQueuedReplies(port: UInt16) throws {
        let client = try RawClient(port: port)
        #expect(try client.upgrade(path: "/ws/burst").status == 101)
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
    }

    /// The client sends its close while 1.3 MB of echoes wait for it (its reading stopped, so the server paused
    /// reading too): once the client reads again, the server sees the close, answers it and closes at once.
    func clientCloseWhileRepliesAreQueued(port: UInt16) throws {
        let client = try RawClient(port: port)
        client.shrinkReceiveBuffer()
        #expect(try client.upgrade(path: "/ws/burst").status == 101)
        let message = Frames.frame(opcode: 2, payload: [UInt8](repeating: 7, count: 32 * 1024))
        for _ in 0..<40 { client.send(message) }
        let start = Date()
        client.send(Frames.close(code: 1000))
        var code: UInt16?
        var echoes = 0
        while code == nil {
            let frame = try client.readFrame()
            if frame.opcode == 2 { echoes += 1 }
            if frame.opcode == 8 { code = frame.closeCode }
        }
        let closing = client.secondsUntilClosed(limit: 8)
        // Echoes queued before the close arrive first (messages read in the same batch as the close get none).
        #expect(echoes > 20)
        #expect(code == 1000)
        #expect(closing != nil && Date().timeIntervalSince(start) < 1, "closed after \(Date().timeIntervalSince(start)) s")
    }
}
