// libFuzzer target: the HTTP/1.x request parser, plus the static path normaliser and dates on what it
// yields. Input: one control byte (limits, chunking seed), then request bytes.
// Invariants: chunked parsing yields the same requests and refusal as parsing at once; every request
// obeys the rules it was admitted under; normalised paths never contain `.`/`..`/`/`/NUL segments;
// IMF-fixdates round-trip.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let limits = HTTPRequestParser.Limits(maxHeadLength: control & 1 == 0 ? 16 * 1024 : 128,
                                          maxBodyLength: control & 2 == 0 ? 1 << 20 : 16)

    func parse(_ pieces: [[UInt8]]) -> ([HTTPRequest], HTTPError?, Bool) {
        var parser = HTTPRequestParser(limits: limits)
        var requests: [HTTPRequest] = []
        do {
            for piece in pieces {
                var offset = 0
                while let request = try parser.parseNext(piece, consumed: &offset) { requests.append(request) }
                invariant(offset == piece.count, "parser stopped early without a request")
            }
        } catch {
            return (requests, error, false)
        }
        return (requests, nil, parser.isIdle)
    }
    let whole = parse([bytes])
    let chunked = parse(chunks(of: bytes, seed: control >> 2))
    invariant(whole.0 == chunked.0, "requests differ between whole and chunked parsing")
    invariant(whole.1 == chunked.1, "refusals differ: \(String(describing: whole.1)) vs \(String(describing: chunked.1))")
    invariant(whole.2 == chunked.2, "idle state differs")

    for request in whole.0 {
        invariant(request.version == .http1_0 || request.version == .http1_1, "unsupported version admitted")
        invariant(!request.headers.contains(name: "Transfer-Encoding"), "Transfer-Encoding admitted")
        invariant(request.body.count <= limits.maxBodyLength, "body over the limit admitted")
        if request.version == .http1_1 {
            invariant(request.headers.values(for: "Host").count == 1, "HTTP/1.1 without one Host admitted")
        }
        if let length = request.headers["Content-Length"] {
            let declared = Int(HTTPHeaders.trimmed(length.split(separator: ",").first ?? ""))
            invariant(declared == request.body.count, "body length differs from Content-Length \(length)")
        } else {
            invariant(request.body.isEmpty, "body without Content-Length")
        }
        for field in request.headers {
            invariant(!field.value.utf8.contains(0x0D) && !field.value.utf8.contains(0x0A), "CR/LF in a header value")
            if let date = HTTPDate(field.value) {
                invariant(HTTPDate(date.description) == date, "date does not round-trip: \(field.value)")
            }
        }
        if let segments = try? StaticPathResolver.segments(of: request.target) {
            for segment in segments {
                invariant(!segment.isEmpty && segment != "." && segment != "..", "unnormalised segment \(segment)")
                invariant(!segment.utf8.contains(0x2F) && !segment.utf8.contains(0) && !segment.utf8.contains(0x5C),
                          "slash, backslash or NUL in segment \(segment)")
            }
        }
        let response = HTTPResponse(status: .ok, headers: ["X-Target": request.target], body: request.body)
        let wire = response.serialized(date: HTTPDate(secondsSince1970: 0), keepAlive: request.keepAlive)
        // Status line, Date, Server, Content-Length, Connection, X-Target: a target can never add a line.
        let headEnd = wire.indices.first { wire[$0...].starts(with: [0x0D, 0x0A, 0x0D, 0x0A]) }
        let headLines = headEnd.map { wire[..<$0].split(separator: 0x0A).count }
        invariant(headLines == 6, "serialised response head has \(String(describing: headLines)) lines")
    }
    return 0
}
