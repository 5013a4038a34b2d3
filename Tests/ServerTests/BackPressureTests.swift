import Foundation
import Glibc
import HTTP
import Testing
import Transport
@testable import Server

@Suite("Pipelining back-pressure and static file cache")
struct BackPressureTests {
    @Test func pipelinedRequestsAreNotAnsweredWhileTheClientDoesNotRead() throws {
        let answered = Locked(0)
        let body = [UInt8](repeating: 0x61, count: 100 * 1024)
        let server = try TestServer(["limits.max_queued_response_bytes": .integer(64 * 1024)]) { router in
            router.add(.exact("/big")) { _, _ in
                answered.withLock { $0 += 1 }
                return HTTPResponse(status: .ok, body: body)
            }
        }
        let client = try RawClient(port: server.httpPort)
        client.shrinkReceiveBuffer()
        let count = 300
        client.send(String(repeating: "GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n", count: count))
        // 30 MB of answers if nothing is held back; the socket buffers hold about 4 MB.
        var previous = -1
        while previous != answered.withLock({ $0 }) {
            previous = answered.withLock { $0 }
            usleep(300_000)
        }
        #expect(previous < count / 2, "answered \(previous) of \(count) pipelined requests to a client that reads nothing")
        // Reading resumes the pipeline; every answer arrives, in order.
        for index in 0..<count {
            let response = try client.readResponse()
            #expect(response.status == 200 && response.body.count == body.count, "response \(index)")
        }
        #expect(answered.withLock { $0 } == count)
    }

    @Test func staticFileIsReadOnceUntilItChanges() {
        let cache = StaticFileCache(maxFileBytes: 10, maxTotalBytes: 15)
        var loads = 0
        let v1 = StaticFileCache.Version(device: 1, inode: 2, size: 3, modifiedNanoseconds: 4)
        for _ in 0..<3 { #expect(cache.body(of: "/a", version: v1, load: { loads += 1; return [1, 2, 3] }) == [1, 2, 3]) }
        #expect(loads == 1)
        var v2 = v1
        v2.modifiedNanoseconds += 1
        #expect(cache.body(of: "/a", version: v2, load: { loads += 1; return [9, 9, 9] }) == [9, 9, 9])
        #expect(loads == 2)
        #expect(cache.totalBytes == 3)
    }

    @Test func staticFileCacheKeepsNeitherLargeFilesNorMoreThanItsBudget() {
        let cache = StaticFileCache(maxFileBytes: 10, maxTotalBytes: 15)
        var loads = 0
        let version = StaticFileCache.Version(device: 1, inode: 1, size: 11, modifiedNanoseconds: 0)
        for _ in 0..<2 { _ = cache.body(of: "/big", version: version, load: { loads += 1; return Array(repeating: 0, count: 11) }) }
        #expect(loads == 2)
        _ = cache.body(of: "/a", version: version, load: { Array(repeating: 0, count: 8) })
        _ = cache.body(of: "/b", version: version, load: { Array(repeating: 0, count: 8) })
        #expect(cache.totalBytes == 8)
    }

    @Test func editedStaticFileIsServedFresh() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.httpPort)
        #expect(try client.get("/style.css").text == "body { color: black }\n")
        try "body { color: red }\n".write(toFile: server.webRoot + "/style.css", atomically: true, encoding: .utf8)
        #expect(try client.get("/style.css").text == "body { color: red }\n")
    }
}

extension RawClient {
    /// A small receive window, so the kernel buffers little of what the server sends.
    func shrinkReceiveBuffer() {
        var size: Int32 = 128 * 1024
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
}
