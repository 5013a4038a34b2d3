/// Serialises frames to wire bytes (RFC 6455 §5.2).
///
/// A server encoder writes unmasked frames; a client encoder masks every frame (with the frame's
/// `maskingKey`, or a fresh random key when it has none). The client side exists for tests, fuzzers
/// and benchmark clients.
public struct WebSocketFrameEncoder: Sendable {
    /// Whose frames this encodes: `.server` never masks, `.client` always does.
    public let role: WebSocketRole

    /// Creates an encoder for `role`.
    public init(role: WebSocketRole = .server) {
        self.role = role
    }

    /// Appends the encoded `frame` to `buffer`.
    public func encode(_ frame: WebSocketFrame, into buffer: inout [UInt8]) {
        frame.payload.withUnsafeBytes { payload in
            encode(fin: frame.fin, reservedBits: frame.reservedBits, opcode: frame.opcode,
                   maskingKey: frame.maskingKey, payload: payload, into: &buffer)
        }
    }

    /// Returns `frame` encoded as wire bytes.
    public func encode(_ frame: WebSocketFrame) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(frame.payload.count + 14)
        encode(frame, into: &buffer)
        return buffer
    }

    /// Appends one frame with `payload` to `buffer` without building a `WebSocketFrame` first.
    ///
    /// `maskingKey` is used only by a client encoder (a random key when `nil`); a server ignores it.
    public func encode(fin: Bool = true, reservedBits: UInt8 = 0, opcode: WebSocketOpcode,
                       maskingKey: WebSocketMaskingKey? = nil, payload: UnsafeRawBufferPointer,
                       into buffer: inout [UInt8]) {
        let key: WebSocketMaskingKey? = role == .client ? (maskingKey ?? .random()) : nil
        buffer.append((fin ? 0x80 : 0) | (reservedBits & 0x7) << 4 | opcode.rawValue)
        let maskBit: UInt8 = key == nil ? 0 : 0x80
        let length = payload.count
        if length < 126 {
            buffer.append(maskBit | UInt8(length))
        } else if length <= Int(UInt16.max) {
            buffer.append(maskBit | 126)
            buffer.append(UInt8(truncatingIfNeeded: length >> 8))
            buffer.append(UInt8(truncatingIfNeeded: length))
        } else {
            buffer.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                buffer.append(UInt8(truncatingIfNeeded: UInt64(length) >> UInt64(shift)))
            }
        }
        guard let key else {
            buffer.append(contentsOf: payload)
            return
        }
        buffer.append(key.bytes.0)
        buffer.append(key.bytes.1)
        buffer.append(key.bytes.2)
        buffer.append(key.bytes.3)
        let start = buffer.count
        buffer.append(contentsOf: payload)
        key.apply(to: &buffer, range: start ..< buffer.count, offset: 0)
    }

    /// Appends one frame carrying `payload` to `buffer`.
    public func encode(fin: Bool = true, opcode: WebSocketOpcode, payload: [UInt8],
                       maskingKey: WebSocketMaskingKey? = nil, into buffer: inout [UInt8]) {
        payload.withUnsafeBytes { raw in
            encode(fin: fin, opcode: opcode, maskingKey: maskingKey, payload: raw, into: &buffer)
        }
    }
}
