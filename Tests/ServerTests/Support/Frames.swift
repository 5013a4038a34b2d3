/// Client-side WebSocket frames built by hand, to send what a well-behaved library never would.
enum Frames {
    /// One frame; `mask` nil sends it unmasked (a protocol violation for clients).
    static func frame(opcode: UInt8, payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0,
                      mask: [UInt8]? = [0x12, 0x34, 0x56, 0x78]) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if payload.count < 126 {
            out.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out.append(maskBit | 126)
            out.append(UInt8(payload.count >> 8)); out.append(UInt8(payload.count & 0xFF))
        } else {
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        if let mask {
            out.append(contentsOf: mask)
            out.append(contentsOf: payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        } else {
            out.append(contentsOf: payload)
        }
        return out
    }

    static func text(_ text: String, fin: Bool = true) -> [UInt8] { frame(opcode: 1, payload: Array(text.utf8), fin: fin) }

    static func close(code: UInt16, reason: String = "") -> [UInt8] {
        frame(opcode: 8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8))
    }

    /// The upgrade request for `path`.
    static func upgradeRequest(path: String = "/ws/echo", origin: String? = nil, version: String = "13") -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: \(version)\r\n"
        if let origin { request += "Origin: \(origin)\r\n" }
        return request + "\r\n"
    }
}

/// A server frame read back by a raw client.
struct ServerFrame {
    var opcode: UInt8
    var fin: Bool
    var masked: Bool
    var payload: [UInt8]
    var closeCode: UInt16? { opcode == 8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
}

extension RawClient {
    /// Reads one frame sent by the server.
    func readFrame() throws -> ServerFrame {
        let head = try read(exactly: 2)
        var length = Int(head[1] & 0x7F)
        if length == 126 {
            let extended = try read(exactly: 2)
            length = Int(extended[0]) << 8 | Int(extended[1])
        } else if length == 127 {
            length = try read(exactly: 8).reduce(0) { $0 << 8 | Int($1) }
        }
        let masked = head[1] & 0x80 != 0
        if masked { _ = try read(exactly: 4) }
        return ServerFrame(opcode: head[0] & 0x0F, fin: head[0] & 0x80 != 0, masked: masked, payload: try read(exactly: length))
    }

    /// Upgrades to WebSocket on `path`; returns the 101 response.
    func upgrade(path: String = "/ws/echo", origin: String? = nil) throws -> Response {
        send(Frames.upgradeRequest(path: path, origin: origin))
        return try readResponse()
    }

    /// Reads frames until a close frame arrives and returns its code (nil when the socket closed first).
    func closeCode() throws -> UInt16? {
        while true {
            let frame: ServerFrame
            do { frame = try readFrame() } catch RawClient.Failure.closed { return nil }
            if frame.opcode == 8 { return frame.closeCode }
        }
    }
}
