import Foundation
import Sessions
import Testing
import Transport
@testable import App

@Suite("Drain state: serving → draining (kept sessions only) → handing over → drained")
struct DrainStateTests {
    private let kept = SessionID("keptkeptkeptkeptkeptke")!
    private let other = SessionID("otherotherotherotherot")!

    @Test func servingAdmitsEverySessionAndNewOnes() {
        let state = DrainState()
        #expect(state.isServing)
        #expect(state.admits(kept) && state.admits(other))
    }

    @Test func drainingKeepsOnlyTheSessionsLoadedWhenItBegan() {
        var state = DrainState()
        let began = state.begin(at: 10, keeping: [kept])
        #expect(began)
        #expect(!state.isServing)
        #expect(state.admits(kept))
        #expect(!state.admits(other))
        let again = state.begin(at: 11, keeping: [other])
        #expect(!again, "a second drain changes nothing")
        #expect(!state.admits(other))
    }

    @Test func handOverStartsOnlyAfterTheGrace() {
        var state = DrainState()
        _ = state.begin(at: 10, keeping: [kept])
        let early = state.startHandOver(at: 11.9, grace: 2)
        #expect(!early)
        #expect(state.admits(kept))
        let onTime = state.startHandOver(at: 12, grace: 2)
        #expect(onTime)
        let twice = state.startHandOver(at: 13, grace: 2)
        #expect(!twice, "once")
        #expect(!state.admits(kept), "a session being handed over is not served here any more")
        state.finish()
        #expect(state.phase == .drained)
        #expect(!state.admits(kept) && !state.isServing)
    }

    @Test func finishingBeforeTheHandOverChangesNothing() {
        var state = DrainState()
        state.finish()
        #expect(state.phase == .serving)
        let withoutDrain = state.startHandOver(at: 100, grace: 0)
        #expect(!withoutDrain, "no hand-over without a drain")
    }
}

@Suite("Node: identity header, /healthz, drain over HTTP")
struct NodeTests {
    private func createSession(_ server: TestServer) throws -> String {
        let client = try RawClient(port: server.httpPort)
        client.send("POST /new HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 303)
        return String(try #require(response.headers["location"]).dropFirst("/s/".count))
    }

    private func post(_ path: String, port: UInt16, host: String = "127.0.0.1") throws -> RawClient.Response {
        let client = try RawClient(port: port, host: host)
        client.send("POST \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 0\r\n\r\n")
        return try client.readResponse()
    }

    /// Joins session `id` over a raw WebSocket and reads the welcome.
    private func join(_ server: TestServer, _ id: String) throws -> RawClient {
        let client = try RawClient(port: server.httpPort)
        #expect(try client.upgrade(path: "/ws/\(id)").status == 101)
        _ = client.send(Frames.text(#"{"type":"hello","version":1,"client":"nodetest01","name":"N"}"#))
        let welcome = try client.readFrame()
        #expect(String(decoding: welcome.payload, as: UTF8.self).contains(#""type":"welcome""#))
        return client
    }

    @Test func everyResponseNamesTheNode() throws {
        let server = try TestServer(["node.id": .string("node-7")])
        let id = try createSession(server)
        for path in ["/", "/s/\(id)", "/s/\(id)/sketch.pgm", "/healthz", "/s/AAAAAAAAAAAAAAAAAAAAAA", "/missing.css"] {
            #expect(try RawClient(port: server.httpPort).get(path).headers["x-sketchface-node"] == "node-7", "\(path)")
        }
        let socket = try RawClient(port: server.httpPort)
        let handshake = try socket.upgrade(path: "/ws/\(id)")
        #expect(handshake.status == 101)
        #expect(handshake.headers["x-sketchface-node"] == "node-7")
    }

    @Test func nodeIdIsLettersDigitsDotsUnderscoresAndDashes() {
        #expect(throws: ConfigError.self) { try TestServer(["node.id": .string("two words")]) }
        #expect(throws: ConfigError.self) { try TestServer(["node.id": .string("node/1")]) }
        #expect(throws: ConfigError.self) { try TestServer(["node.id": .string(String(repeating: "n", count: 65))]) }
    }

    @Test func withoutAnIdTheNodeIsNamedForItsHost() throws {
        let server = try TestServer(["node.id": .null])
        #expect(server.app.nodeID == ProcessInfo.processInfo.hostName)
        #expect(try RawClient(port: server.httpPort).get("/").headers["x-sketchface-node"] == ProcessInfo.processInfo.hostName)
    }

    @Test func healthzIsOkOnceListening() throws {
        let server = try TestServer()
        let response = try RawClient(port: server.httpPort).get("/healthz")
        #expect(response.status == 200)
        #expect(response.text == "ok\n")
        #expect(response.headers["cache-control"] == "no-store")
    }

    @Test func drainFailsTheHealthCheckRefusesNewSessionsAndMovesClients() throws {
        let server = try TestServer(["node.drain_grace_ms": .integer(300)])
        let id = try createSession(server)
        let client = try join(server, id)
        #expect(try post("/admin/drain", port: server.httpPort).status == 202)
        #expect(try post("/admin/drain", port: server.httpPort).status == 200, "a second request finds it draining")
        let health = try RawClient(port: server.httpPort).get("/healthz")
        #expect(health.status == 503)
        #expect(health.text == "503 draining\n")
        let refused = try post("/new", port: server.httpPort)
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "1")
        // During the grace the session here is still served; at the hand-over its client is told it moved.
        #expect(try RawClient(port: server.httpPort).get("/s/\(id)/sketch.pgm").status == 200)
        client.setTimeout(seconds: 5)
        #expect(try client.closeCode() == SessionCloseCode.sessionMoved.rawValue)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, server.app.drainControl.phase != .drained { usleep(10_000) }
        #expect(try RawClient(port: server.httpPort).get("/healthz").text == "503 drained\n")
        let moved = try RawClient(port: server.httpPort).get("/s/\(id)")
        #expect(moved.status == 503)
        #expect(moved.headers["retry-after"] == "1")
        let late = try RawClient(port: server.httpPort)
        #expect(try late.upgrade(path: "/ws/\(id)").status == 404, "nobody joins a session that left")
    }

    @Test func drainOverHTTPIsForLoopbackPeersOnly() throws {
        let address = try #require(SocketAddress.interfaceHosts().first { $0 != "127.0.0.1" && !$0.contains(":") },
                                   "a non-loopback IPv4 interface to connect from")
        let server = try TestServer(["listeners.http": .string("0.0.0.0:0"), "listeners.allow_insecure_public": .bool(true)])
        #expect(try post("/admin/drain", port: server.httpPort, host: address).status == 403)
        #expect(server.app.drainControl.isServing)
        #expect(try RawClient(port: server.httpPort).get("/admin/drain").status == 405, "GET never drains")
        #expect(server.app.drainControl.isServing)
    }
}
