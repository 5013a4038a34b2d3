import Foundation
import Glibc
import Testing
@testable import Transport

/// Waits (polling) until `condition` holds or `seconds` pass.
func eventually(_ seconds: Double = 3, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

/// Writes `total` bytes on open and records back-pressure transitions.
final class Blaster: ConnectionHandler {
    let total: Int
    let sawUnwritable = Locked(false)
    let drained = Locked(false)
    let closedReason = Locked<CloseReason?>(nil)
    init(total: Int) { self.total = total }
    func connectionDidOpen(_ connection: Connection) {
        let chunk = [UInt8](repeating: 0x41, count: 64 * 1024)
        var written = 0
        while written < total {
            connection.write(chunk)
            written += chunk.count
        }
        sawUnwritable.withLock { $0 = !connection.isWritable }
    }
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}
    func connectionDidDrain(_ connection: Connection) {
        drained.withLock { $0 = true }
        connection.close(.done("drained"))
    }
    func connection(_ connection: Connection, didCloseWith reason: CloseReason) { closedReason.withLock { $0 = reason } }
}

@Suite("Transport")
struct TransportTests {
    @Test func socketAddressParsesIPv4IPv6AndRejectsJunk() throws {
        #expect(try SocketAddress(parsing: "127.0.0.1:8080").description == "127.0.0.1:8080")
        #expect(try SocketAddress(parsing: "[::1]:8443").description == "[::1]:8443")
        #expect(try SocketAddress(parsing: "localhost:1").isLoopback)
        #expect(try SocketAddress(parsing: "[::1]:1").isLoopback)
        #expect(try !SocketAddress(parsing: "0.0.0.0:1").isLoopback)
        #expect(try !SocketAddress(parsing: "[::]:1").isLoopback)
        for junk in ["127.0.0.1", "example.com:80", "1.2.3.4:70000", "[::1:80", ":80", "1.2.3.4:-1", "1.2.3.4:８０"] {
            #expect(throws: TransportError.self, "\(junk)") { try SocketAddress(parsing: junk) }
        }
    }

    @Test func listeningOnPortZeroReportsTheBoundPortForIPv4AndIPv6() throws {
        let v4 = try ListeningSocket(address: SocketAddress(parsing: "127.0.0.1:0"))
        defer { v4.close() }
        #expect(v4.address.port != 0)
        let v6 = try ListeningSocket(address: SocketAddress(parsing: "[::1]:0"))
        defer { v6.close() }
        #expect(v6.address.port != 0)
        #expect(throws: TransportError.self) { try ListeningSocket(address: SocketAddress(parsing: "127.0.0.1:\(v4.address.port)")) }
    }

    @Test func executeFromOtherThreadsRunsOnTheLoopInOrder() throws {
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        let seen = Locked<[Int]>([])
        let onLoop = Locked(true)
        for value in 0..<100 {
            loop.execute {
                seen.withLock { $0.append(value) }
                if !loop.inEventLoop { onLoop.withLock { $0 = false } }
            }
        }
        #expect(eventually { seen.withLock { $0.count } == 100 })
        #expect(seen.withLock { $0 } == Array(0..<100))
        #expect(onLoop.withLock { $0 })
        #expect(!loop.inEventLoop)
    }

    @Test func timersFireInDeadlineOrderAndCancelledOnesDoNot() throws {
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]
        let fired = Locked<[String]>([])
        loop.scheduleTimer(afterMilliseconds: 120) { fired.withLock { $0.append("late") } }
        loop.scheduleTimer(afterMilliseconds: 30) { fired.withLock { $0.append("early") } }
        let cancelled = loop.scheduleTimer(afterMilliseconds: 60) { fired.withLock { $0.append("cancelled") } }
        cancelled.cancel()
        #expect(eventually { fired.withLock { $0.count } == 2 })
        usleep(100_000)
        #expect(fired.withLock { $0 } == ["early", "late"])
    }

    @Test func outputAboveHighWaterIsUnwritableUntilTheReaderDrainsIt() throws {
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let socket = try ListeningSocket(address: SocketAddress(parsing: "127.0.0.1:0"))
        let blaster = Blaster(total: 16 << 20)
        let listener = Listener(socket: socket, tls: nil, group: group, admission: Admission(maxConnections: 10),
                                options: ConnectionOptions()) { _ in blaster }
        listener.start()
        defer { listener.stop() }
        let client = try RawClient(port: socket.address.port)
        #expect(eventually { blaster.sawUnwritable.withLock { $0 } })
        #expect(!blaster.drained.withLock { $0 })
        let received = client.countUntilClosed()
        #expect(blaster.drained.withLock { $0 })
        #expect(received == 16 << 20)
        #expect(eventually { blaster.closedReason.withLock { $0 } == .done("drained") })
    }
}
