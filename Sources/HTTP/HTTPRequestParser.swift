/// Incremental HTTP/1.x request parser: fed whatever bytes arrived, it yields whole requests.
///
/// An explicit state machine: `head` collects the request line and header fields until the empty line
/// (tracking line endings byte by byte, so a head split anywhere across reads is fine), then the head
/// is parsed and checked; `body` collects exactly `Content-Length` bytes. It consumes only the bytes of
/// the request it returns, so pipelined requests stay in the caller's buffer for the next call and,
/// after a WebSocket upgrade request, the bytes that follow are the first WebSocket bytes.
///
/// Refusals (see `HTTPError.status`): head over `maxHeadLength` (16 KiB) → 431 as soon as it is
/// exceeded; `Content-Length` over `maxBodyLength` → 413 before reading the body; a version other than
/// HTTP/1.0 or 1.1 → 505; `Transfer-Encoding` → 501 (chunked request bodies are not supported; no
/// client of SketchFace needs them); POST/PUT without `Content-Length` → 411; malformed request line or
/// header, obs-fold, whitespace before the colon, a bare CR, conflicting `Content-Length`, a missing
/// `Host` on HTTP/1.1 → 400. After a refusal the parser stays failed: answer with the status and close
/// the connection.
///
/// ```swift
/// var offset = 0
/// while let request = try parser.parseNext(chunk, consumed: &offset) { respond(to: request) }
/// ```
public struct HTTPRequestParser: Sendable {
    /// Size limits applied while parsing.
    public struct Limits: Sendable, Hashable {
        /// Request line plus header fields (including line endings), in bytes.
        public var maxHeadLength: Int
        /// The largest `Content-Length` accepted.
        public var maxBodyLength: Int

        /// Creates limits; defaults are 16 KiB of head and 1 MiB of body.
        public init(maxHeadLength: Int = 16 * 1024, maxBodyLength: Int = 1 << 20) {
            self.maxHeadLength = maxHeadLength
            self.maxBodyLength = maxBodyLength
        }
    }

    /// What the parser is waiting for.
    enum State: Sendable {
        /// Collecting head bytes; `line` says where in the current line we are.
        case head(LinePosition)
        /// Head parsed; collecting `remaining` more body bytes for `request`.
        case body(HTTPRequest, remaining: Int)
        /// A refusal happened; every later call rethrows it.
        case failed(HTTPError)
    }

    /// Position within the head, enough to find the empty line that ends it.
    enum LinePosition: Sendable {
        /// At the start of a line (the next LF or CRLF would end the head, or is a leading empty line).
        case lineStart
        /// At the start of a line after a CR: an LF must follow.
        case lineStartAfterCR
        /// Inside a line.
        case inLine
        /// Inside a line after a CR: an LF must follow.
        case inLineAfterCR
    }

    /// The limits in force.
    public var limits: Limits
    var state: State = .head(.lineStart)
    /// Head bytes collected so far (kept outside `state` so appending never copies).
    var head: [UInt8] = []
    var body: [UInt8] = []

    /// Creates a parser with `limits`.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether the parser sits between requests with nothing buffered (a safe point to close an idle
    /// keep-alive connection).
    public var isIdle: Bool {
        if case .head(.lineStart) = state { return head.isEmpty }
        return false
    }

