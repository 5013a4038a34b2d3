import Foundation
import HTTP
import Server
import Testing
@testable import App

@Suite("HTTP server over real sockets")
struct HTTPServerTests {
    @Test func servesStaticFileWithTypeAndValidators() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        client.send("GET /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/css; charset=utf-8" || response.headers["content-type"]?.hasPrefix("text/css") == true)
        #expect(response.text == "body { color: black }\n")
        #expect(response.headers["etag"] != nil)
        #expect(response.headers["last-modified"] != nil)
        #expect(response.headers["date"]?.hasSuffix("GMT") == true)
    }

    @Test func directoryServesIndexHtml() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(response.text.contains("SketchFace test"))
    }

    @Test func matchingETagAnswers304WithoutBody() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        client.send("GET /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let first = try client.readResponse()
        let tag = try #require(first.headers["etag"])
        client.send("GET /style.css HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: \(tag)\r\n\r\n")
        let second = try client.readResponse()
        #expect(second.status == 304)
        #expect(second.body.isEmpty)
        client.send("GET /style.css HTTP/1.1\r\nHost: localhost\r\nIf-Modified-Since: \(first.headers["last-modified"]!)\r\n\r\n")
        #expect(try client.readResponse().status == 304)
    }

    @Test func headHasLengthButNoBody() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        client.send("HEAD /style.css HTTP/1.1\r\nHost: localhost\r\n\r\nGET /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let head = try client.readResponse(bodyless: true)
        #expect(head.status == 200)
        #expect(head.headers["content-length"] == "22")
        // The next bytes are the pipelined GET's response, proving HEAD wrote no body.
        let get = try client.readResponse()
        #expect(get.status == 200)
        #expect(get.text == "body { color: black }\n")
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        for _ in 0..<3 {
            client.send("GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.headers["connection"] == "keep-alive")
        }
        client.send("GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(try client.readResponse().headers["connection"] == "close")
        #expect(client.secondsUntilClosed(limit: 2) != nil)
    }

    @Test func pathTraversalIs404() throws {
        let server = try TestServer()
        for target in ["/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/a/../../etc/passwd", "/%2fetc%2fpasswd"] {
            let client = try RawClient(port: server.httpPort)
            client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 404, "\(target)")
            #expect(!response.text.contains("root:"))
        }
    }

    @Test func symlinkLeadingOutsideWebRootIs404() throws {
        let server = try TestServer()
        let outside = temporaryDirectory("outside")
        try "secret\n".write(toFile: outside + "/secret.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: server.webRoot + "/escape.txt", withDestinationPath: outside + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: server.webRoot + "/escape-dir", withDestinationPath: outside)
        for target in ["/escape.txt", "/escape-dir/secret.txt"] {
            let client = try RawClient(port: server.httpPort)
            client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 404, "\(target)")
            #expect(!response.text.contains("secret"))
        }
    }

    @Test func oversizedHeadersAre431AndClose() throws {
        let server = try TestServer(["limits.max_header_bytes": .integer(1024)])
        let client = try RawClient(port: server.httpPort)
        client.send("GET / HTTP/1.1\r\nHost: localhost\r\nX-Filler: \(String(repeating: "a", count: 2000))\r\n\r\n")
        #expect(try client.readResponse().status == 431)
        #expect(client.secondsUntilClosed(limit: 3) != nil)
    }

    @Test func oversizedBodyIs413() throws {
        let server = try TestServer(["limits.max_body_bytes": .integer(100)])
        server.app.router.add(.exact("/upload"), methods: ["POST"]) { request, _ in .text(.ok, "\(request.body.count)") }
        let client = try RawClient(port: server.httpPort)
        client.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n")
        #expect(try client.readResponse().status == 413)
        #expect(client.secondsUntilClosed(limit: 3) != nil)
    }

    @Test func unsupportedHTTPVersionIs505() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        client.send("GET / HTTP/2.0\r\nHost: localhost\r\n\r\n")
        #expect(try client.readResponse().status == 505)
    }

    @Test func malformedRequestIs400() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        client.send("GET / HTTP/1.1\r\nHost x\r\n\r\n")
        #expect(try client.readResponse().status == 400)
    }

    @Test func routesAnswerExactAndPrefixPathsWith405ForWrongMethod() throws {
        let server = try TestServer(routes: { router in
            router.add(.exact("/api/ping")) { _, _ in .text(.ok, "pong") }
            router.add(.prefix("/api/items/"), methods: ["GET", "DELETE"]) { request, context in
                .text(.ok, "\(request.method) \(context.remainder)")
            }
        })
        let client = try RawClient(port: server.httpPort)
        client.send("GET /api/ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try client.readResponse().text == "pong")
        client.send("DELETE /api/items/42?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try client.readResponse().text == "DELETE 42")
        client.send("POST /api/ping HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        let refused = try client.readResponse()
        #expect(refused.status == 405)
        #expect(refused.headers["allow"] == "GET, HEAD")
    }

    @Test func deferredRouteAnsweredFromAnotherThreadKeepsRequestOrder() throws {
        let server = try TestServer(routes: { router in
            router.addDeferred(.exact("/slow")) { _, _, respond in
                Thread.detachNewThread {
                    usleep(100_000)
                    respond(.text(.ok, "slow 7"))
                }
            }
            router.add(.exact("/fast")) { _, _ in .text(.ok, "fast") }
        })
        let client = try RawClient(port: server.httpPort)
        client.send("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\nGET /fast HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try client.readResponse().text == "slow 7")
        #expect(try client.readResponse().text == "fast")
    }

    @Test func garbageBytesNeverCrashTheServer() throws {
        let server = try TestServer()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<40 {
            let client = try RawClient(port: round % 2 == 0 ? server.httpPort : server.httpsPort, timeoutSeconds: 1)
            if round % 4 == 1 { _ = try? client.upgrade() }
            let bytes = (0..<Int.random(in: 1...4096, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            client.send(bytes)
            _ = client.secondsUntilClosed(limit: 0.2)
        }
        let client = try RawClient(port: server.httpPort)
        client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }

    @Test func expectContinueGets100BeforeTheBody() throws {
        let server = try TestServer(routes: { router in
            router.add(.exact("/upload"), methods: ["POST"]) { request, _ in .text(.ok, "got \(request.body.count)") }
        })
        let client = try RawClient(port: server.httpPort)
        client.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        let interim = try client.readResponse(bodyless: true)
        #expect(interim.status == 100)
        client.send("hello")
        #expect(try client.readResponse().text == "got 5")
        // A client that asks waits for the 100 before sending the body (curl gives up after 1 s); curl's verbose log
        // says whether the 100 came or it stopped waiting, so this needs no wall-clock limit.
        let body = String(repeating: "s", count: 4000)
        let output = try runTool("/usr/bin/curl", ["--http1.1", "-sS", "-v", "-H", "Expect: 100-continue", "--data-binary", body, "http://127.0.0.1:\(server.httpPort)/upload"])
        #expect(output.stdout == "got 4000")
        #expect(output.stderr.contains("< HTTP/1.1 100 Continue"), "\(output.stderr)")
        #expect(!output.stderr.contains("Done waiting for 100-continue"), "\(output.stderr)")
    }

    @Test func curlFetchesPageOverHTTP() throws {
        let server = try TestServer()
        let output = try runTool("/usr/bin/curl", ["--http1.1", "-sS", "-D", "-", "http://127.0.0.1:\(server.httpPort)/"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.hasPrefix("HTTP/1.1 200 OK"))
        #expect(output.stdout.contains("SketchFace test"))
    }
}

@Suite("Connection limits and timeouts", .serialized)
struct LimitTests {
    @Test func connectionsOverTheLimitGet503() throws {
        let server = try TestServer(["limits.max_connections": .integer(2)])
        let first = try RawClient(port: server.httpPort)
        let second = try RawClient(port: server.httpPort)
        first.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        second.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try first.readResponse().status == 200)
        #expect(try second.readResponse().status == 200)
        let third = try RawClient(port: server.httpPort)
        let refused = try third.readResponse()
        #expect(refused.status == 503)
        #expect(refused.headers["connection"] == "close")
        #expect(third.secondsUntilClosed(limit: 3) != nil)
        // A slot frees up when a connection closes.
        first.send("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        _ = try first.readResponse()
        _ = first.secondsUntilClosed(limit: 3)
        first.hangUp()
        usleep(200_000)
        let fourth = try RawClient(port: server.httpPort)
        fourth.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try fourth.readResponse().status == 200)
    }

    @Test func tlsConnectionsOverTheLimitGet503AfterTheHandshake() throws {
        let server = try TestServer(["limits.max_connections": .integer(1)])
        let holder = try RawClient(port: server.httpPort)
        holder.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try holder.readResponse().status == 200)
        let output = try runTool("/usr/bin/curl", ["--http1.1", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
                                                   "https://127.0.0.1:\(server.httpsPort)/"])
        #expect(output.stdout == "503")
    }

    @Test func slowlorisHeadersAreCutOffAtTheHeaderTimeout() throws {
        let server = try TestServer(["timeouts.header_read_ms": .integer(400)])
        let client = try RawClient(port: server.httpPort)
        client.send("GET / HTTP/1.1\r\nHost: localhost\r\n")
        let start = Date()
        var stillOpen = true
        // Trickle a header byte every 100 ms: activity must not extend the deadline.
        while stillOpen && Date().timeIntervalSince(start) < 3 {
            usleep(100_000)
            stillOpen = client.send("X")
        }
        let response = try? client.readResponse()
        let elapsed = Date().timeIntervalSince(start)
        #expect(response?.status == 408 || !stillOpen)
        #expect(elapsed < 2.0, "connection stayed open \(elapsed) s")
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        let server = try TestServer(["timeouts.idle_keepalive_ms": .integer(300)])
        let client = try RawClient(port: server.httpPort)
        client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        let seconds = try #require(client.secondsUntilClosed(limit: 3))
        #expect(seconds > 0.2 && seconds < 1.5)
    }

    @Test func connectionWithoutRequestIsClosedAtHeaderTimeout() throws {
        let server = try TestServer(["timeouts.header_read_ms": .integer(300)])
        let client = try RawClient(port: server.httpPort)
        let seconds = try #require(client.secondsUntilClosed(limit: 3))
        #expect(seconds < 1.5)
    }
}
