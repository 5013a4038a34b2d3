// libFuzzer target: the opening-handshake validator and its base64.
// Input: one control byte (allow-list choice), then text: first line "METHOD VERSION", then
// "Name: value" lines.
// Invariants: the decision is deterministic; an accept implies every rule held and carries the right
// Sec-WebSocket-Accept; a reject uses only 400/403/405/426 (426 advertising version 13); base64 decoding
// is canonical (decode then encode gives back the text) and encoding round-trips.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketHandshake(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let requestLine = lines.first.map { $0.split(separator: " ", maxSplits: 1) } ?? []
    let method = requestLine.first.map(String.init) ?? ""
    let version = requestLine.count > 1 ? String(requestLine[1]) : ""
    var headers: [(name: String, value: String)] = []
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers.append((name: String(line[..<colon]), value: String(line[line.index(after: colon)...])))
    }
    let origins = control & 1 == 0 ? [] : ["https://sketch.example", "http://127.0.0.1:8080"]

    let result = WebSocketHandshake.validate(method: method, version: version, headers: headers, allowedOrigins: origins)
    let again = WebSocketHandshake.validate(method: method, version: version, headers: headers, allowedOrigins: origins)
    switch (result, again) {
    case (.accept(let a), .accept(let b)):
        invariant(a.map(\.value) == b.map(\.value), "non-deterministic accept")
        invariant(method == "GET" && version == "HTTP/1.1", "accepted \(method) \(version)")
        let keys = headers.filter { $0.name.asciiLowercased == "sec-websocket-key" }
        invariant(keys.count == 1, "accepted without exactly one key")
        let key = keys[0].value.trimmingSpaces
        invariant(Base64.decode(Substring(key))?.count == 16, "accepted a key that is not 16 bytes")
        let accept = a.first { $0.name == "Sec-WebSocket-Accept" }?.value
        invariant(accept == WebSocketHandshake.acceptValue(forKey: key), "wrong accept value")
        invariant(accept?.utf8.count == 28, "accept value is not 28 characters")
        let versions = headers.filter { $0.name.asciiLowercased == "sec-websocket-version" }
        invariant(versions.count == 1 && versions[0].value.trimmingSpaces == "13", "accepted without version 13")
    case (.reject(let status, let extra, _), .reject(let status2, _, _)):
        invariant(status == status2, "non-deterministic reject")
        invariant([400, 403, 405, 426].contains(status), "unexpected status \(status)")
        if status == 426 {
            invariant(extra.contains { $0.name == "Sec-WebSocket-Version" && $0.value == "13" }, "426 without version header")
        }
        if status == 403 {
            // several Origin headers are refused whatever the allow-list; one Origin only by a non-empty list
            let originHeaders = headers.filter { $0.name.asciiLowercased == "origin" }.count
            invariant(!origins.isEmpty || originHeaders > 1, "403 with an empty allow-list and at most one Origin")
            invariant(originHeaders >= 1, "403 without an Origin header")
        }
    default:
        invariant(false, "non-deterministic decision")
    }

    for field in headers {
        if let decoded = Base64.decode(Substring(field.value)) {
            invariant(Base64.encode(decoded) == field.value, "non-canonical base64 accepted: \(field.value)")
        }
    }
    let raw = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    invariant(Base64.decode(Substring(Base64.encode(raw))) == raw, "base64 round trip failed")
    return 0
}

extension String {
    /// The string with only A–Z lowercased, as HTTP header names compare.
    var asciiLowercased: String {
        String(decoding: utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
