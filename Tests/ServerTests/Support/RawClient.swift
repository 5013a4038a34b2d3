import Foundation
import Glibc

/// A blocking TCP client for byte-exact probes (malformed requests, slow senders, crafted frames).
final class RawClient {
    let fd: Int32
    private var buffered: [UInt8] = []

    struct Response {
        var status: Int
        var headers: [String: String]   // lower-cased names
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    enum Failure: Error { case connect(Int32), closed, timeout, malformed(String) }

    /// Connects to `host` (numeric IPv4) on `port`.
    init(port: UInt16, host: String = "127.0.0.1", timeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure.connect(code)
        }
        setTimeout(seconds: timeoutSeconds)
    }

    deinit { close(fd) }

    /// Shuts the socket down both ways (the server sees EOF at once); the descriptor closes at deinit.
    func hangUp() { shutdown(fd, Int32(SHUT_RDWR)) }

    func setTimeout(seconds: Int, microseconds: Int = 0) {
        var timeout = timeval(tv_sec: seconds, tv_usec: microseconds)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends everything; false when the peer is gone.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return false }
            sent += count
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads at least one more byte into the buffer; throws `.closed` on EOF/reset, `.timeout` on timeout.
    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 { buffered.append(contentsOf: chunk[..<count]); return }
        if count == 0 { throw Failure.closed }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure.timeout }
        throw Failure.closed
    }

    func read(exactly count: Int) throws -> [UInt8] {
        while buffered.count < count { try fill() }
        let out = Array(buffered[..<count])
        buffered.removeFirst(count)
        return out
    }

    /// Sends `GET target` on this (keep-alive) connection and reads the answer.
    func get(_ target: String, host: String = "localhost") throws -> Response {
        send("GET \(target) HTTP/1.1\r\nHost: \(host)\r\n\r\n")
        return try readResponse()
    }

    /// One HTTP response (Content-Length bodies; `bodyless` for HEAD).
    func readResponse(bodyless: Bool = false) throws -> Response {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var end: Int?
        while end == nil {
            if let index = firstIndex(of: terminator) { end = index; break }
            try fill()
        }
        let head = String(decoding: buffered[..<end!], as: UTF8.self)
        buffered.removeFirst(end! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure.malformed(head) }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = bodyless || status == 304 || status == 101 ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        return Response(status: status, headers: headers, body: try read(exactly: length))
    }

    private func firstIndex(of pattern: [UInt8]) -> Int? {
        guard buffered.count >= pattern.count else { return nil }
        for start in 0...(buffered.count - pattern.count) where buffered[start..<start + pattern.count].elementsEqual(pattern) {
            return start
        }
        return nil
    }

    /// Waits until the server closes the connection; returns the seconds it took, or nil on timeout.
    func secondsUntilClosed(limit: Double) -> Double? {
        let start = Date()
        setTimeout(seconds: Int(limit), microseconds: Int((limit - Double(Int(limit))) * 1_000_000))
        while true {
            do {
                try fill()
                buffered.removeAll()
            } catch Failure.timeout {
                return nil
            } catch {
                return Date().timeIntervalSince(start)
            }
        }
    }

    /// Reads and discards until the server closes; returns how many bytes arrived.
    func countUntilClosed() -> Int {
        var total = buffered.count
        buffered.removeAll()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return total }
            total += count
        }
    }

    /// Everything until the server closes.
    func readUntilClosed() -> [UInt8] {
        while true {
            do { try fill() } catch { break }
        }
        defer { buffered.removeAll() }
        return buffered
    }
}
