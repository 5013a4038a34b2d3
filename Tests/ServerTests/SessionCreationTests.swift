import Foundation
import Testing
@testable import App

@Suite("Creating sessions: POST only, rate-limited, refusals that say when to retry")
struct SessionCreationTests {
    private func sessionCount(_ server: TestServer) throws -> Int {
        server.app.hub.sessionCount
    }

    private func post(_ server: TestServer, _ client: RawClient) throws -> RawClient.Response {
        client.send("POST /new HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        return try client.readResponse()
    }

    @Test func postCreatesASessionAndRedirectsToIt() throws {
        let server = try TestServer()
        let response = try post(server, try RawClient(port: server.httpPort))
        #expect(response.status == 303)
        #expect(response.headers["location"]?.hasPrefix("/s/") == true)
        #expect(try sessionCount(server) == 1)
    }

    @Test func getAndHeadNeverCreateState() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        let page = try client.get("/new")
        #expect(page.status == 200)
        #expect(page.headers["location"] == nil)
        #expect(page.text.contains(#"<form method="post" action="/new">"#))
        client.send("HEAD /new HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try client.readResponse(bodyless: true).status == 200)
        client.send("PUT /new HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        let wrong = try client.readResponse()
        #expect(wrong.status == 405)
        #expect(wrong.headers["allow"] == "GET, HEAD, POST")
        #expect(try sessionCount(server) == 0)
    }

    @Test func oneAddressCreatingTooFastGets429WithRetryAfter() throws {
        let server = try TestServer(["limits.session_creations_per_minute": .integer(3)])
        let client = try RawClient(port: server.httpPort)
        for _ in 0..<3 { #expect(try post(server, client).status == 303) }
        let refused = try post(server, client)
        #expect(refused.status == 429)
        #expect(refused.headers["retry-after"] == "20")
        #expect(try sessionCount(server) == 3)
    }

    @Test func fullServerAnswers503WithRetryAfter() throws {
        let server = try TestServer(["sessions.max_sessions": .integer(1)])
        let client = try RawClient(port: server.httpPort)
        #expect(try post(server, client).status == 303)
        let full = try post(server, client)
        #expect(full.status == 503)
        #expect(full.headers["retry-after"] == "60")
    }

    @Test func aForeignPagesPostIsRefusedWith403() throws {
        let server = try TestServer(["server.allowed_origins": .array([.string("https://app.example")])])
        let client = try RawClient(port: server.httpPort)
        for (origin, status) in [("https://evil.example", 403), ("http://localhost", 303), ("https://app.example", 303)] {
            client.send("POST /new HTTP/1.1\r\nHost: localhost\r\nOrigin: \(origin)\r\nContent-Length: 0\r\n\r\n")
            #expect(try client.readResponse().status == status, "\(origin)")
        }
        #expect(try sessionCount(server) == 2)
    }

    @Test func emptySessionsExpireWithinMinutesByDefault() throws {
        let config = try Config.decode(.object([:]))
        #expect(config[SessionsSection.self].limits.emptyExpiry <= 600)
    }
}