    /// Parses at most one request from `input[consumed...]`, advancing `consumed` past its bytes.
    ///
    /// Returns `nil` when more bytes are needed (what was read is remembered). Throws the refusal;
    /// the parser then stays failed.
    public mutating func parseNext(_ input: UnsafeRawBufferPointer, consumed: inout Int) throws(HTTPError) -> HTTPRequest? {
        var i = consumed
        defer { consumed = i }
        let end = input.count
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .head(var position):
                guard i < end else { return nil }
                // Leading empty lines (RFC 9112 §2.2) are skipped, never stored: `contentStart` moves
                // past them, and a chunk holding nothing else stores nothing.
                var contentStart = i
                var sawContent = !head.isEmpty
                var complete = false
                let limit = limits.maxHeadLength
                scan: while i < end {
                    let byte = input[i]
                    i += 1
                    switch (position, byte) {
                    case (.lineStart, 0x0A):
                        if !sawContent { contentStart = i; continue scan }
                        complete = true
                        break scan
                    case (.lineStart, 0x0D): position = .lineStartAfterCR
                    case (.lineStartAfterCR, 0x0A):
                        if !sawContent { contentStart = i; position = .lineStart; continue scan }
                        complete = true
                        break scan
                    case (.inLine, 0x0A), (.inLineAfterCR, 0x0A): position = .lineStart
                    case (.inLine, 0x0D): position = .inLineAfterCR
                    case (.lineStartAfterCR, _), (.inLineAfterCR, _): throw fail(.bareCarriageReturn)
                    default:
                        position = .inLine
                        sawContent = true
                    }
                    // Checked per byte so the refusal does not depend on how the input was chunked.
                    if sawContent && head.count + (i - contentStart) > limit { throw fail(.headersTooLarge) }
                }
                if complete && head.count + (i - contentStart) > limit { throw fail(.headersTooLarge) }
                if sawContent {
                    head.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[contentStart ..< i]))
                }
                guard complete else {
                    state = .head(position)
                    return nil
                }
                let request: HTTPRequest
                let bodyLength: Int
                do {
                    (request, bodyLength) = try parseHead()
                } catch {
                    throw fail(error)
                }
                head.removeAll(keepingCapacity: true)
                if bodyLength == 0 {
                    state = .head(.lineStart)
                    return request
                }
                body.reserveCapacity(min(bodyLength, 64 * 1024))
                state = .body(request, remaining: bodyLength)

            case .body(var request, let remaining):
                guard i < end else { return nil }
                let take = min(remaining, end - i)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[i ..< i + take]))
                i += take
                if take < remaining {
                    state = .body(request, remaining: remaining - take)
                    return nil
                }
                request.body = body
                body = []
                state = .head(.lineStart)
                return request
            }
        }
    }

    /// Convenience over `parseNext(_:consumed:)` for byte arrays.
    public mutating func parseNext(_ input: [UInt8], consumed: inout Int) throws(HTTPError) -> HTTPRequest? {
        var result: Result<HTTPRequest?, HTTPError> = .success(nil)
        input.withUnsafeBytes { raw in
            do {
                result = .success(try parseNext(raw, consumed: &consumed))
            } catch let error as HTTPError {
                result = .failure(error)
            } catch {
                preconditionFailure("parseNext throws only HTTPError")
            }
        }
        return try result.get()
    }

    /// Parses every complete request in `input`; a trailing partial request stays buffered.
    public mutating func parseAll(_ input: [UInt8]) throws(HTTPError) -> [HTTPRequest] {
        var requests: [HTTPRequest] = []
        var offset = 0
        while let request = try parseNext(input, consumed: &offset) { requests.append(request) }
        return requests
    }

    private mutating func fail(_ error: HTTPError) -> HTTPError {
        state = .failed(error)
        head = []
        body = []
        return error
    }

    // MARK: head

    /// Parses the collected head (which ends with the blank line's LF) into a request and its body length.
    private func parseHead() throws(HTTPError) -> (HTTPRequest, Int) {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = 0
        for index in head.indices where head[index] == 0x0A {
            var lineEnd = index
            if lineEnd > lineStart && head[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            lines.append(head[lineStart ..< lineEnd])
            lineStart = index + 1
        }
        // The final element is the empty line that ended the head.
        guard lines.count >= 2, lines.last!.isEmpty else { throw .malformedRequestLine }
        let (method, target, version) = try parseRequestLine(lines[0])
        var headers = HTTPHeaders()
        for line in lines[1 ..< lines.count - 1] {
            let (name, value) = try parseField(line)
            headers.add(name: name, value: value)
        }
        let request = HTTPRequest(method: method, target: target, version: version, headers: headers)
        return (request, try bodyLength(of: request))
    }

    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPError) -> (String, String, HTTPVersion) {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            throw .malformedRequestLine
        }
        guard parts[0].allSatisfy(Self.isTokenByte) else { throw .invalidMethod }
        let target = parts[1]
        guard target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .invalidTarget }
        let isOriginForm = target.first == UInt8(ascii: "/")
        let isAsterisk = target.count == 1 && target.first == UInt8(ascii: "*")
        let lowered = target.prefix(8).map(HTTPHeaders.lower)
        let isAbsolute = lowered.starts(with: Array("http://".utf8)) || lowered.starts(with: Array("https://".utf8))
        guard isOriginForm || isAsterisk || isAbsolute else { throw .invalidTarget }
        let v = Array(parts[2])
        guard v.count == 8, v.starts(with: Array("HTTP/".utf8)), v[6] == UInt8(ascii: "."),
              Self.isDigit(v[5]), Self.isDigit(v[7]) else { throw .malformedVersion }
        let version = HTTPVersion(major: Int(v[5] - 0x30), minor: Int(v[7] - 0x30))
        guard version == .http1_0 || version == .http1_1 else { throw .unsupportedVersion(version) }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: target, as: UTF8.self), version)
    }

    private func parseField(_ line: ArraySlice<UInt8>) throws(HTTPError) -> (String, String) {
        guard let first = line.first else { throw .malformedHeader }
        if first == 0x20 || first == 0x09 { throw .obsoleteLineFolding }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .malformedHeader }
        let name = line[line.startIndex ..< colon]
        guard let last = name.last else { throw .malformedHeader }
        if last == 0x20 || last == 0x09 { throw .whitespaceBeforeColon }
        guard name.allSatisfy(Self.isTokenByte) else { throw .malformedHeader }
        var value = line[(colon + 1)...]
        while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
        while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
        // Field values: visible ASCII, space, tab and obs-text; no other control characters.
        guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else { throw .malformedHeader }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    private func bodyLength(of request: HTTPRequest) throws(HTTPError) -> Int {
        let headers = request.headers
        if request.version == .http1_1 && headers.values(for: "Host").count != 1 { throw .missingHost }
        if headers.contains(name: "Transfer-Encoding") { throw .transferEncodingNotSupported }
        let lengths = headers.values(for: "Content-Length").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard !lengths.isEmpty else {
            if request.method == "POST" || request.method == "PUT" { throw .lengthRequired }
            return 0
        }
        var length: Int?
        for text in lengths {
            let digits = HTTPHeaders.trimmed(text).utf8
            guard !digits.isEmpty, digits.allSatisfy(Self.isDigit) else { throw .invalidContentLength }
            // More than 18 digits overflows Int and is far beyond any limit anyway.
            let value = digits.count > 18 ? Int.max : digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            if let length, length != value { throw .invalidContentLength }
            length = value
        }
        guard let length else { throw .invalidContentLength }
        if length > limits.maxBodyLength { throw .bodyTooLarge }
        return length
    }

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), 0x30...0x39:
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
