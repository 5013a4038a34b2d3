import Dispatch
import Foundation
import Sessions
import Testing
@testable import App

@Suite("Sessions unknown here are looked up in the shared store off the event loop")
struct SessionDiscoveryRouteTests {
    /// A one-loop server over a store shared by nodes whose lookups wait for `gate`.
    private func server(_ store: MemoryOperationStore, gate: DispatchSemaphore) throws -> TestServer {
        store.sharedByNodes = true
        store.lookupGate = gate
        return try TestServer(["server.event_loops": .integer(1)], store: store)
    }

    @Test func aBlockedLookupStallsNoOtherRequestOnTheLoop() throws {
        let store = MemoryOperationStore(), gate = DispatchSemaphore(value: 0)
        let server = try server(store, gate: gate)
        let waiting = try RawClient(port: server.httpPort)
        waiting.send("GET /s/\(String(repeating: "u", count: 22)) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(store.lookupStarted.wait(timeout: .now() + 10) == .success)
        let socket = try RawClient(port: server.httpPort)
        socket.send(Frames.upgradeRequest(path: "/ws/\(String(repeating: "v", count: 22))"))

        // While both wait for the store, the same loop serves everything else.
        let other = try RawClient(port: server.httpPort)
        #expect(try other.get("/new").status == 200)
        other.send("POST /new HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        let created = try other.readResponse()
        #expect(created.status == 303)
        #expect(try other.get(try #require(created.headers["location"]) + "/sketch.pgm").status == 200)
        #expect(store.lookups == 1, "a session of this node is never looked up")

        gate.signal(); gate.signal()
        #expect(try waiting.readResponse().status == 404)
        #expect(try socket.readResponse().status == 404)
        #expect(try waiting.get("/s/\(String(repeating: "u", count: 22))").status == 404)
        #expect(store.lookups == 2, "a miss is remembered")
    }

    @Test func aSessionAnotherNodeCreatedOpensItsSocketOnceFound() throws {
        let store = MemoryOperationStore(), gate = DispatchSemaphore(value: 0)
        let server = try server(store, gate: gate)
        let id = String(repeating: "w", count: 22)
        store.sessionCreated(SessionID(id)!, at: Date().timeIntervalSince1970)
        let client = try RawClient(port: server.httpPort)
        // The hello arrives with the upgrade, while the lookup waits: it is kept for the socket.
        client.send(Frames.upgradeRequest(path: "/ws/\(id)"))
        _ = client.send(Frames.text(#"{"type":"hello","version":1,"client":"discover01","name":"D"}"#))
        #expect(store.lookupStarted.wait(timeout: .now() + 10) == .success)
        gate.signal()
        #expect(try client.readResponse().status == 101)
        let welcome = try client.readFrame()
        #expect(String(decoding: welcome.payload, as: UTF8.self).contains(#""type":"welcome""#))
        #expect(server.app.hub.contains(SessionID(id)!))
    }
}

@Suite("A session whose lease another node holds: its drawing is answered 503 with Retry-After, never 404")
struct LeasedElsewhereTests {
    @Test func canvasAndHistoryReadsSayRetryWhileAnotherNodeOwnsTheSession() throws {
        let store = MemoryOperationStore()
        store.sharedByNodes = true
        let id = SessionID(String(repeating: "x", count: 22))!
        store.sessionCreated(id, at: Date().timeIntervalSince1970)
        store.setLeasedElsewhere(id, true)
        let server = try TestServer(store: store)
        let client = try RawClient(port: server.httpPort)
        for path in ["/s/\(id.text)/sketch.pgm", "/s/\(id.text)/history?after=0"] {
            let refused = try client.get(path)
            #expect(refused.status == 503, "\(path)")
            #expect(refused.headers["retry-after"] == "1")
            #expect(refused.headers["x-sketchface-node"] != nil, "names the node that answered")
        }
        #expect(try client.get("/s/\(String(repeating: "y", count: 22))/sketch.pgm").status == 404, "an unknown id stays 404")
        store.setLeasedElsewhere(id, false)
        let canvas = try client.get("/s/\(id.text)/sketch.pgm")
        #expect(canvas.status == 200, "readable once the lease is free")
        #expect(canvas.headers["content-type"] == "image/x-portable-graymap")
    }
}
