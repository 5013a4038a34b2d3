import Foundation
import Testing
import Transport
@testable import App
@testable import Server

@Suite("Host, Origin, request targets and the TLS port")
struct RequestEdgeTests {
    @Test func foreignHostIsRefusedWith421() throws {
        let server = try TestServer()
        for host in ["evil.example", "evil.example:8080", "localhost@evil", ""] {
            #expect(try RawClient(port: server.httpPort).get("/", host: host).status == 421, "\(host)")
        }
        for host in ["localhost", "LOCALHOST.:1234", "127.0.0.1", "[::1]:8080"] {
            #expect(try RawClient(port: server.httpPort).get("/", host: host).status == 200, "\(host)")
        }
    }

    @Test func publicNameAndAllowedHostsAreAccepted() throws {
        let server = try TestServer(["server.public_name": .string("sketch.example.org"),
                                     "server.allowed_hosts": .array([.string("alias.example.org")])])
        for (host, status) in [("sketch.example.org", 200), ("alias.example.org:443", 200), ("other.example.org", 421)] {
            #expect(try RawClient(port: server.httpPort).get("/", host: host).status == status, "\(host)")
        }
    }

    @Test func wildcardListenerAcceptsEveryInterfaceAddressAsHost() throws {
        let interfaces = SocketAddress.interfaceHosts()
        #expect(interfaces.contains("127.0.0.1"))
        let server = try TestServer(["listeners.https": .string("0.0.0.0:0")])
        for address in interfaces {
            let host = address.contains(":") ? "[\(address)]:443" : address
            #expect(try RawClient(port: server.httpPort).get("/", host: host).status == 200, "\(host)")
        }
        #expect(try RawClient(port: server.httpPort).get("/", host: "rebind.example").status == 421)
    }

    @Test func webSocketUpgradeFromRebindingHostIsRefused() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        client.send("GET /ws/echo HTTP/1.1\r\nHost: rebind.example\r\nOrigin: http://rebind.example\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        #expect(try client.readResponse().status == 421)
    }

    @Test func twoOriginHeadersAreRefusedWith403() throws {
        let server = try TestServer(["server.allowed_origins": .array([])])
        let client = try RawClient(port: server.httpPort)
        client.send("GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\nOrigin: https://evil.example\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n")
        #expect(try client.readResponse().status == 403)
    }

    @Test func absoluteFormTargetIsServedLikeItsPath() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        #expect(try client.get("http://localhost/style.css").text == "body { color: black }\n")
        #expect(try client.get("HTTP://127.0.0.1:9/").text.contains("SketchFace test"))
        // The target's authority wins over Host (RFC 9112 §3.2.2), so it is the one checked.
        #expect(try client.get("http://evil.example/").status == 421)
    }

    @Test func dotfilesAndTrailingSlashFilePathsAre404() throws {
        let server = try TestServer()
        try "SECRET=1\n".write(toFile: server.webRoot + "/.env", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: server.webRoot + "/css", withIntermediateDirectories: true)
        for target in ["/.env", "/%2e%65nv", "/css/../.env", "/css/%2E%65nv", "/index.html/", "/style.css/.", "/index.html/?x"] {
            let client = try RawClient(port: server.httpPort)
            let response = try client.get(target)
            #expect(response.status == 404, "\(target)")
            #expect(!response.text.contains("SECRET"))
        }
    }

    @Test func echoRouteMatchesOnlyItsExactPath() throws {
        let router = Router()
        router.addWebSocket(.exact("/ws/echo")) { _ in nil }
        router.addWebSocket(prefix: "/ws/") { _ in nil }
        #expect(router.webSocketRoute(for: "/ws/echo")?.route.match == .exact("/ws/echo"))
        let session = router.webSocketRoute(for: "/ws/echo7f3a")
        #expect(session?.route.match == .prefix("/ws/"))
        #expect(session?.remainder == "echo7f3a")
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        #expect(try client.upgrade(path: "/ws/echoes").status == 404)
    }

    @Test func plaintextHTTPOnTheTLSPortGetsA400SayingHTTPS() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpsPort)
        let response = try client.get("/")
        #expect(response.status == 400)
        #expect(response.headers["connection"] == "close")
        #expect(response.text.contains("https://"))
        #expect(client.secondsUntilClosed(limit: 2) != nil)
        // TLS clients are unaffected.
        let curl = try runTool("/usr/bin/curl", ["--http1.1", "-sk", "https://127.0.0.1:\(server.httpsPort)/"])
        #expect(curl.stdout.contains("SketchFace test"))
    }
}
